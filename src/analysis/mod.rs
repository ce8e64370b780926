//! Findings: what replay's grant usage says about the access configuration.

pub mod assessment;
pub mod aws_managed;
pub mod cis_rbac;
pub mod compliance;
pub mod escalation;
pub mod exceptions;
pub mod generated;
mod groups;
pub mod history;
pub mod inventory;
mod kind;
mod narrower;
mod risky;
pub mod shell;
pub mod timeline;
mod unused;
pub mod whatif;

pub use groups::{GroupsContext, unused_group_findings};
pub use kind::FindingKind;
pub use narrower::{NarrowerContext, compress, narrower_findings, narrower_namespaces, smaller_policies};
pub use risky::{RiskyContext, risky_findings};
pub use unused::{UnusedContext, unused_findings};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl std::fmt::Display for Severity {
    /// Lowercase, as serialized; padded as asked (`{:<6}`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        })
    }
}

/// What the data says about a grant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Allowed requests attributed to the grant in the window (0 for unused grants).
    pub requests: i64,
    pub shapes: i64,
    pub first_used: Option<String>,
    pub last_used: Option<String>,
    /// Requests the grant would also have allowed, had nothing earlier in the chain.
    pub shadowed_requests: i64,
    /// Days with any event in the window, and the window.
    pub observed_days: i64,
    pub window_days: u32,
    /// Up to 5 of the requests it allowed, the most frequent first.
    pub examples: Vec<String>,
}

/// The span a claim about the window covers, as observed: "in the 14 days observed of the 90-day
/// window". The window is no evidence for the days no event arrived.
pub fn observed_span(observed_days: i64, window_days: u32) -> String {
    let days = if observed_days == 1 { "day" } else { "days" };
    format!("in the {observed_days} {days} observed of the {window_days}-day window")
}

impl Evidence {
    /// The span this evidence covers, as observed (see [`observed_span`]).
    pub fn observed_span(&self) -> String {
        observed_span(self.observed_days, self.window_days)
    }

    /// The use in `used` (a grant's allowed requests): counts, when last, the most frequent five.
    pub fn of_uses(used: &[&crate::store::WindowShape], observed_days: i64, window_days: u32) -> Evidence {
        let mut top: Vec<&&crate::store::WindowShape> = used.iter().collect();
        top.sort_by_key(|s| std::cmp::Reverse(s.requests));
        Evidence {
            examples: top.iter().take(5).map(|s| whatif::example(s)).collect(),
            requests: used.iter().map(|s| s.requests).sum(),
            shapes: used.len() as i64,
            first_used: None,
            last_used: used.iter().map(|s| s.last_ms).max().map(crate::model::time::format_rfc3339),
            shadowed_requests: 0,
            observed_days,
            window_days,
        }
    }

    /// No use at all: the evidence of an unused or risky grant.
    pub fn unused(observed_days: i64, window_days: u32) -> Evidence {
        Evidence {
            requests: 0,
            shapes: 0,
            first_used: None,
            last_used: None,
            shadowed_requests: 0,
            observed_days,
            window_days,
            examples: Vec::new(),
        }
    }
}

/// What to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub summary: String,
    /// Commands that carry it out (AWS CLI, kubectl, eksctl).
    pub commands: Vec<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable across runs for the same kind, cluster and grant.
    pub id: String,
    pub kind: FindingKind,
    /// For `insufficient-evidence`: the kind the grant would have been reported as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_be: Option<FindingKind>,
    pub severity: Severity,
    pub cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub grant: crate::model::GrantId,
    pub evidence: Evidence,
    pub recommendation: Recommendation,
    /// The change the recommendation makes, for proving all of them safe together.
    #[serde(skip)]
    pub change: Option<StateChange>,
    /// The compliance controls it bears on ([`compliance::CONTROLS`] ids).
    pub controls: Vec<&'static str>,
    /// The exception that accepts it (see [`exceptions`]); an accepted finding is listed apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<exceptions::outcome::Acceptance>,
    /// An exception that accepted it and no longer does (expired, or the grant changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lapsed_exception: Option<exceptions::outcome::Lapsed>,
}

