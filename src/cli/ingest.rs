//! `grantscope ingest audit|cloudtrail FILE...`, and the live sources: `ingest cloudwatch` and
//! `ingest cloudtrail --live`.

use super::{CommandError, gc};
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::ingest::{AuditSink, CloudTrailSink, InputFormat, InputPath, Tally, sink::Sink};
use crate::sources::aws::{AttemptOutcome, Requests};
use crate::sources::files::{self, FileOptions};
use crate::sources::follow::{Reads, follow};
use crate::sources::live::LiveSource;
use crate::sources::slices::{ReadProgress, SourceError};
use crate::sources::stop::Stop;
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
struct IngestSummary<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    live: Option<&'a LiveSummary>,
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
    files::check_inputs(&paths)?;
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
        clock: now_ms,
    };
    let tally = files::ingest_files(&mut store, &paths, sink.as_mut(), &opts)?;
    let gc = gc::collect(&store, args.horizons)?;
    print_summary(format, Some(paths.len()), None, &tally, gc.events_deleted);
    Ok(tally)
}

fn print_summary(
    format: Format,
    files: Option<usize>,
    live: Option<&LiveSummary>,
    tally: &Tally,
    gc_events_deleted: u64,
) {
    match format {
        Format::Json => print_json(&IngestSummary {
            files,
            live,
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
            if let Some(live) = live {
                line.push_str(&format!("; {} requests", live.requests.total(AttemptOutcome::Ok)));
                if live.throttled_requests > 0 {
                    line.push_str(&format!(", {} throttled and retried", live.throttled_requests));
                }
                if let Some(lag) = live.lag_seconds {
                    line.push_str(&format!("; newest event {lag:.0} s old"));
                }
            }
            crate::outln!("{line}");
        }
    }
}

/// What a live source's run adds to the summary.
#[derive(Serialize)]
struct LiveSummary {
    /// Requests by API and outcome (ok, throttled, retried, error).
    requests: Requests,
    /// Requests AWS throttled, backed off and retried.
    throttled_requests: u64,
    /// Now minus the newest event read, in seconds.
    lag_seconds: Option<f64>,
}

/// How a live source runs: how far back a first run starts, and whether it keeps following.
pub struct LiveArgs {
    pub region: Option<String>,
    /// On a first run, start this far back [default: the source's].
    pub since_days: Option<u32>,
    /// Poll again until SIGINT/SIGTERM...
    pub follow: bool,
    /// ... every this many seconds [default: the source's].
    pub poll_seconds: Option<u64>,
    pub horizons: Horizons,
}

/// A live source's reads for the command, each logged and added to the totals.
struct Following<'a, S> {
    store: &'a mut Store,
    source: &'a mut S,
    stop: &'a Stop,
    total: &'a mut ReadProgress,
}

impl<S: LiveSource> Reads for Following<'_, S> {
    type Error = SourceError;

    async fn read(&mut self) -> Result<(), SourceError> {
        let mut progress = ReadProgress::default();
        let result = self.source.read(self.store, now_ms(), Some(self.stop), &mut progress).await;
        tracing::info!(ingested = progress.tally.ingested, lag_seconds = ?lag_seconds(progress.newest_ms), "read up to now");
        self.total.add(progress);
        result
    }
}

/// Reads `source` up to now; with `--follow`, again every poll interval until SIGINT/SIGTERM,
/// which stops the read at its next page, committed. Prints the totals.
/// `poll_seconds` is the source's configured interval, used with `--follow`.
fn run_live(
    db: &Path,
    live: &LiveArgs,
    poll_seconds: u64,
    format: Format,
    mut source: impl LiveSource,
) -> Result<Tally, CommandError> {
    let mut store = Store::open(db)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(CommandError::Runtime)?;
    let stop = Stop::default();
    let every = live.follow.then(|| std::time::Duration::from_secs(poll_seconds));
    let mut total = ReadProgress::default();
    let mut reads = Following { store: &mut store, source: &mut source, stop: &stop, total: &mut total };
    runtime.block_on(async {
        if every.is_some() {
            let stop = stop.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::app::shutdown::shutdown_signal().await {
                    tracing::warn!("cannot watch for signals ({e}); stop with kill -9, which loses nothing committed");
                    return;
                }
                tracing::info!("stopping after the page in flight");
                stop.stop();
            });
        }
        follow(reads.source.name(), every, &stop, &mut reads).await
    })?;
    let gc = gc::collect(&store, live.horizons)?;
    let summary = LiveSummary {
        throttled_requests: total.requests.total(AttemptOutcome::Throttled),
        requests: total.requests,
        lag_seconds: lag_seconds(total.newest_ms),
    };
    print_summary(format, None, Some(&summary), &total.tally, gc.events_deleted);
    Ok(total.tally)
}

fn lag_seconds(newest_ms: Option<i64>) -> Option<f64> {
    newest_ms.map(|n| crate::model::time::lag_seconds(n, now_ms()))
}

/// `ingest cloudwatch`: the cluster's audit log from CloudWatch Logs, from the checkpoint (or
/// `--since`) up to now, and on with `--follow`.
pub fn cloudwatch(
    db: &Path,
    cluster: &str,
    log_group: Option<String>,
    stream_prefix: String,
    live: LiveArgs,
    format: Format,
) -> Result<Tally, CommandError> {
    use crate::sources::cloudwatch::config::{default_poll_seconds, default_since_days};
    use crate::sources::cloudwatch::{CloudWatch, CloudWatchConfig};
    let config = CloudWatchConfig {
        log_group,
        stream_prefix,
        since_days: live.since_days.unwrap_or(default_since_days()),
        poll_seconds: live.poll_seconds.unwrap_or(default_poll_seconds()),
    };
    let poll_seconds = config.poll_seconds;
    run_live(db, &live, poll_seconds, format, CloudWatch::new(cluster, live.region.clone(), config))
}

/// `ingest cloudtrail --live`: the account's access-relevant CloudTrail events from
/// LookupEvents, from each lookup's checkpoint (or `--since`) up to now, and on with `--follow`.
pub fn cloudtrail_live(db: &Path, live: LiveArgs, format: Format) -> Result<Tally, CommandError> {
    use crate::sources::cloudtrail::config::{default_poll_seconds, default_since_days};
    use crate::sources::cloudtrail::{CloudTrail, CloudTrailConfig};
    let config = CloudTrailConfig {
        since_days: live.since_days.unwrap_or(default_since_days()),
        poll_seconds: live.poll_seconds.unwrap_or(default_poll_seconds()),
    };
    let poll_seconds = config.poll_seconds;
    run_live(db, &live, poll_seconds, format, CloudTrail::new(live.region.clone(), config, Default::default()))
}
