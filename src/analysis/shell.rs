//! The shell commands recommendations carry (AWS CLI, eksctl, kubectl), built in one place and
//! quoted for a POSIX shell. Names come from state files and audit logs, so none is trusted: each
//! is one shell word, and none can be taken for an option of the command that receives it. A value
//! goes as `--opt value` only when it cannot start with `-`, else as `--opt=value`; kubectl objects
//! go as `TYPE/NAME`; an access scope goes as JSON (the CLI's shorthand would split `a,b=c`).

use crate::model::text::is_hidden_control;
use crate::model::{AccessEntry, AccessScope, RoleBinding};

/// `s` as one shell word: as is when it is plainly safe, else single-quoted. A control character
/// is written as `"$(printf '\NNN')"` (POSIX octal), so the word stays exact while the script and the
/// printed command show no raw escape sequence.
pub fn sh(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | ',' | '=' | '+' | '*')
        });
    // `*` is a glob: quote it even though it is safe elsewhere.
    if plain && !s.contains('*') {
        return s.to_string();
    }
    let mut word = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => word.push_str(r"'\''"),
            // A newline is data inside quotes (and `$(...)` would strip it); the rest is shown.
            c if is_hidden_control(c) => {
                let mut utf8 = [0; 4];
                let octal: String = c.encode_utf8(&mut utf8).bytes().map(|b| format!("\\{b:03o}")).collect();
                word.push_str(&format!("'\"$(printf '{octal}')\"'"));
            }
            c => word.push(c),
        }
    }
    word.push('\'');
    word
}

/// `--flag value` as shell words; `--flag=value` when the value could be read as an option.
pub fn opt(flag: &str, value: &str) -> String {
    if value.starts_with('-') { sh(&format!("{flag}={value}")) } else { format!("{flag} {}", sh(value)) }
}

fn eks(operation: &str, cluster: &str, principal: &str) -> String {
    format!("aws eks {operation} {} {}", opt("--cluster-name", cluster), opt("--principal-arn", principal))
}

/// The AWS CLI reads a parameter value that starts with `file://` or `fileb://` from that file,
/// whatever the parameter: a name like that would make it read (and send) a local file. Such a
/// command is written as a comment for a person, never as a command.
fn aws_guarded(command: String, values: &[&str]) -> String {
    let loaded = |v: &&&str| {
        let v = v.to_ascii_lowercase();
        v.starts_with("file://") || v.starts_with("fileb://")
    };
    match values.iter().find(loaded) {
        Some(v) => crate::model::text::one_line(&format!(
            "# by hand: the AWS CLI would read {v:?} as a local file; set it another way (e.g. --cli-input-json): {command}"
        )),
        None => command,
    }
}

pub fn delete_access_entry(cluster: &str, principal: &str) -> String {
    aws_guarded(eks("delete-access-entry", cluster, principal), &[cluster])
}

pub fn create_access_entry(cluster: &str, principal: &str) -> String {
    aws_guarded(eks("create-access-entry", cluster, principal), &[cluster])
}

/// Deletes an access entry and creates it again exactly as `e` describes it: type, username,
/// Kubernetes groups, and every access policy association with its scope. (EKS binds an entry to the
/// principal's unique id: after the IAM principal was re-created, only a new entry works, and an
/// entry created with nothing but the principal would lose everything the old one granted.) A node
/// entry's username and groups are EKS's to set, so only a STANDARD entry passes them.
pub fn recreate_access_entry(cluster: &str, e: &AccessEntry) -> Vec<String> {
    let mut create = format!(
        "{} {}",
        eks("create-access-entry", cluster, &e.principal_arn),
        opt("--type", &e.entry_type.api_name())
    );
    if !e.entry_type.is_node() {
        if let Some(username) = &e.username {
            create.push(' ');
            create.push_str(&opt("--username", username));
        }
        if !e.kubernetes_groups.is_empty() {
            let groups = serde_json::to_string(&e.kubernetes_groups).expect("strings serialize");
            create.push(' ');
            create.push_str(&opt("--kubernetes-groups", &groups));
        }
    }
    let create = aws_guarded(create, &[cluster, e.username.as_deref().unwrap_or("")]);
    let mut out = vec![delete_access_entry(cluster, &e.principal_arn), create];
    out.extend(e.policies.iter().map(|a| associate_access_policy(cluster, &e.principal_arn, &a.policy_arn, &a.scope)));
    out
}

pub fn disassociate_access_policy(cluster: &str, principal: &str, policy_arn: &str) -> String {
    let command =
        format!("{} {}", eks("disassociate-access-policy", cluster, principal), opt("--policy-arn", policy_arn));
    aws_guarded(command, &[cluster])
}

