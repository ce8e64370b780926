//! Remediation files: the recommendations of an assessment, as something to apply — a shell
//! script of AWS CLI and kubectl commands, an eksctl `accessConfig`, Terraform, Kubernetes YAML —
//! and the recommended state as a snapshot for `grantscope whatif`.
//!
//! Only recommendations that carry a change are written: those proven safe by replay, alone and all
//! together ([`crate::analysis::prove_together`]).

mod aws_cli;
mod eksctl;
mod kubectl;
mod terraform;

use crate::analysis::generated::GeneratedRbac;
use crate::analysis::{Change, Finding, apply};
use crate::authz::Grant;
use crate::model::{AccessState, RoleBinding};

/// A remediation file format (`--format` of `remediate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemediationFormat {
    AwsCli,
    Eksctl,
    Terraform,
    Kubectl,
}

impl RemediationFormat {
    pub const ALL: [RemediationFormat; 4] = [
        RemediationFormat::AwsCli,
        RemediationFormat::Eksctl,
        RemediationFormat::Terraform,
        RemediationFormat::Kubectl,
    ];

    /// The file `--out DIR` writes it to.
    pub fn file_name(self, cluster: &str) -> String {
        let cluster = crate::analysis::generated::file_safe(cluster);
        match self {
            RemediationFormat::AwsCli => format!("{cluster}.sh"),
            RemediationFormat::Eksctl => format!("{cluster}.eksctl.yaml"),
            RemediationFormat::Terraform => format!("{cluster}.tf"),
            RemediationFormat::Kubectl => crate::analysis::generated::manifest_file_name(cluster.as_str()),
        }
    }
}

/// A remediation that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum RemediateError {
    #[error("an eksctl ClusterConfig names the cluster's region: pass --region or set AWS_REGION")]
    NoRegion,
}

/// An assessment's safe recommendations and the state they lead to.
pub struct Remediation<'a> {
    pub cluster: &'a str,
    pub region: Option<&'a str>,
    pub current: &'a AccessState,
    pub recommended: AccessState,
    /// The findings whose change is recommended, most severe first.
    pub findings: Vec<&'a Finding>,
    /// The sentence that states the proof.
    pub proof: String,
}

impl<'a> Remediation<'a> {
    pub fn new(
        cluster: &'a str,
        region: Option<&'a str>,
        current: &'a AccessState,
        findings: &'a [Finding],
        proof: String,
    ) -> Remediation<'a> {
        let findings: Vec<&Finding> = findings.iter().filter(|f| f.change.is_some()).collect();
        let changes: Vec<&Change> = findings.iter().filter_map(|f| f.change.as_ref()).collect();
        Remediation { cluster, region, current, recommended: apply(current, &changes), findings, proof }
    }

    /// The generated RBAC the recommendations add, with the finding that adds each.
    pub fn generated(&self) -> impl Iterator<Item = (&'a Finding, &'a GeneratedRbac)> + '_ {
        self.findings.iter().filter_map(|f| match &f.change {
            Some(Change::Replace { rbac, .. }) => Some((*f, rbac)),
            _ => None,
        })
    }

    /// The RBAC bindings the recommendations remove.
    pub fn removed_bindings(&self) -> Vec<&'a RoleBinding> {
        let current = self.current;
        self.findings
            .iter()
            .filter_map(|f| match f.change {
                Some(Change::Remove(Grant::Binding(i))) => current.bindings.get(i),
                _ => None,
            })
            .collect()
    }

    /// Whether the recommendations change the aws-auth ConfigMap.
    pub fn aws_auth_changed(&self) -> bool {
        self.current.aws_auth != self.recommended.aws_auth
    }

    pub fn render(&self, format: RemediationFormat) -> Result<String, RemediateError> {
        Ok(match format {
            RemediationFormat::AwsCli => aws_cli::render(self),
            RemediationFormat::Eksctl => eksctl::render(self)?,
            RemediationFormat::Terraform => terraform::render(self),
            RemediationFormat::Kubectl => kubectl::render(self),
        })
    }

    /// The comment lines every file starts with: what it is, and the proof.
    fn header(&self, what: &str) -> Vec<String> {
        let mut lines = vec![
            format!("grantscope remediation for cluster {}: {what}", self.cluster),
            format!("{} recommendations; {}.", self.findings.len(), self.proof),
        ];
        lines.extend(self.findings.iter().map(|f| format!("  {} {}: {}", f.id, f.kind, f.grant)));
        lines
    }
}
