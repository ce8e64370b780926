//! eksctl `ClusterConfig` (`eksctl.io/v1alpha5`): the authentication mode, access entries with
//! their access policies, and `iamIdentityMappings`, which eksctl writes into aws-auth.

use super::builder::{Builder, validate_entry};
use super::field::{FieldError, typed};
use super::kubernetes;
use super::tree::Tree;
use crate::authz::Principal;
use crate::model::{AccessEntry, AccessEntryType, AccessScope, AuthenticationMode, IdentityMapping, PolicyAssociation};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EksctlConfig {
    metadata: Metadata,
    access_config: Option<AccessConfig>,
    #[serde(default)]
    iam_identity_mappings: Vec<IamIdentityMapping>,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessConfig {
    authentication_mode: Option<AuthenticationMode>,
    #[serde(default)]
    access_entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "principalARN")]
    principal_arn: String,
    #[serde(rename = "type", default)]
    entry_type: AccessEntryType,
    #[serde(default)]
    kubernetes_groups: Vec<String>,
    kubernetes_username: Option<String>,
    #[serde(default)]
    access_policies: Vec<Policy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    #[serde(rename = "policyARN")]
    policy_arn: String,
    access_scope: Scope,
}

#[derive(Deserialize)]
struct Scope {
    #[serde(rename = "type")]
    scope_type: ScopeType,
    #[serde(default)]
    namespaces: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ScopeType {
    Cluster,
    Namespace,
}

/// One of `iamIdentityMappings`, with eksctl's field names (`pkg/apis/eksctl.io/v1alpha5/identitymapping.go`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IamIdentityMapping {
    #[serde(default)]
    arn: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    account: String,
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default, rename = "noDuplicateARNs")]
    no_duplicate_arns: bool,
}

pub(super) fn load(b: &mut Builder, doc: Value) -> Result<(), FieldError> {
    // eksctl's default: EKS gives whoever creates the cluster an admin access entry no file lists.
    let creator_admin =
        doc.pointer("/accessConfig/bootstrapClusterCreatorAdminPermissions").and_then(Value::as_bool).unwrap_or(true);
    let config: EksctlConfig = typed("", doc)?;
    if creator_admin {
        b.warn(format!(
            "cluster {}: bootstrapClusterCreatorAdminPermissions is on, so EKS gave the creator an admin access entry this file does not list; add it (or import live state) or the creator's requests replay as unauthenticated",
            config.metadata.name
        ));
    }
    b.set_cluster(&config.metadata.name);
    let mut entry_arns = Vec::new();
    if let Some(access) = config.access_config {
        // eksctl's default when the field is absent.
        b.set_mode(access.authentication_mode.unwrap_or(AuthenticationMode::ApiAndConfigMap));
        for (i, e) in access.access_entries.into_iter().enumerate() {
            let policies = e
                .access_policies
                .into_iter()
                .map(|p| PolicyAssociation {
                    policy_arn: p.policy_arn,
                    scope: match p.access_scope.scope_type {
                        ScopeType::Cluster => AccessScope::Cluster,
                        ScopeType::Namespace => AccessScope::Namespace { namespaces: p.access_scope.namespaces },
                    },
                    associated_at_ms: None,
                })
                .collect();
            let entry = AccessEntry {
                principal_arn: e.principal_arn,
                entry_type: e.entry_type,
                username: e.kubernetes_username.filter(|u| !u.is_empty()),
                kubernetes_groups: e.kubernetes_groups,
                policies,
                created_at_ms: None,
            };
            validate_entry(&entry, &format!("accessConfig.accessEntries[{i}]"))?;
            entry_arns.push(entry.principal_arn.clone());
            b.add_entry(entry);
        }
    }
    let context = MappingContext {
        partition: partition(config.metadata.region.as_deref().unwrap_or_default()),
        account: single_account(&config.iam_identity_mappings, &entry_arns),
    };
    for (i, m) in config.iam_identity_mappings.into_iter().enumerate() {
        add_mapping(b, m, &format!("iamIdentityMappings[{i}]"), &context)?;
    }
    Ok(())
}

