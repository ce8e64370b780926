//! Access entries AWS manages, not the cluster owner: a service-linked role's (IAM path
//! `/aws-service-role/`), an EKS capability's role (Argo CD, ACK, kro: EKS creates its entry and
//! associates the capability's policy), and entries associated with a policy the EKS docs reserve for
//! service-linked roles. Removing or narrowing them breaks what AWS runs on the cluster, and EKS may
//! re-create them, so no finding recommends it.

use super::Finding;
use crate::authz::policies::catalog;
use crate::model::{AccessEntry, AccessState};

/// IAM's path for service-linked roles (IAM User Guide, "Using service-linked roles").
const SERVICE_LINKED_PATH: &str = ":role/aws-service-role/";

/// Why an access entry is AWS's to manage, if it is.
pub fn aws_managed(e: &AccessEntry) -> Option<&'static str> {
    if e.principal_arn.contains(SERVICE_LINKED_PATH) {
        return Some("a service-linked role");
    }
    e.policies.iter().find_map(|a| catalog().aws_managed(&a.policy_arn))
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