/// A least-privilege change to the state the findings were computed on (indexes into it).
#[derive(Debug, Clone, PartialEq)]
pub enum StateChange {
    /// Remove the grant: an access entry, an association, an aws-auth mapping or account, a binding.
    Remove(crate::authz::Grant),
    Scope {
        entry: usize,
        association: usize,
        scope: crate::model::AccessScope,
    },
    Policy {
        entry: usize,
        association: usize,
        policy_arn: String,
    },
    /// Take a Kubernetes group off an access entry.
    RemoveGroup {
        entry: usize,
        group: String,
    },
    /// Replace an association with generated RBAC: its roles and bindings are added, the entry
    /// gets their group, and the association goes.
    Replace {
        entry: usize,
        association: usize,
        rbac: generated::GeneratedRbac,
    },
    /// Delete an access entry and create it again as it is (its IAM principal was re-created, so
    /// EKS no longer ties the old entry to it). The state does not change: replay proves the
    /// principal keeps every decision it had.
    Recreate {
        entry: usize,
    },
}

/// The state with every change applied.
pub fn apply(state: &crate::model::AccessState, changes: &[&StateChange]) -> crate::model::AccessState {
    use crate::authz::Grant;
    use std::collections::HashSet;
    let mut s = state.clone();
    let mut removed: HashSet<Grant> = HashSet::new();
    for c in changes {
        match c {
            StateChange::Remove(g) => {
                removed.insert(*g);
            }
            StateChange::Scope { entry, association, scope } => {
                s.access_entries[*entry].policies[*association].scope = scope.clone()
            }
            StateChange::Policy { entry, association, policy_arn } => {
                s.access_entries[*entry].policies[*association].policy_arn = policy_arn.clone();
            }
            StateChange::RemoveGroup { entry, group } => {
                s.access_entries[*entry].kubernetes_groups.retain(|g| g != group)
            }
            StateChange::Recreate { .. } => {}
            StateChange::Replace { entry, association, rbac } => {
                removed.insert(Grant::AccessPolicy { entry: *entry, association: *association });
                let groups = &mut s.access_entries[*entry].kubernetes_groups;
                if !groups.contains(&rbac.group) {
                    groups.push(rbac.group.clone());
                }
                // Appended after every existing binding: positions of the removed ones hold.
                s.roles.extend(rbac.roles.iter().cloned());
                s.bindings.extend(rbac.bindings.iter().cloned());
            }
        }
    }
    let keep = |g: Grant| !removed.contains(&g);
    for (i, e) in s.access_entries.iter_mut().enumerate() {
        retain_indexed(&mut e.policies, |j| keep(Grant::AccessPolicy { entry: i, association: j }));
    }
    retain_indexed(&mut s.access_entries, |i| keep(Grant::AccessEntry(i)));
    retain_indexed(&mut s.aws_auth.map_roles, |i| keep(Grant::AwsAuthRole(i)));
    retain_indexed(&mut s.aws_auth.map_users, |i| keep(Grant::AwsAuthUser(i)));
    retain_indexed(&mut s.aws_auth.map_accounts, |i| keep(Grant::AwsAuthAccount(i)));
    retain_indexed(&mut s.bindings, |i| keep(Grant::Binding(i)));
    s
}

/// The callers `changes` can affect, read off the changes themselves: diffing whole states would
/// cost the state's size for each of thousands of recommendation proofs.
pub fn affected_by(
    state: &crate::model::AccessState,
    proposed: &crate::model::AccessState,
    changes: &[&StateChange],
) -> crate::authz::changes::Affected {
    use crate::authz::Grant;
    let mut a = crate::authz::changes::Affected::default();
    let entry = |i: usize| state.access_entries[i].principal_arn.as_str();
    for c in changes {
        match c {
            StateChange::Remove(Grant::AccessEntry(i) | Grant::AccessPolicy { entry: i, .. })
            | StateChange::Scope { entry: i, .. }
            | StateChange::Policy { entry: i, .. }
            | StateChange::RemoveGroup { entry: i, .. }
            | StateChange::Recreate { entry: i } => a.add_principal(entry(*i)),
            StateChange::Remove(Grant::AwsAuthRole(i)) => a.add_principal(&state.aws_auth.map_roles[*i].arn),
            StateChange::Remove(Grant::AwsAuthUser(i)) => a.add_principal(&state.aws_auth.map_users[*i].arn),
            StateChange::Remove(Grant::AwsAuthAccount(i)) => {
                a.accounts.insert(state.aws_auth.map_accounts[*i].clone());
            }
            StateChange::Remove(Grant::Binding(i)) => a.add_subjects(&state.bindings[*i]),
            StateChange::Remove(Grant::SystemMasters) => a.everyone = true,
            StateChange::Replace { entry: i, rbac, .. } => {
                a.add_principal(entry(*i));
                rbac.bindings.iter().for_each(|b| a.add_subjects(b));
            }
        }
    }
    a.reach_principals([state, proposed]);
    a
}

