//! The remediation file formats, and which renderer writes each.

use super::remediation::{RemediateError, Remediation};
use super::{aws_cli, eksctl, kubectl, terraform};

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

impl Remediation<'_> {
    /// The file of `format`.
    pub fn render(&self, format: RemediationFormat) -> Result<String, RemediateError> {
        Ok(match format {
            RemediationFormat::AwsCli => aws_cli::render(self),
            RemediationFormat::Eksctl => eksctl::render(self)?,
            RemediationFormat::Terraform => terraform::render(self),
            RemediationFormat::Kubectl => kubectl::render(self),
        })
    }
}
