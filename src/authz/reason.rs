//! The grant an API server's recorded reason (`authorization.k8s.io/reason`) names, so replay can
//! compare attribution and not only the decision.
//!
//! - RBAC: `RBAC: allowed by ClusterRoleBinding "NAME" of ClusterRole "ROLE" to Group "G"`, and
//!   `RoleBinding "NAME/NAMESPACE" of Role "ROLE" to ...` (Kubernetes' rbac.go `String()`).
//! - EKS: `EKS Access Policy: allowed by ClusterRoleBinding "PRINCIPAL_ARN+POLICY_ARN" of
//!   ClusterRole "POLICY_ARN" to User "PRINCIPAL_ID"` (seen in real EKS audit events); the scope is
//!   not in the reason, so the grant is the association in any scope.

use super::policies::policy_name;
use crate::model::{GrantId, RecordedGrant, RoleKind};

/// The grant a recorded reason names, if it names one.
pub fn grant_in_reason(reason: &str) -> Option<RecordedGrant> {
    if let Some(rest) = reason.strip_prefix("RBAC: allowed by ") {
        let (binding_kind, rest) = rest.split_once(' ')?;
        let (binding, rest) = quoted(rest)?;
        let rest = rest.strip_prefix(" of ")?;
        let (role_kind, rest) = rest.split_once(' ')?;
        let role_kind = RoleKind::parse(role_kind)?;
        let (role, _) = quoted(rest)?;
        let id = match binding_kind {
            "ClusterRoleBinding" => GrantId::binding(None, binding, role_kind, role),
            "RoleBinding" => {
                let (name, namespace) = binding.rsplit_once('/')?;
                GrantId::binding(Some(namespace), name, role_kind, role)
            }
            _ => return None,
        };
        return Some(RecordedGrant::Binding(id));
    }
    if let Some(rest) = reason.strip_prefix("EKS Access Policy: allowed by ClusterRoleBinding ") {
        let (binding, _) = quoted(rest)?;
        let (principal, policy_arn) = binding.split_once('+')?;
        return Some(RecordedGrant::access_policy(principal, policy_name(policy_arn)?));
    }
    None
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
            (
                "a role kind Kubernetes has not names nothing",
                r#"RBAC: allowed by ClusterRoleBinding "a" of Policy "b" to User "u""#,
                None,
            ),
        ];
        for (name, reason, want) in cases {
            assert_eq!(grant_in_reason(reason).as_ref().map(RecordedGrant::as_str), want, "{name}");
        }
    }

    #[test]
    fn a_recorded_eks_grant_is_the_association_in_any_scope_and_an_rbac_one_exactly() {
        use crate::model::AccessScope;
        let eks = grant_in_reason(
            r#"EKS Access Policy: allowed by ClusterRoleBinding "arn:r+arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy" of ClusterRole "x" to User "u""#,
        )
        .unwrap();
        let dev = AccessScope::Namespace { namespaces: vec!["dev-*".into()] };
        assert!(eks.is(&GrantId::access_policy("arn:r", "AmazonEKSViewPolicy", &dev)));
        assert!(!eks.is(&GrantId::access_policy("arn:r", "AmazonEKSViewPolicyX", &AccessScope::Cluster)));
        let rbac =
            grant_in_reason(r#"RBAC: allowed by ClusterRoleBinding "a" of ClusterRole "b" to User "u""#).unwrap();
        assert!(rbac.is(&GrantId::binding(None, "a", RoleKind::ClusterRole, "b")));
        assert!(!rbac.is(&GrantId::parse("rbac:ClusterRoleBinding/a:ClusterRole/b@x")));
    }
}
