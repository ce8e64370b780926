//! Every grant of a state with its status over the window — used, unused, shadowed, not yet enough
//! evidence, or unknown — for the report's summary and the daemon's `grantscope_grants` metric.

use super::aws_managed::{managed_binding, managed_entry, managed_mapping};
use super::{Finding, FindingKind};
use crate::authz::policies::{PolicyLookup, catalog};
use crate::authz::{Authorizer, Grant};
use crate::model::{AccessState, GrantId, UsageRole};
use crate::store::UsageByGrant;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AccessEntry,
    AccessPolicy,
    AwsAuthMapping,
    RbacBinding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Used,
    Unused,
    Shadowed,
    InsufficientEvidence,
    /// Not judged: a policy whose rules are not documented, a grant only nodes use, or one that
    /// possibly allowed requests whose object names or sessions were not kept.
    Unknown,
    /// AWS or Kubernetes maintains it (node roles, service-linked and capability roles, bootstrap
    /// and `eks:*` bindings): never recommended for removal or narrowing.
    Managed,
}

impl GrantType {
    pub const ALL: [GrantType; 4] =
        [GrantType::AccessEntry, GrantType::AccessPolicy, GrantType::AwsAuthMapping, GrantType::RbacBinding];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AccessEntry => "access_entry",
            GrantType::AccessPolicy => "access_policy",
            GrantType::AwsAuthMapping => "aws_auth_mapping",
            GrantType::RbacBinding => "rbac_binding",
        }
    }
}

