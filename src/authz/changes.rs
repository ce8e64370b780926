//! Which callers a change of access state can affect, so replay re-decides only their requests
//! (DESIGN: a new state version re-evaluates only shapes whose subject is affected).

use super::{Principal, default_username};
use crate::model::{
    AccessEntry, AccessState, IdentityMapping, PolicyRule, PrincipalKind, RoleBinding, RoleKind, Subject,
};
use std::collections::{HashMap, HashSet};

/// The subjects whose decisions may differ between two states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Affected {
    /// The authentication mode changed, or something else that touches every caller.
    pub everyone: bool,
    /// IAM principals, as (account, kind, lowercase name).
    pub principals: HashSet<(String, PrincipalKind, String)>,
    /// Accounts whose every principal may authenticate differently (mapAccounts).
    pub accounts: HashSet<String>,
    pub users: HashSet<String>,
    pub groups: HashSet<String>,
}

fn entries_by_arn(s: &AccessState) -> HashMap<String, &AccessEntry> {
    s.access_entries.iter().map(|e| (e.principal_arn.to_lowercase(), e)).collect()
}

/// The effective mapping per ARN: the authenticator keeps the last of duplicates.
fn mappings_by_arn(list: &[IdentityMapping]) -> HashMap<String, &IdentityMapping> {
    list.iter().map(|m| (m.arn.to_lowercase(), m)).collect()
}

fn roles_by_id(s: &AccessState) -> HashMap<(Option<String>, String), &Vec<PolicyRule>> {
    s.roles.iter().map(|r| ((r.namespace.clone(), r.name.clone()), &r.rules)).collect()
}

fn bindings_by_id(s: &AccessState) -> HashMap<(Option<String>, String), &RoleBinding> {
    s.bindings.iter().map(|b| ((b.namespace.clone(), b.name.clone()), b)).collect()
}

fn key(arn: &str) -> Option<(String, PrincipalKind, String)> {
    Principal::parse(arn).map(|p| (p.account.to_string(), p.kind, p.name.to_lowercase()))
}

impl Affected {
    pub fn between(old: &AccessState, new: &AccessState) -> Affected {
        let mut a = Affected { everyone: old.authentication_mode != new.authentication_mode, ..Affected::default() };
        // Access entries, with their usernames, groups and associations.
        let (before, after) = (entries_by_arn(old), entries_by_arn(new));
        for (arn, e) in before.iter().chain(after.iter()) {
            if before.get(arn) != after.get(arn) {
                a.principals.extend(key(&e.principal_arn));
            }
        }
        // aws-auth mappings: order decides duplicates, so compare each ARN's effective mapping.
        for (old_list, new_list) in
            [(&old.aws_auth.map_roles, &new.aws_auth.map_roles), (&old.aws_auth.map_users, &new.aws_auth.map_users)]
        {
            let (before, after) = (mappings_by_arn(old_list), mappings_by_arn(new_list));
            for arn in before.keys().chain(after.keys()) {
                if before.get(arn) != after.get(arn) {
                    a.principals.extend(key(arn)); // lowercased, as aws-auth ARNs match
                }
            }
        }
        let accounts = |s: &AccessState| s.aws_auth.map_accounts.iter().cloned().collect::<HashSet<_>>();
        a.accounts.extend(accounts(old).symmetric_difference(&accounts(new)).cloned());
        // Roles whose rules changed reach every subject bound to them.
        let (rb, ra) = (roles_by_id(old), roles_by_id(new));
        let changed_roles: HashSet<&(Option<String>, String)> =
            rb.keys().chain(ra.keys()).filter(|k| rb.get(*k) != ra.get(*k)).collect();
        let (bb, ba) = (bindings_by_id(old), bindings_by_id(new));
        for (id, b) in bb.iter().chain(ba.iter()) {
            let role = (if b.role_kind == RoleKind::Role { b.namespace.clone() } else { None }, b.role_name.clone());
            if bb.get(id) != ba.get(id) || changed_roles.contains(&role) {
                a.add_subjects(b);
            }
        }
        a
    }

