//! Risky grants, whether used or not: what a security review of an EKS cluster looks for first.
//!
//! - `system:masters` mappings in aws-auth: all-powerful, and invisible to RBAC and to access entries;
//! - `mapAccounts`: every principal of an account authenticates;
//! - aws-auth mappings not migrated although access entries are in use;
//! - access entries whose IAM principal was deleted and re-created after the entry (CloudTrail):
//!   EKS binds an entry to the principal's unique id, so the entry no longer works, and a new entry
//!   for the same ARN silently differs;
//! - the cluster creator's admin entry still present (CloudTrail `CreateCluster`);
//! - principals of other accounts;
//! - RBAC rules granting every verb on secrets, or `escalate`, `bind` or `impersonate`.

use super::shell;
use super::{Evidence, Finding, FindingKind, Recommendation, Severity, StateChange, finding_id};
use crate::authz::{Authorizer, Grant, Principal, SYSTEM_MASTERS, is_node_mapping};
use crate::model::{
    AccessChange, AccessState, AuthenticationMode, GrantId, PolicyRule, PrincipalKind, RoleKind,
    canonical_principal_arn,
};
use std::collections::HashSet;

pub struct RiskyContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
    /// The cluster's access changes from CloudTrail, oldest first (EKS events of this cluster, IAM events).
    pub changes: &'a [AccessChange],
}

