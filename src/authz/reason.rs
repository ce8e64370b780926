//! The grant an API server's recorded reason (`authorization.k8s.io/reason`) names, as a grant id,
//! so replay can compare attribution and not only the decision.
//!
//! - RBAC: `RBAC: allowed by ClusterRoleBinding "NAME" of ClusterRole "ROLE" to Group "G"`, and
//!   `RoleBinding "NAME/NAMESPACE" of Role "ROLE" to ...` (Kubernetes' rbac.go `String()`).
//! - EKS: `EKS Access Policy: allowed by ClusterRoleBinding "PRINCIPAL_ARN+POLICY_ARN" of
//!   ClusterRole "POLICY_ARN" to User "PRINCIPAL_ID"` (seen in real EKS audit events); the scope is
//!   not in the reason, so the id has none (`eks:PRINCIPAL_ARN:POLICY`).

use super::policies::policy_name;

/// The grant id a recorded reason names, if it names one.
pub fn grant_in_reason(reason: &str) -> Option<String> {
    if let Some(rest) = reason.strip_prefix("RBAC: allowed by ") {
        let (binding_kind, rest) = rest.split_once(' ')?;
        let (binding, rest) = quoted(rest)?;
        let rest = rest.strip_prefix(" of ")?;
        let (role_kind, rest) = rest.split_once(' ')?;
        let (role, _) = quoted(rest)?;
        return match binding_kind {
            "ClusterRoleBinding" => Some(format!("rbac:ClusterRoleBinding/{binding}:{role_kind}/{role}")),
            "RoleBinding" => {
                let (name, namespace) = binding.rsplit_once('/')?;
                Some(format!("rbac:RoleBinding/{namespace}/{name}:{role_kind}/{role}"))
            }
            _ => None,
        };
    }
    if let Some(rest) = reason.strip_prefix("EKS Access Policy: allowed by ClusterRoleBinding ") {
        let (binding, _) = quoted(rest)?;
        let (principal, policy_arn) = binding.split_once('+')?;
        return Some(format!("eks:{principal}:{}", policy_name(policy_arn)?));
    }
    None
}

/// Whether the grant grantscope found is the one the reason names (an EKS reason carries no scope).
pub fn same_grant(found: &str, recorded: &str) -> bool {
    found == recorded
        || (recorded.starts_with("eks:") && found.strip_prefix(recorded).is_some_and(|s| s.starts_with('@')))
}

/// `"text" rest` → (text, rest).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let end = s.find('"')?;
    Some((&s[..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_in_reason_reads_both_authorizers_wording() {
        let cases = [
            (
                "RBAC ClusterRoleBinding (sample 04)",
                r#"RBAC: allowed by ClusterRoleBinding "system:coredns" of ClusterRole "system:coredns" to ServiceAccount "coredns/kube-system""#,
                Some("rbac:ClusterRoleBinding/system:coredns:ClusterRole/system:coredns"),
            ),
            (
                "RBAC RoleBinding names name/namespace (sample 07)",
                r#"RBAC: allowed by RoleBinding "eks:addon-manager/kube-system" of Role "eks:addon-manager" to User "eks:addon-manager""#,
                Some("rbac:RoleBinding/kube-system/eks:addon-manager:Role/eks:addon-manager"),
            ),
            (
                "EKS access policy (sample 01)",
                r#"EKS Access Policy: allowed by ClusterRoleBinding "arn:aws:iam::211125685544:role/sso_admin+arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" of ClusterRole "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" to User "AROATCKASJUUBCXRRKSFT""#,
                Some("eks:arn:aws:iam::211125685544:role/sso_admin:AmazonEKSClusterAdminPolicy"),
            ),
            ("empty reason (system:masters, nodes)", "", None),
            ("a deny reason names nothing", "RBAC: forbidden", None),
        ];
        for (name, reason, want) in cases {
            assert_eq!(grant_in_reason(reason).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn same_grant_ignores_only_the_eks_scope() {
        assert!(same_grant("eks:arn:r:AmazonEKSViewPolicy@ns:dev-*", "eks:arn:r:AmazonEKSViewPolicy"));
        assert!(!same_grant("eks:arn:r:AmazonEKSViewPolicyX@cluster", "eks:arn:r:AmazonEKSViewPolicy"));
        assert!(same_grant("rbac:ClusterRoleBinding/a:ClusterRole/b", "rbac:ClusterRoleBinding/a:ClusterRole/b"));
        assert!(!same_grant("rbac:ClusterRoleBinding/a:ClusterRole/b@x", "rbac:ClusterRoleBinding/a:ClusterRole/b"));
    }
}
