//! What happens on the busy cluster: the events each activity of the mix (mix.rs) plans.

use super::super::rng::Rng;
use super::actors::{self, ActorRole, AddOn};
use super::cluster::{self, CRONJOBS, NODES, hash, suffix};
use super::generator::{Busy, RECENT_EVENTS};
use super::mix::Activity;
use super::planned::{Planned, Who, nonresource, request};

impl Busy<'_> {
    /// The events of one activity, in order.
    pub(super) fn activity(&mut self, activity: Activity, now: i64) -> Vec<Planned> {
        let rng = &mut self.rng;
        let cluster = &self.cluster;
        match activity {
            Activity::NodeLease => {
                let node = cluster.node(rng.below(NODES), now);
                let name = node.host.clone();
                vec![request(Who::Kubelet(node), "update", "coordination.k8s.io", "leases", "kube-node-lease", name)]
            }
            Activity::NodeStatus | Activity::NodeGet => {
                let node = cluster.node(rng.below(NODES), now);
                let name = node.host.clone();
                vec![match activity {
                    Activity::NodeStatus => request(Who::Kubelet(node), "patch", "", "nodes", "", name).sub("status"),
                    _ => request(Who::Kubelet(node), "get", "", "nodes", "", name),
                }]
            }
            Activity::KubeletPodGet | Activity::KubeletPodStatus | Activity::KubeletConfigMapWatch => {
                let pod = &cluster.pods[rng.below(cluster.pods.len() as u64) as usize];
                let namespace = cluster.deployments[pod.deployment].namespace;
                let kubelet = Who::Kubelet(cluster.node(pod.node, now));
                vec![match activity {
                    Activity::KubeletPodGet => request(kubelet, "get", "", "pods", namespace, pod.name.clone()),
                    Activity::KubeletPodStatus => {
                        request(kubelet, "patch", "", "pods", namespace, pod.name.clone()).sub("status")
                    }
                    // A single-object watch: the API server takes the name from the field selector.
                    _ => request(kubelet, "watch", "", "configmaps", namespace, "kube-root-ca.crt".into()),
                }]
            }
            Activity::PodReplaced => self.pod_replaced(now),
            Activity::CronJobRun => self.cron_job_run(now),
            Activity::EventRepeated => match self.recent_events.len() {
                0 => self.activity(Activity::NodeLease, now),
                n => {
                    let mut event = self.recent_events[self.rng.below(n as u64) as usize].clone();
                    event.verb = "patch";
                    vec![event]
                }
            },
            Activity::NodeReplaced => self.node_replaced(now),
            Activity::CiDeploy => self.ci_deploy(now),
            Activity::CiSmoke => self.ci_smoke(now),
            Activity::Human => self.human(),
            Activity::AwsNode | Activity::KubeProxy => {
                let addon = if matches!(activity, Activity::AwsNode) { &actors::AWS_NODE } else { &actors::KUBE_PROXY };
                let node = cluster.node(rng.below(NODES), now);
                let host = node.host.clone();
                let who = Who::Pod(addon, cluster.daemon_pod(addon.name, &node), node);
                vec![match (activity, rng.below(3)) {
                    (_, 0) => request(who, "get", "", "nodes", "", host),
                    (Activity::AwsNode, _) => request(who, "watch", "", "pods", "", String::new()),
                    (_, 1) => request(who, "watch", "discovery.k8s.io", "endpointslices", "", String::new()),
                    _ => request(who, "watch", "", "services", "", String::new()),
                }]
            }
            Activity::CoreDns => {
                let who = self.deployment_pod(&actors::COREDNS, "coredns-5d8f7b9c6", 2, now);
                let (verb, group, resource) = *self.rng.pick(&[
                    ("watch", "discovery.k8s.io", "endpointslices"),
                    ("watch", "", "services"),
                    ("watch", "", "namespaces"),
                    ("list", "", "services"),
                ]);
                vec![request(who, verb, group, resource, "", String::new())]
            }
            Activity::EbsCsi => {
                let who = self.deployment_pod(&actors::EBS_CSI, "ebs-csi-controller-7c9d8f6b5", 2, now);
                vec![match self.rng.below(2) {
                    0 => request(who, "watch", "storage.k8s.io", "volumeattachments", "", String::new()),
                    _ => request(
                        who,
                        "update",
                        "coordination.k8s.io",
                        "leases",
                        "kube-system",
                        "external-attacher-leader-ebs-csi-aws-com".into(),
                    )
                    .allowed_by(&actors::EBS_CSI_LEASES),
                }]
            }
            Activity::Prometheus => {
                let who = self.deployment_pod(&actors::PROMETHEUS, "prometheus-k8s", 2, now);
                vec![match self.rng.below(4) {
                    0 => nonresource(who, "/metrics"),
                    n => request(who, "list", "", ["pods", "endpoints", "services"][n as usize - 1], "", String::new()),
                }]
            }
            Activity::EndpointSliceUpdate | Activity::ReplicaSetStatus | Activity::DeploymentStatus => {
                let d = rng.below(cluster.deployments.len() as u64) as usize;
                let dep = &cluster.deployments[d];
                vec![match activity {
                    Activity::EndpointSliceUpdate => {
                        // A service's slice keeps its generated name.
                        let slice =
                            format!("{}-{}", dep.name, suffix(&mut Rng::new(hash(self.opts.seed, d as u64, 5)), 5));
                        let who = Who::Controller(&actors::ENDPOINTSLICE_CONTROLLER);
                        request(who, "update", "discovery.k8s.io", "endpointslices", dep.namespace, slice)
                    }
                    Activity::ReplicaSetStatus => {
                        let who = Who::Controller(&actors::REPLICASET_CONTROLLER);
                        request(who, "update", "apps", "replicasets", dep.namespace, cluster.replica_set(d, now))
                            .sub("status")
                    }
                    _ => {
                        let who = Who::Controller(&actors::DEPLOYMENT_CONTROLLER);
                        request(who, "update", "apps", "deployments", dep.namespace, dep.name.clone()).sub("status")
                    }
                }]
            }
            Activity::LeaderLease => {
                let component = *rng.pick(&[&actors::SCHEDULER, &actors::CONTROLLER_MANAGER]);
                let lease = component.lease.to_string();
                vec![request(
                    Who::Component(component),
                    "update",
                    "coordination.k8s.io",
                    "leases",
                    "kube-system",
                    lease,
                )]
            }
            Activity::HealthProbe => {
                let path = *rng.pick(&["/readyz", "/livez"]);
                vec![nonresource(Who::Anonymous, path)]
            }
            Activity::AppDenied => {
                let who = self.deployment_pod(&actors::APP_DEFAULT, "payments-api-6f7d9c8b5", 3, now);
                let resource = *self.rng.pick(&["configmaps", "secrets"]);
                vec![request(who, "list", "", resource, "payments", String::new())]
            }
        }
    }

    /// A pod of a deployment replaced: the ReplicaSet controller creates the new one (by
    /// `generateName`, so the create names nothing), the scheduler binds it, its kubelet starts
    /// it, and the old one is deleted and killed. Events are recorded along the way.
    fn pod_replaced(&mut self, now: i64) -> Vec<Planned> {
        let slot = self.rng.below(self.cluster.pods.len() as u64) as usize;
        let d = self.cluster.pods[slot].deployment;
        let new = self.cluster.new_pod(d, now, &mut self.rng);
        let old = std::mem::replace(&mut self.cluster.pods[slot], new);
        let new = &self.cluster.pods[slot];
        let namespace = self.cluster.deployments[d].namespace;
        let rs = self.cluster.replica_set(d, now);
        let (new_kubelet, old_kubelet) =
            (Who::Kubelet(self.cluster.node(new.node, now)), Who::Kubelet(self.cluster.node(old.node, now)));
        let rs_controller = Who::Controller(&actors::REPLICASET_CONTROLLER);
        let scheduler = Who::Component(&actors::SCHEDULER);
        let new_name = new.name.clone();
        let mut events = vec![
            request(rs_controller.clone(), "create", "", "pods", namespace, String::new()),
            self.event(rs_controller.clone(), "", namespace, &rs, now),
            request(scheduler.clone(), "create", "", "pods", namespace, new_name.clone()).sub("binding"),
            self.event(scheduler, "events.k8s.io", namespace, &new_name, now),
        ];
        for _ in 0..3 {
            // Pulled (the image is usually on the node already), Created, Started.
            events.push(self.event(new_kubelet.clone(), "", namespace, &new_name, now));
        }
        events.push(request(new_kubelet, "patch", "", "pods", namespace, new_name).sub("status"));
        events.push(request(rs_controller, "delete", "", "pods", namespace, old.name.clone()));
        events.push(self.event(old_kubelet.clone(), "", namespace, &old.name, now));
        events.push(request(old_kubelet, "patch", "", "pods", namespace, old.name).sub("status"));
        events
    }

    /// A CronJob's run: the controller creates the job under its scheduled minute, the job
    /// controller its pod, which runs to completion; the oldest kept job is deleted.
    fn cron_job_run(&mut self, now: i64) -> Vec<Planned> {
        let &(namespace, cron, every) = self.rng.pick(CRONJOBS);
        let minute = now / 60_000 / every * every;
        let job = format!("{cron}-{minute}");
        let pod = format!("{job}-{}", suffix(&mut self.rng, 5));
        let kubelet = Who::Kubelet(self.cluster.node(self.rng.below(NODES), now));
        let (cron_controller, job_controller) =
            (Who::Controller(&actors::CRONJOB_CONTROLLER), Who::Controller(&actors::JOB_CONTROLLER));
        let mut events = vec![
            request(cron_controller.clone(), "create", "batch", "jobs", namespace, job.clone()),
            self.event(cron_controller.clone(), "", namespace, cron, now),
            request(job_controller.clone(), "create", "", "pods", namespace, String::new()),
            self.event(job_controller.clone(), "", namespace, &job, now),
            request(Who::Component(&actors::SCHEDULER), "create", "", "pods", namespace, pod.clone()).sub("binding"),
            self.event(Who::Component(&actors::SCHEDULER), "events.k8s.io", namespace, &pod, now),
        ];
        for _ in 0..3 {
            events.push(self.event(kubelet.clone(), "", namespace, &pod, now));
        }
        events.push(request(kubelet, "patch", "", "pods", namespace, pod).sub("status"));
        events.push(request(job_controller.clone(), "update", "batch", "jobs", namespace, job.clone()).sub("status"));
        events.push(self.event(job_controller, "", namespace, &job, now));
        let oldest = format!("{cron}-{}", minute - 3 * every);
        events.push(request(cron_controller, "delete", "batch", "jobs", namespace, oldest));
        events
    }

    /// A node replaced by autoscaling: the new kubelet registers its Node and asks for a serving
    /// certificate; the node controller records it and deletes the one it replaces.
    fn node_replaced(&mut self, now: i64) -> Vec<Planned> {
        let slot = self.rng.below(NODES);
        let (new, old) = (self.cluster.node(slot, now), self.cluster.node(slot, now - cluster::NODE_LIFETIME_MS));
        let (new_host, old_host) = (new.host.clone(), old.host.clone());
        let node_controller = Who::Controller(&actors::NODE_CONTROLLER);
        vec![
            request(Who::Kubelet(new.clone()), "create", "", "nodes", "", new_host.clone()),
            request(
                Who::Kubelet(new),
                "create",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "",
                String::new(),
            ),
            self.event(node_controller.clone(), "", "default", &new_host, now),
            request(node_controller.clone(), "delete", "", "nodes", "", old_host.clone()),
            self.event(node_controller, "", "default", &old_host, now),
        ]
    }

    /// A deploy job: one STS session per job (`botocore-session-<epoch>`), rolling a deployment
    /// out and watching it finish. Now and then a job reaches outside the namespaces its access
    /// policy is scoped to, and is denied.
    fn ci_deploy(&mut self, now: i64) -> Vec<Planned> {
        let who = Who::Role(&actors::CI_DEPLOY, format!("botocore-session-{}", now / 1000));
        let d = self.rng.below(self.cluster.deployments.len() as u64) as usize;
        let dep = &self.cluster.deployments[d];
        let (namespace, name) = (dep.namespace, dep.name.clone());
        let req =
            |verb, group, resource, name: &str| request(who.clone(), verb, group, resource, namespace, name.into());
        let mut events = vec![
            req("get", "", "configmaps", &format!("{name}-config")),
            req("patch", "", "configmaps", &format!("{name}-config")),
            req("get", "apps", "deployments", &name),
            req("patch", "apps", "deployments", &name),
        ];
        for _ in 0..1 + self.rng.below(4) {
            // `kubectl rollout status` polling.
            events.push(req("get", "apps", "deployments", &name));
        }
        events.push(req("list", "apps", "replicasets", ""));
        events.push(req("list", "", "pods", ""));
        if self.rng.below(4) == 0 {
            events.push(req("create", "batch", "jobs", &format!("{name}-migrate-{}", suffix(&mut self.rng, 5))));
        }
        if self.rng.below(10) == 0 {
            events.push(request(who, "get", "apps", "deployments", "kube-system", "coredns".into()).forbidden());
        }
        events
    }

    /// Smoke tests after a deploy, read-only, one session per run.
    fn ci_smoke(&mut self, now: i64) -> Vec<Planned> {
        let who = Who::Role(&actors::CI_SMOKE, format!("botocore-session-{}", now / 1000));
        let dep = &self.cluster.deployments[self.rng.below(self.cluster.deployments.len() as u64) as usize];
        let (namespace, name) = (dep.namespace, dep.name.clone());
        vec![
            request(who.clone(), "get", "apps", "deployments", namespace, name.clone()),
            request(who.clone(), "get", "", "services", namespace, name),
            request(who.clone(), "list", "", "pods", namespace, String::new()),
            request(who, "list", "", "events", namespace, String::new()),
        ]
    }

    /// A person looking into a pod: lists, gets, logs, sometimes a shell. Each role has its
    /// limits: read-only people are denied secrets, developers anything outside their namespaces.
    fn human(&mut self) -> Vec<Planned> {
        let &(role, session) = self.rng.pick(actors::HUMANS);
        let who = Who::Role(role, session.to_string());
        let pod = &self.cluster.pods[self.rng.below(self.cluster.pods.len() as u64) as usize];
        let dep = &self.cluster.deployments[pod.deployment];
        let (namespace, pod_name, dep_name) = (dep.namespace, pod.name.clone(), dep.name.clone());
        let req =
            |verb, group, resource, name: &str| request(who.clone(), verb, group, resource, namespace, name.into());
        let mut events = vec![req("list", "", "pods", ""), req("get", "", "pods", &pod_name)];
        events.push(req("get", "", "pods", &pod_name).sub("log"));
        if self.rng.below(2) == 0 {
            events.push(req("get", "apps", "deployments", &dep_name));
        }
        events.push(req("list", "", "events", ""));
        let is = |r: &ActorRole| std::ptr::eq(role, r);
        match self.rng.below(8) {
            0 if is(&actors::READ_ONLY) => {
                events.push(req("get", "", "secrets", &format!("{dep_name}-db")).forbidden())
            }
            0 if is(&actors::DEVELOPER) => {
                events.push(request(who.clone(), "list", "", "nodes", "", String::new()).forbidden())
            }
            1 | 2 if !is(&actors::READ_ONLY) => events.push(req("create", "", "pods", &pod_name).sub("exec")),
            3 if is(&actors::PLATFORM_ADMIN) => {
                events.push(request(who.clone(), "list", "", "nodes", "", String::new()))
            }
            _ => {}
        }
        events
    }

    /// A pod of an add-on deployment with `replicas` pods under `replica_set`, on the node now in
    /// the slot it was given.
    fn deployment_pod(&mut self, addon: &'static AddOn, replica_set: &str, replicas: u64, now: i64) -> Who {
        let h = hash(self.opts.seed, xxhash_rust::xxh3::xxh3_64(replica_set.as_bytes()), self.rng.below(replicas));
        let pod = format!("{replica_set}-{}", suffix(&mut Rng::new(h), 5));
        Who::Pod(addon, pod, self.cluster.node(h % NODES, now))
    }

    /// An event object about `object`, created by `who`: named `<object>.<unix nanos in hex>` as
    /// client-go's recorder names them, so each is new. Remembered for the patches that count its
    /// repeats.
    fn event(&mut self, who: Who, api_group: &'static str, namespace: &'static str, object: &str, now: i64) -> Planned {
        let nanos = now as u64 * 1_000_000 + self.rng.below(1_000_000);
        let event = request(who, "create", api_group, "events", namespace, format!("{object}.{nanos:x}"));
        if self.recent_events.len() < RECENT_EVENTS {
            self.recent_events.push(event.clone());
        } else {
            let i = self.rng.below(RECENT_EVENTS as u64) as usize;
            self.recent_events[i] = event.clone();
        }
        event
    }
}
