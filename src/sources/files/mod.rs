//! The file source: reads inputs record by record, hands each to a sink, and commits every batch
//! together with the checkpoint that follows it.
//!
//! Exactly once (DESIGN idea 5): a checkpoint is the input's content identity plus the position
//! after the last committed record, written in the batch's own transaction. A run killed at any
//! moment loses its open transaction and nothing else; the next run resumes at the checkpoint, and
//! anything re-read behind it is deduplicated by event id.
//!
//! The checkpoint also remembers a fingerprint of the last record it covers. Before resuming, that
//! record must still be where it was; if anything before it changed (an export re-run with late
//! events inserted, another stream with the same first 64 KiB), the input is read from its start
//! and event ids keep the counts exact. A last line without a newline whose JSON is unfinished is
//! still being written: it is left for the next run, not recorded as an error.
//!
//! Its config ([`FilesConfig`]: the daemon's `[clusters.files]`), its read ([`ingest_files`]) that
//! `ingest` runs once and the daemon repeats with the follow loop ([`super::follow`]), its
//! checkpoint (`checkpoint`: namespace `file`, keyed by the sink and the input's identity).

mod checkpoint;
pub mod config;
mod progress;
#[cfg(test)]
mod tests;

use checkpoint::{FileCheckpoint, Resume};
pub use config::FilesConfig;

use super::checkpoint::{CheckpointError, CheckpointKey, CorruptCheckpoint};
use super::stop::Stop;
use crate::ingest::document::{Body, DocumentError, DocumentErrorCause, DocumentReader};
use crate::ingest::input::{self, Input, InputPath, OpenError};
use crate::ingest::record_error::{ErrorKind, RecordError};
use crate::ingest::records::{self, InputFormat, LineReader, MAX_RECORD_BYTES};
use crate::ingest::sink::{Position, Sink, SinkError, Tally, record_error};
use crate::store::{Store, Tx};
use progress::Progress;
use std::io::{self, BufRead, Read};
use std::time::{Duration, Instant};

/// Records per transaction. Bounds memory and the work a crash can discard.
pub const DEFAULT_BATCH_RECORDS: usize = 20_000;

const CHECKPOINT_SOURCE: &str = "file";

/// How to read the inputs.
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub format: InputFormat,
    pub batch_records: usize,
    pub progress: bool,
    /// Set to stop at the next batch boundary (the daemon's shutdown): the batch read so far is
    /// committed with its checkpoint, and the next run resumes there.
    pub stop: Option<Stop>,
    /// The caller's clock (Unix ms), read at every batch: when its events were ingested.
    pub clock: fn() -> i64,
}

impl FileOptions {
    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(Stop::is_set)
    }
}

/// A failure that stops an ingest run. Bad records never do; they are recorded and skipped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    Checkpoint(Box<CorruptCheckpoint>),
}

impl From<CheckpointError> for IngestError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Corrupt(c) => IngestError::Checkpoint(c),
            CheckpointError::Sql(e) => IngestError::Sink(SinkError::Sql(e)),
        }
    }
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        IngestError::Sink(SinkError::Sql(e))
    }
}

/// How a layout's reader ended.
enum Flow {
    Done,
    /// The content before the checkpoint changed: read the input again from its start.
    Restart,
    /// Detected as a document but not one, and no record read: read it as lines instead, from
    /// these bytes (what was read, then the rest), or from a reopened file when they were too many.
    AsLines(Option<Box<dyn BufRead>>),
}

/// What a record is recognised by at resume: its length and its first and last 128 bytes (without
/// the line ending), where audit events carry their `auditID` and CloudTrail records their
/// `eventID`. Computed for every line, so it must stay cheap.
fn fingerprint(record: &[u8]) -> u128 {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let record = &record[..record.len().min(MAX_RECORD_BYTES)];
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(record.len() as u64).to_le_bytes());
    h.update(&record[..record.len().min(128)]);
    h.update(&record[record.len().saturating_sub(128)..]);
    h.digest128()
}

/// How much of an input layout detection looks at.
const DETECT_BYTES: usize = 64 * 1024;

