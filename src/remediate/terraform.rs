//! Terraform: the recommended access entries and policy associations (hashicorp/aws
//! `aws_eks_access_entry`, `aws_eks_access_policy_association`) and the generated RBAC
//! (hashicorp/kubernetes `kubernetes_role_v1`, `kubernetes_cluster_role_v1` and their bindings).
//! Written as the desired configuration to compare with your own; what it no longer holds is
//! listed in the header.

use super::remediation::{Remediation, comment};
use crate::analysis::generated::GeneratedRbac;
use crate::analysis::shell;
use crate::authz::policies::policy_name;
use crate::model::{AccessEntry, AccessScope, PolicyRule, RoleKind, Subject};
use std::collections::HashSet;
use std::fmt::Write;

/// `s` as an HCL quoted string: JSON-like escapes, and `${`/`%{` escaped so nothing interpolates.
pub(super) fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hcl_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| hcl_string(s)).collect::<Vec<_>>().join(", "))
}

/// A Terraform resource name (letters, digits, `_`, `-`; not starting with a digit), unique in `used`.
fn resource_name(base: &str, used: &mut HashSet<String>) -> String {
    let mut name: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name.insert(0, '_');
    }
    let mut unique = name.clone();
    let mut n = 2;
    while !used.insert(unique.clone()) {
        unique = format!("{name}_{n}");
        n += 1;
    }
    unique
}

pub(super) fn render(r: &Remediation) -> String {
    let mut out = r.header("# ", "the recommended access configuration as Terraform");
    let kept: HashSet<&str> = r.recommended.access_entries.iter().map(|e| e.principal_arn.as_str()).collect();
    let gone: Vec<&AccessEntry> =
        r.current.access_entries.iter().filter(|e| !kept.contains(e.principal_arn.as_str())).collect();
    let removed_bindings = r.removed_bindings();
    if !gone.is_empty() || !removed_bindings.is_empty() || r.aws_auth_changed() {
        out.push_str("# No longer in this configuration (remove them from yours, or run):\n");
        for e in gone {
            out.push_str(&comment("#   ", &shell::delete_access_entry(r.cluster, &e.principal_arn)));
        }
        for b in removed_bindings {
            out.push_str(&comment("#   ", &shell::delete_binding(b)));
        }
        if r.aws_auth_changed() {
            out.push_str("#   the aws-auth ConfigMap changes: see the kubectl remediation file\n");
        }
    }
    let mut used = HashSet::new();
    let recreated: HashSet<&str> = r.recreated().iter().map(|e| e.principal_arn.as_str()).collect();
    // Every resource of a re-created entry, for `terraform apply -replace=...`: deleting the entry
    // deletes its associations in EKS, so they are replaced too.
    let mut replace = Vec::new();
    let resources = resources_for(r, &mut used, &recreated, &mut replace);
    if !replace.is_empty() {
        out.push_str("# Entries whose IAM principal was re-created: replace them and their associations with\n");
        let args: Vec<String> = replace.iter().map(|a| format!("-replace={a}")).collect();
        out.push_str(&comment("#   terraform apply ", &args.join(" ")));
    }
    out.push_str(&resources);
    for (_, rbac) in r.generated() {
        rbac_resources(&mut out, rbac, &mut used);
    }
    out
}

/// The access entry and association resources of the recommended state; `replace` collects the
/// addresses of those whose principal is in `recreated`.
fn resources_for(
    r: &Remediation,
    used: &mut HashSet<String>,
    recreated: &HashSet<&str>,
    replace: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for e in &r.recommended.access_entries {
        let last = e.principal_arn.rsplit('/').next().unwrap_or("principal");
        let name = resource_name(&format!("entry_{last}"), used);
        let again = recreated.contains(e.principal_arn.as_str());
        if again {
            replace.push(format!("aws_eks_access_entry.{name}"));
        }
        out.push_str(&format!("\nresource \"aws_eks_access_entry\" \"{name}\" {{\n"));
        out.push_str(&format!("  cluster_name  = {}\n", hcl_string(r.cluster)));
        out.push_str(&format!("  principal_arn = {}\n", hcl_string(&e.principal_arn)));
        out.push_str(&format!("  type          = {}\n", hcl_string(&e.entry_type.api_name())));
        if !e.kubernetes_groups.is_empty() {
            out.push_str(&format!("  kubernetes_groups = {}\n", hcl_list(&e.kubernetes_groups)));
        }
        if let Some(user) = &e.username {
            out.push_str(&format!("  user_name = {}\n", hcl_string(user)));
        }
        out.push_str("}\n");
        for a in &e.policies {
            let policy = policy_name(&a.policy_arn).unwrap_or("policy");
            let association = resource_name(&format!("{name}_{policy}"), used);
            if again {
                replace.push(format!("aws_eks_access_policy_association.{association}"));
            }
            out.push_str(&format!("\nresource \"aws_eks_access_policy_association\" \"{association}\" {{\n"));
            out.push_str(&format!("  cluster_name  = aws_eks_access_entry.{name}.cluster_name\n"));
            out.push_str(&format!("  principal_arn = aws_eks_access_entry.{name}.principal_arn\n"));
            out.push_str(&format!("  policy_arn    = {}\n", hcl_string(&a.policy_arn)));
            out.push_str("\n  access_scope {\n");
            match &a.scope {
                AccessScope::Cluster => out.push_str("    type = \"cluster\"\n"),
                AccessScope::Namespace { namespaces } => {
                    out.push_str("    type       = \"namespace\"\n");
                    out.push_str(&format!("    namespaces = {}\n", hcl_list(namespaces)));
                }
            }
            out.push_str("  }\n}\n");
        }
    }
    out
}

