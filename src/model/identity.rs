//! IAM principals as EKS sees them: the canonical ARN an audit event names a caller by.
//!
//! EKS writes `user.extra.canonicalArn` (`arn:aws:iam::111122223333:role/Name`) next to the STS
//! session ARN. Older or re-exported events may carry only the session ARN; the canonical form is
//! derived from it the way aws-iam-authenticator's `arn.Canonicalize` does: `assumed-role/R/S`
//! becomes `role/R` (the role's IAM path cannot be recovered from an STS ARN), and IAM role and
//! user ARNs are kept as they are.

/// The group of every node's identity.
pub const NODES_GROUP: &str = "system:nodes";
/// Kubernetes' node username prefix (`pkg/auth/nodeidentifier`).
const NODE_USERNAME_PREFIX: &str = "system:node:";

/// Whether Kubernetes' node identifier takes this identity for a node, so that the Node authorizer
/// decides for it: a `system:node:<name>` username in group `system:nodes`, both.
pub fn is_node_identity(username: &str, groups: &[impl AsRef<str>]) -> bool {
    username.starts_with(NODE_USERNAME_PREFIX) && groups.iter().any(|g| g.as_ref() == NODES_GROUP)
}

/// What an IAM principal ARN names: `arn:aws:iam::ACCOUNT:role/...` or `...:user/...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    Role,
    User,
}

impl PrincipalKind {
    /// As the ARN writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        }
    }

    /// The kind an ARN's resource type names; anything but `role` and `user` is no IAM principal.
    pub fn parse(resource_type: &str) -> Option<PrincipalKind> {
        [PrincipalKind::Role, PrincipalKind::User].into_iter().find(|k| k.as_str() == resource_type)
    }
}

impl std::fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The canonical IAM principal ARN for a caller, from the ARN an audit event carries.
///
/// Returns `None` for anything that is not an IAM role, IAM user or STS assumed-role ARN.
pub fn canonical_principal_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service, _region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if prefix != "arn" || partition.is_empty() || account.is_empty() {
        return None;
    }
    let (kind, rest) = resource.split_once('/')?;
    let iam = |kind: &str, name: &str| format!("arn:{partition}:iam::{account}:{kind}/{name}");
    match (service, kind) {
        ("sts", "assumed-role") => {
            // Everything before the last `/` is the role, as the authenticator's Canonicalize joins it.
            let (role, session) = rest.rsplit_once('/')?;
            (!role.is_empty() && !session.is_empty()).then(|| iam("role", role))
        }
        ("iam", "role" | "user") => (!rest.is_empty() && !rest.ends_with('/')).then(|| arn.to_string()),
        _ => None,
    }
}

/// The session name of an STS assumed-role ARN (`assumed-role/ROLE/SESSION`), for events whose
/// `user.extra` has the session ARN but no `sessionName`.
pub fn session_name_of(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("assumed-role/")?;
    let (_, session) = rest.rsplit_once('/')?;
    (!session.is_empty() && arn.split(':').nth(2) == Some("sts")).then_some(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_kinds_are_the_arn_resource_types() {
        let cases = [
            ("a role", "role", Some(PrincipalKind::Role)),
            ("a user", "user", Some(PrincipalKind::User)),
            ("an assumed role is a session, not a principal", "assumed-role", None),
            ("case matters in an ARN", "Role", None),
            ("a group cannot authenticate", "group", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(PrincipalKind::parse(text), want, "{name}");
            if let Some(kind) = want {
                assert_eq!(kind.as_str(), text, "{name}");
                assert_eq!(kind.to_string(), text, "{name}");
            }
        }
    }

    #[test]
    fn session_name_of_reads_assumed_role_arns_only() {
        let cases = [
            ("assumed role", "arn:aws:sts::1:assumed-role/R/alice@example.com", Some("alice@example.com")),
            ("role ARN has no session", "arn:aws:iam::1:role/R", None),
            ("assumed role without session", "arn:aws:sts::1:assumed-role/R", None),
            ("not an ARN", "alice", None),
        ];
        for (name, arn, want) in cases {
            assert_eq!(session_name_of(arn), want, "{name}");
        }
    }

    #[test]
    fn canonical_principal_arn_follows_the_authenticator() {
        let cases = [
            (
                "assumed role becomes its role",
                "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
                Some("arn:aws:iam::111122223333:role/Admin"),
            ),
            (
                "session names may contain slashes-free ids",
                "arn:aws:sts::111122223333:assumed-role/ci/botocore-session-1",
                Some("arn:aws:iam::111122223333:role/ci"),
            ),
            ("role ARN is kept", "arn:aws:iam::111122223333:role/Admin", Some("arn:aws:iam::111122223333:role/Admin")),
            (
                "an IAM role ARN keeps its path, as the authenticator does",
                "arn:aws:iam::111122223333:role/teams/Admin",
                Some("arn:aws:iam::111122223333:role/teams/Admin"),
            ),
            ("user ARN is kept", "arn:aws:iam::111122223333:user/bob", Some("arn:aws:iam::111122223333:user/bob")),
            (
                "other partitions keep their partition",
                "arn:aws-cn:sts::111122223333:assumed-role/R/s",
                Some("arn:aws-cn:iam::111122223333:role/R"),
            ),
            ("assumed role without a session is not a principal", "arn:aws:sts::111122223333:assumed-role/R", None),
            ("federated user is not an IAM principal", "arn:aws:sts::111122223333:federated-user/bob", None),
            ("a Kubernetes username is not an ARN", "system:serviceaccount:kube-system:coredns", None),
            ("empty account is rejected", "arn:aws:iam:::role/R", None),
            ("empty string", "", None),
        ];
        for (name, input, want) in cases {
            assert_eq!(canonical_principal_arn(input).as_deref(), want, "{name}");
        }
    }
}