/// A batch is committed after this long even if not full, so a slow stream (`tail -f | grantscope
/// ingest audit -`) neither holds the write lock nor risks more than this much work.
const MAX_BATCH_AGE: Duration = Duration::from_secs(1);

/// Checks that every input can be read. Call it before opening the store, so a bad path fails the
/// run before anything is written.
pub fn check_inputs(paths: &[InputPath]) -> Result<(), IngestError> {
    for p in paths {
        input::check_readable(p)?;
    }
    Ok(())
}

/// Ingests every input in order, each batch committed with its checkpoint.
pub fn ingest_files(
    store: &mut Store,
    paths: &[InputPath],
    sink: &mut dyn Sink,
    opts: &FileOptions,
) -> Result<Tally, IngestError> {
    let mut committed = Tally::default();
    ingest_files_into(store, paths, sink, opts, &mut committed).map(|()| committed)
}

/// [`ingest_files`], adding to `committed` what each batch's commit made permanent, as it commits:
/// when a later input fails (a vanished file, a full disk), what was stored before is still
/// counted (the daemon's counters must equal the store).
pub fn ingest_files_into(
    store: &mut Store,
    paths: &[InputPath],
    sink: &mut dyn Sink,
    opts: &FileOptions,
    committed: &mut Tally,
) -> Result<(), IngestError> {
    for p in paths {
        if opts.stopping() {
            break;
        }
        let input = input::open(p)?;
        ingest_one(store, input, sink, opts, committed)?;
    }
    Ok(())
}

fn ingest_one(
    store: &mut Store,
    mut input: Input,
    sink: &mut dyn Sink,
    opts: &FileOptions,
    committed: &mut Tally,
) -> Result<(), IngestError> {
    let name = input.path.display();
    let key = CheckpointKey {
        namespace: CHECKPOINT_SOURCE,
        key: format!("{}:{}", sink.kind(), input.identity),
        input: name.clone(),
    };
    // Stdin cannot be rewound to check what a checkpoint covers: it is always read whole, and event
    // ids keep re-fed events from counting twice.
    let checkpoint = match input.path {
        InputPath::Stdin => None,
        InputPath::File(_) => read_checkpoint(store, &key)?,
    };
    if let (Some((_, r)), Some(len)) = (&checkpoint, input.len)
        && r.read_whole == Some(len)
    {
        tracing::debug!(file = %name, "unchanged since it was read whole");
        return Ok(());
    }
    let mut lead = Resume::default();
    let mut format = match (opts.format, &checkpoint) {
        // The layout that was used before, even if detection would now say otherwise.
        (InputFormat::Auto, Some((f, _))) => *f,
        (InputFormat::Auto, None) => {
            // Blank lines first (any number: they cost nothing to pass), then detect on a fixed-size
            // head, not on whatever one read returned: a gzip stream's first read may stop at the
            // end of its first member. A read that fails keeps what it read and fails again where
            // it failed, so the layout's reader records it after the records before it.
            let (blank, failed) = skip_blank(&mut input.reader);
            lead = blank;
            let mut head = Vec::with_capacity(DETECT_BYTES);
            let failed = failed.or_else(|| (&mut input.reader).take(DETECT_BYTES as u64).read_to_end(&mut head).err());
            let format = records::detect(&head);
            let rest = match failed {
                None => std::mem::replace(&mut input.reader, Box::new(io::empty())),
                Some(e) => Box::new(io::BufReader::new(FailedRead::new(e))),
            };
            input.reader = Box::new(io::BufReader::with_capacity(1 << 20, io::Cursor::new(head).chain(rest)));
            format
        }
        (forced, _) => forced,
    };
    // The reader has passed the blank lead, if detection skipped one.
    let lead_bytes = lead.offset;
    let mut resume = match checkpoint {
        Some((f, r)) if f == format => r,
        _ => lead,
    };
    tracing::debug!(file = %name, ?format, gzip = input.gzip, ?resume, "ingesting");
    let progress = Progress::new(opts.progress, &name, input.len, input.raw_read.clone());
    // Gzip and documents cannot be resumed by seeking: their checkpoint remembers reading them whole.
    let whole_len = |format| if input.gzip || format == InputFormat::Json { input.len } else { None };
    let mut run = Run {
        sink,
        opts,
        tally: Tally::default(),
        progress,
        key,
        name,
        format,
        batch_records: opts.batch_records.max(1),
        whole_len: whole_len(format),
        committed,
        at_last_commit: Tally::default(),
    };
    // A plain file resumes by seeking to just before the checkpoint's last line; what lines() still
    // has to skip is then only that line, which it checks.
    let mut skipped = lead_bytes;
    let lines_format = matches!(format, InputFormat::Jsonl | InputFormat::Auto);
    let before = resume.offset - resume.last_len.min(resume.offset);
    let seeked = if lines_format && before > lead_bytes { input::reopen_at(&input, before) } else { None };
    let mut reader = match seeked {
        Some(seeked) => {
            skipped = before;
            seeked?
        }
        None => std::mem::replace(&mut input.reader, Box::new(io::empty())),
    };
    let result = loop {
        run.format = format;
        let flow = match format {
            InputFormat::Jsonl | InputFormat::Auto => run.lines(store, reader, &resume, skipped),
            InputFormat::Json => run.document(store, reader, &resume, opts.format == InputFormat::Auto),
        };
        match flow {
            Ok(Flow::Done) => break Ok(()),
            Ok(Flow::Restart) => {
                tracing::info!(file = %run.name, "content before the checkpoint changed; reading from the start (event ids dedupe)");
                reader = input::open(&input.path)?.reader;
                resume = Resume::default();
                skipped = 0;
            }
            Ok(Flow::AsLines(replay)) => {
                tracing::info!(file = %run.name, "not a JSON document after all; reading it as lines");
                format = InputFormat::Jsonl;
                run.whole_len = whole_len(format);
                match replay {
                    // What the document reader read, then the rest: after the blank lead, if any.
                    Some(replay) => {
                        reader = replay;
                        skipped = resume.offset;
                    }
                    None => {
                        reader = input::open(&input.path)?.reader;
                        resume = Resume::default();
                        skipped = 0;
                    }
                }
            }
            Err(e) => break Err(e),
        }
    };
    run.progress.finish();
    if result.is_err() {
        run.sink.reset();
    }
    result
}

