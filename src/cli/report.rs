//! `grantscope report`: the assessment as a report for people, in Markdown, HTML or JSON.

use super::CommandError;
use super::findings::{AssessScope, assessment};
use crate::cli::output::FormatArg;
use crate::report::{Report, ReportFormat};
use crate::store::Store;
use std::path::Path;

pub struct ReportArgs<'a> {
    pub scope: AssessScope<'a>,
    /// Write the report here instead of printing it.
    pub out: Option<&'a Path>,
    /// An earlier JSON report to say what changed since.
    pub since_report: Option<&'a Path>,
}

/// Builds the report, compared with the JSON report at `since` if given; returns it with its
/// rendering in `format` (`text` is Markdown).
pub fn build(
    db: &Path,
    scope: AssessScope,
    since: Option<&Path>,
    format: FormatArg,
) -> Result<(Report, String), CommandError> {
    let format = match format {
        FormatArg::Html => ReportFormat::Html,
        FormatArg::Json => ReportFormat::Json,
        FormatArg::Md | FormatArg::Text => ReportFormat::Md,
        FormatArg::Eksctl | FormatArg::Terraform | FormatArg::AwsCli | FormatArg::Kubectl | FormatArg::Dot => {
            return Err(CommandError::Usage(format!(
                "--format {} is not for report, which writes md, html or json",
                format.name()
            )));
        }
    };
    // Read first: a missing or foreign earlier report fails before the assessment runs.
    let previous = since
        .map(|path| {
            std::fs::read_to_string(path)
                .map(|text| (path, text))
                .map_err(|source| CommandError::Io { path: path.display().to_string(), source })
        })
        .transpose()?;
    let mut store = Store::open_existing(db)?;
    let a = assessment(&mut store, scope)?;
    let mut report = crate::app::assess::report(&a, &store)?;
    if let Some((path, text)) = previous {
        report
            .compare_with(&text)
            .map_err(|source| CommandError::PreviousReport { path: path.display().to_string(), source })?;
    }
    let text = format.render(&report);
    Ok((report, text))
}

pub fn run(db: &Path, args: ReportArgs, format: FormatArg) -> Result<(), CommandError> {
    let (report, text) = build(db, args.scope, args.since_report, format)?;
    match args.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|source| CommandError::Io { path: dir.display().to_string(), source })?;
            }
            std::fs::write(path, text)
                .map_err(|source| CommandError::Io { path: path.display().to_string(), source })?;
            tracing::info!(findings = report.findings.len(), "wrote the report");
            crate::outln!("wrote {}", path.display());
        }
        // Already escaped for its format (markup) and for terminals (control characters).
        None => crate::cli::output::write_stdout_exact(&text),
    }
    Ok(())
}
