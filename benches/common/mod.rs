//! State and request-shape generators shared by the benchmarks.

#![allow(dead_code)] // each benchmark uses a different subset

use grantscope::model::{
    AccessEntry, AccessEntryType, AccessScope, AccessState, AuthenticationMode, PolicyAssociation, PolicyRule,
    RequestShape, Role, RoleBinding, RoleKind, Subject,
};
use std::borrow::Cow;

const POLICIES: [&str; 4] = [
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
];
const VERBS: [&str; 6] = ["get", "list", "watch", "create", "patch", "delete"];
const RESOURCES: [&str; 6] = ["pods", "configmaps", "secrets", "services", "deployments", "jobs"];

fn rule(i: usize) -> PolicyRule {
    PolicyRule {
        verbs: vec![VERBS[i % 6].into(), VERBS[(i + 1) % 6].into()],
        api_groups: vec!["".into(), "apps".into()],
        resources: vec![RESOURCES[i % 6].into(), RESOURCES[(i + 2) % 6].into()],
        ..PolicyRule::default()
    }
}

/// `entries` access entries, `bindings` bindings over `roles` roles; the first 500/2000/1000 are the
/// callers' own, the rest are `prefix`-named grants for principals and groups nobody uses.
pub fn state(entries: usize, bindings: usize, roles: usize) -> AccessState {
    let mut s = AccessState {
        cluster: "bench".into(),
        authentication_mode: AuthenticationMode::ApiAndConfigMap,
        ..AccessState::default()
    };
    for i in 0..entries {
        let scope = if i % 3 == 0 {
            AccessScope::Cluster
        } else {
            AccessScope::Namespace { namespaces: vec![format!("team-{}", i % 50), "dev-*".into()] }
        };
        s.access_entries.push(AccessEntry {
            principal_arn: format!("arn:aws:iam::111122223333:role/role-{i}"),
            entry_type: AccessEntryType::Standard,
            username: None,
            kubernetes_groups: vec![format!("group-{}", i % (bindings / 4).max(1))],
            policies: vec![PolicyAssociation { policy_arn: POLICIES[i % 4].into(), scope, associated_at_ms: None }],
            created_at_ms: None,
        });
    }
    for i in 0..roles {
        let namespace = (i % 2 == 1).then(|| format!("team-{}", i % 50));
        s.roles.push(Role { namespace, name: format!("role-{i}"), rules: (0..4).map(|j| rule(i + j)).collect() });
    }
    for i in 0..bindings {
        let r = i % roles;
        let namespace = (r % 2 == 1).then(|| format!("team-{}", r % 50));
        let subject = match i % 4 {
            0 => Subject::User { name: format!("user-{i}") },
            1 => Subject::ServiceAccount { namespace: format!("team-{}", i % 50), name: format!("sa-{i}") },
            _ => Subject::Group { name: format!("group-{}", i / 4) },
        };
        let role_kind = if namespace.is_some() { RoleKind::Role } else { RoleKind::ClusterRole };
        s.bindings.push(RoleBinding {
            namespace,
            name: format!("binding-{i}"),
            role_kind,
            role_name: format!("role-{r}"),
            subjects: vec![subject],
            system: false,
        });
    }
    s
}

/// Request shapes from the first 500 principals and bindings' subjects: IAM roles with sessions,
/// users, service accounts; a realistic verb/resource mix over 50 namespaces.
pub fn shapes(n: usize) -> Vec<RequestShape<'static>> {
    (0..n)
        .map(|i| {
            let (principal, iam, username) = match i % 3 {
                0 | 1 => (format!("arn:aws:iam::111122223333:role/role-{}", i % 500), true, String::new()),
                _ => {
                    let sa = format!("system:serviceaccount:team-{}:sa-{}", (i * 7) % 50, (i % 500) * 4 + 1);
                    (sa.clone(), false, sa)
                }
            };
            RequestShape {
                cluster: "bench".into(),
                principal: Cow::Owned(principal),
                iam,
                username: Cow::Owned(username),
                groups: if iam { vec![] } else { vec!["system:serviceaccounts".into(), "system:authenticated".into()] },
                session_name: Cow::Owned(format!("session-{}", i % 7)),
                verb: VERBS[i % 6].into(),
                api_group: if i % 5 == 0 { "apps".into() } else { "".into() },
                resource: RESOURCES[(i / 6) % 6].into(),
                subresource: "".into(),
                namespace: if i % 11 == 0 { "".into() } else { Cow::Owned(format!("team-{}", (i * 7) % 50)) },
                name: "".into(),
                path: "".into(),
                access_key_id: "".into(),
                unkept: grantscope::model::Unkept::NONE,
            }
        })
        .collect()
}
