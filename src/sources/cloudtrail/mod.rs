//! The CloudTrail source: the access-relevant calls of the account (access entries, policy
//! associations, cluster config, IAM role and user lifecycle) read with `LookupEvents`, in slices
//! with a checkpoint per lookup ([`super::slices`]), deduped by eventID.
//!
//! `LookupEvents` takes one lookup attribute. grantscope looks up each event name it keeps rather
//! than each event source: an account's `iam.amazonaws.com` source carries every GetRole and
//! ListPolicies, at 50 events a page and 2 requests a second. IAM is a global service whose events
//! CloudTrail records in its partition's home region (us-east-1), so IAM names are looked up there
//! and EKS names in the cluster's region. Calls are paced to 2 per second per region, the API's quota.
//!
//! Its config ([`CloudTrailConfig`]), its read ([`CloudTrail::read`]) that the follow loop
//! ([`super::follow`]) repeats, its checkpoints (namespace `cloudtrail-lookup`, one per region and
//! event name).

pub mod config;

pub use config::CloudTrailConfig;

use super::aws::{self, ApiError, Pacer, Pacers, Requests, Target, retrying};
use super::checkpoint::CheckpointKey;
use super::live::LiveSource;
use super::slices::{self, Item, Page, PagedSource, Range, ReadProgress, SourceError};
use super::stop::Stop;
use crate::ingest::CloudTrailSink;
use crate::model::ACCESS_EVENTS;
use crate::store::Store;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use std::sync::Arc;

/// Thirty days per slice: a lookup by event name returns few events, and each request costs half
/// a second of the quota.
const SLICE_MS: i64 = 30 * crate::model::time::MS_PER_DAY;

/// What one read reads.
#[derive(Debug, Clone)]
struct CloudTrailOptions {
    /// Where a first run starts (Unix ms). LookupEvents keeps 90 days.
    since_ms: i64,
}

/// How far behind the last read's end each run starts again: CloudTrail delivers within about
/// 15 minutes.
const OVERLAP_MS: i64 = 20 * 60_000;

/// The region where CloudTrail records a partition's global-service (IAM) events.
pub fn global_events_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-north-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else {
        "us-east-1"
    }
}

/// One region's client and its pace.
struct Regional {
    region: String,
    client: aws_sdk_cloudtrail::Client,
    target: Target,
    pacer: Arc<Pacer>,
}

/// The CloudTrail clients a lookup needs: the cluster's region and, if different, the global
/// events' region.
struct Lookups {
    regions: Vec<Regional>,
}

impl Lookups {
    /// `pacer` gives each region's pace: one per region for the whole process, as the quota is.
    fn new(config: &aws_config::SdkConfig, pacer: impl Fn(&str) -> Arc<Pacer>) -> Lookups {
        let region = config.region().map_or_else(|| "us-east-1".to_string(), |r| r.to_string());
        let global = global_events_region(&region);
        let mut regions = vec![Regional {
            pacer: pacer(&region),
            region: region.clone(),
            client: aws_sdk_cloudtrail::Client::new(config),
            target: Target::of(config, aws::failure::CLOUDTRAIL),
        }];
        if global != region {
            let config = config.to_builder().region(aws_config::Region::new(global)).build();
            regions.push(Regional {
                region: global.to_string(),
                client: aws_sdk_cloudtrail::Client::new(&config),
                target: Target::of(&config, aws::failure::CLOUDTRAIL),
                pacer: pacer(global),
            });
        }
        Lookups { regions }
    }
}

struct LookupByName<'a> {
    regional: &'a Regional,
    name: &'static str,
    requests: &'a mut Requests,
}

