//! What the sliced AWS log sources (CloudWatch Logs, CloudTrail) offer the callers that follow
//! them: `ingest cloudwatch` / `ingest cloudtrail --live` and the daemon.

use super::slices::{ReadProgress, SourceError};
use super::stop::Stop;
use crate::store::Store;

pub trait LiveSource: Send {
    /// The source's name, and the `source` label of its metrics.
    fn name(&self) -> &'static str;

    /// Reads from the checkpoints (or `since_days` back) up to `now_ms` into `progress` (counted
    /// even when the read fails), stopping early (committed) when `stop` is set. The clients are
    /// made at the first read and kept.
    fn read(
        &mut self,
        store: &mut Store,
        now_ms: i64,
        stop: Option<&Stop>,
        progress: &mut ReadProgress,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}
