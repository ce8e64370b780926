//! An eksctl `ClusterConfig` whose `accessConfig` is the recommended one: every access entry the
//! cluster keeps, with its groups and policy associations. Entries to delete are listed in the
//! header as `eksctl delete accessentry` commands: eksctl creates from a config, it does not prune.

use super::remediation::{RemediateError, Remediation, comment};
use crate::analysis::shell;
use crate::model::{AccessEntry, AccessEntryType, AccessScope, AuthenticationMode};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EksctlConfig<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    access_config: AccessConfig<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
    region: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessConfig<'a> {
    authentication_mode: AuthenticationMode,
    access_entries: Vec<Entry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(rename = "principalARN")]
    principal_arn: &'a str,
    #[serde(rename = "type", skip_serializing_if = "is_standard")]
    entry_type: AccessEntryType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    kubernetes_groups: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    kubernetes_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    access_policies: Vec<Policy<'a>>,
}

fn is_standard(t: &AccessEntryType) -> bool {
    *t == AccessEntryType::Standard
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Policy<'a> {
    #[serde(rename = "policyARN")]
    policy_arn: &'a str,
    access_scope: &'a AccessScope,
}

fn entry(e: &AccessEntry) -> Entry<'_> {
    Entry {
        principal_arn: &e.principal_arn,
        entry_type: e.entry_type,
        kubernetes_groups: &e.kubernetes_groups,
        kubernetes_username: e.username.as_deref(),
        access_policies: e
            .policies
            .iter()
            .map(|a| Policy { policy_arn: &a.policy_arn, access_scope: &a.scope })
            .collect(),
    }
}

pub(super) fn render(r: &Remediation) -> Result<String, RemediateError> {
    let region = r.region.ok_or(RemediateError::NoRegion)?;
    let mut out =
        r.header("# ", "the recommended accessConfig, for eksctl create accessentry -f (or your cluster config)");
    let kept: std::collections::HashSet<&str> =
        r.recommended.access_entries.iter().map(|e| e.principal_arn.as_str()).collect();
    let gone: Vec<&AccessEntry> =
        r.current.access_entries.iter().filter(|e| !kept.contains(e.principal_arn.as_str())).collect();
    if !gone.is_empty() {
        out.push_str("# Entries to delete (eksctl does not prune what a config leaves out):\n");
        for e in gone {
            out.push_str(&comment("#   ", &shell::eksctl_delete_access_entry(r.cluster, &e.principal_arn)));
        }
    }
    let recreated = r.recreated();
    if !recreated.is_empty() {
        out.push_str(
            "# Entries to delete, then create again from this file (their IAM principal was re-created):
",
        );
        for e in recreated {
            out.push_str(&comment("#   ", &shell::eksctl_delete_access_entry(r.cluster, &e.principal_arn)));
        }
    }
    let config = EksctlConfig {
        api_version: "eksctl.io/v1alpha5",
        kind: "ClusterConfig",
        metadata: Metadata { name: r.cluster, region },
        access_config: AccessConfig {
            authentication_mode: r.recommended.authentication_mode,
            access_entries: r.recommended.access_entries.iter().map(entry).collect(),
        },
    };
    out.push_str(&serde_saphyr::to_string(&config).expect("the config serializes"));
    Ok(out)
}
