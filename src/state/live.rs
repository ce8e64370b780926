//! The access state from the live APIs: the EKS part (authentication mode, access entries and
//! their policies) and the Kubernetes part (RBAC objects and the aws-auth ConfigMap, as the API
//! returns them). A part that could not be read is taken from the previous version, so one
//! unreachable API never empties the state; the caller records which parts are fresh.

use super::bootstrap;
use super::builder::{Loaded, canonical_order};
use super::error::StateError;
use super::objects::load_object;
use super::tree::Tree;
use crate::model::{AccessEntry, AccessState, AuthenticationMode};
use serde_json::Value;

/// What each API gave; `None` where it failed (the previous version's part is kept).
pub struct LiveParts<'a> {
    pub cluster: &'a str,
    pub eks: Option<(AuthenticationMode, Vec<AccessEntry>)>,
    pub kubernetes: Option<Vec<Value>>,
    pub previous: Option<&'a AccessState>,
}

/// Puts the parts together; Kubernetes objects go through the same loader as kubectl YAML files.
pub fn assemble(parts: LiveParts) -> Result<Loaded, StateError> {
    let mut b = bootstrap::builder();
    let from_api = parts.kubernetes.is_some();
    for (i, object) in parts.kubernetes.into_iter().flatten().enumerate() {
        load_object(&mut b, Tree::from(object), "").map_err(|e| StateError::Invalid {
            file: "Kubernetes API".into(),
            document: i + 1,
            line: 0,
            path: e.path,
            message: e.message,
        })?;
    }
    let Loaded { state: kubernetes, warnings } = b.finish(Some(parts.cluster));
    let kept = parts.previous.filter(|_| !from_api);
    let (mode, entries) = match (parts.eks, parts.previous) {
        (Some(eks), _) => eks,
        (None, Some(p)) => (p.authentication_mode, p.access_entries.clone()),
        (None, None) => (AuthenticationMode::default(), Vec::new()),
    };
    let mut state = AccessState {
        cluster: parts.cluster.to_string(),
        authentication_mode: mode,
        access_entries: entries,
        aws_auth: kept.map_or(kubernetes.aws_auth, |p| p.aws_auth.clone()),
        roles: kept.map_or(kubernetes.roles, |p| p.roles.clone()),
        bindings: kept.map_or(kubernetes.bindings, |p| p.bindings.clone()),
    };
    canonical_order(&mut state);
    Ok(Loaded { state, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(arn: &str) -> AccessEntry {
        AccessEntry::test_viewer(arn)
    }

    fn binding(name: &str) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "Group", "name": "devs"}]})
    }

    #[test]
    fn a_missing_part_is_the_previous_version_s() {
        let previous = assemble(LiveParts {
            cluster: "c",
            eks: Some((AuthenticationMode::Api, vec![entry("arn:aws:iam::1:role/old")])),
            kubernetes: Some(vec![binding("old-binding")]),
            previous: None,
        })
        .unwrap()
        .state;
        let has = |s: &AccessState, name: &str| s.bindings.iter().any(|b| b.name == name);
        assert!(has(&previous, "old-binding") && has(&previous, "cluster-admin"), "API objects on top of the defaults");

        let cases = [
            ("both fresh", true, true, "new", "new-binding"),
            ("Kubernetes unreachable", true, false, "new", "old-binding"),
            ("EKS unreachable", false, true, "old", "new-binding"),
        ];
        for (name, eks, kubernetes, want_entry, want_binding) in cases {
            let s = assemble(LiveParts {
                cluster: "c",
                eks: eks.then(|| (AuthenticationMode::Api, vec![entry("arn:aws:iam::1:role/new")])),
                kubernetes: kubernetes.then(|| vec![binding("new-binding")]),
                previous: Some(&previous),
            })
            .unwrap()
            .state;
            assert_eq!(s.access_entries[0].principal_arn, format!("arn:aws:iam::1:role/{want_entry}"), "{name}");
            assert!(has(&s, want_binding) && has(&s, "cluster-admin"), "{name}");
            assert_eq!(s.bindings.iter().filter(|b| b.name.ends_with("-binding")).count(), 1, "{name}");
        }
    }

    #[test]
    fn a_bad_object_names_its_place_in_the_answer() {
        let mut bad = binding("x");
        bad["roleRef"]["kind"] = json!("Secret");
        let err =
            assemble(LiveParts { cluster: "c", eks: None, kubernetes: Some(vec![binding("a"), bad]), previous: None })
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("Kubernetes API: document 2: roleRef.kind"), "{err}");
    }
}
