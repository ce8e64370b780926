//! The RBAC authorizer, as Kubernetes' `plugin/pkg/auth/authorizer/rbac/rbac.go`: ClusterRoleBindings
//! apply to every request; RoleBindings only to namespaced requests in their own namespace, also
//! when they reference a ClusterRole. Unlike Kubernetes, which stops at the first allow, this keeps
//! going and returns every binding that allows, in Kubernetes' visiting order (ClusterRoleBindings,
//! then RoleBindings), so the first is the one the API server names and the rest are shadowed.
//!
//! Bindings are indexed by subject, so a decision costs the bindings of the caller's username,
//! groups and service account, not all bindings of the cluster.

use super::Request;
use super::rules::rules_allow;
use super::unkept::{is_bounded, names_subject};
use crate::model::{AccessState, PolicyRule, RoleBinding, RoleKind, Subject};
use std::collections::HashMap;

const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// Bindings by subject, and roles by name.
pub struct RbacIndex<'s> {
    state: &'s AccessState,
    by_user: HashMap<&'s str, Vec<usize>>,
    by_group: HashMap<&'s str, Vec<usize>>,
    /// (namespace, name) of the service account.
    by_service_account: HashMap<(&'s str, &'s str), Vec<usize>>,
    /// (namespace or "" for ClusterRoles, name) → rules.
    roles: HashMap<(&'s str, &'s str), &'s [PolicyRule]>,
    /// Bindings whose role does not exist: they grant nothing (Kubernetes logs and skips them).
    pub unresolved: Vec<usize>,
}

impl<'s> RbacIndex<'s> {
    pub fn new(state: &'s AccessState) -> RbacIndex<'s> {
        let roles: HashMap<_, _> = state
            .roles
            .iter()
            .map(|r| ((r.namespace.as_deref().unwrap_or(""), r.name.as_str()), r.rules.as_slice()))
            .collect();
        let mut index = RbacIndex {
            state,
            by_user: HashMap::new(),
            by_group: HashMap::new(),
            by_service_account: HashMap::new(),
            roles,
            unresolved: Vec::new(),
        };
        for (i, b) in state.bindings.iter().enumerate() {
            if index.rules_of(b).is_none() {
                index.unresolved.push(i);
            }
            let binding_ns = b.namespace.as_deref().unwrap_or("");
            for s in &b.subjects {
                match s {
                    Subject::User { name } => index.by_user.entry(name).or_default().push(i),
                    Subject::Group { name } => index.by_group.entry(name).or_default().push(i),
                    Subject::ServiceAccount { namespace, name } => {
                        let ns = if namespace.is_empty() { binding_ns } else { namespace.as_str() };
                        // A ClusterRoleBinding's service account without a namespace names nobody
                        // (Kubernetes' appliesTo).
                        if !ns.is_empty() {
                            index.by_service_account.entry((ns, name)).or_default().push(i);
                        }
                    }
                }
            }
        }
        index
    }

    /// The rules binding `i` grants, if its role exists.
    pub fn binding_rules(&self, i: usize) -> Option<&'s [PolicyRule]> {
        self.rules_of(&self.state.bindings[i])
    }