/// What a service mapping's IAM role ARN is made of.
struct MappingContext {
    partition: &'static str,
    /// The cluster's account, when the file's other ARNs agree on one (see `add_service`).
    account: Option<String>,
}

/// One mapping, as `eksctl create iamidentitymapping -f` applies it
/// (`pkg/actions/iamidentitymapping/create.go`): a service, an account, or an ARN; validated as
/// `IAMIdentityMapping.Validate` and `iam.NewIdentity` do, with their messages.
fn add_mapping(b: &mut Builder, m: IamIdentityMapping, at: &str, context: &MappingContext) -> Result<(), FieldError> {
    let has_arn_options = !m.arn.is_empty() && !m.username.is_empty() && !m.groups.is_empty();
    if !m.service_name.is_empty() {
        if has_arn_options {
            return Err(FieldError::new(at, "cannot use arn, username, and groups with serviceName"));
        }
        if m.namespace.is_empty() {
            return Err(FieldError::new(format!("{at}.namespace"), "namespace is required when using serviceName"));
        }
    } else if !m.namespace.is_empty() {
        return Err(FieldError::new(format!("{at}.serviceName"), "serviceName is required when using namespace"));
    }
    let others = !m.arn.is_empty() || !m.username.is_empty() || !m.groups.is_empty() || !m.service_name.is_empty();
    if !m.account.is_empty() && (others || !m.namespace.is_empty()) {
        return Err(FieldError::new(format!("{at}.account"), "account cannot be configured with any other options"));
    }
    if !m.service_name.is_empty() {
        return add_service(b, &m.service_name, &m.namespace, at, context);
    }
    if !m.account.is_empty() {
        b.add_mapping_account(m.account);
        return Ok(());
    }
    if m.arn.is_empty() {
        return Err(FieldError::new(format!("{at}.arn"), "needs `arn`, `account` or `serviceName` (with `namespace`)"));
    }
    if m.username.is_empty() && m.groups.is_empty() {
        return Err(FieldError::new(at, "neither username nor groups are set: eksctl refuses such a mapping"));
    }
    let is_role = match Principal::parse(&m.arn) {
        Some(p) => p.kind == crate::model::PrincipalKind::Role,
        None => {
            return Err(FieldError::new(format!("{at}.arn"), format!("`{}` is not an IAM role or user ARN", m.arn)));
        }
    };
    let mapping = IdentityMapping { arn: m.arn, username: m.username, groups: m.groups };
    // With noDuplicateARNs eksctl skips a mapping already there and refuses one that would
    // shadow another of the same ARN.
    if m.no_duplicate_arns {
        match b.eksctl_mapping(&mapping.arn) {
            Some(same) if *same == mapping => return Ok(()),
            Some(_) => {
                return Err(FieldError::new(
                    format!("{at}.arn"),
                    format!("`{}` is mapped already and noDuplicateARNs forbids shadowing it", mapping.arn),
                ));
            }
            None => {}
        }
    }
    if is_role {
        b.add_mapping_role(mapping)
    } else {
        b.add_mapping_user(mapping)
    }
    Ok(())
}

