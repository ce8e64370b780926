//! `grantscope ingest audit|cloudtrail FILE...` and `grantscope ingest cloudwatch`.

use super::{CommandError, gc};
use crate::ingest::{self, AuditSink, CloudTrailSink, FileOptions, InputFormat, InputPath, Tally, sink::Sink};
use crate::output::{Format, print_json};
use crate::store::{Horizons, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which parser reads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audit,
    CloudTrail,
}

pub struct IngestArgs {
    pub kind: Kind,
    pub cluster: Option<String>,
    pub input_format: InputFormat,
    pub batch_records: usize,
    pub files: Vec<PathBuf>,
    pub progress: bool,
    pub horizons: Horizons,
}

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
    /// Requests the API throttled (backed off and retried).
    #[serde(skip_serializing_if = "Option::is_none")]
    throttled_requests: Option<u64>,
    ingested: u64,
    duplicates: u64,
    skipped: u64,
    errors: u64,
    skipped_by_reason: &'a std::collections::BTreeMap<&'static str, u64>,
    gc_events_deleted: u64,
}

/// Ingests the files; every path is checked before the database is opened, so a bad path writes nothing.
pub fn run(db: &Path, args: IngestArgs, format: Format) -> Result<Tally, CommandError> {
    let paths: Vec<InputPath> = args.files.iter().map(|p| InputPath::parse(p)).collect();
    if paths.iter().filter(|p| **p == InputPath::Stdin).count() > 1 {
        return Err(CommandError::Usage("`-` (stdin) may be given only once".into()));
    }
    ingest::check_inputs(&paths)?;
    let mut store = Store::open(db)?;
    let mut sink: Box<dyn Sink> = match args.kind {
        Kind::Audit => Box::new(AuditSink::new(args.cluster)),
        Kind::CloudTrail => Box::new(CloudTrailSink),
    };
    let opts = FileOptions {
        format: args.input_format,
        batch_records: args.batch_records,
        progress: args.progress,
        stop: None,
    };
    let tally = ingest::ingest_files(&mut store, &paths, sink.as_mut(), &opts)?;
    let gc = gc::collect(&store, args.horizons)?;
    print_summary(format, Some(paths.len()), None, &tally, gc.events_deleted);
    Ok(tally)
}

fn print_summary(format: Format, files: Option<usize>, throttled: Option<u64>, tally: &Tally, gc_events_deleted: u64) {
    match format {
        Format::Json => print_json(&Summary {
            files,
            throttled_requests: throttled,
            ingested: tally.ingested,
            duplicates: tally.duplicates,
            skipped: tally.skipped_total(),
            errors: tally.errors,
            skipped_by_reason: &tally.skipped,
            gc_events_deleted,
        }),
        Format::Text => {
            let mut line =
                format!("ingested {}, skipped {}, errors {}", tally.ingested, tally.skipped_total(), tally.errors);
            if tally.errors > 0 {
                line.push_str(" (see grantscope errors)");
            }
            if tally.duplicates > 0 {
                line.push_str(&format!("; {} already stored, not counted again", tally.duplicates));
            }
            if let Some(n) = throttled.filter(|n| *n > 0) {
                line.push_str(&format!("; {n} throttled requests retried"));
            }
            crate::outln!("{line}");
        }
    }
}

pub struct CloudWatchArgs {
    pub cluster: String,
    pub region: Option<String>,
    pub log_group: Option<String>,
    pub stream_prefix: String,
    pub since_days: u32,
    pub horizons: Horizons,
}

/// `ingest cloudwatch`: the cluster's audit log from CloudWatch Logs, from the checkpoint (or
/// `--since`) up to now.
pub fn cloudwatch(db: &Path, args: CloudWatchArgs, format: Format) -> Result<Tally, CommandError> {
    use crate::sources::cloudwatch::{CloudWatchOptions, ingest};
    let now = super::now_ms();
    let mut opts = CloudWatchOptions::for_cluster(
        &args.cluster,
        now - i64::from(args.since_days) * crate::model::time::MS_PER_DAY,
    );
    if let Some(group) = args.log_group {
        opts.log_group = group;
    }
    opts.stream_prefix = args.stream_prefix;
    let mut store = Store::open(db)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let (tally, throttled) = runtime
        .block_on(async {
            let client =
                aws_sdk_cloudwatchlogs::Client::new(&crate::sources::aws::config(args.region.as_deref()).await);
            ingest(&client, &mut store, &opts, now).await
        })
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let gc = gc::collect(&store, args.horizons)?;
    print_summary(format, None, Some(throttled), &tally, gc.events_deleted);
    Ok(tally)
}
