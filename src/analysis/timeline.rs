//! The access-change timeline: who changed access to a cluster, when, and what.
//!
//! Two sources, merged: CloudTrail (the call, its time, its caller and session: access entries,
//! policy associations with their scope, the authentication mode, IAM principals deleted or
//! re-created) and the diffs between stored state versions (what a sync or import saw change,
//! including RBAC and aws-auth, which CloudTrail does not record). A diff change that a CloudTrail
//! call between the two versions explains is shown once, as the call, with the version that saw
//! it; the rest are shown at the time of the version that saw them, caller unknown.

use crate::model::time::format_rfc3339;
use crate::model::{AccessChange, StateDiff, session_name_of};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    EntryCreated,
    EntryDeleted,
    EntryChanged,
    PolicyAssociated,
    PolicyDisassociated,
    PolicyScopeChanged,
    AuthModeChanged,
    PrincipalCreated,
    PrincipalDeleted,
    ClusterCreated,
    ClusterDeleted,
    AwsAuthChanged,
    RoleAdded,
    RoleRemoved,
    RoleChanged,
    BindingAdded,
    BindingRemoved,
    BindingChanged,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 18] = [
        ChangeKind::EntryCreated,
        ChangeKind::EntryDeleted,
        ChangeKind::EntryChanged,
        ChangeKind::PolicyAssociated,
        ChangeKind::PolicyDisassociated,
        ChangeKind::PolicyScopeChanged,
        ChangeKind::AuthModeChanged,
        ChangeKind::PrincipalCreated,
        ChangeKind::PrincipalDeleted,
        ChangeKind::ClusterCreated,
        ChangeKind::ClusterDeleted,
        ChangeKind::AwsAuthChanged,
        ChangeKind::RoleAdded,
        ChangeKind::RoleRemoved,
        ChangeKind::RoleChanged,
        ChangeKind::BindingAdded,
        ChangeKind::BindingRemoved,
        ChangeKind::BindingChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::EntryCreated => "entry-created",
            ChangeKind::EntryDeleted => "entry-deleted",
            ChangeKind::EntryChanged => "entry-changed",
            ChangeKind::PolicyAssociated => "policy-associated",
            ChangeKind::PolicyDisassociated => "policy-disassociated",
            ChangeKind::PolicyScopeChanged => "policy-scope-changed",
            ChangeKind::AuthModeChanged => "auth-mode-changed",
            ChangeKind::PrincipalCreated => "principal-created",
            ChangeKind::PrincipalDeleted => "principal-deleted",
            ChangeKind::ClusterCreated => "cluster-created",
            ChangeKind::ClusterDeleted => "cluster-deleted",
            ChangeKind::AwsAuthChanged => "aws-auth-changed",
            ChangeKind::RoleAdded => "role-added",
            ChangeKind::RoleRemoved => "role-removed",
            ChangeKind::RoleChanged => "role-changed",
            ChangeKind::BindingAdded => "binding-added",
            ChangeKind::BindingRemoved => "binding-removed",
            ChangeKind::BindingChanged => "binding-changed",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub time: String,
    #[serde(skip)]
    pub time_ms: i64,
    pub kind: ChangeKind,
    /// The object and how it changed, e.g. `arn:aws:iam::1:role/ci AmazonEKSEditPolicy @ ns:dev`.
    pub what: String,
    /// Who made the change (the CloudTrail caller's ARN), when CloudTrail recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// The caller's STS session name (`alice@example.com`), for assumed roles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The CloudTrail eventID, if CloudTrail recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The state version that first showed it, if a stored version did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_version: Option<i64>,
}

/// A stored version's diff: (version, stored at, what changed since the version before).
pub struct VersionDiff {
    pub version: i64,
    pub created_ms: i64,
    pub diff: StateDiff,
}

/// The timeline, oldest first. `principals` are the cluster's IAM principals (lowercased ARNs of
/// its entries and aws-auth mappings): IAM lifecycle events of other principals are left out.
pub fn timeline(changes: &[AccessChange], diffs: &[VersionDiff], principals: &HashSet<String>) -> Vec<Change> {
    let mut out: Vec<Change> = changes
        .iter()
        .filter(|c| {
            c.source == "eks.amazonaws.com"
                || c.principal_arn.as_ref().is_some_and(|p| principals.contains(&p.to_lowercase()))
        })
        .filter_map(from_cloudtrail)
        .collect();
    let mut previous_ms = i64::MIN;
    for d in diffs {
        for (kind, what) in diff_changes(&d.diff) {
            // The latest CloudTrail call between the two versions that explains this change.
            let explained = out
                .iter_mut()
                .filter(|c| c.state_version.is_none() && c.event_id.is_some())
                .filter(|c| c.time_ms > previous_ms && c.time_ms <= d.created_ms)
                .filter(|c| same_change(c.kind, &c.what, kind, &what))
                .max_by_key(|c| c.time_ms);
            match explained {
                Some(c) => c.state_version = Some(d.version),
                None => out.push(Change {
                    time: format_rfc3339(d.created_ms),
                    time_ms: d.created_ms,
                    kind,
                    what,
                    who: None,
                    session: None,
                    event_id: None,
                    state_version: Some(d.version),
                }),
            }
        }
        previous_ms = d.created_ms;
    }
    out.sort_by_key(|c| (c.time_ms, c.kind));
    out
}

