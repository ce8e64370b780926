//! Unused grants: access entries, policy associations, aws-auth mappings and RBAC bindings that no
//! allowed request in the window was attributed to; those that would have allowed some, had a grant
//! earlier in the chain not done it, are `shadowed-grant`s.
//!
//! Evidence guard: with fewer observed days than asked for, or for a grant created inside the
//! window, "nobody used it" is not yet evidence: such grants are reported as
//! `insufficient-evidence`, never as unused. A grant whose creation time is unknown (a state loaded
//! from YAML) is taken to have existed for the whole window.

use super::shell;
use super::{Evidence, Finding, FindingKind, Recommendation, Severity, StateChange, finding_id};
use crate::authz::policies::{PolicyLookup, catalog, policy_name};
use crate::authz::{Authorizer, Grant, is_node_mapping};
use crate::model::{AccessState, GrantId, RoleKind, UsageRole};
use crate::store::UsageByGrant;
use std::collections::HashMap;

/// What the unused-grant analysis needs besides the state.
pub struct UnusedContext<'a> {
    pub cluster: &'a str,
    /// Each grant's usage in each role, from replay.
    pub usage: &'a UsageByGrant,
    pub observed_days: i64,
    pub window_days: u32,
    pub min_observed_days: u32,
    pub window_start_ms: i64,
    /// Principal ARN → the latest time its access entry or an association was created (CloudTrail).
    pub created_ms: &'a HashMap<String, i64>,
}

fn severity_of_policy(arn: &str) -> Severity {
    match policy_name(arn) {
        Some("AmazonEKSClusterAdminPolicy") => Severity::High,
        Some(
            "AmazonEKSAdminPolicy" | "AmazonEKSEditPolicy" | "AmazonEKSAdminViewPolicy" | "AmazonEKSSecretReaderPolicy",
        ) => Severity::Medium,
        _ => Severity::Low,
    }
}

fn severity_of_role(kind: RoleKind, name: &str) -> Severity {
    match (kind, name) {
        (RoleKind::ClusterRole, "cluster-admin") => Severity::High,
        (RoleKind::ClusterRole, "admin" | "edit") => Severity::Medium,
        _ => Severity::Low,
    }
}