    /// The rules a binding grants, if its role exists.
    fn rules_of(&self, b: &RoleBinding) -> Option<&'s [PolicyRule]> {
        let ns = match b.role_kind {
            RoleKind::ClusterRole => "",
            RoleKind::Role => b.namespace.as_deref()?,
        };
        self.roles.get(&(ns, b.role_name.as_str())).copied()
    }

    /// Every binding naming the caller (its username, one of its groups, or its service account),
    /// in Kubernetes' visiting order: ClusterRoleBindings, then RoleBindings, each in state order.
    pub fn candidates(&self, username: &str, groups: &[impl AsRef<str>]) -> Vec<usize> {
        let mut candidates: Vec<usize> = Vec::new();
        // An unkept request's username or group with a bound in it is compared with every subject.
        let mut named = |index: &HashMap<&'s str, Vec<usize>>, rendered: &str| {
            if is_bounded(rendered) {
                index.iter().filter(|(s, _)| names_subject(rendered, s)).for_each(|(_, v)| candidates.extend(v));
            } else if let Some(v) = index.get(rendered) {
                candidates.extend(v);
            }
        };
        named(&self.by_user, username);
        for g in groups {
            named(&self.by_group, g.as_ref());
        }
        if is_bounded(username) {
            for ((ns, name), v) in &self.by_service_account {
                if names_subject(username, &format!("{SERVICE_ACCOUNT_PREFIX}{ns}:{name}")) {
                    candidates.extend(v);
                }
            }
        } else if let Some((ns, name)) = username.strip_prefix(SERVICE_ACCOUNT_PREFIX).and_then(|sa| sa.split_once(':'))
            && let Some(v) = self.by_service_account.get(&(ns, name))
        {
            candidates.extend(v);
        }
        let bindings = &self.state.bindings;
        candidates.sort_unstable_by_key(|&i| (bindings[i].namespace.is_some(), i));
        candidates.dedup();
        candidates
    }

    /// Why a binding naming the caller does not allow the request; `None` when it does.
    pub fn why_not(&self, i: usize, req: &Request) -> Option<&'static str> {
        let b = &self.state.bindings[i];
        if let Some(ns) = b.namespace.as_deref() {
            if !req.is_namespaced() {
                return Some("a RoleBinding never applies to cluster-scoped or non-resource requests");
            }
            if req.namespace != ns {
                return Some("a RoleBinding applies only in its own namespace");
            }
        }
        match self.rules_of(b) {
            None => Some("its role does not exist"),
            Some(rules) if !rules_allow(rules, req) => Some("its role's rules do not cover this request"),
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, Subject};

    fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: vec!["".into()],
            resources: resources.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    fn role(ns: Option<&str>, name: &str, rules: Vec<PolicyRule>) -> Role {
        Role { namespace: ns.map(String::from), name: name.into(), rules }
    }

    fn binding(ns: Option<&str>, name: &str, kind: RoleKind, role: &str, subjects: Vec<Subject>) -> RoleBinding {
        RoleBinding {
            namespace: ns.map(String::from),
            name: name.into(),
            role_kind: kind,
            role_name: role.into(),
            subjects,
            system: false,
        }
    }

    fn user(n: &str) -> Subject {
        Subject::User { name: n.into() }
    }
    fn group(n: &str) -> Subject {
        Subject::Group { name: n.into() }
    }
    fn sa(ns: &str, n: &str) -> Subject {
        Subject::ServiceAccount { namespace: ns.into(), name: n.into() }
    }

    /// Allow and deny lists per caller, in the style of Kubernetes' rbac_test.go.
    #[test]
    fn bindings_that_allow_follow_kubernetes_binding_semantics() {
        use RoleKind::*;
        let state = AccessState {
            roles: vec![
                role(None, "pod-reader", vec![rule(&["get", "list"], &["pods"])]),
                role(Some("dev"), "secret-reader", vec![rule(&["get"], &["secrets"])]),
                role(None, "node-reader", vec![rule(&["get"], &["nodes"])]),
                role(
                    None,
                    "health",
                    vec![PolicyRule {
                        verbs: vec!["get".into()],
                        non_resource_urls: vec!["/healthz".into(), "/livez".into()],
                        ..PolicyRule::default()
                    }],
                ),
            ],
            bindings: vec![
                // 0: a RoleBinding to a ClusterRole grants it only in its namespace.
                binding(Some("dev"), "alice-pods", ClusterRole, "pod-reader", vec![user("alice")]),
                // 1: a RoleBinding to a Role.
                binding(Some("dev"), "ops-secrets", Role, "secret-reader", vec![group("ops")]),
                // 2: a ServiceAccount subject without namespace means the binding's namespace.
                binding(Some("dev"), "sa-pods", ClusterRole, "pod-reader", vec![sa("", "builder")]),
                // 3: a ClusterRoleBinding grants everywhere, and cluster-scoped resources.
                binding(None, "ops-nodes", ClusterRole, "node-reader", vec![group("ops")]),
                // 4: a binding whose role does not exist grants nothing.
                binding(None, "ghost", ClusterRole, "missing", vec![user("alice")]),
                // 5: a ClusterRoleBinding that repeats binding 0 for alice everywhere.
                binding(None, "alice-pods-everywhere", ClusterRole, "pod-reader", vec![user("alice")]),
                // 8 (pushed below): a ClusterRoleBinding's service account without a namespace.
                // 6, 7: URL rules count only through ClusterRoleBindings.
                binding(Some("dev"), "hal-health", ClusterRole, "health", vec![user("hal")]),
                binding(None, "hal-live", ClusterRole, "health", vec![user("hal")]),
            ],
            ..AccessState::default()
        };
        let mut state = state;
        state.bindings.push(binding(None, "sa-no-ns", ClusterRole, "pod-reader", vec![sa("", "builder")]));
        let idx = RbacIndex::new(&state);
        // Every binding that allows, in Kubernetes' visiting order (the chain does the same).
        let allowing = |username: &str, groups: &[&str], req: &Request| -> Vec<usize> {
            idx.candidates(username, groups).into_iter().filter(|&i| idx.why_not(i, req).is_none()).collect()
        };
        assert_eq!(idx.unresolved, vec![4]);
        let pods_dev = Request::resource("get", "", "pods", "", "dev", "p");
        let pods_prod = Request::resource("get", "", "pods", "", "prod", "p");
        // (case, username, groups, request, allowing bindings)
        type Case<'a> = (&'a str, &'a str, Vec<&'a str>, Request<'a>, Vec<usize>);
        let cases: Vec<Case> = vec![
            ("ClusterRoleBindings come before RoleBindings", "alice", vec![], pods_dev, vec![5, 0]),
            ("a RoleBinding does not apply outside its namespace", "alice", vec![], pods_prod, vec![5]),
            ("group subjects", "bob", vec!["ops"], Request::resource("get", "", "secrets", "", "dev", "s"), vec![1]),
            (
                "a Role's rules do not reach other verbs",
                "bob",
                vec!["ops"],
                Request::resource("list", "", "secrets", "", "dev", ""),
                vec![],
            ),
            (
                "only ClusterRoleBindings apply to cluster-scoped resources",
                "bob",
                vec!["ops"],
                Request::resource("get", "", "nodes", "", "", "n1"),
                vec![3],
            ),
            (
                "RoleBindings never apply to cluster-scoped requests",
                "alice",
                vec![],
                Request::resource("list", "", "pods", "", "", ""),
                vec![5],
            ),
            (
                "service account in the binding's namespace",
                "system:serviceaccount:dev:builder",
                vec![],
                pods_dev,
                vec![2],
            ),
            ("service account of another namespace", "system:serviceaccount:prod:builder", vec![], pods_dev, vec![]),
            (
                "a ClusterRoleBinding's service account without a namespace names nobody",
                "system:serviceaccount::builder",
                vec![],
                pods_prod,
                vec![],
            ),
            (
                "of a RoleBinding and a ClusterRoleBinding granting a URL, only the latter applies",
                "hal",
                vec![],
                Request::non_resource("get", "/healthz"),
                vec![7],
            ),
            (
                "a user named like a group is not the group",
                "ops",
                vec![],
                Request::resource("get", "", "nodes", "", "", "n1"),
                vec![],
            ),
        ];
        for (name, username, groups, req, want) in cases {
            let got = allowing(username, &groups, &req);
            assert_eq!(got, want, "{name}");
        }
    }
}
