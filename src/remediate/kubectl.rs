//! Kubernetes YAML: the generated RBAC (Roles, ClusterRoles and their bindings) and, when a
//! recommendation changes it, the recommended `kube-system/aws-auth` ConfigMap. Deletions are not
//! manifests: the header lists them as `kubectl delete` commands.

use super::remediation::{Remediation, comment};
use crate::analysis::generated::GeneratedRbac;
use crate::analysis::shell;
use crate::model::{AwsAuth, PolicyRule, RoleKind, Subject};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

pub(super) fn render(r: &Remediation) -> String {
    let mut out = r.header("# ", "Kubernetes objects; kubectl apply -f this file");
    let removed = r.removed_bindings();
    if !removed.is_empty() {
        out.push_str("# Bindings the recommendations remove (not expressible as a manifest):\n");
        for b in removed {
            out.push_str(&comment("#   ", &shell::delete_binding(b)));
        }
    }
    let mut docs: Vec<String> = r.generated().flat_map(|(_, rbac)| rbac_documents(rbac)).collect();
    if r.aws_auth_changed() {
        docs.push(yaml(&aws_auth_config_map(&r.current.aws_auth, &r.recommended.aws_auth)));
    }
    if docs.is_empty() {
        out.push_str("# No recommendation adds or changes a Kubernetes object.\n");
    }
    for d in docs {
        out.push_str("---\n");
        out.push_str(&d);
    }
    out
}

fn yaml<T: Serialize>(value: &T) -> String {
    serde_saphyr::to_string(value).expect("Kubernetes objects serialize")
}

/// The generated roles and bindings, one YAML document each.
pub(super) fn rbac_documents(g: &GeneratedRbac) -> Vec<String> {
    let meta = |name: &str, namespace: &Option<String>| ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.clone(),
        labels: Some([("app.kubernetes.io/managed-by".to_string(), "grantscope".to_string())].into()),
        ..ObjectMeta::default()
    };
    let mut docs = Vec::new();
    for role in &g.roles {
        let rules = Some(role.rules.iter().map(rule).collect());
        docs.push(match role.namespace {
            Some(_) => yaml(&rbac::Role { metadata: meta(&role.name, &role.namespace), rules }),
            None => yaml(&rbac::ClusterRole { metadata: meta(&role.name, &None), rules, aggregation_rule: None }),
        });
    }
    for b in &g.bindings {
        let role_ref = rbac::RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: format!("{:?}", b.role_kind),
            name: b.role_name.clone(),
        };
        let subjects = Some(b.subjects.iter().map(subject).collect());
        docs.push(match b.role_kind {
            RoleKind::Role => yaml(&rbac::RoleBinding { metadata: meta(&b.name, &b.namespace), role_ref, subjects }),
            RoleKind::ClusterRole => {
                yaml(&rbac::ClusterRoleBinding { metadata: meta(&b.name, &None), role_ref, subjects })
            }
        });
    }
    docs
}

fn rule(r: &PolicyRule) -> rbac::PolicyRule {
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    rbac::PolicyRule {
        api_groups: list(&r.api_groups),
        non_resource_urls: list(&r.non_resource_urls),
        resource_names: list(&r.resource_names),
        resources: list(&r.resources),
        verbs: r.verbs.clone(),
    }
}

fn subject(s: &Subject) -> rbac::Subject {
    let (kind, name, namespace) = match s {
        Subject::User { name } => ("User", name.clone(), None),
        Subject::Group { name } => ("Group", name.clone(), None),
        Subject::ServiceAccount { namespace, name } => {
            ("ServiceAccount", name.clone(), (!namespace.is_empty()).then(|| namespace.clone()))
        }
    };
    rbac::Subject {
        api_group: (kind != "ServiceAccount").then(|| "rbac.authorization.k8s.io".to_string()),
        kind: kind.to_string(),
        name,
        namespace,
    }
}

/// The aws-auth ConfigMap holding `a`: each key is YAML text, as the authenticator reads it. A key
/// `current` had and `a` empties is written empty, not left out: `kubectl apply` would keep it.
fn aws_auth_config_map(current: &AwsAuth, a: &AwsAuth) -> ConfigMap {
    #[derive(Serialize)]
    struct MapRole<'a> {
        rolearn: &'a str,
        username: &'a str,
        groups: &'a [String],
    }
    #[derive(Serialize)]
    struct MapUser<'a> {
        userarn: &'a str,
        username: &'a str,
        groups: &'a [String],
    }
    let mut data = std::collections::BTreeMap::new();
    let roles: Vec<MapRole> =
        a.map_roles.iter().map(|m| MapRole { rolearn: &m.arn, username: &m.username, groups: &m.groups }).collect();
    let users: Vec<MapUser> =
        a.map_users.iter().map(|m| MapUser { userarn: &m.arn, username: &m.username, groups: &m.groups }).collect();
    if !roles.is_empty() || !current.map_roles.is_empty() {
        data.insert("mapRoles".to_string(), yaml(&roles));
    }
    if !users.is_empty() || !current.map_users.is_empty() {
        data.insert("mapUsers".to_string(), yaml(&users));
    }
    if !a.map_accounts.is_empty() || !current.map_accounts.is_empty() {
        data.insert("mapAccounts".to_string(), yaml(&a.map_accounts));
    }
    ConfigMap {
        metadata: ObjectMeta {
            name: Some("aws-auth".into()),
            namespace: Some("kube-system".into()),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..ConfigMap::default()
    }
}