pub fn risky_findings(state: &AccessState, ctx: &RiskyContext) -> Vec<Finding> {
    let authz = Authorizer::new(state);
    let mut out = Vec::new();
    let mut push = |severity, principal: Option<String>, grant: GrantId, summary: String, commands: Vec<String>| {
        out.push(Finding {
            id: finding_id(FindingKind::Risky, ctx.cluster, &format!("{grant}\n{summary}")),
            kind: FindingKind::Risky,
            would_be: None,
            severity,
            cluster: ctx.cluster.to_string(),
            principal,
            grant,
            evidence: Evidence::unused(ctx.observed_days, ctx.window_days),
            recommendation: Recommendation { summary, commands },
            // Advice about risk, not a least-privilege change: not applied with the others (but
            // for re-creating an entry, set below).
            change: None,
            controls: Vec::new(),
            accepted: None,
            lapsed_exception: None,
        });
    };
    let cluster = ctx.cluster;
    let a = &state.aws_auth;
    let entry_principals: HashSet<(String, PrincipalKind, String)> = state
        .access_entries
        .iter()
        .filter_map(|e| {
            Principal::parse(&e.principal_arn).map(|p| (p.account.to_string(), p.kind, p.name.to_lowercase()))
        })
        .collect();
    let mappings = a
        .map_roles
        .iter()
        .enumerate()
        .map(|(i, m)| (Grant::AwsAuthRole(i), m))
        .chain(a.map_users.iter().enumerate().map(|(i, m)| (Grant::AwsAuthUser(i), m)));
    for (g, m) in mappings {
        let grant = authz.grant_id(g);
        // Checked even for node mappings: a node role in system:masters is all-powerful too.
        if state.authentication_mode.uses_aws_auth() && m.groups.iter().any(|x| x == SYSTEM_MASTERS) {
            push(
                Severity::High,
                Some(m.arn.clone()),
                grant.clone(),
                format!(
                    "{} is mapped into system:masters: all-powerful, bypassing RBAC, and invisible to access entries. Give it an access entry with the access policy it needs instead.",
                    m.arn
                ),
                vec![shell::delete_iam_identity_mapping(cluster, &m.arn)],
            );
        }
        if is_node_mapping(m) {
            continue; // Node roles move to EC2_LINUX entries, which are not findings here.
        }
        let migrated = Principal::parse(&m.arn)
            .is_some_and(|p| entry_principals.contains(&(p.account.to_string(), p.kind, p.name.to_lowercase())));
        if state.authentication_mode == AuthenticationMode::ApiAndConfigMap
            && !state.access_entries.is_empty()
            && !migrated
        {
            push(
                Severity::Low,
                Some(m.arn.clone()),
                grant,
                format!(
                    "{} still authenticates through aws-auth while the cluster uses access entries: migrate it to an access entry, then switch the cluster to API mode.",
                    m.arn
                ),
                vec![shell::create_access_entry(cluster, &m.arn)],
            );
        }
    }
    if state.authentication_mode.uses_aws_auth() {
        for (i, account) in a.map_accounts.iter().enumerate() {
            push(
                Severity::High,
                None,
                authz.grant_id(Grant::AwsAuthAccount(i)),
                format!(
                    "mapAccounts admits every IAM principal of account {account}: map the principals that need access, one by one."
                ),
                vec![shell::edit_aws_auth(&format!("remove {account} from mapAccounts"))],
            );
        }
    }

    // Principals deleted and re-created after their access entry.
    let mut recreate = Vec::new();
    for (i, e) in state.access_entries.iter().enumerate() {
        let Some(p) = Principal::parse(&e.principal_arn) else { continue };
        let same = |c: &AccessChange| {
            c.principal_arn
                .as_deref()
                .and_then(Principal::parse)
                .is_some_and(|q| q.account == p.account && q.kind == p.kind && q.name.eq_ignore_ascii_case(p.name))
        };
        let from_trail =
            ctx.changes.iter().filter(|c| c.name == "CreateAccessEntry" && same(c)).map(|c| c.time_ms).max();
        // The later of what CloudTrail and the EKS API say; with neither, there is no "after".
        let Some(entry_created) = from_trail.max(e.created_at_ms) else { continue };
        let (delete, create) =
            if p.kind == PrincipalKind::Role { ("DeleteRole", "CreateRole") } else { ("DeleteUser", "CreateUser") };
        let deleted = ctx
            .changes
            .iter()
            .filter(|c| c.name == delete && same(c) && c.time_ms > entry_created)
            .map(|c| c.time_ms)
            .min();
        if let Some(deleted) = deleted {
            let recreated = ctx.changes.iter().any(|c| c.name == create && same(c) && c.time_ms > deleted);
            let what = if recreated { "deleted and re-created" } else { "deleted" };
            push(
                Severity::High,
                Some(e.principal_arn.clone()),
                authz.grant_id(Grant::AccessEntry(i)),
                format!(
                    "{} was {what} after its access entry was made: EKS ties an entry to the principal's unique id, so the entry no longer works. Delete the entry and create it again as it was (type, username, groups, every access policy with its scope){}.",
                    e.principal_arn,
                    if recreated { "" } else { " if the principal is created again and still needs access" }
                ),
                shell::recreate_access_entry(cluster, e),
            );
            if recreated {
                recreate.push(i);
            }
        }
    }

    // The cluster creator's admin entry, made by EKS when the cluster was created.
    // The latest CreateCluster of this name: a cluster deleted and created again has a new creator.
    let creator = ctx
        .changes
        .iter()
        .rev()
        .filter(|c| c.name == "CreateCluster" && c.cluster.as_deref() == Some(cluster))
        .find_map(|c| c.actor_arn.as_deref().and_then(canonical_principal_arn));
    if let Some(creator) = creator {
        for (i, e) in state.access_entries.iter().enumerate() {
            let admin = e.policies.iter().any(|a| a.policy_arn.ends_with("/AmazonEKSClusterAdminPolicy"));
            if admin && canonical_principal_arn(&e.principal_arn).is_some_and(|arn| same_principal(&arn, &creator)) {
                push(
                    Severity::Medium,
                    Some(e.principal_arn.clone()),
                    authz.grant_id(Grant::AccessEntry(i)),
                    format!(
                        "The cluster creator's admin access entry ({}) is still there: the identity that ran CreateCluster keeps cluster admin. Remove it once the cluster has its own admins.",
                        e.principal_arn
                    ),
                    vec![shell::delete_access_entry(cluster, &e.principal_arn)],
                );
            }
        }
    }

    // Principals of another account than the cluster's.
    let home = ctx.changes.iter().filter(|c| c.cluster.as_deref() == Some(cluster)).find_map(|c| c.account.clone());
    if let Some(home) = home {
        let entries =
            state.access_entries.iter().enumerate().map(|(i, e)| (Grant::AccessEntry(i), e.principal_arn.as_str()));
        let mapped = a.map_roles.iter().enumerate().map(|(i, m)| (Grant::AwsAuthRole(i), m.arn.as_str()));
        let mapped_users = a.map_users.iter().enumerate().map(|(i, m)| (Grant::AwsAuthUser(i), m.arn.as_str()));
        for (g, arn) in entries.chain(mapped).chain(mapped_users) {
            if let Some(p) = Principal::parse(&arn.to_lowercase()).filter(|p| p.account != home) {
                push(
                    Severity::Medium,
                    Some(arn.to_string()),
                    authz.grant_id(g),
                    format!(
                        "{arn} belongs to account {}, not the cluster's account {home}: whoever can assume it there has this access.",
                        p.account
                    ),
                    Vec::new(),
                );
            }
        }
    }

    // Dangerous RBAC rules in roles the cluster's owners bind.
    for (i, b) in state.bindings.iter().enumerate() {
        if b.system {
            continue;
        }
        let ns = match b.role_kind {
            RoleKind::ClusterRole => None,
            RoleKind::Role => b.namespace.as_deref(),
        };
        let Some(role) = state.roles.iter().find(|r| r.name == b.role_name && r.namespace.as_deref() == ns) else {
            continue;
        };
        let mut dangers: Vec<&str> = role.rules.iter().flat_map(dangers_of).collect();
        dangers.sort();
        dangers.dedup();
        if !dangers.is_empty() {
            let severity = if b.role_name == "cluster-admin" { Severity::High } else { Severity::Medium };
            push(
                severity,
                None,
                authz.grant_id(Grant::Binding(i)),
                format!(
                    "{} grants {}: ways to gain more than is granted. Bind a role without them unless they are needed.",
                    b.name,
                    dangers.join(", ")
                ),
                Vec::new(),
            );
        }
    }
    // Re-creating an entry as it was is a change replay can prove: the principal keeps every
    // decision it had (the state is the same; only EKS's tie to the principal's new id changes).
    for i in recreate {
        let grant = authz.grant_id(Grant::AccessEntry(i));
        for f in out.iter_mut().filter(|f| f.grant == grant) {
            f.change = Some(StateChange::Recreate { entry: i });
        }
    }
    out
}

