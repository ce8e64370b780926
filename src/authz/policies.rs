//! The EKS access policy catalog: each policy's RBAC rules as the EKS User Guide documents them.
//!
//! Embedded from `access-policies.json` (its `source` field names the docs commit). Ten policies are
//! documented only in prose, without rule tables: their rules are *unknown*, which is not the same
//! as granting nothing. grantscope never lets an unknown policy allow a request, and says so in
//! every decision it could have changed.

use crate::model::PolicyRule;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One access policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicy {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub rules_documented: bool,
    pub rules: Vec<PolicyRule>,
    #[serde(default)]
    pub service_linked_only: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogFile {
    source: String,
    policies: Vec<AccessPolicy>,
    other_policies_without_documented_rules: Vec<NamedOnly>,
}

#[derive(Deserialize)]
struct NamedOnly {
    name: String,
    /// The EKS capability (Argo CD, ACK, kro) whose role EKS associates this policy with.
    #[serde(default)]
    capability: Option<String>,
}

/// What the catalog knows about a policy ARN.
#[derive(Debug, Clone, Copy)]
pub enum PolicyLookup<'c> {
    /// Rules documented: they decide.
    Documented(&'c AccessPolicy),
    /// A real EKS policy whose rules are documented only in prose, or only by name.
    Undocumented(&'c str),
    /// Not an EKS access policy grantscope has heard of.
    Unknown,
}

/// The embedded catalog.
pub struct Catalog {
    pub source: String,
    by_name: HashMap<String, AccessPolicy>,
    named_only: Vec<String>,
    capability_policies: Vec<String>,
}

const CATALOG_JSON: &str = include_str!("access-policies.json");

/// The catalog, parsed once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let file: CatalogFile = serde_json::from_str(CATALOG_JSON).expect("embedded catalog is valid");
        let others = file.other_policies_without_documented_rules;
        Catalog {
            source: file.source,
            by_name: file.policies.into_iter().map(|p| (p.name.clone(), p)).collect(),
            capability_policies: others.iter().filter(|p| p.capability.is_some()).map(|p| p.name.clone()).collect(),
            named_only: others.into_iter().map(|p| p.name).collect(),
        }
    })
}

/// The policy name of an access policy ARN in any partition
/// (`arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy` → `AmazonEKSViewPolicy`).
pub fn policy_name(arn: &str) -> Option<&str> {
    let (prefix, name) = arn.rsplit_once(":cluster-access-policy/")?;
    (prefix.starts_with("arn:") && prefix.ends_with(":eks::aws") && !name.is_empty()).then_some(name)
}

impl Catalog {
    pub fn lookup(&self, arn: &str) -> PolicyLookup<'_> {
        let Some(name) = policy_name(arn) else { return PolicyLookup::Unknown };
        match self.by_name.get(name) {
            Some(p) if p.rules_documented => PolicyLookup::Documented(p),
            Some(p) => PolicyLookup::Undocumented(&p.name),
            None => match self.named_only.iter().find(|n| n.as_str() == name) {
                Some(n) => PolicyLookup::Undocumented(n),
                None => PolicyLookup::Unknown,
            },
        }
    }

    /// Why an association with this policy marks its access entry as AWS's to manage, not the
    /// cluster owner's: EKS creates a capability role's entry itself, and the docs reserve
    /// service-linked-only policies for AWS service-linked roles.
    pub fn aws_managed(&self, arn: &str) -> Option<&'static str> {
        let name = policy_name(arn)?;
        if self.capability_policies.iter().any(|n| n == name) {
            return Some("an EKS capability's role, whose access entry EKS creates itself");
        }
        self.by_name
            .get(name)
            .is_some_and(|p| p.service_linked_only)
            .then_some("associated with a policy the EKS docs reserve for AWS service-linked roles")
    }

    pub fn policies(&self) -> impl Iterator<Item = &AccessPolicy> {
        self.by_name.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_tells_documented_undocumented_and_unknown() {
        let c = catalog();
        let cases = [
            ("documented view policy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "documented"),
            (
                "other partitions name the same policy",
                "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                "documented",
            ),
            (
                "prose-only policy (EKS docs: Auto Mode node policy)",
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy",
                "undocumented",
            ),
            (
                "listed by name only",
                "arn:aws:eks::aws:cluster-access-policy/AmazonAIOpsAssistantPolicy",
                "undocumented",
            ),
            ("a name EKS does not have", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSMadeUpPolicy", "unknown"),
            ("an IAM policy is not an access policy", "arn:aws:iam::aws:policy/AdministratorAccess", "unknown"),
        ];
        for (name, arn, want) in cases {
            let got = match c.lookup(arn) {
                PolicyLookup::Documented(_) => "documented",
                PolicyLookup::Undocumented(_) => "undocumented",
                PolicyLookup::Unknown => "unknown",
            };
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn capability_and_service_linked_policies_mark_aws_managed_entries() {
        let c = catalog();
        let arn = |n: &str| format!("arn:aws:eks::aws:cluster-access-policy/{n}");
        let cases = [
            ("an EKS capability's policy (Argo CD)", "AmazonEKSArgoCDClusterPolicy", true),
            ("an EKS capability's policy (ACK)", "AmazonEKSACKPolicy", true),
            ("an EKS capability's policy (kro)", "AmazonEKSKROPolicy", true),
            ("a policy the docs reserve for service-linked roles", "AmazonEKSComputeClusterPolicy", true),
            ("a policy customers associate", "AmazonEKSClusterAdminPolicy", false),
            ("a name-only policy with no capability", "AmazonAIOpsAssistantPolicy", false),
        ];
        for (name, policy, want) in cases {
            assert_eq!(c.aws_managed(&arn(policy)).is_some(), want, "{name}");
        }
    }

    #[test]
    fn the_catalog_carries_the_documented_rules() {
        let c = catalog();
        assert!(c.source.contains("amazon-eks-user-guide"));
        let documented: Vec<_> = {
            let mut v: Vec<_> =
                c.policies().filter(|p| p.rules_documented).map(|p| (p.name.as_str(), p.rules.len())).collect();
            v.sort();
            v
        };
        assert_eq!(
            documented,
            [
                ("AmazonEKSAdminPolicy", 22),
                ("AmazonEKSAdminViewPolicy", 1),
                ("AmazonEKSClusterAdminPolicy", 2),
                ("AmazonEKSEditPolicy", 20),
                ("AmazonEKSHybridPolicy", 1),
                ("AmazonEKSSecretReaderPolicy", 1),
                ("AmazonEKSViewPolicy", 10),
            ]
        );
        assert!(c.policies().filter(|p| !p.rules_documented).all(|p| p.rules.is_empty()));
    }
}
