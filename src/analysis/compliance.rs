//! Which published controls each finding bears on: the CIS Amazon EKS Benchmark's RBAC and service
//! account recommendations, two CIS Kubernetes Benchmark recommendations the EKS benchmark has no
//! id for, and the NSA/CISA Kubernetes Hardening Guidance's role-based access control section.
//!
//! Ids and titles are cited exactly as published; where they come from is in [`CONTROLS`]. The CIS
//! titles are read from the benchmark text that kube-bench (aquasecurity/kube-bench
//! `cfg/eks-1.8.0/policies.yaml`, `cfg/cis-1.12/policies.yaml`) and Kubescape (kubescape/regolibrary
//! `frameworks/cis-eks-t1.8.0.json`) reproduce. Where the two word a title differently (EKS 4.1.9
//! and 4.1.10: Kubescape writes "persistent volumes" and "nodes"), kube-bench's `cfg/eks-1.8.0`
//! (commit 2abf6ffc0b1e0a7f18c101bbcddafc8b63f927c7), the benchmark version kube-bench runs on
//! EKS, is cited. The NSA/CISA guidance has no control
//! ids: it is cited by section, as v1.0 (August 2021) names it; the section is in v1.2 too, whose
//! exact heading was not checked. Which findings bear on which control is grantscope's reading.

use super::{Finding, FindingKind};
use serde::Serialize;

/// One control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Control {
    /// grantscope's id for it, as `findings --control` takes it.
    pub id: &'static str,
    pub framework: &'static str,
    /// The control's own id in the framework (its number, or its section).
    pub reference: &'static str,
    pub title: &'static str,
}

const CIS_EKS: &str = "CIS Amazon EKS Benchmark v1.8.0";
const CIS_K8S: &str = "CIS Kubernetes Benchmark v1.12.0";
const NSA_CISA: &str = "NSA/CISA Kubernetes Hardening Guidance v1.0";

pub const CONTROLS: &[Control] = &[
    Control {
        id: "cis-eks-4.1.1",
        framework: CIS_EKS,
        reference: "4.1.1",
        title: "Ensure that the cluster-admin role is only used where required",
    },
    Control { id: "cis-eks-4.1.2", framework: CIS_EKS, reference: "4.1.2", title: "Minimize access to secrets" },
    Control {
        id: "cis-eks-4.1.3",
        framework: CIS_EKS,
        reference: "4.1.3",
        title: "Minimize wildcard use in Roles and ClusterRoles",
    },
    Control { id: "cis-eks-4.1.4", framework: CIS_EKS, reference: "4.1.4", title: "Minimize access to create pods" },
    Control {
        id: "cis-eks-4.1.5",
        framework: CIS_EKS,
        reference: "4.1.5",
        title: "Ensure that default service accounts are not actively used",
    },
    Control {
        id: "cis-eks-4.1.7",
        framework: CIS_EKS,
        reference: "4.1.7",
        title: "Cluster Access Manager API to streamline and enhance the management of access controls within EKS clusters",
    },
    Control {
        id: "cis-eks-4.1.8",
        framework: CIS_EKS,
        reference: "4.1.8",
        title: "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    },
    Control {
        id: "cis-eks-4.1.9",
        framework: CIS_EKS,
        reference: "4.1.9",
        title: "Minimize access to create PersistentVolume objects",
    },
    Control {
        id: "cis-eks-4.1.10",
        framework: CIS_EKS,
        reference: "4.1.10",
        title: "Minimize access to the proxy sub-resource of Node objects",
    },
    Control {
        id: "cis-eks-4.1.11",
        framework: CIS_EKS,
        reference: "4.1.11",
        title: "Minimize access to webhook configuration objects",
    },
    Control {
        id: "cis-eks-4.1.12",
        framework: CIS_EKS,
        reference: "4.1.12",
        title: "Minimize access to the service account token creation",
    },
    Control { id: "cis-k8s-5.1.7", framework: CIS_K8S, reference: "5.1.7", title: "Avoid use of system:masters group" },
    Control {
        id: "cis-k8s-5.1.11",
        framework: CIS_K8S,
        reference: "5.1.11",
        title: "Minimize access to the approval sub-resource of certificatesigningrequests objects",
    },
    Control {
        id: "nsa-cisa-rbac",
        framework: NSA_CISA,
        reference: "Authentication and authorization / Role-based access control",
        title: "Role-based access control",
    },
];

/// The control with this id (`cis-eks-4.1.8`), or with this reference in the CIS EKS benchmark
/// (`4.1.8`).
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS
        .iter()
        .find(|c| c.id == id)
        .or_else(|| CONTROLS.iter().find(|c| c.framework == CIS_EKS && c.reference == id))
}

