//! A cluster's access configuration, as the pure core sees it: EKS access entries and their access
//! policy associations, the aws-auth ConfigMap's mappings, and Kubernetes RBAC objects.
//!
//! Loaders (`state/`) build these from eksctl configs, kubectl YAML, snapshots or the live APIs;
//! the authorizer (`authz/`) only reads them.

use serde::{Deserialize, Serialize};

/// How the cluster authenticates IAM principals (`accessConfig.authenticationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticationMode {
    /// aws-auth only; access entries are ignored.
    ConfigMap,
    /// Both; an access entry wins over an aws-auth mapping for the same principal. eksctl's default.
    #[default]
    ApiAndConfigMap,
    /// Access entries only; aws-auth is ignored.
    Api,
}

impl AuthenticationMode {
    pub fn uses_access_entries(self) -> bool {
        self != AuthenticationMode::ConfigMap
    }

    pub fn uses_aws_auth(self) -> bool {
        self != AuthenticationMode::Api
    }
}

/// The access entry's `type`. Node types are authorized by the Node authorizer, which grantscope
/// does not model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessEntryType {
    #[default]
    Standard,
    #[serde(rename = "EC2_LINUX")]
    Ec2Linux,
    #[serde(rename = "EC2_WINDOWS")]
    Ec2Windows,
    FargateLinux,
    HybridLinux,
    /// EKS Auto Mode node role.
    #[serde(rename = "EC2")]
    Ec2,
    /// SageMaker HyperPod nodes.
    HyperpodLinux,
}

impl AccessEntryType {
    pub fn is_node(self) -> bool {
        self != AccessEntryType::Standard
    }

    /// The name the EKS API uses (`STANDARD`, `EC2_LINUX`, ...).
    pub fn api_name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| "STANDARD".into())
    }
}

/// Where an access policy association applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AccessScope {
    Cluster,
    /// Namespaced requests in these namespaces; a trailing `*` is a prefix wildcard (`dev-*`).
    Namespace {
        namespaces: Vec<String>,
    },
}

impl std::fmt::Display for AccessScope {
    /// `cluster`, or `ns:` and the namespaces: the form grant ids use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessScope::Cluster => f.write_str("cluster"),
            AccessScope::Namespace { namespaces } => write!(f, "ns:{}", namespaces.join(",")),
        }
    }
}

/// One access policy associated with an access entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAssociation {
    pub policy_arn: String,
    pub scope: AccessScope,
    /// Unix ms, when known (EKS API `associatedAt`, CloudTrail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_at_ms: Option<i64>,
}

/// An EKS access entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// As configured; may carry an IAM path (`role/teams/admin`).
    pub principal_arn: String,
    #[serde(default, rename = "type")]
    pub entry_type: AccessEntryType,
    /// `None`: EKS's default (the user ARN, or `arn:aws:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default)]
    pub kubernetes_groups: Vec<String>,
    #[serde(default)]
    pub policies: Vec<PolicyAssociation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at_ms: Option<i64>,
}

#[cfg(test)]
impl AccessEntry {
    /// A STANDARD entry with the View policy at cluster scope, for tests.
    pub(crate) fn test_viewer(arn: &str) -> AccessEntry {
        AccessEntry {
            principal_arn: arn.into(),
            entry_type: AccessEntryType::Standard,
            username: None,
            kubernetes_groups: vec![],
            policies: vec![PolicyAssociation {
                policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into(),
                scope: AccessScope::Cluster,
                associated_at_ms: None,
            }],
            created_at_ms: None,
        }
    }
}

/// A `mapRoles` or `mapUsers` entry of the aws-auth ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityMapping {
    /// `rolearn` / `userarn`, as written. Matched case-insensitively against the canonical ARN.
    pub arn: String,
    /// May hold templates (`{{SessionName}}`, `{{AccountID}}`, ...).
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The aws-auth ConfigMap (`kube-system/aws-auth`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsAuth {
    #[serde(default)]
    pub map_roles: Vec<IdentityMapping>,
    #[serde(default)]
    pub map_users: Vec<IdentityMapping>,
    /// Accounts whose every principal authenticates, as its own canonical ARN with no groups.
    #[serde(default)]
    pub map_accounts: Vec<String>,
}

/// One RBAC rule (also the form of an EKS access policy's rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
}

/// A Role (with a namespace) or ClusterRole (without).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default)]
    pub rules: Vec<PolicyRule>,
}

/// What a binding's `roleRef` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    /// As Kubernetes names it in a `roleRef`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }

    pub fn parse(kind: &str) -> Option<RoleKind> {
        [RoleKind::Role, RoleKind::ClusterRole].into_iter().find(|k| k.as_str() == kind)
    }
}

/// A binding subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Subject {
    User {
        name: String,
    },
    Group {
        name: String,
    },
    /// A RoleBinding's ServiceAccount subject without a namespace means the binding's namespace.
    ServiceAccount {
        #[serde(default)]
        namespace: String,
        name: String,
    },
}

impl std::fmt::Display for Subject {
    /// `User alice`, `Group ops`, `ServiceAccount ci/deployer`: how diffs and fingerprints name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::User { name } => write!(f, "User {name}"),
            Subject::Group { name } => write!(f, "Group {name}"),
            Subject::ServiceAccount { namespace, name } => write!(f, "ServiceAccount {namespace}/{name}"),
        }
    }
}

/// A RoleBinding (with a namespace) or ClusterRoleBinding (without).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub role_kind: RoleKind,
    pub role_name: String,
    pub subjects: Vec<Subject>,
    /// Kubernetes or EKS maintains it (bootstrap defaults, `system:*`, `eks:*`): it decides requests
    /// like any binding, but it is not the cluster owner's to remove, so findings leave it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system: bool,
}

/// Whether a binding is maintained by Kubernetes or EKS rather than by the cluster's owners.
pub fn is_system_binding(name: &str, bootstrapping_label: bool) -> bool {
    bootstrapping_label || name.starts_with("system:") || name.starts_with("eks:")
}

/// Everything that decides who may do what on one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessState {
    pub cluster: String,
    #[serde(default)]
    pub authentication_mode: AuthenticationMode,
    #[serde(default)]
    pub access_entries: Vec<AccessEntry>,
    #[serde(default)]
    pub aws_auth: AwsAuth,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub bindings: Vec<RoleBinding>,
}
