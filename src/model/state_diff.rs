//! What changed between two versions of a cluster's access state: the authentication mode, access
//! entries, their policy associations, aws-auth mappings, RBAC roles and bindings. Stored with
//! each new version, printed by `state sync` and `state import`, and the source of the access
//! change timeline.

use super::{AccessEntry, AccessState, IdentityMapping, PolicyAssociation, Role, RoleBinding, RoleKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Added, removed and changed objects of one kind, each described in one line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Compares two keyed collections; `describe` says what an object is, `differ` how two differ.
    fn between<T: PartialEq>(
        old: &BTreeMap<String, T>,
        new: &BTreeMap<String, T>,
        describe: impl Fn(&str, &T) -> String,
        differ: impl Fn(&str, &T, &T) -> String,
    ) -> Changes {
        let mut c = Changes::default();
        for (k, n) in new {
            match old.get(k) {
                None => c.added.push(describe(k, n)),
                Some(o) if o != n => c.changed.push(differ(k, o, n)),
                Some(_) => {}
            }
        }
        c.removed = old.iter().filter(|(k, _)| !new.contains_key(*k)).map(|(k, o)| describe(k, o)).collect();
        c
    }
}

/// The difference between two access states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDiff {
    /// `API_AND_CONFIG_MAP -> API`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub access_entries: Changes,
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub access_policies: Changes,
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub aws_auth: Changes,
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub roles: Changes,
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub bindings: Changes,
}

/// The kinds of a diff, in the order they are printed: (name, changes).
pub const KINDS: [&str; 5] = ["access entry", "access policy", "aws-auth", "role", "binding"];

