//! Who works on the busy cluster and which grant allows them: the identities the busy state file
//! (state.yaml beside this file) gives access, and the bootstrap RBAC every cluster has.

use super::super::record::AllowedBy;
use super::cluster::APP_NAMESPACES;

/// An IAM role with an access entry: people through IAM Identity Center, CI through its own role.
pub struct ActorRole {
    pub name: &'static str,
    /// The access entry's Kubernetes groups.
    pub groups: &'static [&'static str],
    pub grant: AllowedBy,
    /// The namespaces an access policy is scoped to (none: the whole cluster).
    pub scope: &'static [&'static str],
    pub user_agent: &'static str,
}

/// The roles with an access entry, in the order the CloudTrail records create them.
pub const ROLES: &[&ActorRole] = &[&PLATFORM_ADMIN, &DEVELOPER, &READ_ONLY, &CI_DEPLOY, &CI_SMOKE];

const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const EDIT_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

pub static PLATFORM_ADMIN: ActorRole = ActorRole {
    name: "AWSReservedSSO_PlatformAdmin_5e2b7c1d9a3f4e60",
    groups: &[],
    grant: AllowedBy::AccessPolicy(ADMIN_POLICY),
    scope: &[],
    user_agent: "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46",
};
/// Bound to `edit` in every application namespace by a RoleBinding `developers`.
pub static DEVELOPER: ActorRole = ActorRole {
    name: "AWSReservedSSO_Developer_0c4d1e8f2a7b6935",
    groups: &["developers"],
    grant: AllowedBy::Rbac("RoleBinding", "developers", "ClusterRole", "edit", "Group", "developers"),
    scope: &[],
    user_agent: "kubectl/v1.30.4 (linux/amd64) kubernetes/3a3a1d9",
};
pub static READ_ONLY: ActorRole = ActorRole {
    name: "AWSReservedSSO_ReadOnly_7a9c2e4b6d8f1035",
    groups: &[],
    grant: AllowedBy::AccessPolicy(VIEW_POLICY),
    scope: &[],
    user_agent: "k9s/v0.32.5 (darwin/arm64)",
};
/// Edit, scoped to the application namespaces.
pub static CI_DEPLOY: ActorRole = ActorRole {
    name: "github-actions-deploy",
    groups: &[],
    grant: AllowedBy::AccessPolicy(EDIT_POLICY),
    scope: APP_NAMESPACES,
    user_agent: "kubectl/v1.31.0 (linux/amd64) kubernetes/9c9f3d9",
};
/// Smoke tests after a deploy: `view` everywhere through a group binding.
pub static CI_SMOKE: ActorRole = ActorRole {
    name: "ci-smoke-tests",
    groups: &["ci-smoke"],
    grant: AllowedBy::cluster_binding("ci-smoke", "view", "Group", "ci-smoke"),
    scope: &[],
    user_agent: "python-kubernetes/31.0.0",
};

/// People and the role they sign in with; their session name is their e-mail, the same every day.
pub const HUMANS: &[(&ActorRole, &str)] = &[
    (&PLATFORM_ADMIN, "alice@example.com"),
    (&PLATFORM_ADMIN, "bob@example.com"),
    (&DEVELOPER, "carol@example.com"),
    (&DEVELOPER, "dave@example.com"),
    (&DEVELOPER, "erin@example.com"),
    (&DEVELOPER, "frank@example.com"),
    (&DEVELOPER, "grace@example.com"),
    (&DEVELOPER, "heidi@example.com"),
    (&DEVELOPER, "ivan@example.com"),
    (&DEVELOPER, "judy@example.com"),
    (&DEVELOPER, "mallory@example.com"),
    (&DEVELOPER, "niaj@example.com"),
    (&READ_ONLY, "olivia@example.com"),
    (&READ_ONLY, "peggy@example.com"),
    (&READ_ONLY, "rupert@example.com"),
];

/// A kube-controller-manager controller, running with `--use-service-account-credentials`: the
/// service account `kube-system:<name>`, bound by the bootstrap `system:controller:<name>`.
pub struct Controller {
    pub name: &'static str,
    pub grant: AllowedBy,
    pub user_agent: &'static str,
}

macro_rules! controller {
    ($name:literal) => {
        Controller {
            name: $name,
            grant: AllowedBy::cluster_binding(
                concat!("system:controller:", $name),
                concat!("system:controller:", $name),
                "ServiceAccount",
                concat!($name, "/kube-system"),
            ),
            user_agent: concat!(
                "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/7f9249a/system:serviceaccount:kube-system:",
                $name
            ),
        }
    };
}

