//! A POSIX shell script that takes the cluster from its current access configuration to the
//! recommended one. It is built from the two states, not from each finding's commands: findings
//! that touch one entry (a generated group and a removed group; a narrower scope and a smaller
//! policy) must combine, as the proof combined them. Grants are added before any is taken away;
//! generated RBAC is applied from a here-document, so the script stands alone; `set -eu` stops at
//! the first failure. An entry whose IAM principal was re-created is deleted and created again
//! last, in its recommended form (type, username, groups, every association with its scope).

use super::kubectl;
use super::remediation::{Remediation, comment};
use crate::analysis::shell;
use crate::model::{AccessEntry, IdentityMapping};
use std::collections::{BTreeMap, HashSet};

/// The here-document delimiter: YAML from the serializer never has a line equal to it.
const HEREDOC: &str = "GRANTSCOPE_RBAC_YAML";

pub(super) fn render(r: &Remediation) -> String {
    let mut out = String::from("#!/bin/sh\n");
    out.push_str(&r.header("# ", "AWS CLI and kubectl commands; review, then run"));
    for f in &r.findings {
        out.push_str(&comment("#   ", &format!("{}: {}", f.id, f.recommendation.summary)));
    }
    out.push_str("set -eu\n");
    let cluster = r.cluster;
    let mut step = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push('\n');
            out.push_str(&comment("# ", title));
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
    };
    step(
        "Generated RBAC, before any access is taken away",
        r.generated()
            .map(|(f, rbac)| {
                let yaml = kubectl::rbac_documents(rbac).join("---\n");
                format!("# for {}\nkubectl apply -f - <<'{HEREDOC}'\n{yaml}{HEREDOC}", f.id)
            })
            .collect(),
    );
    let before = by_arn(&r.current.access_entries);
    let after = by_arn(&r.recommended.access_entries);
    let mut groups = Vec::new();
    let mut associate = Vec::new();
    let mut disassociate = Vec::new();
    for (arn, new) in &after {
        let Some(old) = before.get(arn) else { continue }; // recommendations never add entries
        if old.kubernetes_groups != new.kubernetes_groups {
            groups.push(shell::update_access_entry_groups(cluster, &new.principal_arn, &new.kubernetes_groups));
        }
        for a in &new.policies {
            if !old.policies.iter().any(|o| o.policy_arn == a.policy_arn && o.scope == a.scope) {
                associate.push(shell::associate_access_policy(cluster, &new.principal_arn, &a.policy_arn, &a.scope));
            }
        }
        for o in &old.policies {
            if !new.policies.iter().any(|a| a.policy_arn == o.policy_arn) {
                disassociate.push(shell::disassociate_access_policy(cluster, &new.principal_arn, &o.policy_arn));
            }
        }
    }
    step("Access entries' Kubernetes groups (each call sets the whole list)", groups);
    step("Access policies: new and narrowed associations", associate);
    step("Access policies: associations no longer needed", disassociate);
    step(
        "Access entries whose IAM principal was re-created: deleted and created again as they are, with every association",
        r.recreated().into_iter().flat_map(|e| shell::recreate_access_entry(cluster, e)).collect(),
    );
    step(
        "Access entries no longer needed",
        r.current
            .access_entries
            .iter()
            .filter(|e| !after.contains_key(&e.principal_arn.to_lowercase()))
            .map(|e| shell::delete_access_entry(cluster, &e.principal_arn))
            .collect(),
    );
    step("RBAC bindings no longer needed", r.removed_bindings().into_iter().map(shell::delete_binding).collect());
    let (old, new) = (&r.current.aws_auth, &r.recommended.aws_auth);
    let kept: HashSet<String> = new.map_roles.iter().chain(&new.map_users).map(|m| m.arn.to_lowercase()).collect();
    let gone = |m: &&IdentityMapping| !kept.contains(&m.arn.to_lowercase());
    let mut aws_auth: Vec<String> = old
        .map_roles
        .iter()
        .chain(&old.map_users)
        .filter(gone)
        .map(|m| shell::delete_iam_identity_mapping(cluster, &m.arn))
        .collect();
    for account in old.map_accounts.iter().filter(|a| !new.map_accounts.contains(a)) {
        // Editing a ConfigMap is interactive: left to a person, and said so.
        let by_hand = comment("# by hand: ", &shell::edit_aws_auth(&format!("remove {account} from mapAccounts")));
        aws_auth.push(by_hand.trim_end().to_string());
    }
    step("aws-auth mappings no longer needed", aws_auth);
    out
}

/// Entries by lowercase principal ARN (EKS matches principals without regard to case), in order.
fn by_arn(entries: &[AccessEntry]) -> BTreeMap<String, &AccessEntry> {
    entries.iter().map(|e| (e.principal_arn.to_lowercase(), e)).collect()
}
