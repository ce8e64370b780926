//! The Kubernetes bootstrap RBAC every cluster has, embedded (see `bootstrap/SOURCE.md` for where
//! each file comes from).

use super::builder::Builder;
use super::load::load_text;
use std::sync::LazyLock;

const FILES: [(&str, &str); 6] = [
    ("bootstrap/cluster-roles.yaml", include_str!("bootstrap/cluster-roles.yaml")),
    ("bootstrap/controller-roles.yaml", include_str!("bootstrap/controller-roles.yaml")),
    ("bootstrap/cluster-role-bindings.yaml", include_str!("bootstrap/cluster-role-bindings.yaml")),
    // Without these the `system:controller:*` roles bind nobody, and every controller's request
    // (replicaset-controller creating pods, ...) would be decided as denied.
    ("bootstrap/controller-role-bindings.yaml", include_str!("bootstrap/controller-role-bindings.yaml")),
    ("bootstrap/namespace-roles.yaml", include_str!("bootstrap/namespace-roles.yaml")),
    ("bootstrap/namespace-role-bindings.yaml", include_str!("bootstrap/namespace-role-bindings.yaml")),
];

/// A builder holding the bootstrap objects, before any file the user gives. They are decoded
/// once in a process (the first state costs a millisecond more) and copied for every state after.
pub(super) fn builder() -> Builder {
    static DECODED: LazyLock<Builder> = LazyLock::new(|| decode(Builder::default()));
    DECODED.clone()
}

/// Decodes the bootstrap objects into `b`.
pub(super) fn decode(mut b: Builder) -> Builder {
    for (name, text) in FILES {
        load_text(&mut b, name, text).expect("embedded bootstrap RBAC is valid");
    }
    b
}

#[cfg(test)]
mod tests {
    use crate::model::{AccessState, RoleKind, Subject};

    fn bootstrap() -> AccessState {
        super::super::load_files(&[] as &[&str], Some("c")).unwrap().state
    }

    #[test]
    fn every_state_has_the_bootstrap_rbac() {
        let s = bootstrap();
        let crb = |name: &str| {
            s.bindings.iter().find(|b| b.namespace.is_none() && b.name == name).unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(crb("cluster-admin").subjects, vec![Subject::Group { name: "system:masters".into() }]);
        assert_eq!(crb("system:public-info-viewer").role_kind, RoleKind::ClusterRole);
        assert!(s.roles.iter().filter(|r| r.namespace.is_none()).count() >= 70, "cluster roles and controller roles");
        assert!(s.roles.iter().any(|r| r.namespace.as_deref() == Some("kube-system")), "namespace roles");
    }

    #[test]
    fn every_bootstrap_binding_resolves_and_each_controller_binds_its_service_account() {
        let s = bootstrap();
        assert_eq!(crate::authz::Authorizer::new(&s).warnings, Vec::<String>::new(), "no dangling bootstrap binding");
        let controllers: Vec<_> =
            s.bindings.iter().filter(|b| b.name.starts_with("system:controller:") && b.namespace.is_none()).collect();
        assert!(controllers.len() >= 35, "{}", controllers.len());
        for b in controllers {
            let sa = b.name.trim_start_matches("system:controller:");
            assert_eq!(
                (b.role_name.as_str(), &b.subjects[..]),
                (b.name.as_str(), &[Subject::ServiceAccount { namespace: "kube-system".into(), name: sa.into() }][..]),
                "{}",
                b.name
            );
        }
    }

    #[test]
    fn aggregated_roles_are_filled_as_the_controller_would() {
        let s = bootstrap();
        let rules = |name: &str| &s.roles.iter().find(|r| r.namespace.is_none() && r.name == name).unwrap().rules;
        let allows = |name: &str, verb: &str, group: &str, resource: &str| {
            rules(name).iter().any(|r| {
                crate::authz::rules::verb_matches(r, verb)
                    && crate::authz::rules::api_group_matches(r, group)
                    && crate::authz::rules::resource_matches(r, resource, "")
            })
        };
        assert!(allows("view", "list", "", "pods"));
        assert!(!allows("view", "get", "", "secrets"), "view never reads secrets");
        assert!(allows("edit", "create", "apps", "deployments"), "edit from system:aggregate-to-edit");
        assert!(allows("admin", "create", "apps", "deployments"), "admin includes edit, itself aggregated");
        assert!(allows("admin", "create", "rbac.authorization.k8s.io", "rolebindings"));
        assert!(!allows("edit", "create", "rbac.authorization.k8s.io", "rolebindings"));
    }
}