    /// Adds everything `other` reaches.
    pub fn extend(&mut self, other: Affected) {
        self.everyone |= other.everyone;
        self.principals.extend(other.principals);
        self.accounts.extend(other.accounts);
        self.users.extend(other.users);
        self.groups.extend(other.groups);
    }

    /// Adds an IAM principal, by its ARN (an access entry's or an aws-auth mapping's).
    pub fn add_principal(&mut self, arn: &str) {
        self.principals.extend(key(&arn.to_lowercase()));
    }

    /// Adds the subjects of a binding.
    pub fn add_subjects(&mut self, b: &RoleBinding) {
        for s in &b.subjects {
            match s {
                Subject::User { name } => {
                    self.users.insert(name.clone());
                }
                Subject::Group { name } => {
                    self.groups.insert(name.clone());
                }
                Subject::ServiceAccount { namespace, name } => {
                    let ns =
                        if namespace.is_empty() { b.namespace.clone().unwrap_or_default() } else { namespace.clone() };
                    self.users.insert(format!("system:serviceaccount:{ns}:{name}"));
                }
            }
        }
    }

    /// Adds the IAM principals the change reaches through their Kubernetes identity: those whose
    /// access entry or aws-auth mapping (in either state) gives them an affected group, or a
    /// username that is (or, for a template, may render to) an affected user. Replay can then
    /// select affected shapes by principal without re-authenticating every one.
    pub fn reach_principals(&mut self, states: [&AccessState; 2]) {
        if self.users.is_empty() && self.groups.is_empty() {
            return; // Nothing to reach through.
        }
        if self.groups.contains(super::AUTHENTICATED_GROUP) {
            self.everyone = true; // Every authenticated caller is in it.
            return;
        }
        // Whether a username or group template may render to one of `names` (a template is compared
        // by its literal prefix: a superset, never a miss).
        let may_be = |template: &str, names: &HashSet<String>| {
            let literal = template.split("{{").next().unwrap_or_default();
            if template.contains("{{") {
                names.iter().any(|u| u.starts_with(literal))
            } else {
                names.contains(template)
            }
        };
        for s in states {
            for e in &s.access_entries {
                let groups = e.kubernetes_groups.iter().any(|g| may_be(g, &self.groups));
                // The default username is the user ARN or the assumed-role session ARN.
                let user = match (&e.username, Principal::parse(&e.principal_arn)) {
                    (Some(u), _) => may_be(u, &self.users),
                    (None, Some(p)) => may_be(&default_username(&p, &e.principal_arn), &self.users),
                    (None, None) => self.users.contains(&e.principal_arn),
                };
                if groups || user {
                    self.principals.extend(key(&e.principal_arn));
                }
            }
            for m in s.aws_auth.map_roles.iter().chain(&s.aws_auth.map_users) {
                if m.groups.iter().any(|g| may_be(g, &self.groups)) || may_be(&m.username, &self.users) {
                    self.principals.extend(key(&m.arn.to_lowercase()));
                }
            }
        }
        // mapAccounts callers are named by their ARN.
        let arns: Vec<_> = self
            .users
            .iter()
            .filter_map(|u| crate::model::canonical_principal_arn(u))
            .filter_map(|a| key(&a))
            .collect();
        self.principals.extend(arns);
    }

    pub fn is_empty(&self) -> bool {
        !self.everyone
            && self.principals.is_empty()
            && self.accounts.is_empty()
            && self.users.is_empty()
            && self.groups.is_empty()
    }

    /// Whether a caller, as authenticated (`username`, `groups`) and by IAM principal, is affected.
    pub fn touches(&self, principal_arn: Option<&str>, username: &str, groups: &[impl AsRef<str>]) -> bool {
        self.everyone
            || principal_arn.and_then(Principal::parse).is_some_and(|p| {
                self.accounts.contains(p.account)
                    || self.principals.contains(&(p.account.to_string(), p.kind, p.name.to_lowercase()))
            })
            || reaches(&self.users, username)
            || groups.iter().any(|g| reaches(&self.groups, g.as_ref()))
    }
}

