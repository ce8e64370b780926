//! The kinds of finding, named as the JSON output, the reports, the metrics and
//! `schemas/report.schema.json` name them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a finding says about its grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    UnusedAccessEntry,
    UnusedPolicyAssociation,
    UnusedAwsAuthMapping,
    UnusedRbacBinding,
    /// A Kubernetes group of an access entry that no allowed request needed.
    UnusedKubernetesGroup,
    /// A grant that allowed nothing itself: a grant earlier in the chain allowed all it would.
    ShadowedGrant,
    OverbroadScope,
    OverbroadPolicy,
    Risky,
    EscalationPath,
    /// Not used, but the data cannot tell yet (too few days observed, or created in the window).
    InsufficientEvidence,
    /// CIS EKS 4.1.3: a role the cluster's owners wrote uses `*` for verbs, resources or groups.
    WildcardRule,
    /// CIS EKS 4.1.5: a binding names a namespace's `default` service account.
    DefaultServiceAccountBound,
    /// CIS EKS 4.1.9: a grant allows creating PersistentVolumes.
    CreatePersistentvolumes,
    /// CIS EKS 4.1.10: a grant allows the proxy sub-resource of Nodes.
    NodesProxyAccess,
    /// CIS EKS 4.1.11: a grant allows writing webhook configurations.
    WebhookConfigurationWrite,
}

impl FindingKind {
    /// Every kind, in the order `schemas/report.schema.json` lists them.
    pub const ALL: [FindingKind; 16] = [
        FindingKind::UnusedAccessEntry,
        FindingKind::UnusedPolicyAssociation,
        FindingKind::UnusedAwsAuthMapping,
        FindingKind::UnusedRbacBinding,
        FindingKind::UnusedKubernetesGroup,
        FindingKind::ShadowedGrant,
        FindingKind::OverbroadScope,
        FindingKind::OverbroadPolicy,
        FindingKind::Risky,
        FindingKind::EscalationPath,
        FindingKind::InsufficientEvidence,
        FindingKind::WildcardRule,
        FindingKind::DefaultServiceAccountBound,
        FindingKind::CreatePersistentvolumes,
        FindingKind::NodesProxyAccess,
        FindingKind::WebhookConfigurationWrite,
    ];

    /// The name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UnusedAccessEntry => "unused-access-entry",
            FindingKind::UnusedPolicyAssociation => "unused-policy-association",
            FindingKind::UnusedAwsAuthMapping => "unused-aws-auth-mapping",
            FindingKind::UnusedRbacBinding => "unused-rbac-binding",
            FindingKind::UnusedKubernetesGroup => "unused-kubernetes-group",
            FindingKind::ShadowedGrant => "shadowed-grant",
            FindingKind::OverbroadScope => "overbroad-scope",
            FindingKind::OverbroadPolicy => "overbroad-policy",
            FindingKind::Risky => "risky",
            FindingKind::EscalationPath => "escalation-path",
            FindingKind::InsufficientEvidence => "insufficient-evidence",
            FindingKind::WildcardRule => "wildcard-rule",
            FindingKind::DefaultServiceAccountBound => "default-service-account-bound",
            FindingKind::CreatePersistentvolumes => "create-persistentvolumes",
            FindingKind::NodesProxyAccess => "nodes-proxy-access",
            FindingKind::WebhookConfigurationWrite => "webhook-configuration-write",
        }
    }

    pub fn parse(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A grant that allowed nothing in the window, whose removal the finding recommends (a group
    /// of an entry is taken off the entry, not removed as a grant).
    pub fn is_unused_grant(self) -> bool {
        matches!(
            self,
            FindingKind::UnusedAccessEntry
                | FindingKind::UnusedPolicyAssociation
                | FindingKind::UnusedAwsAuthMapping
                | FindingKind::UnusedRbacBinding
        )
    }

    /// A grant used, but wider than its use: the finding offers a narrower one.
    pub fn is_overbroad(self) -> bool {
        matches!(self, FindingKind::OverbroadScope | FindingKind::OverbroadPolicy)
    }
}

impl fmt::Display for FindingKind {
    /// The name; padded as asked, like a string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for FindingKind {
    type Err = String;

    /// For `--kind`: an unknown name lists the known ones.
    fn from_str(name: &str) -> Result<FindingKind, String> {
        FindingKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("`{name}` is not a kind of finding; expected one of {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_named_as_the_report_schema_lists_it() {
        let schema: serde_json::Value = serde_json::from_str(include_str!("../../schemas/report.schema.json")).unwrap();
        let published: Vec<&str> =
            schema["$defs"]["kind"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(published, FindingKind::ALL.map(FindingKind::as_str), "the schema lists every kind, in order");
        for kind in FindingKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::json!(kind.as_str()), "{kind} serializes by its name");
            assert_eq!(serde_json::from_value::<FindingKind>(json).unwrap(), kind);
            assert_eq!(kind.as_str().parse::<FindingKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn an_unknown_kind_names_the_known_ones() {
        let err = "unused".parse::<FindingKind>().unwrap_err();
        assert!(err.contains("`unused` is not a kind") && err.contains("unused-rbac-binding, "), "{err}");
    }

    #[test]
    fn kinds_group_as_the_old_name_prefixes_did() {
        for kind in FindingKind::ALL {
            let name = kind.as_str();
            assert_eq!(kind.is_overbroad(), name.starts_with("overbroad"), "{name}");
            assert_eq!(
                kind.is_unused_grant(),
                name.starts_with("unused-") && name != "unused-kubernetes-group",
                "{name}"
            );
        }
    }
}