/// The ids of the controls a finding bears on.
pub fn controls_for(f: &Finding) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let text = &f.recommendation.summary;
    let grant = f.grant.as_str();
    let admin = grant.contains("ClusterRole/cluster-admin")
        || grant.contains("AmazonEKSClusterAdminPolicy")
        || text.contains("can become cluster-admin")
        || text.contains("creator's admin access entry");
    match f.kind {
        FindingKind::InsufficientEvidence => return out,
        FindingKind::EscalationPath => {
            // The steps of the path: `EDGE TARGET by GRANT`.
            for step in &f.evidence.examples {
                let edge = step.split_whitespace().next().unwrap_or_default();
                out.extend(match edge {
                    "impersonate" | "bind" | "escalate" => Some("cis-eks-4.1.8"),
                    "create-pods" => Some("cis-eks-4.1.4"),
                    "read-secrets" => Some("cis-eks-4.1.2"),
                    "create-token" => Some("cis-eks-4.1.12"),
                    "write-aws-auth" => Some("cis-eks-4.1.7"),
                    "approve-csr" => Some("cis-k8s-5.1.11"),
                    "nodes-proxy" => Some("cis-eks-4.1.10"),
                    _ => None,
                });
            }
        }
        FindingKind::Risky => {
            let rules = [
                ("system:masters", "cis-k8s-5.1.7"),
                ("still authenticates through aws-auth", "cis-eks-4.1.7"),
                ("mapAccounts", "cis-eks-4.1.7"),
                ("every verb on secrets", "cis-eks-4.1.2"),
                ("escalate on roles", "cis-eks-4.1.8"),
                ("bind on roles", "cis-eks-4.1.8"),
                ("impersonate", "cis-eks-4.1.8"),
            ];
            out.extend(rules.iter().filter(|(phrase, _)| text.contains(phrase)).map(|(_, id)| *id));
        }
        FindingKind::UnusedAwsAuthMapping => out.push("cis-eks-4.1.7"),
        FindingKind::WildcardRule => out.push("cis-eks-4.1.3"),
        FindingKind::DefaultServiceAccountBound => out.push("cis-eks-4.1.5"),
        FindingKind::CreatePersistentvolumes => out.push("cis-eks-4.1.9"),
        FindingKind::NodesProxyAccess => out.push("cis-eks-4.1.10"),
        FindingKind::WebhookConfigurationWrite => out.push("cis-eks-4.1.11"),
        _ => {}
    }
    if admin {
        out.push("cis-eks-4.1.1");
    }
    // Every finding is a privilege beyond what is needed.
    out.push("nsa-cisa-rbac");
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Evidence, Recommendation, Severity};

    fn finding(kind: FindingKind, grant: &str, summary: &str, steps: &[&str]) -> Finding {
        let mut evidence = Evidence::unused(30, 90);
        evidence.examples = steps.iter().map(|s| s.to_string()).collect();
        Finding {
            id: "GS-000000000000".into(),
            kind,
            would_be: None,
            severity: Severity::High,
            cluster: "c".into(),
            principal: None,
            grant: crate::model::GrantId::parse(grant),
            evidence,
            recommendation: Recommendation { summary: summary.into(), commands: vec![] },
            change: None,
            controls: vec![],
            accepted: None,
            lapsed_exception: None,
        }
    }

    #[test]
    fn each_kind_of_finding_names_its_controls() {
        let cases = [
            (
                "unused binding",
                finding(FindingKind::UnusedRbacBinding, "rbac:RoleBinding/a/b:Role/r", "", &[]),
                vec!["nsa-cisa-rbac"],
            ),
            (
                "unused cluster-admin binding",
                finding(FindingKind::UnusedRbacBinding, "rbac:ClusterRoleBinding/x:ClusterRole/cluster-admin", "", &[]),
                vec!["cis-eks-4.1.1", "nsa-cisa-rbac"],
            ),
            (
                "over-broad ClusterAdmin policy",
                finding(
                    FindingKind::OverbroadPolicy,
                    "eks:arn:aws:iam::1:role/a:AmazonEKSClusterAdminPolicy@cluster",
                    "",
                    &[],
                ),
                vec!["cis-eks-4.1.1", "nsa-cisa-rbac"],
            ),
            (
                "unused aws-auth mapping",
                finding(FindingKind::UnusedAwsAuthMapping, "aws-auth:mapRoles/x", "", &[]),
                vec!["cis-eks-4.1.7", "nsa-cisa-rbac"],
            ),
            (
                "system:masters mapping",
                finding(
                    FindingKind::Risky,
                    "aws-auth:mapRoles/x",
                    "x is mapped into system:masters: all-powerful",
                    &[],
                ),
                vec!["cis-k8s-5.1.7", "nsa-cisa-rbac"],
            ),
            (
                "a role with bind and impersonate",
                finding(
                    FindingKind::Risky,
                    "rbac:ClusterRoleBinding/x:ClusterRole/y",
                    "x grants bind on roles, impersonate: ways to gain more",
                    &[],
                ),
                vec!["cis-eks-4.1.8", "nsa-cisa-rbac"],
            ),
            (
                "escalation through pods and a token to cluster-admin",
                finding(
                    FindingKind::EscalationPath,
                    "rbac:RoleBinding/a/b:Role/r",
                    "p can become cluster-admin: ...",
                    &[
                        "create-pods serviceaccount:a/x by g",
                        "create-token serviceaccount:a/y by g",
                        "holds cluster-admin by h",
                    ],
                ),
                vec!["cis-eks-4.1.1", "cis-eks-4.1.12", "cis-eks-4.1.4", "nsa-cisa-rbac"],
            ),
            (
                "escalation by CSR approval",
                finding(
                    FindingKind::EscalationPath,
                    "g",
                    "p can become secrets-all-namespaces: ...",
                    &["approve-csr group:system:masters by g"],
                ),
                vec!["cis-k8s-5.1.11", "nsa-cisa-rbac"],
            ),
            ("not enough evidence is no violation", finding(FindingKind::InsufficientEvidence, "g", "", &[]), vec![]),
        ];
        for (name, f, want) in cases {
            assert_eq!(controls_for(&f), want, "{name}");
        }
    }

    #[test]
    fn every_control_is_found_by_its_id_and_cis_eks_ones_by_number() {
        for c in CONTROLS {
            assert_eq!(control(c.id), Some(c));
        }
        assert_eq!(control("4.1.8").map(|c| c.id), Some("cis-eks-4.1.8"));
        assert_eq!(control("5.1.7"), None, "a bare number means the EKS benchmark");
        let ids: std::collections::HashSet<&str> = CONTROLS.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CONTROLS.len());
        let schema: serde_json::Value = serde_json::from_str(include_str!("../../schemas/report.schema.json")).unwrap();
        let published: Vec<&str> =
            schema["$defs"]["control_id"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(
            published,
            CONTROLS.iter().map(|c| c.id).collect::<Vec<_>>(),
            "the report schema lists every control"
        );
    }
}
