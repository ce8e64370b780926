//! The busy cluster's objects and how their names change over time, as on a real EKS cluster:
//!
//! - 300 nodes, each replaced every three days on its own schedule (about a third a day): a new
//!   `ip-10-…` name and a new EC2 instance id, which is the node's STS session name;
//! - deployments across the application namespaces whose ReplicaSet hash changes with each rollout
//!   (every half day to four days), so their pods are `<deployment>-<hash>-<5 random>`;
//! - a pool of live pods, one slot per replica (about 2,800): replacing a pod gives its slot a new
//!   name under the deployment's current hash;
//! - daemonset pods (`aws-node-xxxxx`, `kube-proxy-xxxxx`) named after their node.
//!
//! Names follow from the seed and the time alone, except the pool, which the writer changes; so the
//! generator needs memory for the pool and nothing that grows with the events written.

use super::super::rng::Rng;
use crate::model::time::MS_PER_DAY;
use xxhash_rust::xxh3::xxh3_64;

/// Live nodes at any time.
pub const NODES: u64 = 300;
/// How long a node lives: a third of the nodes are replaced each day.
pub const NODE_LIFETIME_MS: i64 = 3 * MS_PER_DAY;

/// The application namespaces (developers and the CI role work here; the state binds them).
pub const APP_NAMESPACES: &[&str] = &[
    "payments",
    "checkout",
    "cart",
    "catalog",
    "search",
    "orders",
    "inventory",
    "shipping",
    "notifications",
    "identity",
    "billing",
    "pricing",
    "recommendations",
    "reviews",
    "media",
    "gateway",
    "frontend",
    "analytics",
    "data-ingest",
    "ml-serving",
];

/// Workload names a namespace's deployments are drawn from.
const COMPONENTS: &[&str] = &[
    "api",
    "worker",
    "web",
    "consumer",
    "scheduler",
    "grpc",
    "cache-warmer",
    "indexer",
    "sync",
    "admin",
    "webhook",
    "exporter",
];

/// CronJobs: (namespace, name, minutes between runs).
pub const CRONJOBS: &[(&str, &str, i64)] = &[
    ("analytics", "hourly-rollup", 60),
    ("analytics", "sessionize", 15),
    ("data-ingest", "s3-import", 10),
    ("data-ingest", "compact-partitions", 30),
    ("billing", "invoice-run", 60),
    ("billing", "usage-export", 5),
    ("orders", "expire-carts", 5),
    ("search", "reindex-delta", 15),
    ("notifications", "digest-mailer", 30),
    ("ml-serving", "refresh-features", 20),
];

/// The alphabet of Kubernetes' random name suffixes (`k8s.io/apimachinery/pkg/util/rand`).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub struct Deployment {
    pub namespace: &'static str,
    pub name: String,
    /// How often it rolls out, and when in that period.
    rollout_ms: i64,
    phase_ms: i64,
}

pub struct Pod {
    pub deployment: usize,
    pub name: String,
    /// The node slot it runs on (the node currently in that slot).
    pub node: u64,
}

pub struct Cluster {
    seed: u64,
    pub deployments: Vec<Deployment>,
    /// One slot per replica; a replaced pod takes its slot.
    pub pods: Vec<Pod>,
}

impl Cluster {
    /// The cluster as it stands at `start_ms`.
    pub fn new(seed: u64, start_ms: i64) -> Cluster {
        let mut rng = Rng::new(hash(seed, 0xC1A5, 0));
        let mut deployments = Vec::new();
        let mut replicas = Vec::new();
        for &namespace in APP_NAMESPACES {
            // 4 to 9 distinct components per namespace.
            let mut components: Vec<&str> = COMPONENTS.to_vec();
            for _ in 0..4 + rng.below(6) {
                let component = components.remove(rng.below(components.len() as u64) as usize);
                deployments.push(Deployment {
                    namespace,
                    name: format!("{namespace}-{component}"),
                    rollout_ms: MS_PER_DAY / 2 + rng.below(7) as i64 * MS_PER_DAY / 2,
                    phase_ms: rng.below(4 * MS_PER_DAY as u64) as i64,
                });
                replicas.push(2 + rng.below(40));
            }
        }
        let mut cluster = Cluster { seed, deployments, pods: Vec::new() };
        for (d, &n) in replicas.iter().enumerate() {
            for _ in 0..n {
                let pod = cluster.new_pod(d, start_ms, &mut rng);
                cluster.pods.push(pod);
            }
        }
        cluster
    }

    /// A new pod of deployment `d` under its ReplicaSet at `now_ms`, on a random node.
    pub fn new_pod(&self, d: usize, now_ms: i64, rng: &mut Rng) -> Pod {
        Pod {
            deployment: d,
            name: format!("{}-{}", self.replica_set(d, now_ms), suffix(rng, 5)),
            node: rng.below(NODES),
        }
    }

