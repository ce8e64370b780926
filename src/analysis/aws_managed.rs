//! Grants AWS or Kubernetes manages, not the cluster owner. Access entries: a service-linked role's
//! (IAM path `/aws-service-role/`), an EKS capability's role (Argo CD, ACK, kro: EKS creates its
//! entry and associates the capability's policy), entries associated with a policy the EKS docs
//! reserve for service-linked roles, and node roles' entries (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX,
//! HYBRID_LINUX, HYPERPOD_LINUX: EKS maps nodes through them). aws-auth mappings of node roles, and
//! the bindings Kubernetes (bootstrap, `system:*`) and EKS (`eks:*`) maintain. Removing or narrowing
//! them breaks what AWS or Kubernetes runs on the cluster, and they may be re-created, so no
//! finding recommends it; the inventory labels them `managed`, with why.

use super::Finding;
use crate::authz::is_node_mapping;
use crate::authz::policies::catalog;
use crate::model::{AccessEntry, AccessState, IdentityMapping, RoleBinding};

/// IAM's path for service-linked roles (IAM User Guide, "Using service-linked roles").
const SERVICE_LINKED_PATH: &str = ":role/aws-service-role/";

/// Why an access entry is AWS's to manage, if it is.
pub fn aws_managed(e: &AccessEntry) -> Option<&'static str> {
    if e.principal_arn.contains(SERVICE_LINKED_PATH) {
        return Some("a service-linked role");
    }
    e.policies.iter().find_map(|a| catalog().aws_managed(&a.policy_arn))
}

/// Why an access entry is managed by AWS (its own, or a node role's), if it is: one line.
pub fn managed_entry(e: &AccessEntry) -> Option<&'static str> {
    if e.entry_type.is_node() {
        return Some("managed by EKS: a node role's entry, through which its nodes join the cluster");
    }
    aws_managed(e).map(|why| match why {
        "a service-linked role" => "managed by AWS: a service-linked role's entry, used by the AWS service itself",
        _ => "managed by AWS: an entry EKS creates for a capability or service, with its reserved policy",
    })
}

/// Why an aws-auth mapping is managed, if it is: a node role's, which its nodes join through.
pub fn managed_mapping(m: &IdentityMapping) -> Option<&'static str> {
    is_node_mapping(m).then_some("required by the nodes: a node role's mapping (system:node:... in system:nodes)")
}

/// Why a binding is managed, if it is: EKS's own, or one Kubernetes bootstraps.
pub fn managed_binding(b: &RoleBinding) -> Option<&'static str> {
    match b.system {
        false => None,
        true if b.name.starts_with("eks:") => Some("managed by EKS: one of its own bindings (eks:*)"),
        true => Some("managed by Kubernetes: a bootstrap binding (system:*, or labelled bootstrapping)"),
    }
}

/// Drops the findings about AWS-managed entries' principals, and says which and why (the finding
/// list leaves them out: see the README).
pub fn drop_aws_managed(state: &AccessState, found: &mut Vec<Finding>) {
    let managed: Vec<(&str, &str)> =
        state.access_entries.iter().filter_map(|e| aws_managed(e).map(|why| (e.principal_arn.as_str(), why))).collect();
    found.retain(|f| {
        let Some((arn, why)) = managed.iter().find(|(arn, _)| f.principal.as_deref() == Some(arn)) else {
            return true;
        };
        tracing::info!(finding = %f.id, kind = f.kind.as_str(), principal = %arn, "left out: AWS manages this access entry ({why})");
        false
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccessScope, PolicyAssociation};

    fn entry(arn: &str, policies: &[&str]) -> AccessEntry {
        let policies = policies
            .iter()
            .map(|p| PolicyAssociation {
                policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{p}"),
                scope: AccessScope::Cluster,
                associated_at_ms: None,
            })
            .collect();
        AccessEntry { policies, ..AccessEntry::test_viewer(arn) }
    }

    #[test]
    fn service_linked_and_capability_roles_entries_are_aws_managed() {
        let cases = [
            (
                "a service-linked role (IAM path aws-service-role)",
                entry(
                    "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
                    &[],
                ),
                true,
            ),
            (
                "an Argo CD capability's role, by its capability policy",
                entry("arn:aws:iam::111122223333:role/ArgoCDCapabilityRole", &["AmazonEKSArgoCDClusterPolicy"]),
                true,
            ),
            (
                "an entry with a policy reserved for service-linked roles",
                entry("arn:aws:iam::111122223333:role/auto", &["AmazonEKSComputeClusterPolicy"]),
                true,
            ),
            (
                "a customer's role with cluster admin",
                entry("arn:aws:iam::111122223333:role/admin", &["AmazonEKSClusterAdminPolicy"]),
                false,
            ),
            (
                "a role whose name merely mentions the path",
                entry("arn:aws:iam::111122223333:role/my-aws-service-role", &[]),
                false,
            ),
        ];
        for (name, e, want) in cases {
            assert_eq!(aws_managed(&e).is_some(), want, "{name}");
        }
    }
}
