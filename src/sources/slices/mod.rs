//! Reading a time-ordered AWS log API (CloudWatch Logs `FilterLogEvents`, CloudTrail
//! `LookupEvents`) into the store with a checkpoint, the same way for both.
//!
//! The time from the checkpoint (or `since`) to now is read in slices, oldest first ([`plan`]);
//! within a slice the API pages in whatever order it likes, and an empty page with a token still
//! has more behind it. Fetching a page ([`PagedSource`]) is the API's part; committing it is ours
//! ([`Reading::commit`]): its events go to the sink and, with the slice's last page, the
//! checkpoint ([`SliceCheckpoint`]: how far the reads got, the newest event time read and the ids
//! read at that millisecond) — in one transaction, so a kill loses nothing and counts nothing
//! twice. Both APIs deliver late, so each run starts `overlap` before where the last one got to;
//! event ids dedupe what is read again (counted as duplicates, never as new). The overlap is
//! measured from the last read, not from the newest event: a quiet log is not read again and
//! again, and nothing is re-read after its id was forgotten.

mod checkpoint;
#[cfg(test)]
mod tests;

pub use checkpoint::SliceCheckpoint;

use super::aws::{ApiError, Requests};
use super::checkpoint::{CheckpointError, CheckpointKey, CorruptCheckpoint};
use super::stop::Stop;
use crate::ingest::Tally;
use crate::ingest::sink::{Position, Sink, SinkError};
use crate::store::Store;

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

/// A paged API over a time range: fetching, nothing else.
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
    /// Where the checkpoint is stored.
    pub checkpoint: CheckpointKey,
    /// Where a first run starts (Unix ms).
    pub since_ms: i64,
    /// How far behind the last read's end each run starts again, for late deliveries.
    pub overlap_ms: i64,
    /// How much time one slice covers.
    pub slice_ms: i64,
}

/// Empty pages in a row after which a slice is given up for this run (unread, not checkpointed).
const MAX_EMPTY_PAGES: u32 = 1_000;

/// What a read did (also when it failed part-way: what it committed counts).
#[derive(Debug, Default)]
pub struct ReadProgress {
    pub tally: Tally,
    pub requests: Requests,
    /// The newest event time read, this run or before (Unix ms): the lag is now minus this.
    pub newest_ms: Option<i64>,
}

impl ReadProgress {
    pub fn add(&mut self, other: ReadProgress) {
        self.tally.add(&other.tally);
        self.requests.add(&other.requests);
        self.newest_ms = self.newest_ms.max(other.newest_ms);
    }
}

/// A read of a live source that failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Api(Box<ApiError>),
    #[error(transparent)]
    Checkpoint(Box<CorruptCheckpoint>),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{name}: {pages} pages in a row without events; the rest of the slice is left for the next run")]
    Stuck { name: String, pages: u32 },
}

impl From<ApiError> for SourceError {
    fn from(e: ApiError) -> SourceError {
        SourceError::Api(Box::new(e))
    }
}

impl From<CheckpointError> for SourceError {
    fn from(e: CheckpointError) -> SourceError {
        match e {
            CheckpointError::Corrupt(c) => SourceError::Checkpoint(c),
            CheckpointError::Sql(e) => SourceError::Sql(e),
        }
    }
}

/// The slices from `start_ms` up to `now_ms` (inclusive), oldest first, each `[start, end)`.
pub fn plan(start_ms: i64, now_ms: i64, slice_ms: i64) -> impl Iterator<Item = (i64, i64)> {
    let slice_ms = slice_ms.max(1);
    let mut start = start_ms;
    std::iter::from_fn(move || {
        (start <= now_ms).then(|| {
            let slice = (start, (start + slice_ms).min(now_ms + 1));
            start = slice.1;
            slice
        })
    })
}

/// A read in progress: what the last checkpoint said, and the checkpoint this run moves on.
struct Reading<'a> {
    range: &'a Range,
    /// The ids read at this millisecond by the run before: skipped, not even counted again.
    before: (i64, Vec<String>),
    cursor_ms: i64,
    ids: Vec<String>,
    /// Where this read started from (its checkpoint's scanned end): a slice never moves it back.
    resume_ms: i64,
    newest_ms: Option<i64>,
    /// Records handed to the sink, for error positions.
    record: u64,
}

