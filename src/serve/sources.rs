//! A cluster's sources as the daemon runs them: each read up to now on a blocking thread (the
//! reads write SQLite between requests, which must not hold up the runtime serving `/metrics`),
//! counted into the metrics as it ends, failed or not. The loop around a read is the one every
//! following source runs ([`crate::sources::follow`]), in its own task (see the `cluster` module).

use super::error::TaskError;
use super::shared::Shared;
use crate::app::clock::now_ms;
use crate::app::sync::{SyncOptions, sync};
use crate::ingest::sink::Sink;
use crate::ingest::{AuditSink, CloudTrailSink, InputFormat, InputPath, Tally};
use crate::model::time::lag_seconds;
use crate::serve::config::ClusterConfig;
use crate::sources::aws::Pacers;
use crate::sources::cloudtrail::CloudTrail;
use crate::sources::cloudwatch::CloudWatch;
use crate::sources::files::{DEFAULT_BATCH_RECORDS, FileOptions, ingest_files_into};
use crate::sources::live::LiveSource;
use crate::sources::slices::{ReadProgress, SourceError};
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;

/// One source of one cluster.
pub trait DaemonSource: Send {
    /// Its name in `/readyz` and the log: the config table it comes from (`files.audit`).
    fn name(&self) -> &'static str;
    /// The `source` label of its ingest metrics (`audit`, `cloudwatch`, `state`).
    fn label(&self) -> &'static str;
    /// Time between reads.
    fn every(&self) -> Duration;
    /// One read up to now, on a blocking thread (`runtime` runs its requests); counts what it did.
    fn read(&mut self, shared: &Shared, runtime: &Handle) -> Result<(), TaskError>;
}

/// The sources `cluster`'s config turns on, the state first: a first assessment needs it most.
pub fn of(cluster: &ClusterConfig, pacers: &Arc<Pacers>) -> Vec<Box<dyn DaemonSource>> {
    let name = cluster.name.clone();
    let mut sources: Vec<Box<dyn DaemonSource>> = Vec::new();
    if let Some(sync) = &cluster.state_sync {
        let opts =
            SyncOptions { cluster: name.clone(), region: cluster.region.clone(), kubernetes: sync.kubernetes.clone() };
        sources.push(Box::new(StateSync { opts, every: seconds(sync.poll_seconds) }));
    }
    if let Some(files) = &cluster.files {
        let every = seconds(files.poll_seconds);
        if !files.state.is_empty() {
            let patterns = files.state.clone();
            sources.push(Box::new(StateFiles { cluster: name.clone(), patterns, every, pending_shrink: None }));
        }
        for (audit, patterns) in [(true, &files.audit), (false, &files.cloudtrail)] {
            if !patterns.is_empty() {
                sources.push(Box::new(FileEvents { cluster: name.clone(), audit, patterns: patterns.clone(), every }));
            }
        }
    }
    if let Some(c) = &cluster.cloudwatch {
        let source = CloudWatch::new(&name, cluster.region.clone(), c.clone());
        sources.push(Box::new(Live { cluster: name.clone(), source, every: seconds(c.poll_seconds) }));
    }
    if let Some(c) = &cluster.cloudtrail {
        let source = CloudTrail::new(cluster.region.clone(), c.clone(), pacers.clone());
        sources.push(Box::new(Live { cluster: name, source, every: seconds(c.poll_seconds) }));
    }
    sources
}

/// The APIs `cluster`'s sources call, for `grantscope_source_requests_total` (files count as
/// `audit` and `cloudtrail`).
pub fn apis(c: &ClusterConfig) -> Vec<&'static str> {
    let mut apis = Vec::new();
    if let Some(files) = &c.files {
        if !files.audit.is_empty() {
            apis.push("audit");
        }
        if !files.cloudtrail.is_empty() {
            apis.push("cloudtrail");
        }
    }
    if c.cloudwatch.is_some() {
        apis.push("FilterLogEvents");
    }
    if c.cloudtrail.is_some() {
        apis.push("LookupEvents");
    }
    if c.state_sync.is_some() {
        apis.extend(["DescribeCluster", "ListAccessEntries", "DescribeAccessEntry", "ListAssociatedAccessPolicies"]);
    }
    apis
}