/// Whether a diff's change is what a CloudTrail call did: the same kind (a scope change is a
/// re-association) on the same principal, and for associations the same policy.
fn same_change(call: ChangeKind, call_what: &str, kind: ChangeKind, what: &str) -> bool {
    use ChangeKind::*;
    if !(call == kind || (call == PolicyAssociated && kind == PolicyScopeChanged)) {
        return false;
    }
    // Principal first, then the policy name: `ARN POLICY ...`, `ARN: ...`.
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace().take(2).map(|w| w.trim_end_matches(':').to_lowercase()).collect()
    };
    let (a, b) = (words(call_what), words(what));
    match call {
        AuthModeChanged => true,
        PolicyAssociated | PolicyDisassociated => a == b,
        _ => a.first() == b.first(),
    }
}

/// The diff's changes as (kind, what).
fn diff_changes(diff: &StateDiff) -> Vec<(ChangeKind, String)> {
    use ChangeKind::*;
    let mut out: Vec<(ChangeKind, String)> =
        diff.authentication_mode.iter().map(|m| (AuthModeChanged, m.clone())).collect();
    let kinds = [
        (&diff.access_entries, [EntryCreated, EntryDeleted, EntryChanged]),
        (&diff.access_policies, [PolicyAssociated, PolicyDisassociated, PolicyScopeChanged]),
        (&diff.aws_auth, [AwsAuthChanged, AwsAuthChanged, AwsAuthChanged]),
        (&diff.roles, [RoleAdded, RoleRemoved, RoleChanged]),
        (&diff.bindings, [BindingAdded, BindingRemoved, BindingChanged]),
    ];
    for (changes, [added, removed, changed]) in kinds {
        // aws-auth has one kind for all three: the sign says which.
        let sign =
            |k: ChangeKind, s: &str, d: &str| if k == AwsAuthChanged { format!("{s} {d}") } else { d.to_string() };
        out.extend(changes.added.iter().map(|d| (added, sign(added, "+", d))));
        out.extend(changes.removed.iter().map(|d| (removed, sign(removed, "-", d))));
        out.extend(changes.changed.iter().map(|d| (changed, sign(changed, "~", d))));
    }
    out
}

