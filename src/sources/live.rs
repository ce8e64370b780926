//! The sliced AWS log sources behind one type, for the callers that follow either:
//! `ingest cloudwatch` / `ingest cloudtrail --live` and the daemon.

use super::cloudtrail::CloudTrail;
use super::cloudwatch::CloudWatch;
use super::slices::{ReadProgress, SourceError};
use super::stop::Stop;
use crate::store::Store;

pub enum Live {
    CloudWatch(CloudWatch),
    CloudTrail(CloudTrail),
}

impl Live {
    /// The source's name, and the `source` label of its metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Live::CloudWatch(_) => "cloudwatch",
            Live::CloudTrail(_) => "cloudtrail",
        }
    }

    /// Reads from the checkpoints up to `now_ms` into `progress` (counted even when the read
    /// fails), stopping early (committed) when `stop` is set.
    pub async fn read(
        &mut self,
        store: &mut Store,
        now_ms: i64,
        stop: Option<&Stop>,
        progress: &mut ReadProgress,
    ) -> Result<(), SourceError> {
        match self {
            Live::CloudWatch(s) => s.read(store, now_ms, stop, progress).await,
            Live::CloudTrail(s) => s.read(store, now_ms, stop, progress).await,
        }
    }
}
