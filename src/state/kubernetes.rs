//! Kubernetes objects as kubectl prints or applies them: Role, ClusterRole, RoleBinding,
//! ClusterRoleBinding (k8s-openapi types, converted to the pure core's own at this edge), and the
//! `kube-system/aws-auth` ConfigMap, whose `mapRoles`, `mapUsers` and `mapAccounts` are YAML held in
//! strings.

use super::aggregation::{RoleMeta, Selector};
use super::builder::Builder;
use super::documents::yaml_options;
use super::field::{FieldError, join, typed};
use super::lean::decode;
use super::tree::Tree;
use crate::model::{AwsAuth, IdentityMapping, PolicyRule, Role, RoleBinding, RoleKind, Subject, is_system_binding};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1 as rbac;
use serde_json::Value;

pub(super) fn load(b: &mut Builder, kind: &str, doc: Tree, prefix: &str) -> Result<(), FieldError> {
    match kind {
        "Role" => {
            let r: rbac::Role = decode(prefix, doc)?;
            let namespace = r.metadata.namespace.unwrap_or_else(|| "default".into());
            b.add_role(Role {
                namespace: Some(namespace),
                name: name(r.metadata.name, prefix)?,
                rules: rules(r.rules),
            });
        }
        "ClusterRole" => {
            let r: rbac::ClusterRole = decode(prefix, doc)?;
            let name = name(r.metadata.name, prefix)?;
            let selectors = r
                .aggregation_rule
                .and_then(|a| a.cluster_role_selectors)
                .unwrap_or_default()
                .into_iter()
                .map(Selector::from)
                .collect();
            b.cluster_role_meta
                .insert(name.clone(), RoleMeta { labels: r.metadata.labels.unwrap_or_default(), selectors });
            b.add_role(Role { namespace: None, name, rules: rules(r.rules) });
        }
        "RoleBinding" => {
            let rb: rbac::RoleBinding = decode(prefix, doc)?;
            let namespace = rb.metadata.namespace.unwrap_or_else(|| "default".into());
            let role_kind = role_kind(&rb.role_ref.kind, &join(prefix, "roleRef.kind"))?;
            let subjects = subjects(rb.subjects, prefix)?;
            let name = name(rb.metadata.name, prefix)?;
            let system = is_system_binding(&name, bootstrapping(&rb.metadata.labels));
            b.add_binding(RoleBinding {
                namespace: Some(namespace),
                name,
                role_kind,
                role_name: rb.role_ref.name,
                subjects,
                system,
            });
        }
        "ClusterRoleBinding" => {
            let crb: rbac::ClusterRoleBinding = decode(prefix, doc)?;
            let role_kind = role_kind(&crb.role_ref.kind, &join(prefix, "roleRef.kind"))?;
            if role_kind != RoleKind::ClusterRole {
                return Err(FieldError::new(
                    join(prefix, "roleRef.kind"),
                    "a ClusterRoleBinding can only reference a ClusterRole",
                ));
            }
            let subjects = subjects(crb.subjects, prefix)?;
            let name = name(crb.metadata.name, prefix)?;
            let system = is_system_binding(&name, bootstrapping(&crb.metadata.labels));
            b.add_binding(RoleBinding {
                namespace: None,
                name,
                role_kind,
                role_name: crb.role_ref.name,
                subjects,
                system,
            });
        }
        "ConfigMap" => {
            let cm: ConfigMap = typed(prefix, doc.into_value())?;
            if cm.metadata.name.as_deref() == Some("aws-auth")
                && cm.metadata.namespace.as_deref().unwrap_or("kube-system") == "kube-system"
            {
                aws_auth(b, cm.data.unwrap_or_default(), prefix)?;
            }
        }
        _ => unreachable!("dispatched on these kinds only"),
    }
    Ok(())
}

/// Kubernetes labels its bootstrap RBAC `kubernetes.io/bootstrapping: rbac-defaults`.
fn bootstrapping(labels: &Option<std::collections::BTreeMap<String, String>>) -> bool {
    labels.as_ref().and_then(|l| l.get("kubernetes.io/bootstrapping")).is_some_and(|v| v == "rbac-defaults")
}

fn name(name: Option<String>, prefix: &str) -> Result<String, FieldError> {
    name.filter(|n| !n.is_empty()).ok_or_else(|| FieldError::new(join(prefix, "metadata.name"), "missing"))
}

fn rules(rules: Option<Vec<rbac::PolicyRule>>) -> Vec<PolicyRule> {
    rules
        .unwrap_or_default()
        .into_iter()
        .map(|r| PolicyRule {
            verbs: r.verbs,
            api_groups: r.api_groups.unwrap_or_default(),
            resources: r.resources.unwrap_or_default(),
            resource_names: r.resource_names.unwrap_or_default(),
            non_resource_urls: r.non_resource_urls.unwrap_or_default(),
        })
        .collect()
}

/// A YAML number that is a whole, non-negative number (a leading zero can make YAML read it as a float).
fn whole_number(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15).map(|f| f as u64))
}

fn role_kind(kind: &str, path: &str) -> Result<RoleKind, FieldError> {
    match kind {
        // k8s-openapi defaults a missing roleRef to empty strings.
        "" => Err(FieldError::new(
            path.trim_end_matches(".kind"),
            "missing: a binding must name its role (roleRef.kind, roleRef.name)",
        )),
        "Role" => Ok(RoleKind::Role),
        "ClusterRole" => Ok(RoleKind::ClusterRole),
        other => Err(FieldError::new(path, format!("`{other}`: expected Role or ClusterRole"))),
    }
}