/// Whether one of `names` is, or may be, this username or group. An unkept shape's caller carries
/// the session's token where the session stood: any name with the literal text around it may be
/// one of its sessions.
fn reaches(names: &HashSet<String>, name: &str) -> bool {
    match name.find("{{") {
        None => names.contains(name),
        Some(at) => {
            let suffix = name.rsplit("}}").next().unwrap_or_default();
            names.iter().any(|n| n.starts_with(&name[..at]) && n.ends_with(suffix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn base() -> AccessState {
        AccessState {
            access_entries: vec![AccessEntry {
                principal_arn: "arn:aws:iam::1:role/Dev".into(),
                entry_type: Default::default(),
                username: None,
                kubernetes_groups: vec!["devs".into()],
                policies: vec![],
                created_at_ms: None,
            }],
            roles: vec![Role { namespace: None, name: "reader".into(), rules: vec![PolicyRule::default()] }],
            bindings: vec![RoleBinding {
                namespace: Some("dev".into()),
                name: "readers".into(),
                role_kind: RoleKind::ClusterRole,
                role_name: "reader".into(),
                subjects: vec![
                    Subject::Group { name: "devs".into() },
                    Subject::ServiceAccount { namespace: String::new(), name: "ci".into() },
                ],
                system: false,
            }],
            ..AccessState::default()
        }
    }

    #[test]
    fn between_finds_the_subjects_a_change_reaches() {
        let same = Affected::between(&base(), &base());
        assert!(same.is_empty(), "no change, no one affected");

        let mut entry = base();
        entry.access_entries[0].kubernetes_groups.push("ops".into());
        let a = Affected::between(&base(), &entry);
        assert!(a.principals.contains(&("1".into(), PrincipalKind::Role, "dev".into())), "{a:?}");
        assert!(a.touches(Some("arn:aws:iam::1:role/dev"), "x", &[] as &[&str]), "principal names ignore case");
        assert!(!a.touches(Some("arn:aws:iam::1:role/other"), "x", &["devs"]));

        let mut rules = base();
        rules.roles[0].rules[0].verbs.push("get".into());
        let a = Affected::between(&base(), &rules);
        assert!(
            a.groups.contains("devs") && a.users.contains("system:serviceaccount:dev:ci"),
            "a role's change reaches its bindings' subjects: {a:?}"
        );

        let mut mode = base();
        mode.authentication_mode = crate::model::AuthenticationMode::Api;
        assert!(Affected::between(&base(), &mode).everyone);

        // aws-auth ARNs match ignoring case, so their changes must reach the principal too.
        let mapped = |groups: &[&str]| {
            let mut s = base();
            s.aws_auth.map_roles.push(crate::model::IdentityMapping {
                arn: "ARN:AWS:IAM::1:ROLE/SHOUTY".into(),
                username: "shouty".into(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
            });
            s
        };
        let a = Affected::between(&mapped(&["readers"]), &mapped(&["system:masters"]));
        assert!(a.touches(Some("arn:aws:iam::1:role/shouty"), "x", &[] as &[&str]), "{a:?}");
    }

    #[test]
    fn reach_principals_follows_groups_and_usernames_to_iam_principals() {
        let dev = ("1".to_string(), PrincipalKind::Role, "dev".to_string());
        let reached = |groups: &[&str], users: &[&str]| {
            let mut a = Affected {
                groups: groups.iter().map(|s| s.to_string()).collect(),
                users: users.iter().map(|s| s.to_string()).collect(),
                ..Affected::default()
            };
            a.reach_principals([&base(), &base()]);
            a
        };
        let cases = [
            ("through the entry's Kubernetes group", reached(&["devs"], &[]).principals.contains(&dev), true),
            ("an unrelated group reaches nobody", reached(&["ops"], &[]).principals.contains(&dev), false),
            (
                "through the default assumed-role username",
                reached(&[], &["arn:aws:sts::1:assumed-role/Dev/alice"]).principals.contains(&dev),
                true,
            ),
            (
                "another role's session does not",
                reached(&[], &["arn:aws:sts::1:assumed-role/Ops/alice"]).principals.contains(&dev),
                false,
            ),
            ("system:authenticated reaches everyone", reached(&["system:authenticated"], &[]).everyone, true),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
    }
}
