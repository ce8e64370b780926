//! The file source: reads inputs record by record, hands each to a sink, and commits every batch
//! together with the checkpoint that follows it.
//!
//! Exactly once (DESIGN idea 5): a checkpoint is the input's content identity plus the position
//! after the last committed record, written in the batch's own transaction. A run killed at any
//! moment loses its open transaction and nothing else; the next run resumes at the checkpoint, and
//! anything re-read behind it is deduplicated by event id.

use super::input::{self, Input, InputPath, OpenError};
use super::progress::Progress;
use super::record_error::{ErrorKind, RecordError};
use super::records::{self, InputFormat, LineReader, MAX_RECORD_BYTES};
use super::sink::{Position, Sink, SinkError, Tally, record_error};
use crate::store::{self, Store};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Read};
use std::time::{SystemTime, UNIX_EPOCH};

/// Records per transaction. Bounds memory and the work a crash can discard.
pub const DEFAULT_BATCH_RECORDS: usize = 20_000;

const CHECKPOINT_SOURCE: &str = "file";

/// How to read the inputs.
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub format: InputFormat,
    pub batch_records: usize,
    pub progress: bool,
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
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        IngestError::Sink(SinkError::Sql(e))
    }
}

/// Where a file stopped. Versioned so a future layout can read old checkpoints.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "version")]
enum FileCheckpoint {
    #[serde(rename = "1")]
    V1 {
        path: String,
        format: InputFormat,
        /// Decompressed bytes consumed (line layout).
        offset: u64,
        /// Lines consumed (line layout).
        line: u64,
        /// Records consumed (document layout).
        record: u64,
    },
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

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
    let mut total = Tally::default();
    for p in paths {
        let input = input::open(p)?;
        let tally = ingest_one(store, input, sink, opts)?;
        total.add(&tally);
    }
    Ok(total)
}

fn ingest_one(
    store: &mut Store,
    mut input: Input,
    sink: &mut dyn Sink,
    opts: &FileOptions,
) -> Result<Tally, IngestError> {
    let name = input.path.display();
    let read_err = |source| IngestError::Read { path: name.clone(), source };
    let key = format!("{}:{}", sink.kind(), input.identity);
    let format = match opts.format {
        InputFormat::Auto => records::detect(input.reader.fill_buf().map_err(read_err)?),
        forced => forced,
    };
    let resume = match store::read_checkpoint(store.conn(), CHECKPOINT_SOURCE, &key)? {
        Some(text) => match serde_json::from_str::<FileCheckpoint>(&text) {
            Ok(FileCheckpoint::V1 { format: f, offset, line, record, .. }) if f == format => (offset, line, record),
            Ok(_) => (0, 0, 0),
            Err(e) => {
                tracing::warn!(file = %name, "unreadable checkpoint ({e}); reading from the start, event ids dedupe");
                (0, 0, 0)
            }
        },
        None => (0, 0, 0),
    };
    tracing::debug!(file = %name, ?format, gzip = input.gzip, resume_offset = resume.0, resume_record = resume.2, "ingesting");
    let progress = Progress::new(opts.progress, &name, input.len, input.raw_read.clone());
    let mut run = Run {
        sink,
        tally: Tally::default(),
        progress,
        key,
        name: name.clone(),
        format,
        batch_records: opts.batch_records.max(1),
    };
    let result = match format {
        InputFormat::Jsonl | InputFormat::Auto => run.lines(store, input.reader, resume.0, resume.1),
        InputFormat::Json => run.document(store, input.reader, resume.2),
    };
    run.progress.finish();
    if result.is_err() {
        run.sink.reset();
    }
    result.map(|()| run.tally)
}

struct Run<'s> {
    sink: &'s mut dyn Sink,
    tally: Tally,
    progress: Progress,
    key: String,
    name: String,
    format: InputFormat,
    batch_records: usize,
}