fn seconds(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Files from paths and `*` patterns, in order; a pattern matching nothing is no error (the files
/// may not exist yet), but an unreadable pattern is.
fn expand(patterns: &[String]) -> Result<Vec<PathBuf>, TaskError> {
    let mut out = Vec::new();
    for p in patterns {
        let matched = glob::glob(p).map_err(|source| TaskError::Pattern { pattern: p.clone(), source })?;
        for path in matched {
            out.push(path?);
        }
    }
    Ok(out)
}

/// Audit event or CloudTrail files, followed exactly as `ingest` reads them.
struct FileEvents {
    cluster: String,
    audit: bool,
    patterns: Vec<String>,
    every: Duration,
}

impl DaemonSource for FileEvents {
    fn name(&self) -> &'static str {
        if self.audit { "files.audit" } else { "files.cloudtrail" }
    }

    fn label(&self) -> &'static str {
        if self.audit { "audit" } else { "cloudtrail" }
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn read(&mut self, shared: &Shared, _: &Handle) -> Result<(), TaskError> {
        let mut store = Store::open(&shared.db)?;
        let opts = FileOptions {
            format: InputFormat::Auto,
            batch_records: DEFAULT_BATCH_RECORDS,
            progress: false,
            stop: Some(shared.stop.clone()),
            clock: now_ms,
        };
        let mut sink: Box<dyn Sink> =
            if self.audit { Box::new(AuditSink::new(Some(self.cluster.clone()))) } else { Box::new(CloudTrailSink) };
        // What was committed counts, even when a later file fails.
        let mut committed = Tally::default();
        let outcome = expand(&self.patterns).and_then(|paths| {
            let paths: Vec<InputPath> = paths.into_iter().map(InputPath::File).collect();
            Ok(ingest_files_into(&mut store, &paths, sink.as_mut(), &opts, &mut committed)?)
        });
        let (metrics, cluster, label) = (&shared.metrics, self.cluster.as_str(), self.label());
        let result = if outcome.is_ok() { "ok" } else { "error" };
        metrics.source_requests.with_label_values(&[cluster, label, result]).inc();
        metrics.count_tally(cluster, label, &committed);
        if self.audit
            && let Some(newest) = store.newest_event_ms(cluster)?
        {
            metrics.ingest_lag.with_label_values(&[cluster, label]).set(lag_seconds(newest, now_ms()));
        }
        outcome
    }
}

/// Access state files, imported as the cluster's next version when their content changes.
struct StateFiles {
    cluster: String,
    patterns: Vec<String>,
    every: Duration,
    /// The hash of a shrinking state read at the last poll (see [`StateFiles::import`]).
    pending_shrink: Option<u64>,
}

impl StateFiles {
    /// Imports the state files as the cluster's next version. A version removing more than half
    /// the grants is stored only when the previous poll read the very same content: a file caught
    /// half-written, truncated or replaced by mistake keeps the stored version, and the source
    /// reports unhealthy, until it is read the same twice in a row.
    fn import(
        &mut self,
        shared: &Shared,
        store: &mut Store,
        paths: &[PathBuf],
    ) -> Result<crate::app::state_versions::Stored, TaskError> {
        use crate::app::state_versions::{shrink_against_latest, store_files};
        let cluster = self.cluster.as_str();
        let loaded = crate::state::load_files(paths, Some(cluster)).map_err(TaskError::StateFiles)?;
        let (state, mut warnings) = (loaded.state, loaded.warnings);
        match shrink_against_latest(store, cluster, &state)? {
            Some((version, shrink)) => {
                let content = xxhash_rust::xxh3::xxh3_64(&serde_json::to_vec(&state).expect("states serialize"));
                if self.pending_shrink.replace(content) != Some(content) {
                    return Err(TaskError::Shrink { shrink: shrink.to_string(), version });
                }
                tracing::warn!(cluster, %shrink, "state files read the same on two polls in a row; storing them");
            }
            // A read that shrinks nothing ends a pending shrink, so two equal shrinking reads
            // count only when nothing came between them (once stored, a shrink shrinks no more).
            None => self.pending_shrink = None,
        }
        let mut stored = store_files(store, cluster, state, paths, now_ms())?;
        warnings.append(&mut stored.warnings);
        shared.warn_once(cluster, &warnings);
        Ok(stored)
    }
}

impl DaemonSource for StateFiles {
    fn name(&self) -> &'static str {
        "files.state"
    }

    fn label(&self) -> &'static str {
        "state"
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn read(&mut self, shared: &Shared, _: &Handle) -> Result<(), TaskError> {
        let mut store = Store::open(&shared.db)?;
        let paths = expand(&self.patterns)?;
        if paths.is_empty() {
            return Err(TaskError::NoStateFiles { patterns: self.patterns.clone() });
        }
        let paths = crate::state::state_files(&paths, false).map_err(TaskError::StateFiles)?;
        let stored = self.import(shared, &mut store, &paths)?;
        let cluster = self.cluster.as_str();
        shared.metrics.state_sync_timestamp.with_label_values(&[cluster, "files"]).set(now_ms() as f64 / 1000.0);
        shared.state_stored(cluster, &stored);
        Ok(())
    }
}