/// The input's stored checkpoint: the layout it was read with and where to resume.
fn read_checkpoint(store: &Store, key: &CheckpointKey) -> Result<Option<(InputFormat, Resume)>, IngestError> {
    let Some(checkpoint) = key.load::<FileCheckpoint>(store)? else { return Ok(None) };
    Ok(Some(checkpoint.resume().map_err(|reason| IngestError::Checkpoint(key.corrupt(reason)))?))
}

/// How far a commit's checkpoint says the input was read.
#[derive(Debug, Clone, Copy)]
enum End {
    /// A batch: more may follow.
    Batch,
    /// To the end of the input, or to a read error there is no reading past.
    Whole,
    /// To a point in a document past which it is not JSON, recorded once; the hash of what was read.
    Failed(u128),
}

/// The position after the last record handled.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    offset: u64,
    line: u64,
    record: u64,
    last_hash: u128,
    last_len: u64,
}

struct Run<'s> {
    sink: &'s mut dyn Sink,
    opts: &'s FileOptions,
    tally: Tally,
    progress: Progress,
    key: CheckpointKey,
    name: String,
    format: InputFormat,
    batch_records: usize,
    /// The input's size on disk, when reading it whole is what its checkpoint remembers (gzip and
    /// documents, which cannot be resumed by seeking).
    whole_len: Option<u64>,
    /// The caller's count of what is committed, and this input's tally when it last committed.
    committed: &'s mut Tally,
    at_last_commit: Tally,
}