/// `GS-` and 12 hex digits of a hash of what identifies the finding.
pub fn finding_id(kind: FindingKind, cluster: &str, grant: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(format!("{kind}\n{cluster}\n{grant}").as_bytes());
    format!("GS-{:012x}", h & 0xffff_ffff_ffff)
}

/// `Vec::retain` by the items' positions before any was removed (grants are named by position).
fn retain_indexed<T>(items: &mut Vec<T>, keep: impl Fn(usize) -> bool) {
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        keep(i - 1)
    });
}

/// All recommendations applied together, replayed over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Together {
    /// Recommendations applied.
    pub changes: usize,
    /// Requests allowed today that the changed state would deny (0 when every change is kept).
    pub denied_requests: i64,
    /// Requests allowed today, in the window.
    pub allowed_requests: i64,
}

/// Applies every finding's change to one copy of the state and replays the window (the shapes of
/// every caller the changes reach). If that would deny anything, each change is replayed alone and
/// those that would deny requests by themselves are dropped, the finding saying which requests;
/// two safe changes can still conflict (a shadowed grant and the grant that shadows it), so if the
/// rest still denies anything, the shadowed-grant removals are withdrawn, which leaves every request
/// its original grant. Proving all together first makes the common case, nothing denied, one replay
/// instead of one per recommendation.
pub fn prove_together(
    state: &crate::model::AccessState,
    findings: &mut [Finding],
    shapes: &[crate::store::WindowShape],
) -> Together {
    let allowed_requests = shapes.iter().filter(|s| s.allowed() == Some(true)).map(|s| s.requests).sum();
    let window = whatif::ShapesByCaller::new(shapes);
    let try_all = |findings: &[Finding]| {
        let changes: Vec<&StateChange> = findings.iter().filter_map(|f| f.change.as_ref()).collect();
        let proposed = apply(state, &changes);
        let (denied, _) = whatif::requests_broken(&affected_by(state, &proposed, &changes), &proposed, &window);
        (changes.len(), denied)
    };
    let (mut changes, mut denied) = try_all(findings);
    if denied > 0 {
        for f in findings.iter_mut() {
            let Some(change) = &f.change else { continue };
            let proposed = apply(state, &[change]);
            let (broken, examples) =
                whatif::requests_broken(&affected_by(state, &proposed, &[change]), &proposed, &window);
            if broken > 0 {
                let what = if f.kind.is_overbroad() { "No narrower grant is" } else { "Nothing is" };
                f.recommendation = Recommendation {
                    summary: format!(
                        "{what} recommended: the change would deny {broken} requests allowed today (e.g. {}).",
                        examples.join("; ")
                    ),
                    commands: Vec::new(),
                };
                f.change = None;
            }
        }
        (changes, denied) = try_all(findings);
    }
    if denied > 0 {
        for f in findings.iter_mut().filter(|f| f.kind == FindingKind::ShadowedGrant && f.change.is_some()) {
            f.change = None;
            f.recommendation
                .summary
                .push_str(" (Withdrawn: together with the other recommendations it would deny requests.)");
            f.recommendation.commands.clear();
        }
        (changes, denied) = try_all(findings);
    }
    Together { changes, denied_requests: denied, allowed_requests }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Grant;
    use crate::model::{
        AccessEntry, AccessScope, AccessState, IdentityMapping, PolicyAssociation, RoleBinding, RoleKind,
    };

    #[test]
    fn apply_removes_and_rewrites_exactly_the_named_grants() {
        let assoc =
            |p: &str| PolicyAssociation { policy_arn: p.into(), scope: AccessScope::Cluster, associated_at_ms: None };
        let entry = |arn: &str, policies: Vec<PolicyAssociation>| AccessEntry {
            principal_arn: arn.into(),
            entry_type: Default::default(),
            username: None,
            kubernetes_groups: vec![],
            policies,
            created_at_ms: None,
        };
        let binding = |name: &str| RoleBinding {
            namespace: None,
            name: name.into(),
            role_kind: RoleKind::ClusterRole,
            role_name: "view".into(),
            subjects: vec![],
            system: false,
        };
        let state = AccessState {
            access_entries: vec![
                entry("a", vec![assoc("p0"), assoc("p1")]),
                entry("b", vec![]),
                entry("c", vec![assoc("p2")]),
            ],
            bindings: vec![binding("x"), binding("y")],
            aws_auth: crate::model::AwsAuth {
                map_roles: vec![IdentityMapping { arn: "r".into(), username: "r".into(), groups: vec![] }],
                map_users: vec![],
                map_accounts: vec!["1".into(), "2".into()],
            },
            ..AccessState::default()
        };
        let changes = [
            StateChange::Remove(Grant::AccessPolicy { entry: 0, association: 0 }),
            StateChange::Remove(Grant::AccessEntry(1)),
            StateChange::Remove(Grant::Binding(0)),
            StateChange::Remove(Grant::AwsAuthAccount(0)),
            StateChange::Policy { entry: 2, association: 0, policy_arn: "p9".into() },
            StateChange::Scope {
                entry: 0,
                association: 1,
                scope: AccessScope::Namespace { namespaces: vec!["dev".into()] },
            },
        ];
        let s = apply(&state, &changes.iter().collect::<Vec<_>>());
        let entries: Vec<(&str, Vec<&str>)> = s
            .access_entries
            .iter()
            .map(|e| (e.principal_arn.as_str(), e.policies.iter().map(|a| a.policy_arn.as_str()).collect()))
            .collect();
        assert_eq!(entries, [("a", vec!["p1"]), ("c", vec!["p9"])]);
        assert_eq!(s.access_entries[0].policies[0].scope, AccessScope::Namespace { namespaces: vec!["dev".into()] });
        assert_eq!(s.bindings.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["y"]);
        assert_eq!(s.aws_auth.map_accounts, ["2"]);
        assert_eq!(s.aws_auth.map_roles.len(), 1);
    }

    #[test]
    fn affected_by_a_change_covers_what_diffing_the_states_finds() {
        let assoc = |p: &str| PolicyAssociation {
            policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{p}"),
            scope: AccessScope::Cluster,
            associated_at_ms: None,
        };
        let state = AccessState {
            access_entries: vec![AccessEntry {
                principal_arn: "arn:aws:iam::1:role/Dev".into(),
                entry_type: Default::default(),
                username: None,
                kubernetes_groups: vec!["devs".into()],
                policies: vec![assoc("AmazonEKSEditPolicy")],
                created_at_ms: None,
            }],
            bindings: vec![RoleBinding {
                namespace: Some("dev".into()),
                name: "readers".into(),
                role_kind: RoleKind::ClusterRole,
                role_name: "view".into(),
                subjects: vec![crate::model::Subject::Group { name: "devs".into() }],
                system: false,
            }],
            aws_auth: crate::model::AwsAuth {
                map_roles: vec![IdentityMapping {
                    arn: "arn:aws:iam::1:role/Ops".into(),
                    username: "ops".into(),
                    groups: vec!["ops".into()],
                }],
                map_users: vec![],
                map_accounts: vec!["2".into()],
            },
            ..AccessState::default()
        };
        let rbac = generated::rbac_for(
            "g",
            "g",
            &[crate::authz::Request {
                verb: "get",
                api_group: "",
                resource: "pods",
                subresource: "",
                namespace: "dev",
                name: "",
                path: "",
            }],
        );
        let cases = [
            ("remove an entry", StateChange::Remove(Grant::AccessEntry(0))),
            ("remove an association", StateChange::Remove(Grant::AccessPolicy { entry: 0, association: 0 })),
            ("remove a binding", StateChange::Remove(Grant::Binding(0))),
            ("remove an aws-auth role", StateChange::Remove(Grant::AwsAuthRole(0))),
            ("remove an aws-auth account", StateChange::Remove(Grant::AwsAuthAccount(0))),
            ("narrow a scope", StateChange::Scope { entry: 0, association: 0, scope: AccessScope::Cluster }),
            ("swap a policy", StateChange::Policy { entry: 0, association: 0, policy_arn: "p".into() }),
            ("drop a group", StateChange::RemoveGroup { entry: 0, group: "devs".into() }),
            ("generated RBAC", StateChange::Replace { entry: 0, association: 0, rbac }),
        ];
        for (name, change) in cases {
            let proposed = apply(&state, &[&change]);
            let mut diffed = crate::authz::changes::Affected::between(&state, &proposed);
            diffed.reach_principals([&state, &proposed]);
            let read = affected_by(&state, &proposed, &[&change]);
            assert!(!read.is_empty(), "{name}");
            assert!(read.everyone || !diffed.everyone, "{name}");
            assert!(diffed.principals.is_subset(&read.principals), "{name}: {diffed:?} vs {read:?}");
            assert!(diffed.users.is_subset(&read.users), "{name}: {diffed:?} vs {read:?}");
            assert!(diffed.groups.is_subset(&read.groups), "{name}: {diffed:?} vs {read:?}");
            assert!(diffed.accounts.is_subset(&read.accounts), "{name}: {diffed:?} vs {read:?}");
        }
    }

    #[test]
    fn a_recommendation_that_would_deny_a_request_is_dropped_with_the_reason() {
        use crate::store::{StoredDecision, StoredShape, WindowShape};
        let view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
        let state = AccessState {
            access_entries: vec![AccessEntry {
                principal_arn: "arn:aws:iam::1:role/a".into(),
                entry_type: Default::default(),
                username: None,
                kubernetes_groups: vec![],
                policies: vec![PolicyAssociation {
                    policy_arn: view.into(),
                    scope: AccessScope::Cluster,
                    associated_at_ms: None,
                }],
                created_at_ms: None,
            }],
            bindings: vec![RoleBinding {
                namespace: None,
                name: "nobody".into(),
                role_kind: RoleKind::ClusterRole,
                role_name: "view".into(),
                subjects: vec![crate::model::Subject::User { name: "nobody".into() }],
                system: false,
            }],
            ..AccessState::default()
        };
        let grant =
            crate::model::GrantId::access_policy("arn:aws:iam::1:role/a", "AmazonEKSViewPolicy", &AccessScope::Cluster);
        let shape = WindowShape {
            stored: StoredShape {
                id: 1,
                caller_id: 1,
                shape: crate::model::RequestShape {
                    cluster: "c".into(),
                    principal: "arn:aws:iam::1:role/a".into(),
                    iam: true,
                    username: "".into(),
                    groups: vec![],
                    session_name: "s".into(),
                    verb: "get".into(),
                    api_group: "".into(),
                    resource: "pods".into(),
                    subresource: "".into(),
                    namespace: "x".into(),
                    name: "".into(),
                    path: "".into(),
                    access_key_id: "".into(),
                    unkept: crate::model::Unkept::NONE,
                },
            },
            decision: std::sync::Arc::new(StoredDecision {
                outcome: "allowed".into(),
                allowed: Some(true),
                by: Some(grant.clone()),
                shadowed: vec![],
                authenticated_by: None,
                undocumented: vec![],
                possibly: vec![],
            }),
            requests: 3,
            last_ms: 0,
        };
        let finding = |kind: FindingKind, change: StateChange| Finding {
            id: finding_id(kind, "c", grant.as_str()),
            kind,
            would_be: None,
            severity: Severity::Low,
            cluster: "c".into(),
            principal: None,
            grant: grant.clone(),
            evidence: Evidence::unused(20, 90),
            recommendation: Recommendation { summary: "do it".into(), commands: vec!["aws eks ...".into()] },
            change: Some(change),
            controls: Vec::new(),
            accepted: None,
            lapsed_exception: None,
        };
        let wrong_scope = AccessScope::Namespace { namespaces: vec!["y".into()] };
        let mut findings = vec![
            finding(FindingKind::OverbroadScope, StateChange::Scope { entry: 0, association: 0, scope: wrong_scope }),
            finding(FindingKind::UnusedRbacBinding, StateChange::Remove(Grant::Binding(0))),
        ];
        let together = prove_together(&state, &mut findings, &[shape]);
        assert_eq!(together, Together { changes: 1, denied_requests: 0, allowed_requests: 3 });
        assert_eq!(findings[0].change, None, "the breaking change is dropped");
        assert!(findings[0].recommendation.commands.is_empty());
        let why = &findings[0].recommendation.summary;
        assert!(why.starts_with("No narrower grant is recommended: the change would deny 3 requests"), "{why}");
        assert!(why.contains("get pods in x"), "the reason names the request: {why}");
        assert!(findings[1].change.is_some(), "the safe one stays");
    }
}
