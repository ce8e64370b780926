//! Privilege-escalation paths: who can *become* more than they were granted.
//!
//! A graph over the access state. Its nodes are identities — IAM principals as they authenticate
//! (access entries, aws-auth), users, groups and service accounts named by bindings — and its
//! edges the ways Kubernetes lets one identity act as another (Kubernetes documentation, "RBAC
//! good practices", privilege-escalation risks; "Using RBAC authorization", privilege escalation
//! prevention):
//!
//! | edge | grant that creates it | reaches |
//! |---|---|---|
//! | `impersonate` | `impersonate` on users, groups, serviceaccounts (the EKS Edit and Admin access policies grant it on serviceaccounts in their scope) | the identity named, or any |
//! | `create-pods` | create pods, or create/patch a pod-creating workload, in a namespace | any service account of the namespace (a pod runs as the one it names) |
//! | `create-token` | create `serviceaccounts/token` | that service account |
//! | `read-secrets` | get or list secrets in a namespace | its service accounts (legacy token secrets) |
//! | `bind` | `bind` on clusterroles with create on clusterrolebindings | cluster-admin (escalation prevention is waived by `bind`) |
//! | `escalate` | `escalate` with update or patch on clusterroles | cluster-admin (a role one is bound to can be given anything) |
//! | `write-aws-auth` | update or patch of `kube-system/aws-auth` (when the cluster reads it) | `system:masters` through any mapping |
//! | `nodes-proxy` | get or create on `nodes/proxy` | every service account (the kubelet API runs commands in any pod) |
//! | `approve-csr` | update `certificatesigningrequests/approval` with approve on a signer | `system:masters` (a client certificate names its groups) |
//!
//! and each identity *holds* critical capabilities: cluster-admin (`*` on everything), secrets in
//! every namespace, aws-auth write, RBAC write (create clusterrolebindings). A path is an
//! escalation when it takes at least one edge; every step names its grant (the ids `evaluate`
//! uses). Paths are ranked by use: a grant on a path that was never used in the window is the
//! cheapest, safest cut.
//!
//! `graph` builds the graph, each edge found by one of the `rules`; `search` finds the paths;
//! `findings` turns them into findings.

mod findings;
mod graph;
mod rules;
mod search;

pub use findings::{EscalationContext, escalation_findings};
pub use search::escalations;

use crate::authz::Request;
use crate::model::GrantId;
use serde::Serialize;
use std::collections::BTreeMap;

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    Principal(String),
    User(String),
    Group(String),
    ServiceAccount {
        namespace: String,
        name: String,
    },
    /// Any service account of a namespace (`None`: of every namespace): what creating a pod gives.
    AnyServiceAccount(Option<String>),
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Principal(arn) => f.write_str(arn),
            Identity::User(u) => write!(f, "user:{u}"),
            Identity::Group(g) => write!(f, "group:{g}"),
            Identity::ServiceAccount { namespace, name } => write!(f, "serviceaccount:{namespace}/{name}"),
            Identity::AnyServiceAccount(Some(ns)) => write!(f, "any serviceaccount of {ns}"),
            Identity::AnyServiceAccount(None) => f.write_str("any serviceaccount"),
        }
    }
}

/// How one identity acts as another, or holds a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    Impersonate,
    CreatePods,
    CreateToken,
    ReadSecrets,
    Bind,
    Escalate,
    WriteAwsAuth,
    NodesProxy,
    ApproveCsr,
    /// The last step: the identity holds the capability itself.
    Holds,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Impersonate => "impersonate",
            EdgeKind::CreatePods => "create-pods",
            EdgeKind::CreateToken => "create-token",
            EdgeKind::ReadSecrets => "read-secrets",
            EdgeKind::Bind => "bind",
            EdgeKind::Escalate => "escalate",
            EdgeKind::WriteAwsAuth => "write-aws-auth",
            EdgeKind::NodesProxy => "nodes-proxy",
            EdgeKind::ApproveCsr => "approve-csr",
            EdgeKind::Holds => "holds",
        }
    }
}

/// A critical capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    ClusterAdmin,
    SecretsAllNamespaces,
    AwsAuthWrite,
    RbacWrite,
}

impl Capability {
    pub const ALL: [Capability; 4] =
        [Capability::ClusterAdmin, Capability::SecretsAllNamespaces, Capability::AwsAuthWrite, Capability::RbacWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::ClusterAdmin => "cluster-admin",
            Capability::SecretsAllNamespaces => "secrets-all-namespaces",
            Capability::AwsAuthWrite => "aws-auth-write",
            Capability::RbacWrite => "rbac-write",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The request that shows it: what `kubectl auth can-i` would ask.
    fn request(self) -> Request<'static> {
        match self {
            Capability::ClusterAdmin => Request::resource("*", "*", "*", "", "", ""),
            Capability::SecretsAllNamespaces => Request::resource("list", "", "secrets", "", "", ""),
            Capability::AwsAuthWrite => Request::resource("update", "", "configmaps", "", "kube-system", "aws-auth"),
            Capability::RbacWrite => Request::resource("create", RBAC, "clusterrolebindings", "", "", ""),
        }
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub edge: EdgeKind,
    /// The grant that creates the edge (as `evaluate` names grants).
    pub grant: GrantId,
    /// The identity reached, or the capability held.
    pub to: String,
}

/// The shortest escalation from a principal to a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    pub from: String,
    pub to: Capability,
    pub steps: Vec<Step>,
    /// Grants on the path that allowed nothing in the window.
    pub unused_grants: Vec<GrantId>,
    /// The grant to remove or narrow: the first unused one on the path, else the first step's.
    pub cut: GrantId,
}

/// A grant many paths go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChokePoint {
    pub grant: GrantId,
    pub paths: usize,
    pub used: bool,
}

/// What a principal can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    /// How many identities it can act as.
    pub identities: usize,
    /// Which: users, groups, service accounts (and principals) it can become.
    pub reachable: Vec<String>,
    /// The critical capabilities it holds or can reach.
    pub capabilities: Vec<Capability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalations {
    pub paths: Vec<Path>,
    /// Grants by how many paths they are on, most first.
    pub choke_points: Vec<ChokePoint>,
    pub blast_radius: BTreeMap<String, BlastRadius>,
}