impl Run<'_> {
    fn lines(
        &mut self,
        store: &mut Store,
        mut reader: Box<dyn BufRead>,
        offset: u64,
        line: u64,
    ) -> Result<(), IngestError> {
        let read_err = |source| IngestError::Read { path: self.name.clone(), source };
        io::copy(&mut (&mut reader).take(offset), &mut io::sink()).map_err(read_err)?;
        let mut lines = LineReader::new(reader, offset, line);
        let name = self.name.clone();
        let mut tx = store.conn_mut().transaction()?;
        let mut now = now_ms();
        let mut in_batch = 0;
        let mut at = (offset, line);
        loop {
            let Some((l, text)) =
                lines.next_line().map_err(|source| IngestError::Read { path: self.name.clone(), source })?
            else {
                break;
            };
            at = (l.end_offset, l.number);
            let pos = Position { file: &name, line: Some(l.number), record: None };
            if l.too_long {
                let reason = format!(
                    "line longer than {} MiB (CloudWatch truncates oversized events); skipped",
                    MAX_RECORD_BYTES >> 20
                );
                self.reject(&tx, None, pos, RecordError::new(ErrorKind::TooLong, reason, text), now)?;
            } else {
                let record = records::strip_export_timestamp(text.trim_ascii());
                if record.is_empty() {
                    continue;
                }
                self.deliver(&tx, record, None, pos, now)?;
            }
            in_batch += 1;
            if in_batch == self.batch_records {
                self.commit(tx, at.0, at.1, 0)?;
                tx = store.conn_mut().transaction()?;
                now = now_ms();
                in_batch = 0;
            }
        }
        self.commit(tx, at.0, at.1, 0)
    }

    fn document(&mut self, store: &mut Store, mut reader: Box<dyn BufRead>, skip: u64) -> Result<(), IngestError> {
        let mut doc = Vec::new();
        reader.read_to_end(&mut doc).map_err(|source| IngestError::Read { path: self.name.clone(), source })?;
        let now = now_ms();
        let mut tx = store.conn_mut().transaction()?;
        let split = match records::split_document(&doc) {
            Ok(s) => s,
            Err(e) => {
                // The whole document is one bad record: nothing in it can be trusted.
                if skip == 0 {
                    let name = self.name.clone();
                    let pos = Position { file: &name, line: None, record: None };
                    self.reject(&tx, None, pos, RecordError::from_json(&e, &doc), now)?;
                }
                return self.commit(tx, 0, 0, 1);
            }
        };
        let cluster = split.log_group.as_deref().and_then(super::audit::cluster_from_log_group);
        let name = self.name.clone();
        let mut in_batch = 0;
        for (i, item) in split.items.iter().enumerate().skip(skip as usize) {
            let pos = Position { file: &name, line: None, record: Some(i as u64) };
            self.deliver(&tx, item.get().as_bytes(), cluster, pos, now)?;
            in_batch += 1;
            if in_batch == self.batch_records {
                self.commit(tx, 0, 0, i as u64 + 1)?;
                tx = store.conn_mut().transaction()?;
                in_batch = 0;
            }
        }
        let end = split.items.len() as u64;
        self.commit(tx, 0, 0, end.max(skip))
    }

    /// Hands one record to the sink. Invalid UTF-8 is rejected here, for the whole record: serde
    /// only validates the strings it reads, and a record with bad bytes anywhere is damaged.
    fn deliver(
        &mut self,
        tx: &Transaction,
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
        tx: &Transaction,
        cluster: Option<&str>,
        pos: Position,
        err: RecordError,
        now: i64,
    ) -> Result<(), IngestError> {
        let cluster = cluster.or(self.sink.cluster());
        Ok(record_error(tx, self.sink.kind(), cluster, pos, err, now, &mut self.tally)?)
    }

    /// Flushes the sink and writes the checkpoint in the batch's transaction, then commits.
    fn commit(&mut self, tx: Transaction, offset: u64, line: u64, record: u64) -> Result<(), IngestError> {
        self.sink.flush(&tx)?;
        let checkpoint = FileCheckpoint::V1 { path: self.name.clone(), format: self.format, offset, line, record };
        let value = serde_json::to_string(&checkpoint).expect("checkpoint serializes");
        store::write_checkpoint(&tx, CHECKPOINT_SOURCE, &self.key, &value, now_ms())?;
        tx.commit()?;
        self.progress.update(self.tally.ingested + self.tally.duplicates);
        Ok(())
    }
}