impl StateDiff {
    pub fn between(old: &AccessState, new: &AccessState) -> StateDiff {
        let mode = |s: &AccessState| {
            serde_json::to_value(s.authentication_mode)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        };
        StateDiff {
            authentication_mode: (old.authentication_mode != new.authentication_mode)
                .then(|| format!("{} -> {}", mode(old), mode(new))),
            access_entries: Changes::between(&entries(old), &entries(new), describe_entry, |k, o, n| {
                format!("{k}: {}", entry_fields(o, n).join(", "))
            }),
            access_policies: Changes::between(
                &associations(old),
                &associations(new),
                |k, a| format!("{k} @ {}", a.scope),
                |k, o, n| format!("{k}: {} -> {}", o.scope, n.scope),
            ),
            aws_auth: Changes::between(&mappings(old), &mappings(new), describe_mapping, |k, o, n| {
                format!("{k}: {} -> {}", mapped_to(o), mapped_to(n))
            }),
            roles: Changes::between(
                &roles(old),
                &roles(new),
                |k, r| format!("{k} ({} rules)", r.rules.len()),
                |k, o, n| format!("{k}: rules changed ({} -> {})", o.rules.len(), n.rules.len()),
            ),
            bindings: Changes::between(&bindings(old), &bindings(new), describe_binding, |k, o, n| {
                let (old_to, new_to) = (binding_target(o), binding_target(n));
                if old_to == new_to {
                    format!("{k}: subjects {} -> {}", subjects(o), subjects(n))
                } else {
                    format!("{k}: {old_to} -> {new_to}")
                }
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.authentication_mode.is_none() && self.kinds().iter().all(|(_, c)| c.is_empty())
    }

    /// Each kind with its changes, in [`KINDS`] order.
    pub fn kinds(&self) -> [(&'static str, &Changes); 5] {
        [
            (KINDS[0], &self.access_entries),
            (KINDS[1], &self.access_policies),
            (KINDS[2], &self.aws_auth),
            (KINDS[3], &self.roles),
            (KINDS[4], &self.bindings),
        ]
    }

    /// One line per change: `+ access entry arn:...`, `- binding ...`, `~ role ...`.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> =
            self.authentication_mode.iter().map(|m| format!("~ authentication mode {m}")).collect();
        for (kind, c) in self.kinds() {
            out.extend(c.added.iter().map(|d| format!("+ {kind} {d}")));
            out.extend(c.removed.iter().map(|d| format!("- {kind} {d}")));
            out.extend(c.changed.iter().map(|d| format!("~ {kind} {d}")));
        }
        out
    }
}

/// An entry without its associations (they are compared on their own) or creation time.
fn entries(s: &AccessState) -> BTreeMap<String, AccessEntry> {
    s.access_entries
        .iter()
        .map(|e| (e.principal_arn.clone(), AccessEntry { policies: Vec::new(), created_at_ms: None, ..e.clone() }))
        .collect()
}

fn describe_entry(arn: &str, e: &AccessEntry) -> String {
    let mut s = format!(
        "{arn} ({})",
        serde_json::to_value(e.entry_type).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    );
    if !e.kubernetes_groups.is_empty() {
        s.push_str(&format!(" groups [{}]", e.kubernetes_groups.join(", ")));
    }
    if let Some(u) = &e.username {
        s.push_str(&format!(" username {u}"));
    }
    s
}

fn entry_fields(o: &AccessEntry, n: &AccessEntry) -> Vec<String> {
    let mut out = Vec::new();
    if o.kubernetes_groups != n.kubernetes_groups {
        out.push(format!("groups [{}] -> [{}]", o.kubernetes_groups.join(", "), n.kubernetes_groups.join(", ")));
    }
    if o.username != n.username {
        let u = |u: &Option<String>| u.clone().unwrap_or_else(|| "(default)".into());
        out.push(format!("username {} -> {}", u(&o.username), u(&n.username)));
    }
    if o.entry_type != n.entry_type {
        out.push(format!("type {:?} -> {:?}", o.entry_type, n.entry_type));
    }
    out
}

/// `PRINCIPAL POLICY-NAME` → the association, without its time.
fn associations(s: &AccessState) -> BTreeMap<String, PolicyAssociation> {
    s.access_entries
        .iter()
        .flat_map(|e| {
            e.policies.iter().map(move |a| {
                let name = a.policy_arn.rsplit('/').next().unwrap_or(&a.policy_arn);
                (format!("{} {name}", e.principal_arn), PolicyAssociation { associated_at_ms: None, ..a.clone() })
            })
        })
        .collect()
}

/// `mapRoles ARN` / `mapUsers ARN` / `mapAccounts ID` → the mapping. The first mapping of an ARN
/// decides (as aws-iam-authenticator does), so later duplicates are left out.
fn mappings(s: &AccessState) -> BTreeMap<String, IdentityMapping> {
    let mut out = BTreeMap::new();
    let a = &s.aws_auth;
    for (section, list) in [("mapRoles", &a.map_roles), ("mapUsers", &a.map_users)] {
        for m in list {
            out.entry(format!("{section} {}", m.arn)).or_insert_with(|| m.clone());
        }
    }
    for account in &a.map_accounts {
        out.entry(format!("mapAccounts {account}")).or_insert_with(|| IdentityMapping {
            arn: account.clone(),
            username: String::new(),
            groups: Vec::new(),
        });
    }
    out
}

fn describe_mapping(k: &str, m: &IdentityMapping) -> String {
    if k.starts_with("mapAccounts") { k.to_string() } else { format!("{k} -> {}", mapped_to(m)) }
}

fn mapped_to(m: &IdentityMapping) -> String {
    format!("{} [{}]", m.username, m.groups.join(", "))
}

fn roles(s: &AccessState) -> BTreeMap<String, Role> {
    s.roles
        .iter()
        .map(|r| {
            let key = match &r.namespace {
                Some(ns) => format!("Role {ns}/{}", r.name),
                None => format!("ClusterRole {}", r.name),
            };
            (key, r.clone())
        })
        .collect()
}

fn bindings(s: &AccessState) -> BTreeMap<String, RoleBinding> {
    s.bindings
        .iter()
        .map(|b| {
            let key = match &b.namespace {
                Some(ns) => format!("RoleBinding {ns}/{}", b.name),
                None => format!("ClusterRoleBinding {}", b.name),
            };
            (key, b.clone())
        })
        .collect()
}

fn binding_target(b: &RoleBinding) -> String {
    let kind = match b.role_kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    format!("{kind} {}", b.role_name)
}

fn subjects(b: &RoleBinding) -> String {
    let names: Vec<String> = b.subjects.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(", "))
}

fn describe_binding(k: &str, b: &RoleBinding) -> String {
    format!("{k} -> {} for {}", binding_target(b), subjects(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccessScope, AuthenticationMode, PolicyRule, Subject};

    fn entry(arn: &str, groups: &[&str], policies: &[(&str, AccessScope)]) -> AccessEntry {
        AccessEntry {
            principal_arn: arn.into(),
            entry_type: Default::default(),
            username: None,
            kubernetes_groups: groups.iter().map(|g| g.to_string()).collect(),
            policies: policies
                .iter()
                .map(|(p, scope)| PolicyAssociation {
                    policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{p}"),
                    scope: scope.clone(),
                    associated_at_ms: None,
                })
                .collect(),
            created_at_ms: None,
        }
    }

    fn binding(ns: Option<&str>, name: &str, role: &str, group: &str) -> RoleBinding {
        RoleBinding {
            namespace: ns.map(String::from),
            name: name.into(),
            role_kind: RoleKind::ClusterRole,
            role_name: role.into(),
            subjects: vec![Subject::Group { name: group.into() }],
            system: false,
        }
    }

    fn base() -> AccessState {
        AccessState {
            cluster: "c".into(),
            access_entries: vec![entry(
                "arn:aws:iam::1:role/a",
                &["g"],
                &[("AmazonEKSViewPolicy", AccessScope::Cluster)],
            )],
            bindings: vec![binding(Some("dev"), "devs", "edit", "devs")],
            roles: vec![Role { namespace: None, name: "r".into(), rules: vec![PolicyRule::default()] }],
            ..AccessState::default()
        }
    }

    #[test]
    fn each_kind_of_change_is_one_line() {
        let ns = || AccessScope::Namespace { namespaces: vec!["dev".into()] };
        type Case = (&'static str, Box<dyn Fn(&mut AccessState)>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            ("nothing", Box::new(|_| {}), vec![]),
            (
                "mode",
                Box::new(|s| s.authentication_mode = AuthenticationMode::Api),
                vec!["~ authentication mode API_AND_CONFIG_MAP -> API"],
            ),
            (
                "entry added with its policy",
                Box::new(move |s| {
                    s.access_entries.push(entry("arn:aws:iam::1:user/b", &[], &[("AmazonEKSEditPolicy", ns())]))
                }),
                vec![
                    "+ access entry arn:aws:iam::1:user/b (STANDARD)",
                    "+ access policy arn:aws:iam::1:user/b AmazonEKSEditPolicy @ ns:dev",
                ],
            ),
            (
                "entry removed",
                Box::new(|s| s.access_entries.clear()),
                vec![
                    "- access entry arn:aws:iam::1:role/a (STANDARD) groups [g]",
                    "- access policy arn:aws:iam::1:role/a AmazonEKSViewPolicy @ cluster",
                ],
            ),
            (
                "groups changed",
                Box::new(|s| s.access_entries[0].kubernetes_groups = vec!["h".into()]),
                vec!["~ access entry arn:aws:iam::1:role/a: groups [g] -> [h]"],
            ),
            (
                "scope narrowed",
                Box::new(move |s| s.access_entries[0].policies[0].scope = ns()),
                vec!["~ access policy arn:aws:iam::1:role/a AmazonEKSViewPolicy: cluster -> ns:dev"],
            ),
            (
                "association time alone is no change",
                Box::new(|s| s.access_entries[0].policies[0].associated_at_ms = Some(5)),
                vec![],
            ),
            (
                "binding added",
                Box::new(|s| s.bindings.push(binding(None, "admins", "cluster-admin", "ops"))),
                vec!["+ binding ClusterRoleBinding admins -> ClusterRole cluster-admin for [Group ops]"],
            ),
            (
                "binding subjects changed",
                Box::new(|s| s.bindings[0].subjects.push(Subject::User { name: "u".into() })),
                vec!["~ binding RoleBinding dev/devs: subjects [Group devs] -> [Group devs, User u]"],
            ),
            (
                "role rules changed",
                Box::new(|s| s.roles[0].rules.push(PolicyRule::default())),
                vec!["~ role ClusterRole r: rules changed (1 -> 2)"],
            ),
            (
                "aws-auth mapping added",
                Box::new(|s| {
                    s.aws_auth.map_roles.push(IdentityMapping {
                        arn: "arn:aws:iam::1:role/n".into(),
                        username: "n".into(),
                        groups: vec!["system:masters".into()],
                    })
                }),
                vec!["+ aws-auth mapRoles arn:aws:iam::1:role/n -> n [system:masters]"],
            ),
        ];
        for (name, change, want) in cases {
            let mut new = base();
            change(&mut new);
            let diff = StateDiff::between(&base(), &new);
            assert_eq!(diff.lines(), want, "{name}");
            assert_eq!(diff.is_empty(), want.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_diff_round_trips_through_json_without_empty_kinds() {
        let mut new = base();
        new.bindings.clear();
        let diff = StateDiff::between(&base(), &new);
        let json = serde_json::to_value(&diff).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"bindings": {"removed": ["RoleBinding dev/devs -> ClusterRole edit for [Group devs]"]}})
        );
        assert_eq!(serde_json::from_value::<StateDiff>(json).unwrap(), diff);
    }
}