/// One CloudTrail call as a change; `None` for calls that did not change access (an
/// UpdateClusterConfig of logging, say).
fn from_cloudtrail(c: &AccessChange) -> Option<Change> {
    use ChangeKind::*;
    let raw: Value = serde_json::from_str(&c.raw).unwrap_or(Value::Null);
    let request = &raw["requestParameters"];
    let principal = c.principal_arn.clone().unwrap_or_default();
    let policy = c.policy_arn.as_deref().map(|p| p.rsplit('/').next().unwrap_or(p).to_string()).unwrap_or_default();
    let groups = || match request["kubernetesGroups"].as_array() {
        Some(g) => format!(" groups [{}]", g.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")),
        None => String::new(),
    };
    let mode = request["accessConfig"]["authenticationMode"].as_str();
    let (kind, what) = match c.name.as_str() {
        "CreateAccessEntry" => (EntryCreated, format!("{principal}{}", groups())),
        "UpdateAccessEntry" => (EntryChanged, format!("{principal}{}", groups())),
        "DeleteAccessEntry" => (EntryDeleted, principal),
        "AssociateAccessPolicy" => {
            (PolicyAssociated, format!("{principal} {policy} @ {}", scope(&request["accessScope"])))
        }
        "DisassociateAccessPolicy" => (PolicyDisassociated, format!("{principal} {policy}")),
        "UpdateClusterConfig" => (AuthModeChanged, format!("-> {}", mode?)),
        "CreateCluster" => (ClusterCreated, mode.map_or_else(String::new, |m| format!("authentication mode {m}"))),
        "DeleteCluster" => (ClusterDeleted, String::new()),
        "CreateRole" | "CreateUser" => (PrincipalCreated, principal),
        "DeleteRole" | "DeleteUser" => (PrincipalDeleted, principal),
        _ => return None,
    };
    Some(Change {
        time: format_rfc3339(c.time_ms),
        time_ms: c.time_ms,
        kind,
        what,
        session: c.actor_arn.as_deref().and_then(session_name_of).map(String::from),
        who: c.actor_arn.clone(),
        event_id: Some(c.event_id.clone()),
        state_version: None,
    })
}

/// `cluster` or `ns:a,b`, as grant ids and diffs write scopes.
fn scope(s: &Value) -> String {
    match s["type"].as_str() {
        Some("namespace") => {
            let ns: Vec<&str> = s["namespaces"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            format!("ns:{}", ns.join(","))
        }
        _ => "cluster".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Changes, EventId};

    fn call(name: &str, time_ms: i64, principal: &str, request: Value) -> AccessChange {
        let source =
            if name.ends_with("Role") || name.ends_with("User") { "iam.amazonaws.com" } else { "eks.amazonaws.com" };
        AccessChange {
            id: EventId::from_str_id(&format!("{name}{time_ms}")),
            event_id: format!("ev-{time_ms}"),
            time_ms,
            source: source.into(),
            name: name.into(),
            cluster: Some("c".into()),
            principal_arn: Some(principal.into()),
            policy_arn: request["policyArn"].as_str().map(String::from),
            account: None,
            actor_arn: Some("arn:aws:sts::1:assumed-role/admin/alice@example.com".into()),
            raw: serde_json::json!({"requestParameters": request}).to_string(),
        }
    }

    const CI: &str = "arn:aws:iam::1:role/ci";
    const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

    #[test]
    fn each_cloudtrail_call_is_one_change_with_its_caller() {
        let cases = [
            (
                "CreateAccessEntry",
                serde_json::json!({"kubernetesGroups": ["ci"]}),
                Some((ChangeKind::EntryCreated, "arn:aws:iam::1:role/ci groups [ci]")),
            ),
            ("DeleteAccessEntry", serde_json::json!({}), Some((ChangeKind::EntryDeleted, CI))),
            (
                "AssociateAccessPolicy",
                serde_json::json!({"policyArn": EDIT, "accessScope": {"type": "namespace", "namespaces": ["dev", "qa"]}}),
                Some((ChangeKind::PolicyAssociated, "arn:aws:iam::1:role/ci AmazonEKSEditPolicy @ ns:dev,qa")),
            ),
            (
                "DisassociateAccessPolicy",
                serde_json::json!({"policyArn": EDIT}),
                Some((ChangeKind::PolicyDisassociated, "arn:aws:iam::1:role/ci AmazonEKSEditPolicy")),
            ),
            (
                "UpdateClusterConfig",
                serde_json::json!({"accessConfig": {"authenticationMode": "API"}}),
                Some((ChangeKind::AuthModeChanged, "-> API")),
            ),
            ("UpdateClusterConfig", serde_json::json!({"logging": {}}), None),
            ("DeleteRole", serde_json::json!({}), Some((ChangeKind::PrincipalDeleted, CI))),
        ];
        let principals = HashSet::from([CI.to_string()]);
        for (name, request, want) in cases {
            let t = timeline(&[call(name, 1_000, CI, request)], &[], &principals);
            let got = t.first().map(|c| (c.kind, c.what.as_str()));
            assert_eq!(got, want, "{name}");
            if let Some(c) = t.first() {
                assert_eq!(c.session.as_deref(), Some("alice@example.com"), "{name}");
                assert_eq!(c.event_id.as_deref(), Some("ev-1000"), "{name}");
            }
        }
    }

    #[test]
    fn iam_events_of_principals_the_cluster_does_not_know_are_left_out() {
        let t = timeline(
            &[call("DeleteRole", 1, "arn:aws:iam::1:role/other", serde_json::json!({}))],
            &[],
            &HashSet::from([CI.into()]),
        );
        assert!(t.is_empty());
    }

    #[test]
    fn a_diff_explained_by_a_call_between_the_versions_is_shown_once_as_the_call() {
        let diff = StateDiff {
            access_policies: Changes {
                changed: vec![format!("{CI} AmazonEKSEditPolicy: cluster -> ns:dev")],
                ..Changes::default()
            },
            bindings: Changes {
                removed: vec!["ClusterRoleBinding ops -> ClusterRole view for [Group ops]".into()],
                ..Changes::default()
            },
            ..StateDiff::default()
        };
        let calls = [
            call(
                "AssociateAccessPolicy",
                500,
                CI,
                serde_json::json!({"policyArn": EDIT, "accessScope": {"type": "namespace", "namespaces": ["dev"]}}),
            ),
            // After the version: not what it saw.
            call("DeleteAccessEntry", 3_000, CI, serde_json::json!({})),
        ];
        let diffs = [
            VersionDiff { version: 1, created_ms: 100, diff: StateDiff::default() },
            VersionDiff { version: 2, created_ms: 2_000, diff },
        ];
        let t = timeline(&calls, &diffs, &HashSet::new());
        let summary: Vec<(i64, ChangeKind, Option<i64>, bool)> =
            t.iter().map(|c| (c.time_ms, c.kind, c.state_version, c.who.is_some())).collect();
        assert_eq!(
            summary,
            [
                (500, ChangeKind::PolicyAssociated, Some(2), true),
                (2_000, ChangeKind::BindingRemoved, Some(2), false),
                (3_000, ChangeKind::EntryDeleted, None, true),
            ]
        );
    }

    #[test]
    fn every_kind_has_a_distinct_name() {
        let names: HashSet<&str> = ChangeKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ChangeKind::ALL.len());
        for k in ChangeKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
