//! `grantscope generate`: writes a synthetic data set (audit JSON lines, a CloudTrail file, and the
//! cluster's access configuration).

use super::CommandError;
use crate::cli::output::{Format, print_json};
use crate::generate::{GenerateOptions, write_audit, write_cloudtrail};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub struct Generated {
    pub audit: PathBuf,
    pub audit_events: u64,
    pub cloudtrail: PathBuf,
    pub cloudtrail_events: u64,
    /// The cluster's access configuration, for `--state` and `state import`.
    pub state: PathBuf,
}

pub fn run(out: &Path, opts: &GenerateOptions, format: Format) -> Result<Generated, CommandError> {
    let generated = write_files(out, opts)?;
    match format {
        Format::Json => print_json(&generated),
        Format::Text => crate::outln!(
            "wrote {} audit events to {}, {} CloudTrail events to {} and the access configuration to {}",
            generated.audit_events,
            generated.audit.display(),
            generated.cloudtrail_events,
            generated.cloudtrail.display(),
            generated.state.display()
        ),
    }
    Ok(generated)
}

/// Writes `audit.jsonl`, `cloudtrail.json` and `state.yaml` into `out`.
pub fn write_files(out: &Path, opts: &GenerateOptions) -> Result<Generated, CommandError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CommandError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let audit = out.join("audit.jsonl");
    let cloudtrail = out.join("cloudtrail.json");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&audit).map_err(io(&audit))?);
    let audit_events = write_audit(&mut w, opts).map_err(io(&audit))?;
    w.flush().map_err(io(&audit))?;
    let mut w = BufWriter::new(File::create(&cloudtrail).map_err(io(&cloudtrail))?);
    let cloudtrail_events = write_cloudtrail(&mut w, opts).map_err(io(&cloudtrail))?;
    w.flush().map_err(io(&cloudtrail))?;
    let state = out.join("state.yaml");
    std::fs::write(&state, crate::generate::state_yaml(opts)).map_err(io(&state))?;
    Ok(Generated { audit, audit_events, cloudtrail, cloudtrail_events, state })
}
