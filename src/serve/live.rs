//! A cluster's live sources in the daemon: CloudWatch Logs every poll, CloudTrail lookups and the
//! state sync on their own (slower) intervals. Each source's outcome goes into the metrics; a
//! failing source is reported and retried at its next turn, and never stops the others.

use super::cluster::Shared;
use crate::app::clock::now_ms;
use crate::app::sync::{SyncOptions, sync};
use crate::model::time::MS_PER_DAY;
use crate::serve::config::ClusterConfig;
use crate::sources::aws::{self, Requests};
use crate::sources::cloudtrail::{self, CloudTrailOptions, Lookups};
use crate::sources::cloudwatch::{self, CloudWatchOptions};
use crate::sources::slices::ReadProgress as Progress;
use crate::store::Store;
use std::time::{Duration, Instant};

/// CloudTrail keeps 90 days; a first read goes back 30, like `ingest cloudtrail --live`.
const CLOUDTRAIL_SINCE_DAYS: i64 = 30;

/// The clients a cluster's live sources keep between polls, and when the slow ones are due.
pub struct LiveSources {
    config: Option<aws_config::SdkConfig>,
    cloudwatch: Option<aws_sdk_cloudwatchlogs::Client>,
    lookups: Option<Lookups>,
    next_cloudtrail: Instant,
    next_sync: Instant,
}

impl LiveSources {
    pub fn new() -> LiveSources {
        let now = Instant::now();
        LiveSources { config: None, cloudwatch: None, lookups: None, next_cloudtrail: now, next_sync: now }
    }

    /// Runs what is due; returns what failed, one line each.
    pub async fn poll(&mut self, c: &ClusterConfig, shared: &Shared) -> Vec<String> {
        let mut problems = Vec::new();
        if !(c.cloudwatch || c.cloudtrail || c.state_sync) {
            return problems;
        }
        if self.config.is_none() {
            self.config = Some(aws::config(c.region.as_deref()).await);
        }
        let config = self.config.as_ref().expect("just set");
        // The state first: a first assessment needs it more than it needs the newest events.
        if c.state_sync && Instant::now() >= self.next_sync {
            self.next_sync = Instant::now() + Duration::from_secs(c.state_sync_seconds);
            problems.extend(sync_state(c, shared).await);
        }
        if c.cloudwatch {
            let client = self.cloudwatch.get_or_insert_with(|| aws_sdk_cloudwatchlogs::Client::new(config));
            let mut opts = CloudWatchOptions::for_cluster(&c.name, now_ms() - i64::from(c.since_days) * MS_PER_DAY);
            if let Some(group) = &c.log_group {
                opts.log_group = group.clone();
            }
            let result = read(shared, "cloudwatch", &c.name, async |store, progress| {
                cloudwatch::ingest(client, store, &opts, now_ms(), Some(&shared.stop), progress).await
            })
            .await;
            problems.extend(result.err());
        }
        if c.cloudtrail && Instant::now() >= self.next_cloudtrail {
            self.next_cloudtrail = Instant::now() + Duration::from_secs(c.cloudtrail_poll_seconds);
            let lookups = self.lookups.get_or_insert_with(|| Lookups::new(config, |r| shared.pacers.for_region(r)));
            let opts = CloudTrailOptions::new(now_ms() - CLOUDTRAIL_SINCE_DAYS * MS_PER_DAY);
            let result = read(shared, "cloudtrail", &c.name, async |store, progress| {
                cloudtrail::ingest(lookups, store, &opts, now_ms(), Some(&shared.stop), progress).await
            })
            .await;
            problems.extend(result.err());
        }
        problems
    }
}

/// Runs one live read and counts what it did (also when it failed part-way).
async fn read(
    shared: &Shared,
    source: &str,
    cluster: &str,
    once: impl AsyncFnOnce(&mut Store, &mut Progress) -> Result<(), crate::sources::slices::SourceError>,
) -> Result<(), String> {
    let mut store = Store::open(&shared.db).map_err(|e| e.to_string())?;
    let mut progress = Progress::default();
    let result = once(&mut store, &mut progress).await;
    let metrics = &shared.metrics;
    metrics.count_tally(cluster, source, &progress.tally);
    count_requests(shared, cluster, &progress.requests);
    if let Some(newest) = progress.newest_ms {
        metrics.ingest_lag.with_label_values(&[cluster, source]).set(crate::model::time::lag_seconds(newest, now_ms()));
    }
    result.map_err(|e| {
        metrics
            .ingest_errors
            .with_label_values(&[cluster, source, crate::sources::error::Classify::class(&e).as_str()])
            .inc();
        e.to_string()
    })
}

fn count_requests(shared: &Shared, cluster: &str, requests: &Requests) {
    for (api, outcomes) in &requests.0 {
        for (outcome, n) in outcomes {
            shared.metrics.source_requests.with_label_values(&[cluster, api, outcome.as_str()]).inc_by(*n);
        }
    }
}

/// Syncs the state and publishes its version and which parts are fresh.
async fn sync_state(c: &ClusterConfig, shared: &Shared) -> Vec<String> {
    let mut store = match Store::open(&shared.db) {
        Ok(s) => s,
        Err(e) => return vec![e.to_string()],
    };
    let opts = SyncOptions { cluster: c.name.clone(), region: c.region.clone(), kubernetes: c.kubernetes_access() };
    let now = now_ms();
    let outcome = match sync(&mut store, &opts, now).await {
        Ok(o) => o,
        Err(e) => {
            if let crate::app::sync::SyncError::Failed { requests, .. } = &e {
                count_requests(shared, &c.name, requests);
            }
            return vec![e.to_string()];
        }
    };
    count_requests(shared, &c.name, &outcome.requests);
    shared.warn_once(&c.name, &outcome.warnings);
    let metrics = &shared.metrics;
    metrics.state_version.with_label_values(&[&c.name]).set(outcome.stored.version);
    for p in outcome.parts.iter().filter(|p| p.fresh) {
        metrics.state_sync_timestamp.with_label_values(&[&c.name, p.part]).set(now as f64 / 1000.0);
    }
    if outcome.stored.created {
        tracing::info!(cluster = %c.name, version = outcome.stored.version, changes = ?outcome.stored.diff.as_ref().map(|d| d.lines()), "stored a new access-state version");
    }
    shared.status.update(&c.name, |st| st.state_version = Some(outcome.stored.version));
    outcome
        .parts
        .iter()
        .filter_map(|p| p.error.as_ref().map(|e| format!("the {} part is stale: {e}", p.part)))
        .collect()
}