/// The `--access-scope` parameter in the CLI's JSON form: a namespace is data, whatever it holds.
pub fn access_scope_json(scope: &AccessScope) -> String {
    let json = match scope {
        AccessScope::Cluster => serde_json::json!({ "type": "cluster" }),
        AccessScope::Namespace { namespaces } => serde_json::json!({ "type": "namespace", "namespaces": namespaces }),
    };
    json.to_string()
}

/// Associates `policy_arn` with `scope` (for an existing association, this replaces its scope).
pub fn associate_access_policy(cluster: &str, principal: &str, policy_arn: &str, scope: &AccessScope) -> String {
    let command = format!(
        "{} {} {}",
        eks("associate-access-policy", cluster, principal),
        opt("--policy-arn", policy_arn),
        opt("--access-scope", &access_scope_json(scope))
    );
    aws_guarded(command, &[cluster])
}

/// Sets the entry's Kubernetes groups: the call takes the whole list, not a change to it. The list
/// goes as one JSON word, so no group name can pass for an option of the CLI.
pub fn update_access_entry_groups(cluster: &str, principal: &str, groups: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = groups.iter().map(AsRef::as_ref).collect();
    let groups = serde_json::to_string(&list).expect("strings serialize");
    let command = format!("{} {}", eks("update-access-entry", cluster, principal), opt("--kubernetes-groups", &groups));
    aws_guarded(command, &[cluster])
}

pub fn delete_iam_identity_mapping(cluster: &str, arn: &str) -> String {
    format!("eksctl delete iamidentitymapping {} {}", opt("--cluster", cluster), opt("--arn", arn))
}

pub fn eksctl_delete_access_entry(cluster: &str, principal: &str) -> String {
    format!("eksctl delete accessentry {} {}", opt("--cluster", cluster), opt("--principal-arn", principal))
}

/// Opens aws-auth in an editor, with what to do as a trailing comment.
pub fn edit_aws_auth(what: &str) -> String {
    format!("kubectl -n kube-system edit configmap aws-auth   # {}", what.replace('\n', " "))
}

/// `kubectl apply` of a file grantscope wrote.
pub fn kubectl_apply(file: &str) -> String {
    format!("kubectl apply {}", opt("--filename", file))
}

