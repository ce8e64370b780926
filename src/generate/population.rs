//! Who does what on the generated cluster: the actors and their request mix.
//!
//! Modelled on real EKS audit logs: IAM roles through access entries and access policies (SSO
//! users with e-mail session names, CI with botocore sessions), an IAM user mapped by aws-auth,
//! service accounts of common add-ons, nodes, and anonymous probes. get/list/watch dominate.

use super::record::AllowedBy;

/// How an actor authenticates.
pub enum ActorIdentity {
    /// An IAM role; each request uses one of the sessions.
    Role {
        role: &'static str,
        sessions: &'static [&'static str],
        groups: &'static [&'static str],
        grant: AllowedBy,
    },
    /// An IAM user mapped by aws-auth `mapUsers`.
    User {
        user: &'static str,
        username: &'static str,
        groups: &'static [&'static str],
        grant: AllowedBy,
    },
    ServiceAccount {
        namespace: &'static str,
        name: &'static str,
        grant: AllowedBy,
    },
    Node {
        hosts: &'static [&'static str],
    },
    Anonymous,
}

/// One kind of request an actor makes.
pub struct Action {
    pub weight: u32,
    pub verb: &'static str,
    pub api_group: &'static str,
    pub version: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    /// Empty: cluster-scoped. Otherwise one is picked per request.
    pub namespaces: &'static [&'static str],
    /// Object names; empty for collection requests (list, watch, create).
    pub names: &'static [&'static str],
    /// Non-resource path (then the resource fields are ignored).
    pub path: &'static str,
    /// Whether the cluster allows it.
    pub allowed: bool,
}

pub struct Actor {
    pub weight: u32,
    pub identity: ActorIdentity,
    pub user_agent: &'static str,
    pub actions: &'static [Action],
}

const fn act(
    weight: u32,
    verb: &'static str,
    api_group: &'static str,
    resource: &'static str,
    namespaces: &'static [&'static str],
    names: &'static [&'static str],
) -> Action {
    Action {
        weight,
        verb,
        api_group,
        version: "v1",
        resource,
        subresource: "",
        namespaces,
        names,
        path: "",
        allowed: true,
    }
}

const fn sub(a: Action, subresource: &'static str) -> Action {
    Action { subresource, ..a }
}

const fn denied(a: Action) -> Action {
    Action { allowed: false, ..a }
}

const fn path(weight: u32, path: &'static str, allowed: bool) -> Action {
    Action {
        weight,
        verb: "get",
        api_group: "",
        version: "",
        resource: "",
        subresource: "",
        namespaces: &[],
        names: &[],
        path,
        allowed,
    }
}

pub const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
pub const EDIT_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
pub const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// The application namespaces, where the CI role's policy is scoped.
pub const APP_NS: &[&str] = &["payments", "checkout"];
const DATA_NS: &[&str] = &["data-ingest", "data-analytics"];
const ALL_NS: &[&str] =
    &["default", "kube-system", "payments", "checkout", "data-ingest", "data-analytics", "monitoring", "argocd"];
const PODS: &[&str] = &["api-7d9f8b6c5-x2lqp", "api-7d9f8b6c5-k8s2d", "worker-5c6b7d8f9-q1w2e"];
const DEPLOYS: &[&str] = &["api", "worker", "frontend"];
const NODES: &[&str] = &[
    "ip-10-0-1-23.eu-west-1.compute.internal",
    "ip-10-0-2-45.eu-west-1.compute.internal",
    "ip-10-0-3-67.eu-west-1.compute.internal",
];

