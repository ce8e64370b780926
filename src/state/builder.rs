//! The state being built: objects from several files accumulate, later ones replacing earlier
//! ones with the same identity, and the state comes out in canonical order with aggregated
//! ClusterRoles filled.

use super::aggregation;
use super::error::at_line;
use super::field::FieldError;
use crate::model::{AccessEntry, AccessState, AuthenticationMode, AwsAuth, IdentityMapping, Role, RoleBinding};
use std::collections::HashMap;

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

    /// The state the files gave, `cluster_override` naming its cluster when given.
    pub(super) fn finish(mut self, cluster_override: Option<&str>) -> Loaded {
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
