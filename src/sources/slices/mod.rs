//! Reading a time-ordered AWS log API (CloudWatch Logs `FilterLogEvents`, CloudTrail
//! `LookupEvents`) into the store with a checkpoint, the same way for both.
//!
//! The time from the checkpoint (or `since`) to now is read in slices, oldest first; within a
//! slice the API pages in whatever order it likes, and an empty page with a token still has more
//! behind it. The checkpoint — how far the reads got, the newest event time read and the ids read
//! at that millisecond — is written with the slice's last page, in the same transaction: a kill
//! loses nothing and counts nothing twice. Both APIs deliver late, so each run starts `overlap`
//! before where the last one got to; event ids dedupe what is read again (counted as duplicates,
//! never as new). The overlap is measured from the last read, not from the newest event: a quiet
//! log is not read again and again, and nothing is re-read after its id was forgotten.

use super::aws::{ApiError, Requests};
use crate::ingest::Tally;
use crate::ingest::sink::{Position, Sink};
use crate::store::{self, Store};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// One event as the API returned it.
pub struct Item {
    pub time_ms: i64,
    /// The API's id for it (CloudWatch event id, CloudTrail eventID).
    pub id: String,
    /// The record the sink parses.
    pub text: String,
}

/// One page of a slice; `next` continues the same slice.
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
}

/// A paged API over a time range.
pub trait PagedSource {
    /// Events with `start_ms <= time <= end_ms`, continuing from `token`.
    fn page(
        &mut self,
        start_ms: i64,
        end_ms: i64,
        token: Option<String>,
    ) -> impl Future<Output = Result<Page, ApiError>> + Send;
}

/// Where and how far back to read.
#[derive(Debug, Clone)]
pub struct Range {
    /// The checkpoint's namespace and key.
    pub checkpoint: (&'static str, String),
    /// Where a first run starts (Unix ms).
    pub since_ms: i64,
    /// How far behind the last read's end each run starts again, for late deliveries.
    pub overlap_ms: i64,
    /// How much time one slice covers.
    pub slice_ms: i64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Checkpoint {
    v: u32,
    /// The newest event time read, ms.
    cursor_ms: i64,
    /// The ids read at `cursor_ms`.
    ids: Vec<String>,
    /// Every slice before this time (ms, exclusive) was read; absent in version 1 checkpoints,
    /// which read from the cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scanned_to_ms: Option<i64>,
}

/// Empty pages in a row after which a slice is given up for this run (unread, not checkpointed).
const MAX_EMPTY_PAGES: u32 = 1_000;

/// What a run did.
#[derive(Debug, Default)]
pub struct Progress {
    pub tally: Tally,
    pub requests: Requests,
    /// The newest event time read, this run or before (Unix ms): the lag is now minus this.
    pub newest_ms: Option<i64>,
}

impl Progress {
    pub fn add(&mut self, other: Progress) {
        self.tally.add(&other.tally);
        self.requests.add(&other.requests);
        self.newest_ms = self.newest_ms.max(other.newest_ms);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Api(Box<ApiError>),
    #[error(transparent)]
    Sink(#[from] crate::ingest::sink::SinkError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{name}: {pages} pages in a row without events; the rest of the slice is left for the next run")]
    Stuck { name: String, pages: u32 },
}

impl SourceError {
    /// The `reason` label of `grantscope_ingest_errors_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            SourceError::Api(_) | SourceError::Stuck { .. } => "api",
            SourceError::Sink(_) | SourceError::Sql(_) => "store",
        }
    }
}

impl From<ApiError> for SourceError {
    fn from(e: ApiError) -> SourceError {
        SourceError::Api(Box::new(e))
    }
}

/// Reads `range` up to `now_ms` from `api` into `sink`, stopping early (committed) when `stop` is
/// set. `name` says where records came from in error positions. Returns the newest event time.
#[allow(clippy::too_many_arguments)]
pub async fn read(
    api: &mut impl PagedSource,
    store: &mut Store,
    range: &Range,
    sink: &mut (impl Sink + Send),
    name: &str,
    now_ms: i64,
    stop: Option<&AtomicBool>,
    tally: &mut Tally,
) -> Result<Option<i64>, SourceError> {
    let (namespace, key) = (range.checkpoint.0, range.checkpoint.1.as_str());
    let previous: Option<Checkpoint> =
        store::read_checkpoint(store.conn(), namespace, key)?.and_then(|t| serde_json::from_str(&t).ok());
    // A cursor with no ids is where a first read started, not an event.
    let mut newest_ms = previous.as_ref().filter(|c| !c.ids.is_empty()).map(|c| c.cursor_ms);
    let previous = previous.unwrap_or(Checkpoint { cursor_ms: range.since_ms, ..Checkpoint::default() });
    let mut checkpoint = Checkpoint { v: 2, ..previous.clone() };
    let cluster = sink.cluster().map(str::to_string);
    let resume = previous.scanned_to_ms.unwrap_or(previous.cursor_ms);
    let mut slice_start = (resume - range.overlap_ms).max(range.since_ms);
    let mut record = 0u64;
    while slice_start <= now_ms {
        let slice_end = (slice_start + range.slice_ms).min(now_ms + 1);
        let mut token: Option<String> = None;
        let mut empty_pages = 0;
        loop {
            if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                return Ok(newest_ms);
            }
            let page = api.page(slice_start, slice_end - 1, token.clone()).await?;
            // A token handed back unchanged would page forever.
            let next = page.next.filter(|n| Some(n) != token.as_ref());
            empty_pages = if page.items.is_empty() { empty_pages + 1 } else { 0 };
            if empty_pages >= MAX_EMPTY_PAGES && next.is_some() {
                return Err(SourceError::Stuck { name: name.to_string(), pages: empty_pages });
            }
            token = next;
            let tx = store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for item in &page.items {
                record += 1;
                let t = item.time_ms;
                newest_ms = Some(newest_ms.map_or(t, |n| n.max(t)));
                if t == previous.cursor_ms && previous.ids.contains(&item.id) {
                    continue; // the last run read it
                }
                // Anything else goes to the sink, older than the cursor or not: late events land
                // behind it, and the event id keeps what was stored before from counting again.
                let pos = Position { file: name, line: None, record: Some(record) };
                sink.record(&tx, &item.text, cluster.as_deref(), pos, now_ms, tally)?;
                if t > checkpoint.cursor_ms {
                    checkpoint.cursor_ms = t;
                    checkpoint.ids.clear();
                }
                if t == checkpoint.cursor_ms && !checkpoint.ids.contains(&item.id) {
                    checkpoint.ids.push(item.id.clone());
                }
            }
            sink.flush(&tx)?;
            if token.is_none() {
                // The slice is read: the checkpoint moves past it with its last events.
                checkpoint.scanned_to_ms = Some(slice_end.max(resume));
                let value = serde_json::to_string(&checkpoint).expect("checkpoint serializes");
                store::write_checkpoint(&tx, namespace, key, &value, now_ms)?;
            }
            tx.commit()?;
            if token.is_none() {
                break;
            }
        }
        slice_start = slice_end;
    }
    Ok(newest_ms)
}