impl<'a> Reading<'a> {
    /// Starts from the stored checkpoint, or from `since` on a first run.
    fn start(store: &Store, range: &'a Range) -> Result<Reading<'a>, SourceError> {
        let previous: Option<SliceCheckpoint> = range.checkpoint.load(store)?;
        let (cursor_ms, ids, resume_ms) = match &previous {
            Some(c) => (c.cursor().0, c.cursor().1.to_vec(), c.resume_ms()),
            None => (range.since_ms, Vec::new(), range.since_ms),
        };
        Ok(Reading {
            range,
            // A cursor with no ids is where a first read started, not an event.
            newest_ms: (!ids.is_empty()).then_some(cursor_ms),
            before: (cursor_ms, ids.clone()),
            cursor_ms,
            ids,
            resume_ms,
            record: 0,
        })
    }

    /// Where this run's first slice starts: the overlap behind where the last run got to.
    fn first_slice_ms(&self) -> i64 {
        (self.resume_ms - self.range.overlap_ms).max(self.range.since_ms)
    }

    /// Commits one fetched page: its events through the sink and, when `slice_end` says the page
    /// ends its slice, the checkpoint past that slice — in one transaction.
    #[allow(clippy::too_many_arguments)]
    fn commit(
        &mut self,
        store: &mut Store,
        items: &[Item],
        slice_end: Option<i64>,
        sink: &mut impl Sink,
        name: &str,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SourceError> {
        let cluster = sink.cluster().map(str::to_string);
        let tx = store.begin()?;
        for item in items {
            self.record += 1;
            let t = item.time_ms;
            self.newest_ms = Some(self.newest_ms.map_or(t, |n| n.max(t)));
            if t == self.before.0 && self.before.1.contains(&item.id) {
                continue; // the last run read it
            }
            // Anything else goes to the sink, older than the cursor or not: late events land
            // behind it, and the event id keeps what was stored before from counting again.
            let pos = Position { file: name, line: None, record: Some(self.record) };
            sink.record(&tx, &item.text, cluster.as_deref(), pos, now_ms, tally)?;
            if t > self.cursor_ms {
                self.cursor_ms = t;
                self.ids.clear();
            }
            if t == self.cursor_ms && !self.ids.contains(&item.id) {
                self.ids.push(item.id.clone());
            }
        }
        sink.flush(&tx)?;
        if let Some(end) = slice_end {
            // The slice is read: the checkpoint moves past it with its last events.
            let checkpoint = SliceCheckpoint::V2 {
                cursor_ms: self.cursor_ms,
                ids: self.ids.clone(),
                scanned_to_ms: end.max(self.resume_ms),
            };
            self.range.checkpoint.save(&tx, &checkpoint, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Reads `range` up to `now_ms` from `api` into `sink`, stopping early (committed) when `stop` is
/// set. `name` says where records came from in error positions. Returns the newest event time.
/// A stored checkpoint that does not read is an error before anything is fetched.
#[allow(clippy::too_many_arguments)]
pub async fn read(
    api: &mut impl PagedSource,
    store: &mut Store,
    range: &Range,
    sink: &mut (impl Sink + Send),
    name: &str,
    now_ms: i64,
    stop: Option<&Stop>,
    tally: &mut Tally,
) -> Result<Option<i64>, SourceError> {
    let mut reading = Reading::start(store, range)?;
    for (slice_start, slice_end) in plan(reading.first_slice_ms(), now_ms, range.slice_ms) {
        let mut token: Option<String> = None;
        let mut empty_pages = 0;
        loop {
            if stop.is_some_and(Stop::is_set) {
                return Ok(reading.newest_ms);
            }
            let page = api.page(slice_start, slice_end - 1, token.clone()).await?;
            // A token handed back unchanged would page forever.
            let next = page.next.filter(|n| Some(n) != token.as_ref());
            empty_pages = if page.items.is_empty() { empty_pages + 1 } else { 0 };
            if empty_pages >= MAX_EMPTY_PAGES && next.is_some() {
                return Err(SourceError::Stuck { name: name.to_string(), pages: empty_pages });
            }
            token = next;
            let ends_slice = token.is_none().then_some(slice_end);
            reading.commit(store, &page.items, ends_slice, sink, name, now_ms, tally)?;
            if token.is_none() {
                break;
            }
        }
    }
    Ok(reading.newest_ms)
}

impl super::follow::ReadFailure for SourceError {
    fn is_fatal(&self) -> bool {
        matches!(self, SourceError::Checkpoint(_))
    }
}
