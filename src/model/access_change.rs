//! CloudTrail events that change who can access a cluster.

use super::EventId;

/// The CloudTrail calls grantscope keeps; everything else is counted as skipped.
pub const ACCESS_EVENTS: &[(&str, &str)] = &[
    ("eks.amazonaws.com", "CreateAccessEntry"),
    ("eks.amazonaws.com", "UpdateAccessEntry"),
    ("eks.amazonaws.com", "DeleteAccessEntry"),
    ("eks.amazonaws.com", "AssociateAccessPolicy"),
    ("eks.amazonaws.com", "DisassociateAccessPolicy"),
    ("eks.amazonaws.com", "UpdateClusterConfig"),
    ("eks.amazonaws.com", "CreateCluster"),
    ("eks.amazonaws.com", "DeleteCluster"),
    ("iam.amazonaws.com", "CreateRole"),
    ("iam.amazonaws.com", "DeleteRole"),
    ("iam.amazonaws.com", "CreateUser"),
    ("iam.amazonaws.com", "DeleteUser"),
];

/// Whether a CloudTrail call can change cluster access.
pub fn is_access_event(source: &str, name: &str) -> bool {
    ACCESS_EVENTS.iter().any(|&(s, n)| s == source && n == name)
}

/// One access-relevant CloudTrail event, with the fields analysis needs pulled out.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessChange {
    pub id: EventId,
    pub event_id: String,
    pub time_ms: i64,
    /// `eks.amazonaws.com` or `iam.amazonaws.com`.
    pub source: String,
    pub name: String,
    /// The EKS cluster the call is about; `None` for IAM calls, which concern the whole account.
    pub cluster: Option<String>,
    /// The IAM principal the call is about (access entry principal, or the role/user created or deleted).
    pub principal_arn: Option<String>,
    pub policy_arn: Option<String>,
    pub account: Option<String>,
    /// Who made the call (`userIdentity.arn`).
    pub actor_arn: Option<String>,
    /// The whole record, as received, for drill-down and later analysis.
    pub raw: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_access_calls_are_kept() {
        let cases = [
            ("access entry creation", "eks.amazonaws.com", "CreateAccessEntry", true),
            ("policy association", "eks.amazonaws.com", "AssociateAccessPolicy", true),
            ("role deletion", "iam.amazonaws.com", "DeleteRole", true),
            ("read-only EKS call", "eks.amazonaws.com", "DescribeCluster", false),
            ("same name, other service", "iam.amazonaws.com", "CreateAccessEntry", false),
            ("unrelated service", "s3.amazonaws.com", "GetObject", false),
        ];
        for (name, source, event, want) in cases {
            assert_eq!(is_access_event(source, event), want, "{name}");
        }
    }
}