    /// Deployment `d`'s current ReplicaSet: `<deployment>-<pod-template-hash>`; the hash changes
    /// with every rollout.
    pub fn replica_set(&self, d: usize, now_ms: i64) -> String {
        let dep = &self.deployments[d];
        let rollout = (now_ms + dep.phase_ms).div_euclid(dep.rollout_ms) as u64;
        let mut rng = Rng::new(hash(self.seed, d as u64, rollout));
        format!("{}-{}", dep.name, suffix(&mut rng, 10))
    }

    /// The node in slot `slot` at `now_ms`.
    pub fn node(&self, slot: u64, now_ms: i64) -> WorkerNode {
        let phase = (hash(self.seed, 0x0DE, slot) % NODE_LIFETIME_MS as u64) as i64;
        let generation = (now_ms + phase).div_euclid(NODE_LIFETIME_MS) as u64;
        let h = hash(self.seed, slot, generation);
        let ip = [16 + (h & 15), (h >> 8) & 255, 1 + (h >> 16) % 254];
        WorkerNode {
            host: format!("ip-10-{}-{}-{}.eu-west-1.compute.internal", ip[0], ip[1], ip[2]),
            ip: format!("10.{}.{}.{}", ip[0], ip[1], ip[2]),
            instance_id: format!("i-0{:016x}", hash(h, 0x1D, 0)),
        }
    }

    /// The pod of a daemonset (`aws-node`, `kube-proxy`) on a node: one per node, named after it.
    pub fn daemon_pod(&self, daemonset: &str, node: &WorkerNode) -> String {
        let (host, name) = (xxh3_64(node.host.as_bytes()), xxh3_64(daemonset.as_bytes()));
        let mut rng = Rng::new(hash(self.seed, host, name));
        format!("{daemonset}-{}", suffix(&mut rng, 5))
    }
}

/// A node as its kubelet authenticates: `system:node:<host>`, session = instance id.
#[derive(Clone)]
pub struct WorkerNode {
    pub host: String,
    pub ip: String,
    pub instance_id: String,
}

/// `n` characters of a random Kubernetes name suffix.
pub fn suffix(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| NAME_ALPHABET[rng.below(NAME_ALPHABET.len() as u64) as usize] as char).collect()
}

/// A stable 64-bit value from a seed and two numbers.
pub fn hash(seed: u64, a: u64, b: u64) -> u64 {
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&a.to_le_bytes());
    bytes[16..].copy_from_slice(&b.to_le_bytes());
    xxh3_64(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 20_400 * MS_PER_DAY + MS_PER_DAY / 2;

    fn is_random(s: &str, n: usize) -> bool {
        s.len() == n && s.bytes().all(|b| NAME_ALPHABET.contains(&b))
    }

    #[test]
    fn a_third_of_the_nodes_are_replaced_each_day_with_a_new_name_and_instance_id() {
        let cluster = Cluster::new(42, NOON);
        for day in 0..5 {
            let (today, tomorrow) = (NOON + day * MS_PER_DAY, NOON + (day + 1) * MS_PER_DAY);
            let replaced = (0..NODES)
                .filter(|&slot| {
                    let (a, b) = (cluster.node(slot, today), cluster.node(slot, tomorrow));
                    assert_eq!(a.host == b.host, a.instance_id == b.instance_id, "slot {slot}");
                    a.host != b.host
                })
                .count();
            assert!((75..=125).contains(&replaced), "day {day}: {replaced} of 300 replaced");
        }
        let node = cluster.node(7, NOON);
        assert_eq!(node.host, cluster.node(7, NOON + 1).host, "a node keeps its name while it lives");
        assert!(node.host.starts_with("ip-10-") && node.host.ends_with(".eu-west-1.compute.internal"), "{}", node.host);
        assert_eq!(node.ip.replace('.', "-"), node.host["ip-".len()..node.host.find('.').unwrap()]);
    }

    #[test]
    fn pods_are_named_under_their_replica_set_whose_hash_changes_with_each_rollout() {
        let mut cluster = Cluster::new(42, NOON);
        assert!((2_000..=4_000).contains(&cluster.pods.len()), "{} pods", cluster.pods.len());
        assert!(cluster.deployments.len() >= 4 * APP_NAMESPACES.len());
        for pod in &cluster.pods {
            let rs = cluster.replica_set(pod.deployment, NOON);
            let suffix = pod.name.strip_prefix(&format!("{rs}-")).unwrap_or_else(|| panic!("{} not of {rs}", pod.name));
            assert!(is_random(suffix, 5), "{}", pod.name);
            assert!(is_random(rs.rsplit('-').next().unwrap(), 10), "{rs}");
        }
        // Every deployment rolls out at least every three and a half days.
        for d in 0..cluster.deployments.len() {
            assert_ne!(cluster.replica_set(d, NOON), cluster.replica_set(d, NOON + 4 * MS_PER_DAY), "deployment {d}");
        }
        let mut rng = Rng::new(1);
        let replaced = cluster.new_pod(0, NOON + 4 * MS_PER_DAY, &mut rng);
        cluster.pods[0] = replaced;
        assert!(cluster.pods[0].name.starts_with(&cluster.replica_set(0, NOON + 4 * MS_PER_DAY)));
    }
}