impl Run<'_> {
    /// Reads lines from the checkpoint on; `reader` has already been moved `skipped` bytes in.
    fn lines(
        &mut self,
        store: &mut Store,
        mut reader: Box<dyn BufRead>,
        resume: &Resume,
        skipped: u64,
    ) -> Result<Flow, IngestError> {
        let name = self.name.clone();
        if resume.offset > 0 {
            // Skip to the checkpoint's last line and check it is still that line.
            let before = resume.offset - resume.last_len.min(resume.offset) - skipped;
            let mut last = Vec::new();
            let skipped = io::copy(&mut (&mut reader).take(before), &mut io::sink())
                .and_then(|_| (&mut reader).take(resume.last_len).read_to_end(&mut last));
            match skipped {
                Ok(n) if n as u64 == resume.last_len && fingerprint(&last) == resume.last_hash => {}
                Ok(_) => return Ok(Flow::Restart),
                Err(e) => return self.read_failed(store, Cursor::default(), e).map(|()| Flow::Done),
            }
        }
        let mut lines = LineReader::new(reader, resume.offset, resume.line);
        let mut at = Cursor {
            offset: resume.offset,
            line: resume.line,
            record: 0,
            last_hash: resume.last_hash,
            last_len: resume.last_len,
        };
        let mut tx = store.begin()?;
        let mut now = (self.opts.clock)();
        let mut started = Instant::now();
        let mut in_batch = 0;
        // Whole unless it stops before the end of input.
        let mut end = End::Whole;
        loop {
            let (l, text) = match lines.next_line() {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(e) => {
                    self.commit(tx, at, End::Batch)?;
                    return self.read_failed(store, at, e).map(|()| Flow::Done);
                }
            };
            let text = if l.number == 1 { records::strip_bom(text) } else { text };
            let record = records::strip_export_timestamp(text.trim_ascii());
            if !l.terminated && (l.too_long || records::unfinished_json(record)) {
                tracing::warn!(file = %name, line = l.number, "the last line has no newline and its JSON is unfinished: still being written? Left for the next run");
                *self.tally.skipped.entry("incomplete-last-line").or_default() += 1;
                end = End::Batch;
                break;
            }
            let pos = Position { file: &name, line: Some(l.number), record: None };
            if l.too_long {
                let reason = format!(
                    "line longer than {} MiB (CloudWatch truncates oversized events); skipped",
                    MAX_RECORD_BYTES >> 20
                );
                self.reject(&tx, None, pos, RecordError::new(ErrorKind::TooLong, reason, text), now)?;
            } else if !record.is_empty() {
                self.deliver(&tx, record, None, pos, now)?;
            }
            at = Cursor {
                offset: l.end_offset,
                line: l.number,
                record: 0,
                last_hash: fingerprint(text),
                last_len: l.end_offset - at.offset,
            };
            in_batch += 1;
            if in_batch >= self.batch_records || started.elapsed() >= MAX_BATCH_AGE {
                self.commit(tx, at, End::Batch)?;
                tx = store.begin()?;
                now = (self.opts.clock)();
                started = Instant::now();
                in_batch = 0;
                if self.opts.stopping() {
                    end = End::Batch;
                    break;
                }
            }
        }
        self.commit(tx, at, end).map(|()| Flow::Done)
    }

    fn document(
        &mut self,
        store: &mut Store,
        reader: Box<dyn BufRead>,
        resume: &Resume,
        detected: bool,
    ) -> Result<Flow, IngestError> {
        let name = self.name.clone();
        let mut doc = DocumentReader::new(reader, resume.line, resume.offset);
        let skip = resume.record;
        let mut tx = store.begin()?;
        let mut now = (self.opts.clock)();
        let mut at = Cursor { record: skip, last_hash: resume.last_hash, ..Cursor::default() };
        let mut started = Instant::now();
        let mut in_batch = 0;
        let mut handed = false;
        let mut committed_any = false;
        let mut seen = 0;
        let stopped = loop {
            let piece = match doc.next_piece() {
                Ok(Some(piece)) => piece,
                Ok(None) => break None,
                Err(e) => break Some(e),
            };
            handed |= !matches!(piece.body, Body::Broken(_));
            seen = piece.index + 1;
            // What the checkpoint recognises the piece by: a record by its bytes, a skipped one by
            // what it was and where.
            let hash = match &piece.body {
                Body::Record(text) => fingerprint(text),
                Body::TooLong => fingerprint(format!("too long at line {}", piece.line).as_bytes()),
                Body::Broken(what) => fingerprint(format!("{what} at line {}", piece.line).as_bytes()),
            };
            if piece.index < skip {
                // Records before the checkpoint: only the last one is looked at, to check it is
                // still there; if not, the document changed and is read from its first record.
                if piece.index + 1 == skip && hash != resume.last_hash {
                    tracing::info!(file = %name, "records before the checkpoint changed; reading from the first (event ids dedupe)");
                    return Ok(Flow::Restart);
                }
                continue;
            }
            let pos = Position { file: &name, line: Some(piece.line), record: Some(piece.index) };
            let cluster = piece.log_group.and_then(crate::ingest::audit::cluster_from_log_group);
            match piece.body {
                Body::Record(record) => self.deliver(&tx, record, cluster, pos, now)?,
                Body::TooLong => {
                    let reason = format!("record longer than {} MiB; skipped", MAX_RECORD_BYTES >> 20);
                    self.reject(&tx, cluster, pos, RecordError::new(ErrorKind::TooLong, reason, b""), now)?;
                }
                Body::Broken(what) => {
                    let reason = format!("not JSON: {what}; the rest of the line is skipped");
                    self.reject(&tx, cluster, pos, RecordError::new(ErrorKind::InvalidJson, reason, b""), now)?;
                }
            }
            at = Cursor { record: piece.index + 1, last_hash: hash, ..Cursor::default() };
            in_batch += 1;
            if in_batch >= self.batch_records || started.elapsed() >= MAX_BATCH_AGE {
                self.commit(tx, at, End::Batch)?;
                committed_any = true;
                tx = store.begin()?;
                now = (self.opts.clock)();
                started = Instant::now();
                in_batch = 0;
                if self.opts.stopping() {
                    return Ok(Flow::Done);
                }
            }
        };
        if seen < skip && !matches!(stopped, Some(DocumentError { cause: DocumentErrorCause::Read(_), .. })) {
            // Fewer records than the checkpoint covers: not the document it was.
            tracing::info!(file = %name, "the document has fewer records than its checkpoint; reading from the first (event ids dedupe)");
            return Ok(Flow::Restart);
        }
        if skip == 0 {
            for _ in 0..doc.empty_lists() {
                self.tally.skip(crate::ingest::audit::SkipReason::EmptyList.as_str());
            }
        }
        let Some(e) = stopped else { return self.commit(tx, at, End::Whole).map(|()| Flow::Done) };
        if matches!(e.cause, DocumentErrorCause::Unfinished) {
            // As for lines: a last value still being written is left for the next run.
            tracing::warn!(file = %name, line = e.line, "the last value is unfinished: still being written? Left for the next run");
            self.tally.skip("incomplete-last-line");
            return self.commit(tx, at, End::Batch).map(|()| Flow::Done);
        }
        // Not a document after all: read as lines, unless reading itself failed (lines would meet
        // the same failure) or a batch was committed already (it would count twice).
        if detected && !handed && !committed_any && !matches!(e.cause, DocumentErrorCause::Read(_)) {
            drop(tx); // nothing was written
            self.tally = self.at_last_commit.clone(); // nor counted
            return Ok(Flow::AsLines(doc.into_replay().map(|r| Box::new(r) as Box<dyn BufRead>)));
        }
        let mark = doc.hash_so_far();
        if resume.failed_document != Some(mark) {
            let kind = match e.cause {
                DocumentErrorCause::Truncated | DocumentErrorCause::Unfinished => ErrorKind::Truncated,
                DocumentErrorCause::Unexpected(_) => ErrorKind::InvalidJson,
                DocumentErrorCause::Read(_) => ErrorKind::ReadError,
            };
            let pos = Position { file: &name, line: Some(e.line), record: None };
            let reason = format!("{e} (byte {}); the records before it were kept", e.offset);
            self.reject(
                &tx,
                doc.log_group().and_then(crate::ingest::audit::cluster_from_log_group),
                pos,
                RecordError::new(kind, reason, b""),
                now,
            )?;
        }
        self.commit(tx, at, End::Failed(mark)).map(|()| Flow::Done)
    }

    /// Hands one line to the sink. Invalid UTF-8 is rejected here, for the whole record: serde
    /// only validates the strings it reads, and a record with bad bytes anywhere is damaged.
    fn deliver(
        &mut self,
        tx: &Tx,
        record: &[u8],
        cluster: Option<&str>,
        pos: Position,
        now: i64,
    ) -> Result<(), IngestError> {
        match std::str::from_utf8(record) {
            Ok(text) => Ok(self.sink.record(tx, text, cluster, pos, now, &mut self.tally)?),
            Err(e) => {
                let reason = format!("input is not valid UTF-8 (at byte {} of the record)", e.valid_up_to());
                self.reject(tx, cluster, pos, RecordError::new(ErrorKind::InvalidUtf8, reason, record), now)
            }
        }
    }

    /// Records a record the source itself rejects (too long, not UTF-8, an unreadable document).
    fn reject(
        &mut self,
        tx: &Tx,
        cluster: Option<&str>,
        pos: Position,
        err: RecordError,
        now: i64,
    ) -> Result<(), IngestError> {
        // `--cluster` wins over a log group the input names, as in the sinks.
        let cluster = self.sink.cluster().or(cluster);
        Ok(record_error(tx, self.sink.kind(), cluster, pos, err, now, &mut self.tally)?)
    }

    /// A read failed part-way (a corrupt or cut gzip file): keep what was read, record the failure
    /// at the next line, and let the run go on with the next input.
    fn read_failed(&mut self, store: &mut Store, at: Cursor, e: io::Error) -> Result<(), IngestError> {
        let tx = store.begin()?;
        let pos = Position { file: &self.name.clone(), line: Some(at.line + 1), record: None };
        let err = RecordError::new(ErrorKind::ReadError, format!("reading stopped: {e}"), b"");
        self.reject(&tx, None, pos, err, (self.opts.clock)())?;
        self.commit(tx, at, End::Whole)
    }

    /// Flushes the sink and writes the checkpoint in the batch's transaction, then commits.
    fn commit(&mut self, tx: Tx, at: Cursor, end: End) -> Result<(), IngestError> {
        self.sink.flush(&tx)?;
        let failed_document = match end {
            End::Failed(mark) => Some(mark),
            _ => None,
        };
        let read_whole = if matches!(end, End::Batch) { None } else { self.whole_len };
        let Cursor { offset, line, record, last_hash, last_len } = at;
        let at = Resume { offset, line, record, last_hash, last_len, failed_document, read_whole };
        self.key.save(&tx, &FileCheckpoint::new(&self.name, self.format, &at), (self.opts.clock)())?;
        tx.commit()?;
        self.committed.add(&self.tally.since(&self.at_last_commit));
        self.at_last_commit = self.tally.clone();
        self.progress.update(self.tally.ingested + self.tally.duplicates);
        Ok(())
    }
}

