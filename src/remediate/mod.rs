//! Remediation files: the recommendations of an assessment, as something to apply — a shell
//! script of AWS CLI and kubectl commands, an eksctl `accessConfig`, Terraform, Kubernetes YAML —
//! and the recommended state as a snapshot for `grantscope whatif`.
//!
//! Only recommendations that carry a change are written: those proven safe by replay, alone and all
//! together ([`crate::analysis::prove_together`]).

mod aws_cli;
mod eksctl;
mod format;
mod kubectl;
mod remediation;
mod terraform;

pub use format::RemediationFormat;
pub use remediation::{RemediateError, Remediation};