pub static ACTORS: &[Actor] = &[
    Actor {
        weight: 12,
        identity: ActorIdentity::Role {
            role: "platform-admin",
            sessions: &["alice@example.com", "carol@example.com"],
            groups: &[],
            grant: AllowedBy::AccessPolicy(ADMIN_POLICY),
        },
        user_agent: "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46",
        // Uses a fraction of cluster-admin: reads everywhere, restarts deployments, reads logs.
        actions: &[
            act(30, "list", "", "pods", ALL_NS, &[]),
            act(20, "get", "", "pods", APP_NS, PODS),
            sub(act(10, "get", "", "pods", APP_NS, PODS), "log"),
            act(10, "list", "", "namespaces", &[], &[]),
            act(8, "get", "apps", "deployments", APP_NS, DEPLOYS),
            act(4, "patch", "apps", "deployments", APP_NS, DEPLOYS),
            act(6, "list", "", "nodes", &[], &[]),
            act(4, "list", "", "events", ALL_NS, &[]),
        ],
    },
    Actor {
        weight: 25,
        identity: ActorIdentity::Role {
            role: "ci-deployer",
            sessions: &["botocore-session-1761998400", "botocore-session-1762084800", "botocore-session-1762171200"],
            groups: &[],
            grant: AllowedBy::AccessPolicy(EDIT_POLICY),
        },
        user_agent: "argocd-application-controller/v2.13.1 (linux/amd64)",
        actions: &[
            act(30, "get", "apps", "deployments", APP_NS, DEPLOYS),
            act(15, "patch", "apps", "deployments", APP_NS, DEPLOYS),
            act(15, "get", "", "services", APP_NS, &["api", "frontend"]),
            act(10, "get", "", "configmaps", APP_NS, &["app-config"]),
            act(10, "update", "", "configmaps", APP_NS, &["app-config"]),
            act(10, "list", "", "pods", APP_NS, &[]),
        ],
    },
    Actor {
        weight: 6,
        identity: ActorIdentity::Role {
            role: "readonly-auditor",
            sessions: &["audit-session-42"],
            groups: &[],
            grant: AllowedBy::AccessPolicy(VIEW_POLICY),
        },
        user_agent: "kube-bench/v0.9.0 (linux/amd64)",
        actions: &[
            act(40, "list", "", "pods", ALL_NS, &[]),
            // The View policy does not cover RBAC objects: an auditor trying is denied.
            denied(act(5, "list", "rbac.authorization.k8s.io", "rolebindings", ALL_NS, &[])),
            act(20, "list", "", "configmaps", ALL_NS, &[]),
            denied(act(5, "list", "", "secrets", ALL_NS, &[])),
        ],
    },
    Actor {
        weight: 8,
        identity: ActorIdentity::Role {
            role: "data-team",
            sessions: &["dana@example.com", "erik@example.com"],
            groups: &["data-readers"],
            grant: AllowedBy::Rbac("RoleBinding", "data-readers", "ClusterRole", "view", "Group", "data-readers"),
        },
        user_agent: "kubectl/v1.30.4 (linux/amd64) kubernetes/3a3a1d9",
        actions: &[
            act(40, "list", "", "pods", DATA_NS, &[]),
            sub(act(30, "get", "", "pods", DATA_NS, PODS), "log"),
            act(20, "get", "batch", "jobs", DATA_NS, &["nightly-etl"]),
            denied(act(3, "delete", "", "pods", DATA_NS, PODS)),
        ],
    },
    Actor {
        weight: 3,
        identity: ActorIdentity::User {
            user: "legacy-ops",
            username: "legacy-ops",
            groups: &["legacy-ops"],
            grant: AllowedBy::cluster_binding("legacy-ops", "view", "Group", "legacy-ops"),
        },
        user_agent: "kubectl/v1.27.3 (linux/amd64) kubernetes/25b4e43",
        actions: &[
            act(50, "get", "", "pods", &["default"], PODS),
            denied(act(5, "get", "", "secrets", &["payments"], &["db-password"])),
        ],
    },
    Actor {
        weight: 20,
        identity: ActorIdentity::ServiceAccount {
            namespace: "kube-system",
            name: "coredns",
            grant: AllowedBy::cluster_binding(
                "system:coredns",
                "system:coredns",
                "ServiceAccount",
                "coredns/kube-system",
            ),
        },
        user_agent: "coredns/v1.11.3 (linux/amd64) kubernetes/4c5f7c5",
        actions: &[
            act(50, "watch", "discovery.k8s.io", "endpointslices", &[], &[]),
            act(30, "watch", "", "services", &[], &[]),
            act(20, "watch", "", "namespaces", &[], &[]),
        ],
    },
    Actor {
        weight: 15,
        identity: ActorIdentity::ServiceAccount {
            namespace: "kube-system",
            name: "aws-node",
            grant: AllowedBy::cluster_binding("aws-node", "aws-node", "ServiceAccount", "aws-node/kube-system"),
        },
        user_agent: "aws-vpc-cni/v1.19.0 (linux/amd64)",
        actions: &[act(60, "get", "", "nodes", &[], NODES), act(40, "list", "", "pods", &[], &[])],
    },
    Actor {
        weight: 15,
        identity: ActorIdentity::Node { hosts: NODES },
        user_agent: "kubelet/v1.31.2-eks-7f9249a (linux/amd64) kubernetes/7f9249a",
        actions: &[
            act(40, "get", "", "nodes", &[], NODES),
            sub(act(30, "patch", "", "nodes", &[], NODES), "status"),
            act(20, "get", "", "configmaps", &["kube-system"], &["kube-proxy"]),
            act(10, "create", "certificates.k8s.io", "certificatesigningrequests", &[], &[]),
        ],
    },
    Actor {
        weight: 2,
        identity: ActorIdentity::Anonymous,
        user_agent: "python-requests/2.31.0",
        actions: &[path(60, "/version", true), path(30, "/healthz", true), path(10, "/.env", false)],
    },
];
