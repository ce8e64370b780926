//! `grantscope remediate`: the assessment's safe recommendations as files to apply.

use super::CommandError;
use super::findings::{AssessScope, assessment};
use crate::cli::output::{FormatArg, print_json, write_stdout_exact};
use crate::remediate::{Remediation, RemediationFormat};
use crate::state::Snapshot;
use crate::store::Store;
use std::path::Path;

pub struct RemediateArgs<'a> {
    pub scope: AssessScope<'a>,
    pub region: Option<&'a str>,
    /// Write every format here instead of printing one.
    pub out: Option<&'a Path>,
}

pub fn run(db: &Path, args: RemediateArgs, format: FormatArg) -> Result<(), CommandError> {
    let chosen = match format {
        FormatArg::AwsCli | FormatArg::Text => Some(RemediationFormat::AwsCli),
        FormatArg::Eksctl => Some(RemediationFormat::Eksctl),
        FormatArg::Terraform => Some(RemediationFormat::Terraform),
        FormatArg::Kubectl => Some(RemediationFormat::Kubectl),
        FormatArg::Json => None,
        FormatArg::Md | FormatArg::Html | FormatArg::Dot => {
            return Err(CommandError::Usage(format!(
                "--format {} is not for remediate, which writes aws-cli, eksctl, terraform, kubectl or json",
                format.name()
            )));
        }
    };
    let mut store = Store::open_existing(db)?;
    let a = assessment(&mut store, args.scope)?;
    let cluster = a.replay.cluster.as_str();
    let r = Remediation::new(cluster, args.region, &a.state, &a.findings, a.proof());
    let snapshot = || serde_json::to_string_pretty(&Snapshot::new(r.recommended.clone())).expect("state serializes");
    match (args.out, chosen) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
            let mut written = Vec::new();
            for f in RemediationFormat::ALL {
                match r.render(f) {
                    Ok(text) => written.push(write(dir, &f.file_name(cluster), &text)?),
                    // Only eksctl can fail (no region): the other files are still worth having.
                    Err(e) => tracing::warn!("not writing {}: {e}", f.file_name(cluster)),
                }
            }
            let cluster_file = crate::analysis::generated::file_safe(cluster);
            written.push(write(dir, &format!("{cluster_file}.snapshot.json"), &snapshot())?);
            for path in written {
                crate::outln!("wrote {path}");
            }
            crate::outln!("{} recommendations; {}", r.findings.len(), r.proof);
        }
        // A file format: its names must stay exact (control characters are already kept out of
        // scripts and comments, and escaped in YAML, HCL and JSON).
        (None, Some(f)) => write_stdout_exact(&r.render(f)?),
        (None, None) => print_json(&serde_json::json!({
            "cluster": cluster,
            "proof": a.together,
            "recommendations": r.findings.iter().map(|f| serde_json::json!({
                "id": f.id,
                "kind": f.kind,
                "severity": f.severity,
                "grant": f.grant,
                "summary": f.recommendation.summary,
                "commands": f.recommendation.commands,
            })).collect::<Vec<_>>(),
            "recommended_state": Snapshot::new(r.recommended.clone()),
        })),
    }
    Ok(())
}

fn write(dir: &Path, name: &str, text: &str) -> Result<String, CommandError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| io_error(&path, e))?;
    Ok(path.display().to_string())
}

fn io_error(path: &Path, source: std::io::Error) -> CommandError {
    CommandError::Io { path: path.display().to_string(), source }
}
