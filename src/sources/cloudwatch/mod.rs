//! The CloudWatch Logs source: an EKS cluster's audit log (`/aws/eks/<cluster>/cluster`, streams
//! `kube-apiserver-audit-*`) read with `FilterLogEvents`, in slices with a checkpoint
//! ([`super::slices`]). Its config ([`CloudWatchConfig`]), its read ([`CloudWatch::read`]) that
//! the follow loop ([`super::follow`]) repeats, its checkpoint (namespace `cloudwatch`, keyed by
//! region, log group and stream prefix).

pub mod config;

pub use config::CloudWatchConfig;

use super::aws::{self, ApiError, Requests, Target, retrying};
use super::checkpoint::CheckpointKey;
use super::live::LiveSource;
use super::slices::{self, Item, Page, PagedSource, Range, ReadProgress, SourceError};
use super::stop::Stop;
use crate::ingest::AuditSink;
use crate::store::Store;

/// What one read reads.
#[derive(Debug, Clone)]
struct CloudWatchOptions {
    cluster: String,
    log_group: String,
    stream_prefix: String,
    /// Where a first run starts (Unix ms).
    since_ms: i64,
}

/// How far behind the last read's end each run starts again: CloudWatch Logs delivers late.
const OVERLAP_MS: i64 = 5 * 60_000;

const CHECKPOINTS: &str = "cloudwatch";

/// One hour per slice: a first run over 7 days is 168 slices, a kill redoes at most one.
const SLICE_MS: i64 = 60 * 60_000;

struct FilterLogEvents<'a> {
    client: &'a Logs,
    opts: &'a CloudWatchOptions,
    requests: Requests,
}

impl PagedSource for FilterLogEvents<'_> {
    async fn page(&mut self, start_ms: i64, end_ms: i64, token: Option<String>) -> Result<Page, ApiError> {
        let opts = self.opts;
        let page = retrying(&mut self.requests, "FilterLogEvents", || {
            self.client
                .client
                .filter_log_events()
                .log_group_name(&opts.log_group)
                .log_stream_name_prefix(&opts.stream_prefix)
                .start_time(start_ms)
                .end_time(end_ms)
                .limit(10_000)
                .set_next_token(token.clone())
                .send()
        })
        .await
        .map_err(|e| {
            let (api, permission) = ("logs:FilterLogEvents", "logs:FilterLogEvents on the log group");
            ApiError::new(api, permission, &opts.log_group, &self.client.target, &e)
        })?;
        let items = page
            .events()
            .iter()
            // moto ignores logStreamNamePrefix; CloudWatch honours it: either way, only our streams.
            .filter(|e| e.log_stream_name().unwrap_or_default().starts_with(&opts.stream_prefix))
            .filter_map(|e| {
                Some(Item {
                    time_ms: e.timestamp()?,
                    id: e.event_id().unwrap_or_default().to_string(),
                    text: e.message()?.to_string(),
                })
            })
            .collect();
        Ok(Page { items, next: page.next_token().map(str::to_string) })
    }
}

/// A CloudWatch Logs client and where it sends its calls.
struct Logs {
    client: aws_sdk_cloudwatchlogs::Client,
    target: Target,
}

/// A cluster's audit log in CloudWatch Logs: `ingest cloudwatch` and the daemon's source. The
/// client is made at the first read and kept.
pub struct CloudWatch {
    cluster: String,
    region: Option<String>,
    config: CloudWatchConfig,
    client: Option<Logs>,
}

impl CloudWatch {
    /// `region`: the cluster's; `None` for the credential chain's.
    pub fn new(cluster: &str, region: Option<String>, config: CloudWatchConfig) -> CloudWatch {
        CloudWatch { cluster: cluster.to_string(), region, config, client: None }
    }
}

impl LiveSource for CloudWatch {
    fn name(&self) -> &'static str {
        "cloudwatch"
    }

    async fn read(
        &mut self,
        store: &mut Store,
        now_ms: i64,
        stop: Option<&Stop>,
        progress: &mut ReadProgress,
    ) -> Result<(), SourceError> {
        if self.client.is_none() {
            let config = aws::config(self.region.as_deref()).await;
            let target = Target::of(&config, aws::failure::LOGS);
            self.client = Some(Logs { client: aws_sdk_cloudwatchlogs::Client::new(&config), target });
        }
        let client = self.client.as_ref().expect("just made");
        let opts = CloudWatchOptions {
            cluster: self.cluster.clone(),
            log_group: self.config.log_group(&self.cluster),
            stream_prefix: self.config.stream_prefix.clone(),
            since_ms: now_ms - i64::from(self.config.since_days) * crate::model::time::MS_PER_DAY,
        };
        ingest(client, store, &opts, now_ms, stop, progress).await
    }
}

/// Reads every audit event from the checkpoint (or `since`) up to `now_ms` into `progress`
/// (counted even when the run fails), stopping early (committed) when `stop` is set.
async fn ingest(
    client: &Logs,
    store: &mut Store,
    opts: &CloudWatchOptions,
    now_ms: i64,
    stop: Option<&Stop>,
    progress: &mut ReadProgress,
) -> Result<(), SourceError> {
    // The same log group name exists in every region: the region is part of the key.
    let region = client.client.config().region().map_or_else(String::new, |r| r.to_string());
    let key = format!("{region}|{}|{}", opts.log_group, opts.stream_prefix);
    // Checkpoints written before the key had the region carry on under the new key, so an upgrade
    // neither reads a week again nor counts it twice.
    let unregioned = format!("{}|{}", opts.log_group, opts.stream_prefix);
    store.rename_checkpoint(CHECKPOINTS, &unregioned, &key)?;
    let name = format!("cloudwatch:{}", opts.log_group);
    let range = Range {
        checkpoint: CheckpointKey { namespace: CHECKPOINTS, key, input: name.clone() },
        since_ms: opts.since_ms,
        overlap_ms: OVERLAP_MS,
        slice_ms: SLICE_MS,
    };
    let mut api = FilterLogEvents { client, opts, requests: Requests::default() };
    let mut sink = AuditSink::new(Some(opts.cluster.clone()));
    let read = slices::read(&mut api, store, &range, &mut sink, &name, now_ms, stop, &mut progress.tally).await;
    progress.requests.add(&api.requests);
    progress.newest_ms = progress.newest_ms.max(read?);
    Ok(())
}
