//! Every grant of a state with its status over the window — used, unused, shadowed, not yet enough
//! evidence, or unknown — for the report's summary and the daemon's `grantscope_grants` metric.

use super::{Finding, FindingKind};
use crate::authz::policies::{PolicyLookup, catalog};
use crate::authz::{Authorizer, Grant, is_node_mapping};
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
    /// Not judged: a policy whose rules are not documented, or a grant only nodes use.
    Unknown,
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
    pub const ALL: [GrantStatus; 5] = [
        GrantStatus::Used,
        GrantStatus::Unused,
        GrantStatus::Shadowed,
        GrantStatus::InsufficientEvidence,
        GrantStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Used => "used",
            GrantStatus::Unused => "unused",
            GrantStatus::Shadowed => "shadowed",
            GrantStatus::InsufficientEvidence => "insufficient_evidence",
            GrantStatus::Unknown => "unknown",
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

/// Every grant of `state` (system bindings and node mappings left out: grantscope does not judge
/// them) with its status: from the findings where one names it, else from its usage.
pub fn inventory(state: &AccessState, usage: &UsageByGrant, findings: &[Finding]) -> Vec<GrantRow> {
    let authz = Authorizer::new(state);
    let judged: HashMap<&GrantId, GrantStatus> =
        findings.iter().filter_map(|f| Some((&f.grant, status_of_kind(f.kind)?))).collect();
    let used = |grant: &GrantId, role| usage.get(&(grant.clone(), role)).is_some_and(|u| u.requests > 0);
    let mut rows = Vec::new();
    let mut push = |g: Grant, grant_type, principal: Option<&str>, role: UsageRole, fallback: GrantStatus| {
        let grant = authz.grant_id(g);
        let status =
            judged.get(&grant).copied().unwrap_or(if used(&grant, role) { GrantStatus::Used } else { fallback });
        rows.push(GrantRow { grant, grant_type, principal: principal.map(String::from), status });
    };
    for (i, e) in state.access_entries.iter().enumerate() {
        if e.entry_type.is_node() {
            continue;
        }
        let entry = authz.grant_id(Grant::AccessEntry(i));
        let entry_status = judged.get(&entry).copied();
        push(
            Grant::AccessEntry(i),
            GrantType::AccessEntry,
            Some(&e.principal_arn),
            UsageRole::Authenticated,
            GrantStatus::Unknown,
        );
        for (j, a) in e.policies.iter().enumerate() {
            // An unused entry's associations are unused with it (its finding covers them); a policy
            // whose rules are not documented is never judged.
            let documented = matches!(catalog().lookup(&a.policy_arn), PolicyLookup::Documented(_));
            let fallback = entry_status.filter(|_| documented).unwrap_or(GrantStatus::Unknown);
            push(
                Grant::AccessPolicy { entry: i, association: j },
                GrantType::AccessPolicy,
                Some(&e.principal_arn),
                UsageRole::By,
                fallback,
            );
        }
    }
    let a = &state.aws_auth;
    let mappings = a.map_roles.iter().enumerate().map(|(i, m)| (Grant::AwsAuthRole(i), m));
    for (g, m) in mappings.chain(a.map_users.iter().enumerate().map(|(i, m)| (Grant::AwsAuthUser(i), m))) {
        if !is_node_mapping(m) {
            push(g, GrantType::AwsAuthMapping, Some(&m.arn), UsageRole::Authenticated, GrantStatus::Unknown);
        }
    }
    for i in 0..a.map_accounts.len() {
        push(Grant::AwsAuthAccount(i), GrantType::AwsAuthMapping, None, UsageRole::Authenticated, GrantStatus::Unknown);
    }
    for (i, b) in state.bindings.iter().enumerate() {
        if !b.system {
            push(Grant::Binding(i), GrantType::RbacBinding, None, UsageRole::By, GrantStatus::Unknown);
        }
    }
    rows
}
