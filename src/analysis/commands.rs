//! The shell commands recommendations carry (AWS CLI, kubectl), built in one place and quoted for a
//! POSIX shell: names come from state files and audit logs, so none is trusted to be plain.

use crate::model::{AccessScope, RoleBinding};

/// `s` as one shell word: as is when it is plainly safe, else single-quoted.
pub fn sh(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | ',' | '=' | '+' | '*')
        });
    // `*` is a glob: quote it even though it is safe elsewhere.
    if plain && !s.contains('*') { s.to_string() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

pub fn delete_access_entry(cluster: &str, principal: &str) -> String {
    format!("aws eks delete-access-entry --cluster-name {} --principal-arn {}", sh(cluster), sh(principal))
}

pub fn create_access_entry(cluster: &str, principal: &str) -> String {
    format!("aws eks create-access-entry --cluster-name {} --principal-arn {}", sh(cluster), sh(principal))
}

pub fn disassociate_access_policy(cluster: &str, principal: &str, policy_arn: &str) -> String {
    format!(
        "aws eks disassociate-access-policy --cluster-name {} --principal-arn {} --policy-arn {}",
        sh(cluster),
        sh(principal),
        sh(policy_arn)
    )
}

/// Associates `policy_arn` with `scope` (for an existing association, this replaces its scope).
pub fn associate_access_policy(cluster: &str, principal: &str, policy_arn: &str, scope: &AccessScope) -> String {
    let scope = match scope {
        AccessScope::Cluster => "type=cluster".to_string(),
        AccessScope::Namespace { namespaces } => format!("type=namespace,namespaces={}", namespaces.join(",")),
    };
    format!(
        "aws eks associate-access-policy --cluster-name {} --principal-arn {} --policy-arn {} --access-scope {}",
        sh(cluster),
        sh(principal),
        sh(policy_arn),
        sh(&scope)
    )
}

/// Sets the entry's Kubernetes groups: the call takes the whole list, not a change to it. The list
/// goes as one JSON word, so no group name can pass for an option of the CLI.
pub fn update_access_entry_groups(cluster: &str, principal: &str, groups: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = groups.iter().map(AsRef::as_ref).collect();
    let groups = sh(&serde_json::to_string(&list).expect("strings serialize"));
    format!(
        "aws eks update-access-entry --cluster-name {} --principal-arn {} --kubernetes-groups {groups}",
        sh(cluster),
        sh(principal)
    )
}

pub fn delete_iam_identity_mapping(cluster: &str, arn: &str) -> String {
    format!("eksctl delete iamidentitymapping --cluster {} --arn {}", sh(cluster), sh(arn))
}

/// Opens aws-auth in an editor, with what to do as a trailing comment.
pub fn edit_aws_auth(what: &str) -> String {
    format!("kubectl -n kube-system edit configmap aws-auth   # {}", what.replace('\n', " "))
}

pub fn delete_binding(b: &RoleBinding) -> String {
    match &b.namespace {
        None => format!("kubectl delete clusterrolebinding {}", sh(&b.name)),
        Some(ns) => format!("kubectl -n {} delete rolebinding {}", sh(ns), sh(&b.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_a_shell_would_split_or_expand_them() {
        let cases = [
            ("an ARN stays plain", "arn:aws:iam::111122223333:role/dev-ops", "arn:aws:iam::111122223333:role/dev-ops"),
            ("a scope shorthand stays plain", "type=namespace,namespaces=a,b", "type=namespace,namespaces=a,b"),
            (
                "a wildcard is quoted against globbing",
                "type=namespace,namespaces=dev-*",
                "'type=namespace,namespaces=dev-*'",
            ),
            ("spaces are quoted", "my cluster", "'my cluster'"),
            ("a command substitution is quoted", "$(reboot)", "'$(reboot)'"),
            ("a quote is closed, escaped and reopened", "it's", r"'it'\''s'"),
            ("empty is an empty word", "", "''"),
        ];
        for (name, input, want) in cases {
            assert_eq!(sh(input), want, "{name}");
        }
    }
}
