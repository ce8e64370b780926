//! `grantscope demo`: generates a small cluster's worth of data, ingests it, and shows what is stored.

use super::{CommandError, ingest, stats};
use crate::app::clock::now_ms;
use crate::cli::output::{Format, FormatArg};
use crate::generate::{GenerateOptions, Profile};
use crate::ingest::InputFormat;
use crate::model::time;
use crate::sources::files::DEFAULT_BATCH_RECORDS;
use crate::store::Horizons;
use std::path::Path;

/// The demo's exceptions file; `EXPIRES` is replaced by a day half a year ahead.
const DEMO_EXCEPTIONS: &str = "\
# Accepted risk for the demo cluster: reviewed like code; `grantscope accept` appends entries.
exceptions:
  - match:
      kind: unused-access-entry
      principal: \"arn:aws:iam::*:role/break-glass\"
    reason: \"Break-glass role: unused by design; the on-call lead assumes it only in an incident\"
    owner: platform-security
    expires: EXPIRES
";

pub fn run(out: &Path, horizons: Horizons, progress: bool, format: Format) -> Result<(), CommandError> {
    let opts = GenerateOptions {
        profile: Profile::Small,
        seed: 42,
        events: 50_000,
        days: 14,
        // The fortnight up to yesterday: complete days, none in the future.
        end_day: time::day_of(now_ms()) - 1,
        cluster: "demo".to_string(),
        account: "111122223333".to_string(),
    };
    let generated = super::generate::write_files(out, &opts)?;
    let db = out.join("grantscope.db");
    if format == Format::Text {
        crate::outln!(
            "generated {} audit and {} CloudTrail events in {}",
            generated.audit_events,
            generated.cloudtrail_events,
            out.display()
        );
    }
    for (kind, file, cluster) in [
        (ingest::Kind::Audit, &generated.audit, Some(opts.cluster.clone())),
        (ingest::Kind::CloudTrail, &generated.cloudtrail, None),
    ] {
        let args = ingest::IngestArgs {
            kind,
            cluster,
            input_format: InputFormat::Auto,
            batch_records: DEFAULT_BATCH_RECORDS,
            files: vec![file.clone()],
            progress,
            horizons,
        };
        ingest::run(&db, args, format)?;
    }
    stats::run(&db, None, format)?;
    super::state::import(&db, &opts.cluster, std::slice::from_ref(&generated.state), false, format)?;
    // The demo's break-glass role is unused on purpose: its risk is accepted, as a team would.
    let exceptions = out.join(crate::analysis::exceptions::DEFAULT_FILE);
    let expires = crate::model::time::format_day(time::day_of(now_ms()) + 180);
    std::fs::write(&exceptions, DEMO_EXCEPTIONS.replace("EXPIRES", &expires))
        .map_err(|source| CommandError::Io { path: exceptions.display().to_string(), source })?;
    let scope = super::findings::AssessScope {
        cluster: Some(&opts.cluster),
        window_days: 90,
        min_observed_days: 14,
        exceptions: Some(&exceptions),
    };
    let args = super::findings::FindingsArgs { scope, kind: None, control: None, show_accepted: true };
    super::findings::findings(&db, args, format)?;
    // One assessment, rendered twice.
    let (report, html) = super::report::build(&db, scope, None, FormatArg::Html)?;
    let mut reports = Vec::new();
    for (text, name) in [(html, "report.html"), (crate::report::markdown(&report), "report.md")] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|source| CommandError::Io { path: path.display().to_string(), source })?;
        reports.push(path);
    }
    match format {
        Format::Text => {
            crate::outln!("report: {} (and {})", reports[0].display(), reports[1].display());
            crate::outln!("database: {} (explore: grantscope --db {} --format json stats)", db.display(), db.display());
        }
        Format::Json => crate::cli::output::print_json(&serde_json::json!({
            "report_html": reports[0],
            "report_md": reports[1],
            "database": db,
        })),
    }
    Ok(())
}
