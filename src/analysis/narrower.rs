//! Over-broad access-policy associations, with the narrower grant that still allows everything used:
//!
//! - `overbroad-scope`: every request the association allowed was namespaced, in namespaces N →
//!   `namespace` scope N (a `prefix-*` wildcard only where it covers no other observed namespace);
//! - `overbroad-policy`: a smaller documented policy (View, AdminView, Edit, Admin) allows every
//!   request it allowed → that policy; when none does, RBAC generated from exactly those requests
//!   (see [`super::generated`]) → those Roles, bound to a group the entry gets.
//!
//! Each recommendation is proven by replaying the window against the state it leads to (with all
//! the others first: [`super::prove_together`]); one that would deny any request allowed today is
//! not made, and the finding says why.

use super::generated::{manifest_file_name, object_name, rbac_for};
use super::shell;
use super::{Evidence, Finding, FindingKind, Recommendation, Severity, StateChange, finding_id};
use crate::authz::policies::{PolicyLookup, catalog, policy_name};
use crate::authz::rules::rules_allow;
use crate::authz::scope::scope_matches;
use crate::authz::{Authorizer, Grant, Request};
use crate::model::{AccessScope, AccessState, GrantId};
use crate::store::WindowShape;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The documented policies whose rules are contained in `current`'s, smallest first. AdminView
/// (get/list/watch on everything) is contained only in ClusterAdmin: it reads cluster-scoped
/// resources and RBAC objects that Edit and Admin do not.
pub fn smaller_policies(current: &str) -> &'static [&'static str] {
    match current {
        "AmazonEKSClusterAdminPolicy" => {
            &["AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy"]
        }
        "AmazonEKSAdminPolicy" => &["AmazonEKSViewPolicy", "AmazonEKSEditPolicy"],
        "AmazonEKSEditPolicy" | "AmazonEKSAdminViewPolicy" => &["AmazonEKSViewPolicy"],
        _ => &[],
    }
}

/// The narrower namespace list for a scope whose use was all in `used`, if there is one. From a
/// cluster scope: the used namespaces, compressed. From a namespace list: only the entries that
/// were used, never a new pattern (compressing could widen what the list allows).
pub fn narrower_namespaces(
    scope: &AccessScope,
    used: &BTreeSet<&str>,
    observed: &BTreeSet<&str>,
) -> Option<Vec<String>> {
    match scope {
        AccessScope::Cluster => Some(compress(used, observed)),
        AccessScope::Namespace { namespaces } => {
            let kept: Vec<String> = namespaces
                .iter()
                .filter(|p| used.iter().any(|u| crate::authz::scope::namespace_matches(p, u)))
                .cloned()
                .collect();
            (kept.len() < namespaces.len()).then_some(kept)
        }
    }
}

pub struct NarrowerContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
    /// Every namespace the window's requests were made in, allowed or not.
    pub namespaces: &'a BTreeSet<String>,
    /// Grants that possibly allowed requests whose object names or sessions were not kept: what
    /// those requests needed is not known, so such a grant is never narrowed.
    pub possibly_used: &'a HashSet<GrantId>,
}