fn rbac_resources(out: &mut String, g: &GeneratedRbac, used: &mut HashSet<String>) {
    let metadata = |out: &mut String, name: &str, namespace: &Option<String>| {
        out.push_str("  metadata {\n");
        out.push_str(&format!("    name      = {}\n", hcl_string(name)));
        if let Some(ns) = namespace {
            out.push_str(&format!("    namespace = {}\n", hcl_string(ns)));
        }
        out.push_str("    labels = {\n      \"app.kubernetes.io/managed-by\" = \"grantscope\"\n    }\n");
        out.push_str("  }\n");
    };
    for role in &g.roles {
        let kind = if role.namespace.is_some() { "kubernetes_role_v1" } else { "kubernetes_cluster_role_v1" };
        let name = resource_name(&format!("{}_{}", role.name, role.namespace.as_deref().unwrap_or("cluster")), used);
        out.push_str(&format!("\nresource \"{kind}\" \"{name}\" {{\n"));
        metadata(out, &role.name, &role.namespace);
        for r in &role.rules {
            rule(out, r);
        }
        out.push_str("}\n");
    }
    for b in &g.bindings {
        let kind = match b.role_kind {
            RoleKind::Role => "kubernetes_role_binding_v1",
            RoleKind::ClusterRole => "kubernetes_cluster_role_binding_v1",
        };
        let name = resource_name(&format!("{}_{}_binding", b.name, b.namespace.as_deref().unwrap_or("cluster")), used);
        out.push_str(&format!("\nresource \"{kind}\" \"{name}\" {{\n"));
        metadata(out, &b.name, &b.namespace);
        out.push_str("  role_ref {\n    api_group = \"rbac.authorization.k8s.io\"\n");
        out.push_str(&format!("    kind      = {}\n", hcl_string(&format!("{:?}", b.role_kind))));
        out.push_str(&format!("    name      = {}\n  }}\n", hcl_string(&b.role_name)));
        for s in &b.subjects {
            out.push_str("  subject {\n");
            match s {
                Subject::User { name } | Subject::Group { name } => {
                    let kind = if matches!(s, Subject::User { .. }) { "User" } else { "Group" };
                    out.push_str(&format!("    kind      = \"{kind}\"\n"));
                    out.push_str(&format!("    name      = {}\n", hcl_string(name)));
                    out.push_str("    api_group = \"rbac.authorization.k8s.io\"\n");
                }
                Subject::ServiceAccount { namespace, name } => {
                    out.push_str("    kind      = \"ServiceAccount\"\n");
                    out.push_str(&format!("    name      = {}\n", hcl_string(name)));
                    out.push_str(&format!("    namespace = {}\n", hcl_string(namespace)));
                }
            }
            out.push_str("  }\n");
        }
        out.push_str("}\n");
    }
}

fn rule(out: &mut String, r: &PolicyRule) {
    out.push_str("  rule {\n");
    let fields = [
        ("api_groups", &r.api_groups),
        ("resources", &r.resources),
        ("resource_names", &r.resource_names),
        ("non_resource_urls", &r.non_resource_urls),
        ("verbs", &r.verbs),
    ];
    for (key, values) in fields {
        if !values.is_empty() || (key == "api_groups" && !r.resources.is_empty()) {
            out.push_str(&format!("    {key} = {}\n", hcl_list(values)));
        }
    }
    out.push_str("  }\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_escape_quotes_and_never_interpolate() {
        let cases = [
            ("plain", "arn:aws:iam::1:role/x", r#""arn:aws:iam::1:role/x""#),
            ("quote and backslash", r#"a"b\c"#, r#""a\"b\\c""#),
            ("interpolation is literal", "${var.x}", r#""$${var.x}""#),
            ("a template directive is literal", "%{if}", r#""%%{if}""#),
            ("a lone dollar stays", "$x", r#""$x""#),
            ("newline", "a\nb", r#""a\nb""#),
        ];
        for (name, input, want) in cases {
            assert_eq!(hcl_string(input), want, "{name}");
        }
    }

    #[test]
    fn resource_names_are_identifiers_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(resource_name("entry_ci.deployer", &mut used), "entry_ci_deployer");
        assert_eq!(resource_name("entry_ci.deployer", &mut used), "entry_ci_deployer_2");
        assert_eq!(resource_name("9lives", &mut used), "_9lives");
    }
}
