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
mod decode;
mod documents;
mod eksctl;
mod fast_yaml;
mod files;
mod kubernetes;
mod lean;
mod live;
mod shrink;
mod snapshot;
mod tree;
#[cfg(test)]
mod yaml_equivalence;

pub use files::state_files;
pub use live::{LiveParts, assemble};
pub use shrink::{Shrink, grant_count, shrinks};
pub use snapshot::{SNAPSHOT_VERSION, Snapshot};

use crate::model::{AccessEntry, AccessState, AuthenticationMode, AwsAuth, IdentityMapping, Role, RoleBinding};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use tree::Tree;

/// A state file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{file}: {source}")]
    Read { file: String, source: std::io::Error },
    /// `line` is the file's line where parsing stopped (0 when there is no file: the API).
    #[error("{file}{}: document {document}: not valid YAML or JSON: {message}", at_line(*line))]
    Syntax { file: String, document: usize, line: usize, message: String },
    /// A value that does not mean anything: `path` is the field, as `accessConfig.accessEntries[1].principalARN`.
    #[error("{file}{}: document {document}: {path}: {message}", at_line(*line))]
    Invalid { file: String, document: usize, line: usize, path: String, message: String },
    /// A file from which nothing was read: empty, only comments, or other kinds of objects.
    #[error("{file}: nothing read: {reason}")]
    NothingRead { file: String, reason: String },
}

fn at_line(line: usize) -> String {
    if line == 0 { String::new() } else { format!(":{line}") }
}

/// An invalid value inside one document, before the file and document are known.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { path: path.into(), message: message.into() }
    }

    /// A typed deserialization failure, with the path serde_path_to_error tracked.
    pub fn from_serde(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") | (false, "") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        FieldError {
            path: if path.is_empty() || path == "." { "(document)".into() } else { path },
            message: e.into_inner().to_string(),
        }
    }
}

/// Deserializes `value` as `T`, naming the failing field. Tracking the path costs more than the
/// deserializing itself, so it is done only to name the field of a value that failed.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(prefix: &str, value: Value) -> Result<T, FieldError> {
    match T::deserialize(&value) {
        Ok(t) => Ok(t),
        Err(_) => serde_path_to_error::deserialize(value).map_err(|e| FieldError::from_serde(prefix, e)),
    }
}

/// A loaded state and what was noticed while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub state: AccessState,
    pub warnings: Vec<String>,
}

/// Accumulates objects from several files; later objects replace earlier ones with the same identity.
#[derive(Default, Clone)]
pub(crate) struct Builder {
    cluster: Option<String>,
    mode: Option<AuthenticationMode>,
    entries: Keyed<String, AccessEntry>,
    /// The aws-auth ConfigMap, when a file holds it: the truth about aws-auth, whatever the order.
    aws_auth: Option<AwsAuth>,
    /// eksctl's `iamIdentityMappings`: what eksctl writes into aws-auth, used when no ConfigMap is given.
    eksctl_mappings: AwsAuth,
    roles: Keyed<(Option<String>, String), Role>,
    bindings: Keyed<(bool, Option<String>, String), RoleBinding>,
    /// ClusterRole name → (its labels, its aggregation selectors if any).
    pub(crate) cluster_role_meta: HashMap<String, aggregation::RoleMeta>,
    warnings: Vec<String>,
    /// How many objects grantscope reads were met: a file adding none is an error.
    pub(crate) read: usize,
    /// The file, document and line being read, for warnings (put together only for one).
    position: (String, usize, usize),
    /// Every YAML document read by serde-saphyr, for the tests that compare it with the fast reader.
    pub(crate) full_yaml_parser_only: bool,
}

/// A list where pushing an item with a known key replaces the earlier one in place.
#[derive(Clone)]
struct Keyed<K, V> {
    items: Vec<V>,
    index: HashMap<K, usize>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed { items: Vec::new(), index: HashMap::new() }
    }
}

impl<K: std::hash::Hash + Eq, V> Keyed<K, V> {
    fn put(&mut self, key: K, value: V) {
        match self.index.get(&key) {
            Some(&i) => self.items[i] = value,
            None => {
                self.index.insert(key, self.items.len());
                self.items.push(value);
            }
        }
    }
}

impl Builder {
    /// Where the objects that follow come from.
    pub fn at(&mut self, file: &str, document: usize, line: usize) {
        if self.position.0 != file {
            self.position.0 = file.to_string();
        }
        (self.position.1, self.position.2) = (document, line);
    }

