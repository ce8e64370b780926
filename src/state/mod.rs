//! Building an [`AccessState`] from the files a user already has: eksctl `ClusterConfig` YAML,
//! Kubernetes manifests as kubectl prints or applies them (Roles, ClusterRoles, bindings, the
//! `kube-system/aws-auth` ConfigMap; multi-document YAML, JSON, `kind: List`), and grantscope's own
//! snapshot JSON. The type of each file is told from its content.
//!
//! The Kubernetes bootstrap roles and bindings are part of every state built from files, as they
//! are part of every cluster. Objects met later replace earlier ones with the same identity, as
//! `kubectl apply` would; aggregated ClusterRoles are filled as the controller fills them.
//!
//! Unknown fields are ignored; an invalid value fails with the file, the document and the field path.
//!
//! Loading is fast enough for a pull request's check to start at once (3,000 objects in about
//! 11 ms on one core, BENCHMARKS.md): YAML in the block style `helm template` and kubectl print is
//! read by a reader of its own (`fast_yaml`), everything else by serde-saphyr; the fields kept are
//! read into a tree whose keys borrow the text (`tree`), RBAC objects moved out of it (`lean`); the
//! bootstrap RBAC is decoded once per process.

mod aggregation;
mod bootstrap;
mod builder;
mod decode;
mod documents;
mod eksctl;
mod error;
mod fast_yaml;
mod field;
mod files;
mod kubernetes;
mod lean;
mod live;
mod load;
mod objects;
mod shrink;
mod snapshot;
mod tree;
#[cfg(test)]
mod yaml_equivalence;

pub use builder::{Loaded, canonical_order};
pub use error::StateError;
pub use files::state_files;
pub use live::{LiveParts, assemble};
pub use shrink::{Shrink, grant_count, shrinks};
pub use snapshot::{SNAPSHOT_VERSION, Snapshot};

use std::path::Path;

/// Loads and merges state files, in order, on top of the Kubernetes bootstrap RBAC.
/// `cluster` names the cluster when no file does (or overrides what they say).
pub fn load_files(paths: &[impl AsRef<Path>], cluster: Option<&str>) -> Result<Loaded, StateError> {
    let mut b = bootstrap::builder();
    for path in paths {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StateError::Read { file: file.clone(), source })?;
        load::load_text(&mut b, &file, &text)?;
    }
    Ok(b.finish(cluster))
}

/// The state of YAML texts on top of the Kubernetes bootstrap RBAC, for other modules' tests.
#[cfg(test)]
pub(crate) fn from_texts(texts: &[&str]) -> crate::model::AccessState {
    let mut b = bootstrap::builder();
    // An empty text stands for a file not given (a file given empty is an error).
    for (i, t) in texts.iter().enumerate().filter(|(_, t)| !t.trim().is_empty()) {
        load::load_text(&mut b, &format!("text {i}"), t).expect("valid test state");
    }
    b.finish(Some("c")).state
}

#[cfg(test)]
mod tests {
    use super::builder::Builder;
    use super::load::load_text;
    use super::*;
    use crate::model::{AccessState, RoleKind, Subject};

    fn load(texts: &[&str]) -> AccessState {
        let mut b = Builder::default();
        for (i, t) in texts.iter().enumerate() {
            load_text(&mut b, &format!("f{i}"), t).unwrap();
        }
        b.finish(Some("c")).state
    }

    #[test]
    fn aws_auth_keys_match_ignoring_case_and_account_numbers_are_kept() {
        let s = load(&[r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - roleARN: arn:aws:iam::1:role/a
      Username: a
      groups: [g]
  mapAccounts: |
    - 111122223333
    - "444455556666"
    - 012345678901
    - 012345678901
"#]);
        assert_eq!(s.aws_auth.map_roles[0].arn, "arn:aws:iam::1:role/a");
        assert_eq!(s.aws_auth.map_roles[0].username, "a");
        assert_eq!(
            s.aws_auth.map_accounts,
            ["111122223333", "444455556666", "012345678901"],
            "zeros restored, duplicates dropped"
        );
    }

    #[test]
    fn lists_json_and_later_objects_replacing_earlier_ones() {
        let list = r#"{"apiVersion":"v1","kind":"List","items":[
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"dev"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"ServiceAccount","name":"app"}]}]}"#;
        let replaced = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: dev}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: Group, name: devs}]\n";
        let s = load(&[list, replaced]);
        let rb: Vec<_> = s.bindings.iter().filter(|b| b.namespace.as_deref() == Some("dev")).collect();
        assert_eq!(rb.len(), 1, "same namespace and name: replaced, not added");
        assert_eq!((rb[0].role_kind, rb[0].role_name.as_str()), (RoleKind::ClusterRole, "edit"));
        assert_eq!(rb[0].subjects, [Subject::Group { name: "devs".into() }]);
        let s = load(&[list]);
        let sa = &s.bindings.iter().find(|b| b.name == "rb").unwrap().subjects[0];
        assert_eq!(
            *sa,
            Subject::ServiceAccount { namespace: String::new(), name: "app".into() },
            "namespace resolved at evaluation"
        );
    }

    #[test]
    fn the_configmap_is_the_truth_about_aws_auth_whatever_the_order() {
        let eksctl = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\niamIdentityMappings:\n  - arn: arn:aws:iam::1:user/bob\n    username: bob\n    groups: [x]\n";
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::1:user/bob\n      username: bob\n      groups: [devs]\n";
        assert_eq!(load(&[eksctl]).aws_auth.map_users[0].groups, ["x"], "eksctl mappings alone");
        assert_eq!(load(&[eksctl, cm]), load(&[cm, eksctl]));
        assert_eq!(load(&[eksctl, cm]).aws_auth.map_users[0].groups, ["devs"]);
    }

    #[test]
    fn a_snapshot_keeps_what_was_aggregated_into_built_in_roles() {
        let crd_viewer = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: \"true\"}\nrules: [{apiGroups: [example.com], resources: [widgets], verbs: [get]}]\n";
        let has_widgets = |s: &AccessState| {
            s.roles
                .iter()
                .find(|r| r.namespace.is_none() && r.name == "view")
                .unwrap()
                .rules
                .iter()
                .any(|r| r.resources == ["widgets"])
        };
        let mut b = bootstrap::builder();
        load_text(&mut b, "crd.yaml", crd_viewer).unwrap();
        let original = b.finish(Some("c")).state;
        assert!(has_widgets(&original), "view aggregates the CRD's role");
        let text = serde_json::to_string(&Snapshot::new(original.clone())).unwrap();
        let mut b = bootstrap::builder();
        load_text(&mut b, "snapshot.json", &text).unwrap();
        let reloaded = b.finish(Some("c")).state;
        assert!(has_widgets(&reloaded));
        assert_eq!(reloaded, original, "a snapshot reloads to the very state it was taken of");
    }

    #[test]
    fn custom_aggregated_cluster_roles_are_filled() {
        let yaml = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors:\n  - matchExpressions: [{key: team, operator: In, values: [sre]}]\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {team: sre}}\nrules: [{apiGroups: [''], resources: [nodes], verbs: [get]}]\n";
        let s = load(&[yaml]);
        let agg = s.roles.iter().find(|r| r.name == "agg").unwrap();
        assert_eq!(agg.rules.len(), 1);
        assert_eq!(agg.rules[0].resources, ["nodes"]);
    }
}