fn subjects(subjects: Option<Vec<rbac::Subject>>, prefix: &str) -> Result<Vec<Subject>, FieldError> {
    subjects
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, s)| match s.kind.as_str() {
            "User" => Ok(Subject::User { name: s.name }),
            "Group" => Ok(Subject::Group { name: s.name }),
            "ServiceAccount" => {
                Ok(Subject::ServiceAccount { namespace: s.namespace.unwrap_or_default(), name: s.name })
            }
            other => Err(FieldError::new(
                join(prefix, &format!("subjects[{i}].kind")),
                format!("`{other}`: expected User, Group or ServiceAccount"),
            )),
        })
        .collect()
}

/// aws-iam-authenticator reads these with Go's case-insensitive JSON field matching, so
/// `rolearn`, `roleARN` and `RoleArn` all work; so do they here.
fn aws_auth(b: &mut Builder, data: std::collections::BTreeMap<String, String>, prefix: &str) -> Result<(), FieldError> {
    let parse_list = |key: &str| -> Result<Vec<Value>, FieldError> {
        let Some(text) = data.get(key) else { return Ok(Vec::new()) };
        let path = join(prefix, &format!("data.{key}"));
        let value: Value = serde_saphyr::from_str_with_options(text, yaml_options())
            .map_err(|e| FieldError::new(&path, format!("not a YAML list: {e}")))?;
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => Ok(items),
            _ => Err(FieldError::new(path, "expected a YAML list")),
        }
    };
    let mapping = |key: &str, arn_key: &str| -> Result<Vec<IdentityMapping>, FieldError> {
        parse_list(key)?
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let path = join(prefix, &format!("data.{key}[{i}]"));
                let Value::Object(fields) = item else { return Err(FieldError::new(path, "expected a mapping")) };
                let get = |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
                let arn = get(arn_key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| FieldError::new(format!("{path}.{arn_key}"), "missing"))?;
                let username = get("username").and_then(Value::as_str).unwrap_or("").to_string();
                let groups = match get("groups") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(g)) => g
                        .iter()
                        .enumerate()
                        .map(|(j, v)| {
                            // Unquoted `yes`, `on`, `y` are YAML booleans: say so rather than guess.
                            v.as_str().map(String::from).ok_or_else(|| {
                                FieldError::new(
                                    format!("{path}.groups[{j}]"),
                                    format!("`{v}` is not a string; quote it"),
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(FieldError::new(format!("{path}.groups"), "expected a list of group names")),
                };
                Ok(IdentityMapping { arn: arn.to_string(), username, groups })
            })
            .collect()
    };
    let map_roles = mapping("mapRoles", "rolearn")?;
    let map_users = mapping("mapUsers", "userarn")?;
    for (key, arn_key, mappings) in [("mapRoles", "rolearn", &map_roles), ("mapUsers", "userarn", &map_users)] {
        for (i, m) in mappings.iter().enumerate() {
            if let Some(why) = not_an_iam_arn(&m.arn) {
                let path = join(prefix, &format!("data.{key}[{i}].{arn_key}"));
                b.warn_at(
                    &path,
                    format!("{:?} {why}; the authenticator never matches it (a placeholder left in?)", m.arn),
                );
            }
        }
    }
    // Account ids written without quotes are YAML numbers, which lose leading zeros; the
    // authenticator keeps the text. Account ids are always 12 digits, so the zeros are restored.
    let mut map_accounts: Vec<String> = Vec::new();
    for v in parse_list("mapAccounts")? {
        let account = match v {
            Value::String(s) => s,
            Value::Number(n) if whole_number(&n).is_some() => format!("{:012}", whole_number(&n).unwrap_or_default()),
            other => {
                return Err(FieldError::new(
                    join(prefix, "data.mapAccounts"),
                    format!("`{other}` is not an account id"),
                ));
            }
        };
        if !map_accounts.contains(&account) {
            map_accounts.push(account);
        }
    }
    for (i, account) in map_accounts.iter().enumerate() {
        if !is_account_id(account) {
            let path = join(prefix, &format!("data.mapAccounts[{i}]"));
            b.warn_at(&path, format!("{account:?} is not a 12-digit AWS account id (a placeholder left in?)"));
        }
    }
    // A key that is there but maps nothing (only comments, or blank) is likely a mistake.
    let counts = [("mapRoles", map_roles.len()), ("mapUsers", map_users.len()), ("mapAccounts", map_accounts.len())];
    for (key, n) in counts {
        if n == 0 && data.contains_key(key) {
            b.warn_at(&join(prefix, &format!("data.{key}")), "holds no entry (only comments or blank)");
        }
    }
    if counts.iter().all(|(_, n)| *n == 0) {
        b.warn_at(&join(prefix, "data"), "this aws-auth ConfigMap maps no role, user or account");
    }
    b.set_aws_auth(AwsAuth { map_roles, map_users, map_accounts });
    Ok(())
}

/// Why an aws-auth ARN can never match a caller, if it cannot: not an IAM role or user ARN, or its
/// account is not an account id (a region, a placeholder).
fn not_an_iam_arn(arn: &str) -> Option<&'static str> {
    match crate::authz::Principal::parse(arn) {
        None => Some("is not an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)"),
        Some(p) if !is_account_id(p.account) => Some("does not name a 12-digit account id"),
        Some(_) => None,
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}