fn same_principal(a: &str, b: &str) -> bool {
    match (Principal::parse(a), Principal::parse(b)) {
        (Some(x), Some(y)) => x.account == y.account && x.kind == y.kind && x.name.eq_ignore_ascii_case(y.name),
        _ => false,
    }
}

/// What a rule grants that lets its holder gain more.
fn dangers_of(r: &PolicyRule) -> Vec<&'static str> {
    let has = |list: &[String], x: &str| list.iter().any(|v| v == "*" || v == x);
    let core = has(&r.api_groups, "");
    let rbac = has(&r.api_groups, "rbac.authorization.k8s.io");
    let mut out = Vec::new();
    if core && r.verbs.iter().any(|v| v == "*") && has(&r.resources, "secrets") {
        out.push("every verb on secrets");
    }
    if rbac && has(&r.verbs, "escalate") && (has(&r.resources, "roles") || has(&r.resources, "clusterroles")) {
        out.push("escalate on roles");
    }
    if rbac && has(&r.verbs, "bind") && (has(&r.resources, "roles") || has(&r.resources, "clusterroles")) {
        out.push("bind on roles");
    }
    if has(&r.verbs, "impersonate") && ["users", "groups", "serviceaccounts"].iter().any(|x| has(&r.resources, x)) {
        out.push("impersonate");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        PolicyRule { verbs: v(verbs), api_groups: v(groups), resources: v(resources), ..PolicyRule::default() }
    }

    #[test]
    fn dangers_of_names_the_ways_to_gain_more() {
        let cases = [
            ("every verb on secrets", rule(&["*"], &[""], &["secrets"]), vec!["every verb on secrets"]),
            ("reading secrets is not every verb", rule(&["get"], &[""], &["secrets"]), vec![]),
            (
                "cluster-admin's wildcard",
                rule(&["*"], &["*"], &["*"]),
                vec!["every verb on secrets", "escalate on roles", "bind on roles", "impersonate"],
            ),
            (
                "bind on clusterroles",
                rule(&["bind"], &["rbac.authorization.k8s.io"], &["clusterroles"]),
                vec!["bind on roles"],
            ),
            ("escalate in another group is not RBAC", rule(&["escalate"], &["example.com"], &["roles"]), vec![]),
            (
                "impersonating service accounts (the EKS Edit policy does)",
                rule(&["impersonate"], &[""], &["serviceaccounts"]),
                vec!["impersonate"],
            ),
        ];
        for (name, r, want) in cases {
            assert_eq!(dangers_of(&r), want, "{name}");
        }
    }
}
