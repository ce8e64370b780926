//! An event planned for a later slot: who asks what, and how the API server decided; and how it
//! is written as an audit record.

use super::super::record::{
    AllowedBy, BoundPod, GeneratedEvent, GeneratedRequest, PUBLIC_INFO_REASON, RecordedCaller, upper_id, uuid_of,
};
use super::super::rng::Rng;
use super::actors::{self, ActorRole, AddOn, Component, Controller};
use super::cluster::WorkerNode;
use std::cmp::Ordering;

/// Where kube-controller-manager and kube-scheduler call from (an EKS control-plane ENI).
const CONTROL_PLANE_IP: &str = "10.0.255.12";

/// Who asks.
#[derive(Clone)]
pub enum Who {
    /// An IAM role session (people, CI).
    Role(&'static ActorRole, String),
    /// A kubelet, through the node role's EC2_LINUX access entry.
    Kubelet(WorkerNode),
    Controller(&'static Controller),
    Component(&'static Component),
    /// An add-on's pod: (service account, pod, the node it runs on).
    Pod(&'static AddOn, String, WorkerNode),
    Anonymous,
}

/// How the API server decided, as it records it.
#[derive(Clone, Copy)]
pub enum PlannedDecision {
    Allow(&'static AllowedBy),
    /// The Node authorizer (no reason recorded).
    Node,
    /// `system:public-info-viewer` for anonymous health checks.
    PublicInfo,
    Forbid,
}

/// One event to write when its slot comes.
#[derive(Clone)]
pub struct Planned {
    pub who: Who,
    pub verb: &'static str,
    pub api_group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub namespace: &'static str,
    pub name: String,
    pub path: &'static str,
    pub decision: PlannedDecision,
}

impl Planned {
    pub fn sub(mut self, subresource: &'static str) -> Planned {
        self.subresource = subresource;
        self
    }

    pub fn forbidden(mut self) -> Planned {
        self.decision = PlannedDecision::Forbid;
        self
    }

    pub fn allowed_by(mut self, grant: &'static AllowedBy) -> Planned {
        self.decision = PlannedDecision::Allow(grant);
        self
    }

    /// The audit record of this event happening at `now`; `rng` draws what varies per request.
    pub fn record<'r>(
        &'r self,
        account: &'r str,
        node_role: &str,
        audit_id: &'r str,
        now: i64,
        latency_ms: i64,
        rng: &mut Rng,
    ) -> GeneratedEvent<'r> {
        let (caller, user_agent, ip, role): (RecordedCaller, &str, String, &str) = match &self.who {
            Who::Role(role, session) => (
                RecordedCaller::AssumedRole {
                    role: role.name.to_string(),
                    session: session.clone(),
                    username: RecordedCaller::role_username(account, role.name, session),
                    groups: role.groups,
                    principal_id: format!("AROA{}", upper_id(role.name, 17)),
                    access_key_id: format!("ASIA{}", upper_id(session, 16)),
                },
                role.user_agent,
                format!("203.0.113.{}", 1 + xxhash_rust::xxh3::xxh3_64(session.as_bytes()) % 250),
                role.name,
            ),
            Who::Kubelet(node) => (
                RecordedCaller::AssumedRole {
                    role: node_role.to_string(),
                    session: node.instance_id.clone(),
                    username: format!("system:node:{}", node.host),
                    groups: &["system:nodes"],
                    principal_id: format!("AROA{}", upper_id(node_role, 17)),
                    access_key_id: format!("ASIA{}", upper_id(&node.instance_id, 16)),
                },
                actors::KUBELET_USER_AGENT,
                node.ip.clone(),
                "",
            ),
            Who::Controller(c) => (
                RecordedCaller::ServiceAccount {
                    namespace: "kube-system",
                    name: c.name,
                    credential_id: format!("JTI={}", uuid_of("kube-controller-manager", c.name)),
                    pod: None,
                },
                c.user_agent,
                CONTROL_PLANE_IP.to_string(),
                "",
            ),
            Who::Component(c) => (
                RecordedCaller::Certificate {
                    username: c.username,
                    credential_id: format!("X509SHA256={}", fingerprint(c.username)),
                },
                c.user_agent,
                CONTROL_PLANE_IP.to_string(),
                "",
            ),
            Who::Pod(addon, pod, node) => (
                RecordedCaller::ServiceAccount {
                    namespace: addon.namespace,
                    name: addon.name,
                    credential_id: format!("JTI={}", uuid_of(pod, "token")),
                    pod: Some(BoundPod {
                        name: pod.clone(),
                        uid: uuid_of(pod, addon.namespace),
                        node: node.host.clone(),
                    }),
                },
                addon.user_agent,
                node.ip.clone(),
                "",
            ),
            // Load balancer health checks, from inside the VPC.
            Who::Anonymous => {
                let ip = format!("10.0.{}.{}", rng.below(4), 2 + rng.below(250));
                (RecordedCaller::Anonymous, "ELB-HealthChecker/2.0", ip, "")
            }
        };
        let principal_id = match &caller {
            RecordedCaller::AssumedRole { principal_id, .. } => principal_id.clone(),
            _ => String::new(),
        };
        let reason = match self.decision {
            PlannedDecision::Allow(grant) => Some(grant.reason(account, role, &principal_id, self.namespace)),
            PlannedDecision::Node => Some(String::new()),
            PlannedDecision::PublicInfo => Some(PUBLIC_INFO_REASON.to_string()),
            PlannedDecision::Forbid => None,
        };
        GeneratedEvent {
            account,
            audit_id,
            caller,
            request: GeneratedRequest {
                verb: self.verb,
                api_group: self.api_group,
                version: if self.path.is_empty() { "v1" } else { "" },
                resource: self.resource,
                subresource: self.subresource,
                namespace: self.namespace,
                name: &self.name,
                path: self.path,
            },
            source_ip: ip,
            user_agent,
            allowed: reason,
            received_ms: now,
            latency_ms,
        }
    }
}

/// A planned event and the slot it is due in; equal slots keep the order they were planned in.
pub struct Pending {
    pub due: u64,
    pub seq: u64,
    pub event: Planned,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// A resource request, decided as its caller's grant decides it.
pub fn request(
    who: Who,
    verb: &'static str,
    api_group: &'static str,
    resource: &'static str,
    namespace: &'static str,
    name: String,
) -> Planned {
    let decision = match &who {
        Who::Role(role, _) => PlannedDecision::Allow(&role.grant),
        Who::Kubelet(_) => PlannedDecision::Node,
        Who::Controller(c) => PlannedDecision::Allow(&c.grant),
        Who::Component(c) => PlannedDecision::Allow(&c.grant),
        Who::Pod(addon, ..) => addon.grant.as_ref().map_or(PlannedDecision::Forbid, PlannedDecision::Allow),
        Who::Anonymous => PlannedDecision::PublicInfo,
    };
    Planned { who, verb, api_group, resource, subresource: "", namespace, name, path: "", decision }
}

/// A stable SHA-256-like hex fingerprint of a client certificate.
fn fingerprint(name: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(name.as_bytes());
    format!("{h:032x}{:032x}", h.rotate_left(64))
}

/// A non-resource request (`get` of a path).
pub fn nonresource(who: Who, path: &'static str) -> Planned {
    Planned { path, ..request(who, "get", "", "", "", String::new()) }
}
