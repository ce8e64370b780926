//! What an exception accepted: a fingerprint of the grant a finding names, as the state defines
//! it. `grantscope accept` writes it next to the finding id; when the grant is changed (a broader
//! policy, another scope, new subjects, a role given more rules) the fingerprint differs, the
//! exception stops matching and the finding comes back saying why.
//!
//! The fingerprint covers what the grant allows and to whom, never when (creation and association
//! times, which a re-read of the same grant may or may not carry), and is written from a fixed
//! text of the fields, not a serialization of the model, so a new model field does not lapse
//! every exception. Unordered lists (groups, subjects, policies) are sorted; rules keep their order.

use crate::authz::policies::policy_name;
use crate::model::{AccessEntry, AccessState, GrantId, GrantKind, IdentityMapping, RoleBinding, RoleKind};

/// 16 hex digits of a hash of the grant's id and definition; a grant the state does not hold
/// (the finding's grant is always there) hashes its id alone.
pub fn fingerprint(state: &AccessState, grant: &GrantId) -> String {
    let text = format!("{grant}\n{}", definition(state, grant).unwrap_or_default());
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// The grant's definition as lines of text, if the state holds it.
fn definition(state: &AccessState, grant: &GrantId) -> Option<String> {
    let entry = |arn: &str| state.access_entries.iter().find(|e| e.principal_arn == arn);
    let mapping = |list: &[IdentityMapping], arn: &str| list.iter().find(|m| m.arn == arn).map(mapping_definition);
    match grant.kind() {
        // An entry, or one Kubernetes group of it: either changes with the entry.
        GrantKind::AccessEntry { principal_arn } | GrantKind::EntryGroup { principal_arn, .. } => {
            entry(principal_arn).map(entry_definition)
        }
        GrantKind::AccessPolicy => state.access_entries.iter().find_map(|e| {
            e.policies.iter().find_map(|a| {
                let policy = policy_name(&a.policy_arn).unwrap_or(&a.policy_arn);
                (GrantId::access_policy(&e.principal_arn, policy, &a.scope) == *grant)
                    .then(|| format!("policy {} {}", a.policy_arn, a.scope))
            })
        }),
        GrantKind::Binding => state
            .bindings
            .iter()
            .find(|b| GrantId::binding(b.namespace.as_deref(), &b.name, b.role_kind, &b.role_name) == *grant)
            .map(|b| binding_definition(state, b)),
        GrantKind::AwsAuthRole(arn) => mapping(&state.aws_auth.map_roles, arn),
        GrantKind::AwsAuthUser(arn) => mapping(&state.aws_auth.map_users, arn),
        // An aws-auth account and a privileged group are all their id says.
        GrantKind::AwsAuthAccount(_) | GrantKind::PrivilegedGroup(_) | GrantKind::Unknown => None,
    }
}

fn entry_definition(e: &AccessEntry) -> String {
    let mut groups = e.kubernetes_groups.clone();
    groups.sort();
    let mut policies: Vec<String> = e.policies.iter().map(|a| format!("policy {} {}", a.policy_arn, a.scope)).collect();
    policies.sort();
    format!(
        "type {}\nusername {}\ngroups {}\n{}",
        e.entry_type.api_name(),
        e.username.as_deref().unwrap_or("-"),
        groups.join(","),
        policies.join("\n")
    )
}

fn mapping_definition(m: &IdentityMapping) -> String {
    let mut groups = m.groups.clone();
    groups.sort();
    format!("username {}\ngroups {}", m.username, groups.join(","))
}

/// The binding's subjects and the rules of the role it binds (as the state holds them now).
fn binding_definition(state: &AccessState, b: &RoleBinding) -> String {
    let mut subjects: Vec<String> = b.subjects.iter().map(ToString::to_string).collect();
    subjects.sort();
    let role_namespace = match b.role_kind {
        RoleKind::Role => b.namespace.as_deref(),
        RoleKind::ClusterRole => None,
    };
    let rules: Vec<String> = state
        .roles
        .iter()
        .find(|r| r.name == b.role_name && r.namespace.as_deref() == role_namespace)
        .map(|r| {
            r.rules
                .iter()
                .map(|r| {
                    let list = |l: &[String]| l.join(",");
                    format!(
                        "rule {}|{}|{}|{}|{}",
                        list(&r.verbs),
                        list(&r.api_groups),
                        list(&r.resources),
                        list(&r.resource_names),
                        list(&r.non_resource_urls)
                    )
                })
                .collect()
        })
        .unwrap_or_else(|| vec!["role missing".to_string()]);
    format!("subjects {}\n{}", subjects.join(";"), rules.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: c, region: eu-west-1}
accessConfig:
  authenticationMode: API_AND_CONFIG_MAP
  bootstrapClusterCreatorAdminPermissions: false
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/break-glass
      kubernetesGroups: [ops, dev]
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
          accessScope: {type: namespace, namespaces: [dev]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}]
"#;

    #[test]
    fn fingerprint_changes_with_what_the_grant_allows_and_to_whom_only() {
        let entry = GrantId::parse("eks-entry:arn:aws:iam::111122223333:role/break-glass");
        let policy = GrantId::parse("eks:arn:aws:iam::111122223333:role/break-glass:AmazonEKSViewPolicy@ns:dev");
        let binding = GrantId::parse("rbac:ClusterRoleBinding/ops:ClusterRole/reader");
        let group = GrantId::parse("eks-entry:arn:aws:iam::111122223333:role/break-glass#group/ops");
        let before = crate::state::from_texts(&[STATE]);
        let edit = |from: &str, to: &str| {
            assert!(STATE.contains(from), "{from}");
            crate::state::from_texts(&[&STATE.replace(from, to)])
        };
        let cases = [
            ("the same state gives the same fingerprint", &entry, before.clone(), true),
            ("groups in another order are the same entry", &entry, edit("[ops, dev]", "[dev, ops]"), true),
            ("a broader policy changes the entry", &entry, edit("AmazonEKSViewPolicy", "AmazonEKSAdminPolicy"), false),
            ("another scope changes the entry", &entry, edit("namespaces: [dev]", "namespaces: [dev, prod]"), false),
            ("a group added changes the entry", &entry, edit("[ops, dev]", "[ops, dev, admins]"), false),
            ("a group added changes each group of the entry", &group, edit("[ops, dev]", "[ops, admins]"), false),
            ("an unrelated binding leaves the policy alone", &policy, edit("name: ops}", "name: ops2}"), true),
            (
                "a verb added to the bound role changes the binding",
                &binding,
                edit("verbs: [get]", "verbs: [get, list]"),
                false,
            ),
            (
                "a subject added changes the binding",
                &binding,
                edit("name: ops}]", "name: ops}, {apiGroup: rbac.authorization.k8s.io, kind: User, name: eve}]"),
                false,
            ),
        ];
        for (name, grant, after, same) in cases {
            assert_eq!(fingerprint(&before, grant) == fingerprint(&after, grant), same, "{name}");
        }
        assert_eq!(fingerprint(&before, &entry).len(), 16);
    }
}