/// Passes the blank lines and spaces an input starts with, however many. Returns where that left
/// the input, as a resume point lines can start from, and the read error that stopped it, if any.
fn skip_blank(reader: &mut dyn BufRead) -> (Resume, Option<io::Error>) {
    let (mut offset, mut line) = (0u64, 0u64);
    let failed = loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) => break Some(e),
        };
        let blank = chunk.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let done = blank < chunk.len() || chunk.is_empty();
        offset += blank as u64;
        line += memchr::memchr_iter(b'\n', &chunk[..blank]).count() as u64;
        reader.consume(blank);
        if done {
            break None;
        }
    };
    // A resume point right after an empty "last line": lines() checks it without reading.
    (Resume { offset, line, last_hash: fingerprint(b""), ..Resume::default() }, failed)
}

/// Fails with the error a read met, after what was read before it, at every read: a reader that
/// looks ahead and drops an error must not turn the failure into a quiet end of input.
struct FailedRead(io::ErrorKind, String);

impl FailedRead {
    fn new(e: io::Error) -> FailedRead {
        FailedRead(e.kind(), e.to_string())
    }
}

impl Read for FailedRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(self.0, self.1.clone()))
    }
}

impl super::follow::ReadFailure for IngestError {
    fn is_fatal(&self) -> bool {
        matches!(self, IngestError::Checkpoint(_))
    }
}