/// eksctl's service mappings (`pkg/authconfigmap/service_access.go`); `emr-containers` is the only
/// service it knows. It creates the Role and RoleBinding of `assets/emr-containers-rbac.yaml` in the
/// namespace (for the user `emr-containers`) and maps the service-linked role
/// `arn:PARTITION:iam::ACCOUNT:role/AWSServiceRoleForAmazonEMRContainers` to that user, unless a
/// role mapping with that ARN and username exists.
///
/// eksctl takes ACCOUNT from the live cluster's ARN, which no ClusterConfig file holds. grantscope
/// takes it from the file when every other ARN there names one account (and says so); otherwise
/// the aws-auth row is left out with a warning and only the RBAC is loaded.
fn add_service(
    b: &mut Builder,
    service: &str,
    namespace: &str,
    at: &str,
    context: &MappingContext,
) -> Result<(), FieldError> {
    const USER: &str = "emr-containers";
    const ROLE: &str = "AWSServiceRoleForAmazonEMRContainers";
    if service != USER {
        return Err(FieldError::new(
            format!("{at}.serviceName"),
            format!("invalid service name {service:?}: eksctl knows only \"emr-containers\""),
        ));
    }
    for (kind, object) in emr_containers_rbac(namespace) {
        kubernetes::load(b, kind, Tree::from(object), at)?;
    }
    let Some(account) = &context.account else {
        b.warn_at(
            at,
            format!("eksctl maps arn:{}:iam::<the cluster's account>:role/{ROLE} to {USER}, and this file does not tell the cluster's account (its ARNs name several, or none); that aws-auth row is left out (give the aws-auth ConfigMap, or import live state)", context.partition),
        );
        return Ok(());
    };
    let arn = format!("arn:{}:iam::{account}:role/{ROLE}", context.partition);
    b.warn_at(
        at,
        format!("eksctl maps the service-linked role of the cluster's account to {USER}; taken as {arn}, the one account this file's ARNs name"),
    );
    if b.eksctl_mapping(&arn).is_some_and(|m| m.username == USER) {
        return Ok(());
    }
    b.add_mapping_role(IdentityMapping { arn, username: USER.into(), groups: vec![] });
    Ok(())
}

/// eksctl's `pkg/authconfigmap/assets/emr-containers-rbac.yaml`, in `namespace`.
fn emr_containers_rbac(namespace: &str) -> [(&'static str, Value); 2] {
    let all = ["get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch", "label"];
    let all_and_collection = [
        "get",
        "list",
        "watch",
        "describe",
        "create",
        "edit",
        "delete",
        "deletecollection",
        "annotate",
        "patch",
        "label",
    ];
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "emr-containers", "namespace": namespace},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["serviceaccounts", "services", "configmaps", "events", "pods", "pods/log"], "verbs": all_and_collection},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "patch", "delete", "watch"]},
            {"apiGroups": ["apps"], "resources": ["statefulsets", "deployments"], "verbs": all},
            {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": all},
            {"apiGroups": ["extensions", "networking.k8s.io"], "resources": ["ingresses"], "verbs": all},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": all_and_collection},
            {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["create", "list", "delete", "deletecollection"]},
            {"apiGroups": ["scheduling.volcano.sh"], "resources": ["podgroups"], "verbs": ["get", "list", "watch", "create", "delete", "update"]}
        ]
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "emr-containers", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "emr-containers"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "emr-containers"}]
    });
    [("Role", role), ("RoleBinding", binding)]
}

/// eksctl's `Partitions.ForRegion` (`pkg/apis/eksctl.io/v1alpha5/partitions.go`).
fn partition(region: &str) -> &'static str {
    match region {
        "us-gov-east-1" | "us-gov-west-1" => "aws-us-gov",
        "cn-north-1" | "cn-northwest-1" => "aws-cn",
        "us-iso-east-1" | "us-iso-west-1" => "aws-iso",
        "us-isob-east-1" | "us-isob-west-1" => "aws-iso-b",
        "eu-isoe-west-1" => "aws-iso-e",
        "us-isof-south-1" | "us-isof-east-1" => "aws-iso-f",
        _ => "aws",
    }
}

/// The one account every ARN and account of the file names, if they agree on one.
fn single_account(mappings: &[IamIdentityMapping], entry_arns: &[String]) -> Option<String> {
    let mut accounts = std::collections::BTreeSet::new();
    for m in mappings {
        if let Some(p) = Principal::parse(&m.arn) {
            accounts.insert(p.account.to_string());
        }
        if !m.account.is_empty() {
            accounts.insert(m.account.clone());
        }
    }
    accounts.extend(entry_arns.iter().filter_map(|a| Principal::parse(a)).map(|p| p.account.to_string()));
    let mut it = accounts.into_iter();
    match (it.next(), it.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}