pub static REPLICASET_CONTROLLER: Controller = controller!("replicaset-controller");
pub static DEPLOYMENT_CONTROLLER: Controller = controller!("deployment-controller");
pub static ENDPOINTSLICE_CONTROLLER: Controller = controller!("endpointslice-controller");
pub static JOB_CONTROLLER: Controller = controller!("job-controller");
pub static CRONJOB_CONTROLLER: Controller = controller!("cronjob-controller");
pub static NODE_CONTROLLER: Controller = controller!("node-controller");

/// A control-plane component authenticating with its client certificate, bound by the bootstrap
/// ClusterRoleBinding of its name.
pub struct Component {
    pub username: &'static str,
    pub grant: AllowedBy,
    pub user_agent: &'static str,
    pub lease: &'static str,
}

pub static SCHEDULER: Component = Component {
    username: "system:kube-scheduler",
    grant: AllowedBy::cluster_binding(
        "system:kube-scheduler",
        "system:kube-scheduler",
        "User",
        "system:kube-scheduler",
    ),
    user_agent: "kube-scheduler/v1.31.2 (linux/amd64) kubernetes/7f9249a/scheduler",
    lease: "kube-scheduler",
};
pub static CONTROLLER_MANAGER: Component = Component {
    username: "system:kube-controller-manager",
    grant: AllowedBy::cluster_binding(
        "system:kube-controller-manager",
        "system:kube-controller-manager",
        "User",
        "system:kube-controller-manager",
    ),
    user_agent: "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/7f9249a/leader-election",
    lease: "kube-controller-manager",
};

/// An add-on's or workload's service account, with its pods' bound tokens.
pub struct AddOn {
    pub namespace: &'static str,
    pub name: &'static str,
    /// `None`: no binding grants it anything.
    pub grant: Option<AllowedBy>,
    pub user_agent: &'static str,
}

pub static AWS_NODE: AddOn = AddOn {
    namespace: "kube-system",
    name: "aws-node",
    grant: Some(AllowedBy::cluster_binding("aws-node", "aws-node", "ServiceAccount", "aws-node/kube-system")),
    user_agent: "aws-vpc-cni/v1.19.0 (linux/amd64)",
};
pub static KUBE_PROXY: AddOn = AddOn {
    namespace: "kube-system",
    name: "kube-proxy",
    grant: Some(AllowedBy::cluster_binding(
        "eks:kube-proxy",
        "system:node-proxier",
        "ServiceAccount",
        "kube-proxy/kube-system",
    )),
    user_agent: "kube-proxy/v1.31.2 (linux/amd64) kubernetes/7f9249a",
};
pub static COREDNS: AddOn = AddOn {
    namespace: "kube-system",
    name: "coredns",
    grant: Some(AllowedBy::cluster_binding(
        "system:coredns",
        "system:coredns",
        "ServiceAccount",
        "coredns/kube-system",
    )),
    user_agent: "coredns/v1.11.3 (linux/amd64) kubernetes/4c5f7c5",
};
pub static EBS_CSI: AddOn = AddOn {
    namespace: "kube-system",
    name: "ebs-csi-controller-sa",
    grant: Some(AllowedBy::cluster_binding(
        "ebs-csi-attacher-binding",
        "ebs-external-attacher-role",
        "ServiceAccount",
        "ebs-csi-controller-sa/kube-system",
    )),
    user_agent: "csi-attacher/v4.7.0 (linux/amd64) kubernetes/$Format",
};
/// The EBS CSI controller's leader election, by a Role in kube-system.
pub const EBS_CSI_LEASES: AllowedBy = AllowedBy::Rbac(
    "RoleBinding",
    "ebs-csi-leases-rolebinding",
    "Role",
    "ebs-csi-leases-role",
    "ServiceAccount",
    "ebs-csi-controller-sa/kube-system",
);
pub static PROMETHEUS: AddOn = AddOn {
    namespace: "monitoring",
    name: "prometheus-k8s",
    grant: Some(AllowedBy::cluster_binding(
        "prometheus-k8s",
        "prometheus-k8s",
        "ServiceAccount",
        "prometheus-k8s/monitoring",
    )),
    user_agent: "Prometheus/2.54.1",
};
/// An application's default service account, which no binding grants anything: its client
/// library's lookups are denied.
pub static APP_DEFAULT: AddOn =
    AddOn { namespace: "payments", name: "default", grant: None, user_agent: "okhttp/4.12.0" };

pub const KUBELET_USER_AGENT: &str = "kubelet/v1.31.2-eks-7f9249a (linux/amd64) kubernetes/7f9249a";