/// The state read from the EKS and Kubernetes APIs and stored as `state sync` stores it.
struct StateSync {
    opts: SyncOptions,
    every: Duration,
}

impl DaemonSource for StateSync {
    fn name(&self) -> &'static str {
        "state_sync"
    }

    fn label(&self) -> &'static str {
        "state"
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn read(&mut self, shared: &Shared, runtime: &Handle) -> Result<(), TaskError> {
        let mut store = Store::open(&shared.db)?;
        let cluster = self.opts.cluster.as_str();
        let now = now_ms();
        let outcome = match runtime.block_on(sync(&mut store, &self.opts, now)) {
            Ok(o) => o,
            Err(e) => {
                if let crate::app::sync::SyncError::Failed { requests, .. } = &e {
                    shared.count_requests(cluster, requests);
                }
                return Err(e.into());
            }
        };
        shared.count_requests(cluster, &outcome.requests);
        shared.warn_once(cluster, &outcome.warnings);
        for p in outcome.parts.iter().filter(|p| p.fresh) {
            shared.metrics.state_sync_timestamp.with_label_values(&[cluster, p.part]).set(now as f64 / 1000.0);
        }
        shared.state_stored(cluster, &outcome.stored);
        match outcome.parts.into_iter().find_map(|p| p.error) {
            Some(e) => Err(TaskError::StalePart(e)),
            None => Ok(()),
        }
    }
}

/// CloudWatch Logs or CloudTrail, read as `ingest ... --follow` reads them.
struct Live<S> {
    cluster: String,
    source: S,
    every: Duration,
}

impl<S: LiveSource> DaemonSource for Live<S> {
    fn name(&self) -> &'static str {
        self.source.name()
    }

    fn label(&self) -> &'static str {
        self.name()
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn read(&mut self, shared: &Shared, runtime: &Handle) -> Result<(), TaskError> {
        let mut store = Store::open(&shared.db)?;
        let mut progress = ReadProgress::default();
        let (now, stop) = (now_ms(), Some(&shared.stop));
        let result: Result<(), SourceError> = runtime.block_on(self.source.read(&mut store, now, stop, &mut progress));
        let (cluster, label) = (self.cluster.as_str(), self.label());
        shared.metrics.count_tally(cluster, label, &progress.tally);
        shared.count_requests(cluster, &progress.requests);
        if let Some(newest) = progress.newest_ms {
            shared.metrics.ingest_lag.with_label_values(&[cluster, label]).set(lag_seconds(newest, now_ms()));
        }
        Ok(result?)
    }
}