    /// A warning about a value of the current document: `path` is the field.
    pub fn warn_at(&mut self, path: &str, message: impl std::fmt::Display) {
        let (file, document, line) = &self.position;
        self.warnings.push(format!("{file}{}: document {document}: {path}: {message}", at_line(*line)));
    }

    pub fn set_cluster(&mut self, name: &str) {
        self.read += 1;
        if self.cluster.as_deref().is_some_and(|c| c != name) {
            self.warnings.push(format!(
                "files name different clusters ({} and {name}); using {name}",
                self.cluster.as_deref().unwrap_or_default()
            ));
        }
        self.cluster = Some(name.to_string());
    }

    pub fn set_mode(&mut self, mode: AuthenticationMode) {
        self.read += 1;
        self.mode = Some(mode);
    }

    pub fn add_entry(&mut self, e: AccessEntry) {
        self.read += 1;
        self.entries.put(e.principal_arn.clone(), e);
    }

    pub fn add_role(&mut self, r: Role) {
        self.read += 1;
        self.roles.put((r.namespace.clone(), r.name.clone()), r);
    }

    pub fn add_binding(&mut self, b: RoleBinding) {
        self.read += 1;
        self.bindings.put((b.namespace.is_none(), b.namespace.clone(), b.name.clone()), b);
    }

    /// The aws-auth ConfigMap (or a snapshot's aws-auth) replaces any given before it.
    pub fn set_aws_auth(&mut self, aws_auth: AwsAuth) {
        self.read += 1;
        self.aws_auth = Some(aws_auth);
    }

    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The mapping eksctl's `iamIdentityMappings` gave this ARN last, if any.
    pub fn eksctl_mapping(&self, arn: &str) -> Option<&IdentityMapping> {
        let a = &self.eksctl_mappings;
        a.map_roles.iter().chain(&a.map_users).rev().find(|m| m.arn == arn)
    }

    pub fn add_mapping_role(&mut self, m: IdentityMapping) {
        self.read += 1;
        self.eksctl_mappings.map_roles.push(m);
    }

    pub fn add_mapping_user(&mut self, m: IdentityMapping) {
        self.read += 1;
        self.eksctl_mappings.map_users.push(m);
    }

    pub fn add_mapping_account(&mut self, account: String) {
        self.read += 1;
        if !self.eksctl_mappings.map_accounts.contains(&account) {
            self.eksctl_mappings.map_accounts.push(account);
        }
    }

    fn finish(mut self, cluster_override: Option<&str>) -> Loaded {
        let roles = self.roles.items;
        if self.mode.is_none() && !self.entries.items.is_empty() {
            self.warnings.push("no authentication mode given (an eksctl ClusterConfig or a snapshot names it); assuming API_AND_CONFIG_MAP, eksctl's default".into());
        }
        let mut state = AccessState {
            cluster: cluster_override.map(String::from).or(self.cluster).unwrap_or_default(),
            authentication_mode: self.mode.unwrap_or_default(),
            access_entries: self.entries.items,
            // eksctl writes its mappings into the ConfigMap, so a ConfigMap given too already holds them.
            aws_auth: self.aws_auth.unwrap_or(self.eksctl_mappings),
            roles,
            bindings: self.bindings.items,
        };
        // Sorted first, so aggregated rules come in the same order whatever the file order.
        canonical_order(&mut state);
        aggregation::aggregate(&mut state.roles, &self.cluster_role_meta);
        Loaded { state, warnings: self.warnings }
    }
}

/// Sorts what order does not matter for, so the same configuration always serializes (and hashes)
/// the same whatever order its files were given in. aws-auth mapping order is kept: duplicates
/// resolve by it.
pub fn canonical_order(state: &mut AccessState) {
    state.access_entries.sort_by(|a, b| a.principal_arn.cmp(&b.principal_arn));
    for e in &mut state.access_entries {
        e.policies.sort_by(|a, b| (&a.policy_arn, a.scope.to_string()).cmp(&(&b.policy_arn, b.scope.to_string())));
    }
    state.roles.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    state.bindings.sort_by(|a, b| {
        (a.namespace.is_some(), &a.namespace, &a.name).cmp(&(b.namespace.is_some(), &b.namespace, &b.name))
    });
}