pub fn narrower_findings(state: &AccessState, shapes: &[WindowShape], ctx: &NarrowerContext) -> Vec<Finding> {
    let authz = Authorizer::new(state);
    let observed: BTreeSet<&str> = ctx.namespaces.iter().map(String::as_str).filter(|n| !n.is_empty()).collect();
    let mut by_grant: HashMap<&GrantId, Vec<&WindowShape>> = HashMap::new();
    for s in shapes {
        if let Some(by) = s.by() {
            by_grant.entry(by).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for (i, e) in state.access_entries.iter().enumerate() {
        for (j, a) in e.policies.iter().enumerate() {
            let grant = authz.grant_id(Grant::AccessPolicy { entry: i, association: j });
            let Some(used) = by_grant.get(&grant) else {
                continue; // Unused: reported by the unused-grant analysis.
            };
            if ctx.possibly_used.contains(&grant) {
                continue;
            }
            let evidence = evidence(used, ctx);
            let Some(current) = policy_name(&a.policy_arn) else { continue };
            // Scope: only namespaced requests in fewer namespaces than the scope allows.
            if used.iter().all(|s| Request::of_shape(&s.stored.shape).is_namespaced()) {
                let namespaces: BTreeSet<&str> = used.iter().map(|s| s.stored.shape.namespace.as_ref()).collect();
                if let Some(list) = narrower_namespaces(&a.scope, &namespaces, &observed) {
                    let narrower = AccessScope::Namespace { namespaces: list.clone() };
                    let command =
                        shell::associate_access_policy(ctx.cluster, &e.principal_arn, &a.policy_arn, &narrower);
                    let change = StateChange::Scope { entry: i, association: j, scope: narrower };
                    let (recommendation, change) = (
                        Recommendation {
                            summary: format!(
                                "{} used {current} only in {}: scope it to those namespaces.",
                                e.principal_arn,
                                list.join(", ")
                            ),
                            commands: vec![command],
                        },
                        Some(change),
                    );
                    out.push(finding(
                        FindingKind::OverbroadScope,
                        severity(current),
                        ctx,
                        &e.principal_arn,
                        &grant,
                        evidence.clone(),
                        (recommendation, change),
                    ));
                }
            }
            // Policy: the smallest documented policy below the current one that allows every use.
            let smaller = smaller_policies(current).iter().find(|name| {
                let arn = a.policy_arn.replace(current, name);
                match catalog().lookup(&arn) {
                    PolicyLookup::Documented(p) => used.iter().all(|s| {
                        let req = Request::of_shape(&s.stored.shape);
                        scope_matches(&a.scope, &req) && rules_allow(&p.rules, &req)
                    }),
                    _ => false,
                }
            });
            let replacement = if let Some(name) = smaller {
                let arn = a.policy_arn.replace(current, name);
                let change = StateChange::Policy { entry: i, association: j, policy_arn: arn.clone() };
                Some((
                    Recommendation {
                        summary: format!(
                            "Every request {} made through {current} is allowed by {name}: associate it instead.",
                            e.principal_arn
                        ),
                        commands: vec![
                            shell::associate_access_policy(ctx.cluster, &e.principal_arn, &arn, &a.scope),
                            shell::disassociate_access_policy(ctx.cluster, &e.principal_arn, &a.policy_arn),
                        ],
                    },
                    change,
                ))
            } else if !smaller_policies(current).is_empty() {
                // No documented policy below it fits: RBAC generated from exactly what was used.
                let requests: Vec<Request> = used.iter().map(|s| Request::of_shape(&s.stored.shape)).collect();
                // One group per entry; objects per association, so two replaced ones never collide.
                let group = object_name(&e.principal_arn, "");
                let name = object_name(&e.principal_arn, &a.policy_arn);
                let rbac = rbac_for(&name, &group, &requests);
                let mut groups = e.kubernetes_groups.clone();
                if !groups.contains(&group) {
                    groups.push(group.clone());
                }
                let where_ = rbac
                    .roles
                    .iter()
                    .map(|r| r.namespace.as_ref().map_or("a ClusterRole".to_string(), |ns| format!("a Role in {ns}")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let rules: usize = rbac.roles.iter().map(|r| r.rules.len()).sum();
                let summary = format!(
                    "No smaller access policy allows every request {} made through {current}: replace it with generated RBAC that allows exactly what was used ({rules} rules: {where_}), bound to group {group} on the entry.",
                    e.principal_arn
                );
                let change = StateChange::Replace { entry: i, association: j, rbac };
                let recommendation = Recommendation {
                    summary,
                    commands: vec![
                        format!(
                            "{}   # written by: grantscope remediate --format kubectl --out .",
                            shell::kubectl_apply(&manifest_file_name(ctx.cluster))
                        ),
                        shell::update_access_entry_groups(ctx.cluster, &e.principal_arn, &groups),
                        shell::disassociate_access_policy(ctx.cluster, &e.principal_arn, &a.policy_arn),
                    ],
                };
                Some((recommendation, change))
            } else {
                None
            };
            if let Some((recommendation, change)) = replacement {
                out.push(finding(
                    FindingKind::OverbroadPolicy,
                    severity(current),
                    ctx,
                    &e.principal_arn,
                    &grant,
                    evidence,
                    (recommendation, Some(change)),
                ));
            }
        }
    }
    out
}

/// The namespaces, with a `prefix-*` wildcard for two or more that share a prefix no other
/// observed namespace has (so the wildcard grants nothing that exists and was not used).
pub fn compress(used: &BTreeSet<&str>, observed: &BTreeSet<&str>) -> Vec<String> {
    let prefix_of = |ns: &str| ns.rfind('-').map(|i| ns[..=i].to_string());
    let mut out: Vec<String> = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for ns in used {
        if done.contains(ns) {
            continue;
        }
        if let Some(prefix) = prefix_of(ns) {
            let family: Vec<&str> =
                used.iter().copied().filter(|u| u.starts_with(&prefix) && u.len() > prefix.len()).collect();
            let others = observed.iter().any(|o| o.starts_with(&prefix) && !used.contains(o));
            if family.len() >= 2 && !others {
                out.push(format!("{prefix}*"));
                done.extend(family);
                continue;
            }
        }
        out.push(ns.to_string());
        done.insert(ns);
    }
    out
}

fn severity(policy: &str) -> Severity {
    match policy {
        "AmazonEKSClusterAdminPolicy" => Severity::High,
        "AmazonEKSAdminPolicy" | "AmazonEKSEditPolicy" | "AmazonEKSAdminViewPolicy" => Severity::Medium,
        _ => Severity::Low,
    }
}

fn evidence(used: &[&WindowShape], ctx: &NarrowerContext) -> Evidence {
    Evidence::of_uses(used, ctx.observed_days, ctx.window_days)
}

fn finding(
    kind: FindingKind,
    severity: Severity,
    ctx: &NarrowerContext,
    principal: &str,
    grant: &GrantId,
    evidence: Evidence,
    (recommendation, change): (Recommendation, Option<StateChange>),
) -> Finding {
    Finding {
        id: finding_id(kind, ctx.cluster, grant.as_str()),
        kind,
        would_be: None,
        severity,
        cluster: ctx.cluster.to_string(),
        principal: Some(principal.to_string()),
        grant: grant.clone(),
        evidence,
        recommendation,
        change,
        controls: Vec::new(),
        accepted: None,
        lapsed_exception: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrower_namespaces_never_widen_a_namespace_list() {
        let set = |xs: &[&'static str]| xs.iter().copied().collect::<BTreeSet<&str>>();
        let list = |xs: &[&str]| AccessScope::Namespace { namespaces: xs.iter().map(|s| s.to_string()).collect() };
        let observed = set(&["dev-a", "dev-b", "prod"]);
        let cases = [
            (
                "cluster scope: the used namespaces, compressed",
                AccessScope::Cluster,
                set(&["dev-a", "dev-b"]),
                Some(vec!["dev-*".to_string()]),
            ),
            (
                "an exact list fully used stays: no wildcard in its place",
                list(&["dev-a", "dev-b"]),
                set(&["dev-a", "dev-b"]),
                None,
            ),
            ("an unused entry is dropped", list(&["dev-a", "prod"]), set(&["dev-a"]), Some(vec!["dev-a".to_string()])),
            (
                "a used wildcard stays a wildcard",
                list(&["dev-*", "prod"]),
                set(&["dev-a"]),
                Some(vec!["dev-*".to_string()]),
            ),
        ];
        for (name, scope, used, want) in cases {
            assert_eq!(narrower_namespaces(&scope, &used, &observed), want, "{name}");
        }
    }

    #[test]
    fn smaller_policies_are_those_contained_in_the_current_one() {
        assert_eq!(smaller_policies("AmazonEKSEditPolicy"), ["AmazonEKSViewPolicy"], "AdminView reads more than Edit");
        assert!(!smaller_policies("AmazonEKSAdminPolicy").contains(&"AmazonEKSAdminViewPolicy"));
        assert!(smaller_policies("AmazonEKSClusterAdminPolicy").contains(&"AmazonEKSAdminViewPolicy"));
        assert!(smaller_policies("AmazonEKSViewPolicy").is_empty());
    }

    #[test]
    fn compress_uses_a_wildcard_only_where_it_covers_nothing_unused() {
        let set = |xs: &[&'static str]| xs.iter().copied().collect::<BTreeSet<&str>>();
        let cases = [
            (
                "two of a family, no other observed",
                set(&["dev-a", "dev-b"]),
                set(&["dev-a", "dev-b", "prod"]),
                vec!["dev-*"],
            ),
            (
                "an unused sibling exists: no wildcard",
                set(&["dev-a", "dev-b"]),
                set(&["dev-a", "dev-b", "dev-c"]),
                vec!["dev-a", "dev-b"],
            ),
            ("one of a family stays itself", set(&["dev-a", "prod"]), set(&["dev-a", "prod"]), vec!["dev-a", "prod"]),
            (
                "no dash, no family",
                set(&["payments", "checkout"]),
                set(&["payments", "checkout"]),
                vec!["checkout", "payments"],
            ),
        ];
        for (name, used, observed, want) in cases {
            assert_eq!(compress(&used, &observed), want, "{name}");
        }
    }
}
