//! Grants: what gives a principal access, named by stable, human-readable ids.

/// One grant in an [`crate::model::AccessState`], by position (cheap to copy and compare); its id
/// comes from [`super::Authorizer::grant_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// Kubernetes' privileged-group authorizer: `system:masters` may do anything, before RBAC runs.
    SystemMasters,
    /// An RBAC RoleBinding or ClusterRoleBinding (index into `bindings`).
    Binding(usize),
    /// An access policy association (indexes into `access_entries` and its `policies`).
    AccessPolicy { entry: usize, association: usize },
    /// Authentication through an access entry.
    AccessEntry(usize),
    /// Authentication through an aws-auth `mapRoles` entry.
    AwsAuthRole(usize),
    /// Authentication through an aws-auth `mapUsers` entry.
    AwsAuthUser(usize),
    /// Authentication through an aws-auth `mapAccounts` entry.
    AwsAuthAccount(usize),
}