/// Loads and merges state files, in order, on top of the Kubernetes bootstrap RBAC.
/// `cluster` names the cluster when no file does (or overrides what they say).
pub fn load_files(paths: &[impl AsRef<Path>], cluster: Option<&str>) -> Result<Loaded, StateError> {
    let mut b = bootstrap::builder();
    for path in paths {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StateError::Read { file: file.clone(), source })?;
        load_text(&mut b, &file, &text)?;
    }
    Ok(b.finish(cluster))
}

/// The state of YAML texts on top of the Kubernetes bootstrap RBAC, for other modules' tests.
#[cfg(test)]
pub(crate) fn from_texts(texts: &[&str]) -> AccessState {
    let mut b = bootstrap::builder();
    // An empty text stands for a file not given (a file given empty is an error).
    for (i, t) in texts.iter().enumerate().filter(|(_, t)| !t.trim().is_empty()) {
        load_text(&mut b, &format!("text {i}"), t).expect("valid test state");
    }
    b.finish(Some("c")).state
}

/// Limits for one YAML document. Without aliases every node costs input bytes, so node, event and
/// scalar-byte counts need no cap of their own beyond the input's size (a real cluster's List is
/// millions of nodes); what a small input can blow up is alias expansion, which keeps serde-saphyr's
/// limits (1,000,000 replayed events per document, the alias/anchor ratio).
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: usize::MAX,
            max_nodes: usize::MAX,
            max_total_scalar_bytes: usize::MAX,
        },
        with_snippet: false,
    }
}

/// Loads one file's text into the builder: a snapshot, one JSON document, or YAML documents one
/// at a time. A file that gives nothing grantscope reads is an error: an empty, truncated or wrong
/// file must never pass for a cluster without access.
pub(crate) fn load_text(b: &mut Builder, file: &str, text: &str) -> Result<(), StateError> {
    let before = b.read;
    if snapshot::is_snapshot(text) {
        b.at(file, 1, 1);
        snapshot::load(b, text).map_err(|e| StateError::Invalid {
            file: file.into(),
            document: 1,
            line: 1,
            path: e.path,
            message: e.message,
        })?;
    } else if documents::is_json(text) {
        load_json(b, file, text)?;
    } else {
        for doc in documents::yaml_documents(text) {
            load_yaml_document(b, file, &doc)?;
        }
    }
    if b.read > before {
        return Ok(());
    }
    let reason = if text.trim().is_empty() {
        "the file is empty"
    } else if !documents::is_json(text) && documents::is_blank(text) {
        "the file holds only comments"
    } else {
        "no document in it is an object grantscope reads (Role, ClusterRole, RoleBinding, ClusterRoleBinding, the kube-system/aws-auth ConfigMap, an eksctl ClusterConfig, a List of them, a grantscope snapshot)"
    };
    Err(StateError::NothingRead { file: file.into(), reason: reason.into() })
}

/// One JSON document (kubectl's `-o json`: one object or a `List`), items streamed.
fn load_json(b: &mut Builder, file: &str, text: &str) -> Result<(), StateError> {
    b.at(file, 1, 1);
    let mut sink = decode::ObjectSink { builder: b, error: None };
    let mut de = serde_json::Deserializer::from_str(text);
    let outcome = serde::de::DeserializeSeed::deserialize(
        decode::DocumentSeed { sink: &mut sink, prefix: String::new() },
        &mut de,
    )
    .and_then(|()| de.end());
    outcome.map_err(|e| match sink.error.take() {
        Some(f) => {
            StateError::Invalid { file: file.into(), document: 1, line: e.line(), path: f.path, message: f.message }
        }
        None => StateError::Syntax { file: file.into(), document: 1, line: e.line(), message: e.to_string() },
    })
}