pub fn unused_findings(state: &AccessState, ctx: &UnusedContext) -> Vec<Finding> {
    let authz = Authorizer::new(state);
    let cluster = ctx.cluster;
    let usage = |grant: &GrantId, role| ctx.usage.get(&(grant.clone(), role));
    // A grant that possibly allowed requests whose names or sessions were not kept is not unused.
    let unused = |grant: &GrantId, role| usage(grant, role).is_none() && usage(grant, UsageRole::Possibly).is_none();
    let thin_data = ctx.observed_days < i64::from(ctx.min_observed_days);
    let mut out = Vec::new();
    let mut push = |target: Grant,
                    kind: FindingKind,
                    severity,
                    principal: Option<String>,
                    grant: GrantId,
                    created: Option<i64>,
                    recommendation: Recommendation| {
        let shadowed = usage(&grant, UsageRole::Shadowed).map_or(0, |u| u.requests);
        // A grant that never decided a request but would have allowed some is redundant, not idle:
        // everything it allows, a grant earlier in the chain already allowed.
        let (kind, recommendation) = if shadowed > 0 {
            let summary = format!(
                "It allowed nothing itself: all {shadowed} requests it would allow were allowed earlier in the chain by other grants. Remove it."
            );
            (FindingKind::ShadowedGrant, Recommendation { summary, commands: recommendation.commands })
        } else {
            (kind, recommendation)
        };
        let young = created.is_some_and(|c| c >= ctx.window_start_ms);
        let (kind, would_be, recommendation) = if thin_data || young {
            let why = if young {
                "it was created inside the window".to_string()
            } else {
                format!(
                    "only {} days of events were observed (fewer than {})",
                    ctx.observed_days, ctx.min_observed_days
                )
            };
            let wait = Recommendation {
                summary: format!("Not used yet, but {why}: not evidence enough to remove it. Check again later."),
                commands: Vec::new(),
            };
            (FindingKind::InsufficientEvidence, Some(kind), wait)
        } else {
            (kind, None, recommendation)
        };
        let change = would_be.is_none().then_some(StateChange::Remove(target));
        out.push(Finding {
            id: finding_id(would_be.unwrap_or(kind), cluster, grant.as_str()),
            kind,
            would_be,
            severity,
            cluster: cluster.to_string(),
            principal,
            grant,
            evidence: Evidence { shadowed_requests: shadowed, ..Evidence::unused(ctx.observed_days, ctx.window_days) },
            recommendation,
            change,
            controls: Vec::new(),
            accepted: None,
            lapsed_exception: None,
        });
    };

    for (i, e) in state.access_entries.iter().enumerate() {
        if e.entry_type.is_node() {
            continue; // Nodes are decided by the Node authorizer: their use is not replayed.
        }
        if e.policies.iter().any(|a| !matches!(catalog().lookup(&a.policy_arn), PolicyLookup::Documented(_))) {
            // A policy whose rules are not documented might have allowed what replay denied: its
            // entry is never called unused, and neither are its associations.
            continue;
        }
        let created = e.created_at_ms.or_else(|| ctx.created_ms.get(&e.principal_arn).copied());
        let entry_grant = authz.grant_id(Grant::AccessEntry(i));
        if unused(&entry_grant, UsageRole::Authenticated) {
            let severity = e.policies.iter().map(|a| severity_of_policy(&a.policy_arn)).max().unwrap_or(Severity::Low);
            push(
                Grant::AccessEntry(i),
                FindingKind::UnusedAccessEntry,
                severity,
                Some(e.principal_arn.clone()),
                entry_grant,
                created,
                Recommendation {
                    summary: format!(
                        "No request from {} was allowed {}: delete its access entry.",
                        e.principal_arn,
                        super::observed_span(ctx.observed_days, ctx.window_days)
                    ),
                    commands: vec![shell::delete_access_entry(cluster, &e.principal_arn)],
                },
            );
            continue; // Its associations are unused too; the entry finding covers them.
        }
        for (j, a) in e.policies.iter().enumerate() {
            let grant = authz.grant_id(Grant::AccessPolicy { entry: i, association: j });
            if unused(&grant, UsageRole::By) {
                let created = a.associated_at_ms.or(created);
                push(
                    Grant::AccessPolicy { entry: i, association: j },
                    FindingKind::UnusedPolicyAssociation,
                    severity_of_policy(&a.policy_arn),
                    Some(e.principal_arn.clone()),
                    grant,
                    created,
                    Recommendation {
                        summary: format!(
                            "{} never allowed a request of {}: disassociate it.",
                            a.policy_arn, e.principal_arn
                        ),
                        commands: vec![shell::disassociate_access_policy(cluster, &e.principal_arn, &a.policy_arn)],
                    },
                );
            }
        }
    }

    let aws_auth = &state.aws_auth;
    let mappings = aws_auth
        .map_roles
        .iter()
        .enumerate()
        .map(|(i, m)| (Grant::AwsAuthRole(i), m, "mapRoles"))
        .chain(aws_auth.map_users.iter().enumerate().map(|(i, m)| (Grant::AwsAuthUser(i), m, "mapUsers")));
    for (g, m, list) in mappings {
        if is_node_mapping(m) {
            continue;
        }
        let grant = authz.grant_id(g);
        if unused(&grant, UsageRole::Authenticated) {
            let severity = if m.groups.iter().any(|x| x == crate::authz::SYSTEM_MASTERS) {
                Severity::High
            } else {
                Severity::Medium
            };
            push(
                g,
                FindingKind::UnusedAwsAuthMapping,
                severity,
                Some(m.arn.clone()),
                grant,
                None,
                Recommendation {
                    summary: format!(
                        "No request through the aws-auth {list} entry for {} was allowed: remove it.",
                        m.arn
                    ),
                    commands: vec![shell::delete_iam_identity_mapping(cluster, &m.arn)],
                },
            );
        }
    }
    for (i, account) in aws_auth.map_accounts.iter().enumerate() {
        let grant = authz.grant_id(Grant::AwsAuthAccount(i));
        if unused(&grant, UsageRole::Authenticated) {
            push(
                Grant::AwsAuthAccount(i),
                FindingKind::UnusedAwsAuthMapping,
                Severity::Medium,
                None,
                grant,
                None,
                Recommendation {
                    summary: format!(
                        "No request was allowed through mapAccounts {account}: remove the account from aws-auth mapAccounts."
                    ),
                    commands: vec![shell::edit_aws_auth(&format!("remove {account} from mapAccounts"))],
                },
            );
        }
    }

    for (i, b) in state.bindings.iter().enumerate() {
        if b.system {
            continue;
        }
        let grant = authz.grant_id(Grant::Binding(i));
        if unused(&grant, UsageRole::By) {
            let command = shell::delete_binding(b);
            push(
                Grant::Binding(i),
                FindingKind::UnusedRbacBinding,
                severity_of_role(b.role_kind, &b.role_name),
                None,
                grant,
                None,
                Recommendation {
                    summary: format!("No request was allowed by {}: delete it.", b.name),
                    commands: vec![command],
                },
            );
        }
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.grant.cmp(&b.grant)));
    out
}