impl PagedSource for LookupByName<'_> {
    async fn page(&mut self, start_ms: i64, end_ms: i64, token: Option<String>) -> Result<Page, ApiError> {
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value(self.name)
            .build()
            .expect("key and value are set");
        let Regional { region, client, target, pacer } = self.regional;
        let page = retrying(self.requests, "LookupEvents", || {
            let call = client
                .lookup_events()
                .lookup_attributes(attribute.clone())
                .start_time(DateTime::from_millis(start_ms))
                .end_time(DateTime::from_millis(end_ms))
                .max_results(50)
                .set_next_token(token.clone());
            // Every attempt, retries included, waits its turn.
            let paced = pacer.wait();
            async move {
                paced.await;
                call.send().await
            }
        })
        .await
        .map_err(|e| {
            ApiError::new(
                "cloudtrail:LookupEvents",
                "cloudtrail:LookupEvents (resource *)",
                &format!("{region} ({})", self.name),
                target,
                &e,
            )
        })?;
        let items = page
            .events()
            .iter()
            .filter_map(|e| {
                Some(Item {
                    time_ms: e.event_time()?.to_millis().ok()?,
                    id: e.event_id()?.to_string(),
                    text: e.cloud_trail_event()?.to_string(),
                })
            })
            .collect();
        Ok(Page { items, next: page.next_token().map(str::to_string) })
    }
}

/// The account's access-relevant CloudTrail events: `ingest cloudtrail --live` and the daemon's
/// source. The clients are made at the first read and kept.
pub struct CloudTrail {
    region: Option<String>,
    config: CloudTrailConfig,
    /// The pace of each region, shared with every other source of the process that looks up.
    pacers: Arc<Pacers>,
    lookups: Option<Lookups>,
}

impl CloudTrail {
    /// `region`: the cluster's; `None` for the credential chain's.
    pub fn new(region: Option<String>, config: CloudTrailConfig, pacers: Arc<Pacers>) -> CloudTrail {
        CloudTrail { region, config, pacers, lookups: None }
    }
}

impl LiveSource for CloudTrail {
    fn name(&self) -> &'static str {
        "cloudtrail"
    }

    async fn read(
        &mut self,
        store: &mut Store,
        now_ms: i64,
        stop: Option<&Stop>,
        progress: &mut ReadProgress,
    ) -> Result<(), SourceError> {
        if self.lookups.is_none() {
            let config = aws::config(self.region.as_deref()).await;
            self.lookups = Some(Lookups::new(&config, |r| self.pacers.for_region(r)));
        }
        let lookups = self.lookups.as_ref().expect("just made");
        let opts =
            CloudTrailOptions { since_ms: now_ms - i64::from(self.config.since_days) * crate::model::time::MS_PER_DAY };
        ingest(lookups, store, &opts, now_ms, stop, progress).await
    }
}

/// Reads every access-relevant event from each lookup's checkpoint (or `since`) up to `now_ms`
/// into `progress` (counted even when the run fails), stopping early (committed) when `stop` is set.
async fn ingest(
    lookups: &Lookups,
    store: &mut Store,
    opts: &CloudTrailOptions,
    now_ms: i64,
    stop: Option<&Stop>,
    progress: &mut ReadProgress,
) -> Result<(), SourceError> {
    for &(source, name) in ACCESS_EVENTS {
        let home = if source == "iam.amazonaws.com" { lookups.regions.len() - 1 } else { 0 };
        let regional = &lookups.regions[home];
        let label = format!("cloudtrail:{}:{name}", regional.region);
        let key = format!("{}|{name}", regional.region);
        let range = Range {
            checkpoint: CheckpointKey { namespace: "cloudtrail-lookup", key, input: label.clone() },
            since_ms: opts.since_ms,
            overlap_ms: OVERLAP_MS,
            slice_ms: SLICE_MS,
        };
        let mut api = LookupByName { regional, name, requests: &mut progress.requests };
        let newest =
            slices::read(&mut api, store, &range, &mut CloudTrailSink, &label, now_ms, stop, &mut progress.tally)
                .await?;
        progress.newest_ms = progress.newest_ms.max(newest);
    }
    Ok(())
}