/// Deletes one binding, named as `TYPE/NAME`: a binding may be called `--all`.
pub fn delete_binding(b: &RoleBinding) -> String {
    match &b.namespace {
        None => format!("kubectl delete {}", sh(&format!("clusterrolebinding/{}", b.name))),
        Some(ns) => format!("kubectl {} delete {}", opt("--namespace", ns), sh(&format!("rolebinding/{}", b.name))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleKind;

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
            (
                "an escape sequence is printed by printf, not written raw",
                "a\u{1b}[2Jb",
                r#"'a'"$(printf '\033')"'[2Jb'"#,
            ),
            ("a newline is data inside the quotes", "a\nb", "'a\nb'"),
        ];
        for (name, input, want) in cases {
            assert_eq!(sh(input), want, "{name}");
        }
    }

    fn binding(name: &str, namespace: Option<&str>) -> RoleBinding {
        let (name, namespace) = (name.into(), namespace.map(Into::into));
        RoleBinding {
            name,
            namespace,
            role_kind: RoleKind::ClusterRole,
            role_name: "r".into(),
            subjects: vec![],
            system: false,
        }
    }

    #[test]
    fn no_value_from_a_cluster_can_be_read_as_an_option() {
        let ns = |n: &[&str]| AccessScope::Namespace { namespaces: n.iter().map(|s| s.to_string()).collect() };
        let cases = [
            (
                "a binding named --all is one object, not the flag",
                delete_binding(&binding("--all", None)),
                "kubectl delete clusterrolebinding/--all",
            ),
            (
                "a namespace that looks like a flag goes with its option",
                delete_binding(&binding("-A", Some("--namespace=kube-system"))),
                "kubectl --namespace=--namespace=kube-system delete rolebinding/-A",
            ),
            (
                "a plain namespace stays readable",
                delete_binding(&binding("x", Some("payments"))),
                "kubectl --namespace payments delete rolebinding/x",
            ),
            (
                "an ARN starting with a dash is joined to its option",
                delete_access_entry("c", "--selector=x"),
                "aws eks delete-access-entry --cluster-name c --principal-arn=--selector=x",
            ),
            (
                "a cluster name starting with a dash is joined to its option",
                delete_iam_identity_mapping("-A", "arn:aws:iam::1:role/r"),
                "eksctl delete iamidentitymapping --cluster=-A --arn arn:aws:iam::1:role/r",
            ),
            (
                "a namespace cannot add a key to the access scope",
                associate_access_policy("c", "arn:aws:iam::1:role/r", "arn:p", &ns(&["a,namespaces=kube-system"])),
                r#"aws eks associate-access-policy --cluster-name c --principal-arn arn:aws:iam::1:role/r --policy-arn arn:p --access-scope '{"namespaces":["a,namespaces=kube-system"],"type":"namespace"}'"#,
            ),
            (
                "a cluster scope is JSON too",
                associate_access_policy("c", "arn:aws:iam::1:role/r", "arn:p", &AccessScope::Cluster),
                r#"aws eks associate-access-policy --cluster-name c --principal-arn arn:aws:iam::1:role/r --policy-arn arn:p --access-scope '{"type":"cluster"}'"#,
            ),
            (
                "groups go as one JSON word",
                update_access_entry_groups("c", "arn:aws:iam::1:role/r", &["--all", "x y"]),
                r#"aws eks update-access-entry --cluster-name c --principal-arn arn:aws:iam::1:role/r --kubernetes-groups '["--all","x y"]'"#,
            ),
            (
                "a file name starting with a dash is joined to its option",
                kubectl_apply("-x.yaml"),
                "kubectl apply --filename=-x.yaml",
            ),
            (
                "a value the AWS CLI would load from a file is never run",
                delete_access_entry("FILE:///home/u/.aws/credentials", "arn:aws:iam::1:role/r"),
                "# by hand: the AWS CLI would read \"FILE:///home/u/.aws/credentials\" as a local file; set it another way (e.g. --cli-input-json): aws eks delete-access-entry --cluster-name FILE:///home/u/.aws/credentials --principal-arn arn:aws:iam::1:role/r",
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
    }

    /// Re-creating an entry keeps everything it had, in the lead's quoting (JSON lists and scopes).
    #[test]
    fn an_entry_is_re_created_exactly_as_it_was() {
        use crate::model::{AccessEntryType, PolicyAssociation};
        let assoc = |policy: &str, scope: AccessScope| PolicyAssociation {
            policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{policy}"),
            scope,
            associated_at_ms: None,
        };
        let standard = AccessEntry {
            principal_arn: "arn:aws:iam::1:role/data-team".into(),
            entry_type: AccessEntryType::Standard,
            username: Some("data:{{SessionName}}".into()),
            kubernetes_groups: vec!["data-readers".into(), "-x".into()],
            policies: vec![
                assoc("AmazonEKSViewPolicy", AccessScope::Cluster),
                assoc("AmazonEKSEditPolicy", AccessScope::Namespace { namespaces: vec!["data-*".into()] }),
            ],
            created_at_ms: None,
        };
        let node = AccessEntry {
            principal_arn: "arn:aws:iam::1:role/node".into(),
            entry_type: AccessEntryType::Ec2Linux,
            username: Some("system:node:{{EC2PrivateDNSName}}".into()),
            kubernetes_groups: vec!["system:nodes".into()],
            policies: vec![],
            created_at_ms: None,
        };
        let cases = [
            (
                "a STANDARD entry: type, username, groups and every association with its scope",
                recreate_access_entry("c", &standard),
                vec![
                    "aws eks delete-access-entry --cluster-name c --principal-arn arn:aws:iam::1:role/data-team".to_string(),
                    r#"aws eks create-access-entry --cluster-name c --principal-arn arn:aws:iam::1:role/data-team --type STANDARD --username 'data:{{SessionName}}' --kubernetes-groups '["data-readers","-x"]'"#.to_string(),
                    r#"aws eks associate-access-policy --cluster-name c --principal-arn arn:aws:iam::1:role/data-team --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope '{"type":"cluster"}'"#.to_string(),
                    r#"aws eks associate-access-policy --cluster-name c --principal-arn arn:aws:iam::1:role/data-team --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy --access-scope '{"namespaces":["data-*"],"type":"namespace"}'"#.to_string(),
                ],
            ),
            (
                "a node entry: its type only, as EKS sets a node's username and groups",
                recreate_access_entry("c", &node),
                vec![
                    "aws eks delete-access-entry --cluster-name c --principal-arn arn:aws:iam::1:role/node".to_string(),
                    "aws eks create-access-entry --cluster-name c --principal-arn arn:aws:iam::1:role/node --type EC2_LINUX".to_string(),
                ],
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
    }
}
