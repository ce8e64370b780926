//! eksctl `ClusterConfig` (`eksctl.io/v1alpha5`): the authentication mode, access entries with
//! their access policies, and `iamIdentityMappings`, which eksctl writes into aws-auth.

use super::{Builder, FieldError, typed};
use crate::authz::Principal;
use crate::model::{AccessEntry, AccessEntryType, AccessScope, AuthenticationMode, IdentityMapping, PolicyAssociation};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClusterConfig {
    metadata: Metadata,
    access_config: Option<AccessConfig>,
    #[serde(default)]
    iam_identity_mappings: Vec<IamIdentityMapping>,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
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

#[derive(Deserialize)]
struct IamIdentityMapping {
    arn: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
    account: Option<String>,
}

pub(super) fn load(b: &mut Builder, doc: Value) -> Result<(), FieldError> {
    // eksctl's default: EKS gives whoever creates the cluster an admin access entry no file lists.
    let creator_admin =
        doc.pointer("/accessConfig/bootstrapClusterCreatorAdminPermissions").and_then(Value::as_bool).unwrap_or(true);
    let config: ClusterConfig = typed("", doc)?;
    if creator_admin {
        b.warn(format!(
            "cluster {}: bootstrapClusterCreatorAdminPermissions is on, so EKS gave the creator an admin access entry this file does not list; add it (or import live state) or the creator's requests replay as unauthenticated",
            config.metadata.name
        ));
    }
    b.set_cluster(&config.metadata.name);
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
            super::validate_entry(&entry, &format!("accessConfig.accessEntries[{i}]"))?;
            b.add_entry(entry);
        }
    }
    for (i, m) in config.iam_identity_mappings.into_iter().enumerate() {
        let at = format!("iamIdentityMappings[{i}]");
        match (m.arn, m.account) {
            (Some(arn), _) => {
                let mapping = IdentityMapping { arn: arn.clone(), username: m.username, groups: m.groups };
                match Principal::parse(&arn).map(|p| p.kind) {
                    Some("role") => b.add_mapping_role(mapping),
                    Some(_) => b.add_mapping_user(mapping),
                    None => {
                        return Err(FieldError::new(
                            format!("{at}.arn"),
                            format!("`{arn}` is not an IAM role or user ARN"),
                        ));
                    }
                }
            }
            (None, Some(account)) => b.add_mapping_account(account),
            (None, None) => return Err(FieldError::new(at, "needs `arn` or `account`")),
        }
    }
    Ok(())
}