/// One YAML document, with its own parsing limits; errors name its number and the file's line.
/// The fast reader reads what `helm template` and kubectl print. What it leaves, serde-saphyr reads
/// from the document's start (nothing of it reached the builder); an invalid value it met,
/// serde-saphyr meets again and reports, so every error reads the same whichever reader found it
/// (the load stops there: what the document put into the builder twice is never used).
fn load_yaml_document(b: &mut Builder, file: &str, doc: &documents::Document) -> Result<(), StateError> {
    b.at(file, doc.number, doc.line);
    if !b.full_yaml_parser_only {
        let read = b.read;
        let mut sink = decode::ObjectSink { builder: b, error: None };
        let seed = decode::DocumentSeed { sink: &mut sink, prefix: String::new() };
        match fast_yaml::deserialize(doc.text, seed) {
            Ok(()) => return Ok(()),
            Err(fast_yaml::Error::Unsupported { .. }) => debug_assert_eq!(b.read, read, "given up before loading"),
            Err(fast_yaml::Error::Custom(_)) => {}
        }
    }
    let mut sink = decode::ObjectSink { builder: b, error: None };
    let outcome = serde_saphyr::with_deserializer_from_str_with_options(doc.text, yaml_options(), |de| {
        serde::de::DeserializeSeed::deserialize(decode::DocumentSeed { sink: &mut sink, prefix: String::new() }, de)
    });
    outcome.map_err(|e| {
        // The parser counts lines from the document's first; the user counts from the file's.
        let line = e.location().map_or(doc.line, |l| doc.line + l.line() as usize - 1);
        match sink.error.take() {
            Some(f) => {
                StateError::Invalid { file: file.into(), document: doc.number, line, path: f.path, message: f.message }
            }
            None => {
                let options = serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                    line_offset: doc.line as u64 - 1,
                };
                let mut message = e.render_with_options(options);
                if message.contains("budget breached") {
                    message.insert_str(
                        0,
                        "the document expands past the parser's limits (repeated YAML aliases: a YAML bomb?): ",
                    );
                }
                StateError::Syntax { file: file.into(), document: doc.number, line, message }
            }
        }
    })
}

/// The kinds whose objects hold others in `items`.
const LIST_KINDS: [&str; 6] =
    ["List", "RoleList", "ClusterRoleList", "RoleBindingList", "ClusterRoleBindingList", "ConfigMapList"];

pub(crate) fn is_list(object: &Tree) -> bool {
    object.get("kind").and_then(Tree::as_str).is_some_and(|k| LIST_KINDS.contains(&k))
}

/// Dispatches one object on its `kind`. A List's items come through here one by one; from a
/// file the decoder has taken them out already, from the API they may still be in `items`.
pub(crate) fn load_object(b: &mut Builder, doc: Tree, prefix: &str) -> Result<(), FieldError> {
    let kind = doc.get("kind").and_then(Tree::as_str).unwrap_or("").to_string();
    let api_version = doc.get("apiVersion").and_then(Tree::as_str).unwrap_or("");
    match kind.as_str() {
        "ClusterConfig" if api_version.starts_with("eksctl.io/") => eksctl::load(b, doc.into_value()),
        k if LIST_KINDS.contains(&k) => {
            let items = match doc.take("items") {
                Some(Tree::Seq(items)) => items,
                Some(Tree::Leaf(Value::Null)) | None => Vec::new(),
                Some(_) => return Err(FieldError::new(join(prefix, "items"), "expected a list")),
            };
            // An empty List is a statement about its kind (`kubectl get roles -o json` in a
            // namespace without any); a List's items count for themselves.
            if items.is_empty() {
                b.read += 1;
            }
            for (i, item) in items.into_iter().enumerate() {
                load_object(b, item, &join(prefix, &format!("items[{i}]")))?;
            }
            Ok(())
        }
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" | "ConfigMap" => {
            kubernetes::load(b, &kind, doc, prefix)
        }
        other => {
            tracing::debug!(kind = other, "ignoring a document that does not bear on access");
            Ok(())
        }
    }
}

/// The checks every access entry passes, whichever file it comes from. `at` is its field path.
pub(crate) fn validate_entry(e: &AccessEntry, at: &str) -> Result<(), FieldError> {
    if crate::authz::Principal::parse(&e.principal_arn).is_none() {
        return Err(FieldError::new(
            format!("{at}.principalARN"),
            format!("`{}` is not an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)", e.principal_arn),
        ));
    }
    for (j, a) in e.policies.iter().enumerate() {
        let at = format!("{at}.accessPolicies[{j}]");
        if crate::authz::policies::policy_name(&a.policy_arn).is_none() {
            return Err(FieldError::new(
                format!("{at}.policyARN"),
                format!(
                    "`{}` is not an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/NAME)",
                    a.policy_arn
                ),
            ));
        }
        if matches!(&a.scope, crate::model::AccessScope::Namespace { namespaces } if namespaces.is_empty()) {
            return Err(FieldError::new(
                format!("{at}.accessScope.namespaces"),
                "a namespace scope needs at least one namespace",
            ));
        }
    }
    Ok(())
}

pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RoleKind, Subject};

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
