//! What a subject holds: every grant naming it, with its rules and where they apply — what
//! `kubectl auth can-i --list` shows, per grant. The escalation analysis asks its questions of
//! these instead of deciding one request at a time.

use super::rules::rules_allow;
use super::scope::scope_matches;
use super::{Grant, Request};
use crate::model::{AccessScope, PolicyRule};
use std::sync::LazyLock;

/// Where a grant's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'s> {
    /// A ClusterRoleBinding or `system:masters`: every request.
    Everywhere,
    /// A RoleBinding: namespaced requests in its namespace.
    Namespace(&'s str),
    /// An access policy association: its access scope.
    Scope(&'s AccessScope),
}

/// One grant a subject holds.
#[derive(Debug, Clone, Copy)]
pub struct Holding<'s> {
    pub grant: Grant,
    pub rules: &'s [PolicyRule],
    pub place: Place<'s>,
}

impl Holding<'_> {
    /// Whether this grant alone allows the request, as the chain would decide it.
    pub fn allows(&self, req: &Request) -> bool {
        self.applies(req) && rules_allow(self.rules, req)
    }

    /// Whether the grant applies where the request is (its rules aside).
    pub fn applies(&self, req: &Request) -> bool {
        match self.place {
            Place::Everywhere => true,
            Place::Namespace(ns) => req.is_namespaced() && req.namespace == ns,
            Place::Scope(scope) => scope_matches(scope, req),
        }
    }

    /// Whether any of the rules names the verb (or `*`): a cheap filter before asking.
    pub fn has_verb(&self, verbs: &[&str]) -> bool {
        self.rules.iter().any(|r| r.verbs.iter().any(|v| v == "*" || verbs.contains(&v.as_str())))
    }
}

/// What `system:masters` holds: everything, before RBAC runs.
pub static EVERYTHING: LazyLock<Vec<PolicyRule>> = LazyLock::new(|| {
    let all = || vec!["*".to_string()];
    vec![
        PolicyRule { verbs: all(), api_groups: all(), resources: all(), ..PolicyRule::default() },
        PolicyRule { verbs: all(), non_resource_urls: all(), ..PolicyRule::default() },
    ]
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holding_applies_where_its_grant_does() {
        let rules = vec![PolicyRule {
            verbs: vec!["get".into()],
            api_groups: vec!["".into()],
            resources: vec!["secrets".into()],
            ..PolicyRule::default()
        }];
        let scope = AccessScope::Namespace { namespaces: vec!["dev-*".into()] };
        let in_ns = |ns| Request::resource("get", "", "secrets", "", ns, "s");
        let cases = [
            ("cluster role binding, any namespace", Place::Everywhere, in_ns("prod"), true),
            ("cluster role binding, all namespaces", Place::Everywhere, in_ns(""), true),
            ("role binding, its namespace", Place::Namespace("dev"), in_ns("dev"), true),
            ("role binding, another namespace", Place::Namespace("dev"), in_ns("prod"), false),
            ("role binding never cluster-wide", Place::Namespace("dev"), in_ns(""), false),
            ("access scope pattern", Place::Scope(&scope), in_ns("dev-a"), true),
            ("access scope elsewhere", Place::Scope(&scope), in_ns("prod"), false),
            (
                "rules still decide",
                Place::Everywhere,
                Request::resource("delete", "", "secrets", "", "dev", "s"),
                false,
            ),
        ];
        for (name, place, req, want) in cases {
            assert_eq!(Holding { grant: Grant::SystemMasters, rules: &rules, place }.allows(&req), want, "{name}");
        }
    }

    #[test]
    fn system_masters_holds_everything() {
        let h = Holding { grant: Grant::SystemMasters, rules: &EVERYTHING, place: Place::Everywhere };
        assert!(h.allows(&Request::resource("*", "*", "*", "", "", "")));
        assert!(h.allows(&Request::non_resource("get", "/metrics")));
    }
}