impl GrantStatus {
    pub const ALL: [GrantStatus; 6] = [
        GrantStatus::Used,
        GrantStatus::Unused,
        GrantStatus::Shadowed,
        GrantStatus::InsufficientEvidence,
        GrantStatus::Unknown,
        GrantStatus::Managed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Used => "used",
            GrantStatus::Unused => "unused",
            GrantStatus::Shadowed => "shadowed",
            GrantStatus::InsufficientEvidence => "insufficient_evidence",
            GrantStatus::Unknown => "unknown",
            GrantStatus::Managed => "managed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    pub grant: GrantId,
    #[serde(rename = "type")]
    pub grant_type: GrantType,
    /// The IAM principal, for EKS grants and aws-auth mappings.
    pub principal: Option<String>,
    pub status: GrantStatus,
    /// For a `managed` grant: who manages it and why it stays, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<&'static str>,
}

/// The status each finding gives its grant.
fn status_of_kind(kind: FindingKind) -> Option<GrantStatus> {
    match kind {
        FindingKind::ShadowedGrant => Some(GrantStatus::Shadowed),
        FindingKind::InsufficientEvidence => Some(GrantStatus::InsufficientEvidence),
        k if k.is_unused_grant() => Some(GrantStatus::Unused),
        _ => None,
    }
}

/// Every grant of `state` with its status: `managed` for what AWS or Kubernetes maintains (see
/// [`super::aws_managed`]), else from the findings where one names it, else from its usage.
pub fn inventory(state: &AccessState, usage: &UsageByGrant, findings: &[Finding]) -> Vec<GrantRow> {
    let authz = Authorizer::new(state);
    let judged: HashMap<&GrantId, GrantStatus> =
        findings.iter().filter_map(|f| Some((&f.grant, status_of_kind(f.kind)?))).collect();
    let used = |grant: &GrantId, role| usage.get(&(grant.clone(), role)).is_some_and(|u| u.requests > 0);
    let mut rows = Vec::new();
    let mut push = |g: Grant, grant_type, principal: Option<&str>, role: UsageRole, fallback: GrantStatus, managed| {
        let grant = authz.grant_id(g);
        let status = match managed {
            Some(_) => GrantStatus::Managed,
            None => {
                let by_usage = if used(&grant, role) {
                    GrantStatus::Used
                } else if used(&grant, UsageRole::Possibly) {
                    GrantStatus::Unknown
                } else {
                    fallback
                };
                judged.get(&grant).copied().unwrap_or(by_usage)
            }
        };
        rows.push(GrantRow { grant, grant_type, principal: principal.map(String::from), status, managed });
    };
    for (i, e) in state.access_entries.iter().enumerate() {
        let managed = managed_entry(e);
        let entry = authz.grant_id(Grant::AccessEntry(i));
        let entry_status = judged.get(&entry).copied();
        let principal = Some(e.principal_arn.as_str());
        push(
            Grant::AccessEntry(i),
            GrantType::AccessEntry,
            principal,
            UsageRole::Authenticated,
            GrantStatus::Unknown,
            managed,
        );
        for (j, a) in e.policies.iter().enumerate() {
            // An unused entry's associations are unused with it (its finding covers them); a policy
            // whose rules are not documented is never judged.
            let documented = matches!(catalog().lookup(&a.policy_arn), PolicyLookup::Documented(_));
            let fallback = entry_status.filter(|_| documented).unwrap_or(GrantStatus::Unknown);
            let g = Grant::AccessPolicy { entry: i, association: j };
            push(g, GrantType::AccessPolicy, principal, UsageRole::By, fallback, managed);
        }
    }
    let a = &state.aws_auth;
    let mappings = a.map_roles.iter().enumerate().map(|(i, m)| (Grant::AwsAuthRole(i), m));
    for (g, m) in mappings.chain(a.map_users.iter().enumerate().map(|(i, m)| (Grant::AwsAuthUser(i), m))) {
        push(
            g,
            GrantType::AwsAuthMapping,
            Some(&m.arn),
            UsageRole::Authenticated,
            GrantStatus::Unknown,
            managed_mapping(m),
        );
    }
    for i in 0..a.map_accounts.len() {
        push(
            Grant::AwsAuthAccount(i),
            GrantType::AwsAuthMapping,
            None,
            UsageRole::Authenticated,
            GrantStatus::Unknown,
            None,
        );
    }
    for (i, b) in state.bindings.iter().enumerate() {
        push(Grant::Binding(i), GrantType::RbacBinding, None, UsageRole::By, GrantStatus::Unknown, managed_binding(b));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_aws_or_kubernetes_maintains_is_labelled_managed_with_why() {
        let state = crate::state::from_texts(&[r#"
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: c, region: eu-west-1}
accessConfig:
  authenticationMode: API_AND_CONFIG_MAP
  bootstrapClusterCreatorAdminPermissions: false
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/admin
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
          accessScope: {type: cluster}
    - principalARN: arn:aws:iam::111122223333:role/nodes
      type: EC2_LINUX
    - principalARN: arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS
    - principalARN: arn:aws:iam::111122223333:role/ArgoCDCapabilityRole
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSArgoCDClusterPolicy
          accessScope: {type: cluster}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: eks:addon-manager}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks:addon-manager"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}]
"#]);
        let rows = inventory(&state, &Default::default(), &[]);
        let row = |grant: &str| {
            rows.iter().find(|r| r.grant.as_str() == grant).unwrap_or_else(|| panic!("{grant}: {rows:#?}"))
        };
        let cases = [
            ("a customer's entry is judged", "eks-entry:arn:aws:iam::111122223333:role/admin", None),
            ("a node role's entry", "eks-entry:arn:aws:iam::111122223333:role/nodes", Some("node role")),
            (
                "a service-linked role's entry",
                "eks-entry:arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
                Some("service-linked"),
            ),
            (
                "a capability role's entry and its policy",
                "eks:arn:aws:iam::111122223333:role/ArgoCDCapabilityRole:AmazonEKSArgoCDClusterPolicy@cluster",
                Some("capability"),
            ),
            ("EKS's own binding", "rbac:ClusterRoleBinding/eks:addon-manager:ClusterRole/cluster-admin", Some("EKS")),
            (
                "a Kubernetes bootstrap binding",
                "rbac:ClusterRoleBinding/cluster-admin:ClusterRole/cluster-admin",
                Some("bootstrap"),
            ),
            ("a customer's binding is judged", "rbac:ClusterRoleBinding/ops:ClusterRole/view", None),
        ];
        for (name, grant, why) in cases {
            let r = row(grant);
            match why {
                Some(word) => {
                    assert_eq!(r.status, GrantStatus::Managed, "{name}");
                    assert!(r.managed.is_some_and(|m| m.contains(word)), "{name}: {:?}", r.managed);
                }
                None => assert_eq!((r.status, r.managed), (GrantStatus::Unknown, None), "{name}"),
            }
        }
    }
}
