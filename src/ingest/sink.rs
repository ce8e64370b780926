//! Where parsed records go: the audit and CloudTrail sinks write into the open transaction and
//! tally outcomes. The file source owns batching and checkpoints; a sink owns what one record means.

use super::audit::{self, AuditItem};
use super::cloudtrail::{self, CloudTrailItem};
use super::record_error::{ErrorKind, RecordError};
use crate::model::time;
use crate::store::{IngestErrorRow, NewEvent, Tx, UsageFolder};
use serde::Serialize;
use std::collections::BTreeMap;

/// Outcome counts of an ingest run.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Tally {
    /// New events stored and counted.
    pub ingested: u64,
    /// Events whose id was already stored: counted once, earlier.
    pub duplicates: u64,
    /// Records that are valid but not kept, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Bad records, recorded in the errors table.
    pub errors: u64,
}

impl Tally {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// What was counted after `earlier`, a tally this one grew from.
    pub fn since(&self, earlier: &Tally) -> Tally {
        let mut skipped = self.skipped.clone();
        for (k, v) in &earlier.skipped {
            if let Some(n) = skipped.get_mut(k) {
                *n -= v;
            }
        }
        skipped.retain(|_, n| *n > 0);
        Tally {
            ingested: self.ingested - earlier.ingested,
            duplicates: self.duplicates - earlier.duplicates,
            skipped,
            errors: self.errors - earlier.errors,
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.ingested += other.ingested;
        self.duplicates += other.duplicates;
        self.errors += other.errors;
        for (k, v) in &other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
    }
}

/// Where a record sits in its input.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    pub file: &'a str,
    pub line: Option<u64>,
    pub record: Option<u64>,
}

/// A failure that stops the run (as opposed to a bad record, which is recorded and skipped).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(
        "{file}: cannot tell which cluster these audit events belong to (the input names no /aws/eks/NAME/cluster log group); pass --cluster NAME"
    )]
    NoCluster { file: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What both sinks do.
pub trait Sink {
    /// The checkpoint namespace (`audit`, `cloudtrail`).
    fn kind(&self) -> &'static str;
    /// The cluster bad records are filed under when the input does not say.
    fn cluster(&self) -> Option<&str>;
    /// Parses and stores one record inside `tx`.
    fn record(
        &mut self,
        tx: &Tx,
        text: &str,
        log_group_cluster: Option<&str>,
        pos: Position,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SinkError>;
    /// Writes what the sink accumulated; called right before the checkpoint.
    fn flush(&mut self, tx: &Tx) -> Result<(), SinkError>;
    /// Forgets cached ids after a rollback.
    fn reset(&mut self);
}

const LOGGED_ERRORS_PER_RUN: u64 = 20;

/// Bad records of one input stored in the errors table; the rest are counted only, so a file of
/// garbage (16 KB of gzip can hold 8 million bad lines) cannot fill the disk.
pub const STORED_ERRORS_PER_INPUT: u64 = 1_000;

/// Records one bad record at `pos`.
pub fn record_error(
    tx: &Tx,
    source: &str,
    cluster: Option<&str>,
    pos: Position,
    e: RecordError,
    now_ms: i64,
    tally: &mut Tally,
) -> rusqlite::Result<()> {
    tally.errors += 1;
    // Every bad record is in the errors table; the log shows the first few so a bad file cannot flood it.
    if tally.errors <= LOGGED_ERRORS_PER_RUN {
        tracing::warn!(file = pos.file, line = pos.line, record = pos.record.or(e.index), kind = %e.kind, "skipped bad record: {}", e.reason);
    } else {
        if tally.errors == LOGGED_ERRORS_PER_RUN + 1 {
            tracing::warn!("more bad records; logging them at debug level only (all are in `grantscope errors`)");
        }
        tracing::debug!(file = pos.file, line = pos.line, record = pos.record.or(e.index), kind = %e.kind, "skipped bad record: {}", e.reason);
    }
    if tally.errors > STORED_ERRORS_PER_INPUT + 1 {
        return Ok(());
    }
    let e = if tally.errors == STORED_ERRORS_PER_INPUT + 1 {
        let reason = format!(
            "more than {STORED_ERRORS_PER_INPUT} bad records in this input: the rest are counted in the run's summary, not stored"
        );
        RecordError::new(ErrorKind::TooManyErrors, reason, b"")
    } else {
        e
    };
    // A record of a document has both: its line and its index.
    let (line, record) = (pos.line, pos.record.or(e.index));
    tx.insert_ingest_error(&IngestErrorRow {
        ingested_ms: now_ms,
        cluster: cluster.map(str::to_string),
        source: source.to_string(),
        file: pos.file.to_string(),
        line,
        record,
        kind: e.kind.as_str().to_string(),
        reason: e.reason,
        excerpt: e.excerpt,
    })
}

/// Kubernetes audit events → shapes, daily usage and per-event rows.
pub struct AuditSink {
    /// `--cluster`: wins over a log group named by the input.
    pub cluster: Option<String>,
    folder: UsageFolder,
}

impl AuditSink {
    pub fn new(cluster: Option<String>) -> AuditSink {
        AuditSink { cluster, folder: UsageFolder::new() }
    }

    /// A sink keeping `limit` names and sessions per shape: the differential test's unbounded model.
    #[cfg(test)]
    pub fn keeping(cluster: Option<String>, limit: usize) -> AuditSink {
        AuditSink { cluster, folder: UsageFolder::keeping(limit) }
    }
}

impl Sink for AuditSink {
    fn kind(&self) -> &'static str {
        "audit"
    }

    fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    fn record(
        &mut self,
        tx: &Tx,
        text: &str,
        log_group_cluster: Option<&str>,
        pos: Position,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SinkError> {
        let cluster = self.cluster.as_deref().or(log_group_cluster);
        let ingested_day = time::day_of(now_ms);
        let mut failure: Option<SinkError> = None;
        let folder = &mut self.folder;
        audit::parse_record(text, cluster, &mut |item| {
            if failure.is_some() {
                return;
            }
            let result = match item {
                AuditItem::Event(e) if e.shape.cluster.is_empty() => {
                    Err(SinkError::NoCluster { file: pos.file.to_string() })
                }
                AuditItem::Event(e) => (|| {
                    let base = e.shape.base_key();
                    // A shape not seen in this run may be one only a duplicate would create (the same
                    // event re-ingested under another --cluster): check the event before the shape.
                    let known = folder.known_shape(base, &e.shape);
                    if known.is_none() && tx.event_exists(e.id, e.time_ms)? {
                        tally.duplicates += 1;
                        return Ok(());
                    }
                    let resolved = folder.resolve(tx, base, known, &e)?;
                    let new = tx.insert_event(&NewEvent {
                        id: e.id,
                        ingested_day,
                        time_ms: e.time_ms,
                        shape_id: resolved.shape_id,
                        decision: e.decision,
                        reason_id: resolved.reason_id,
                        code: e.response_code,
                        source_ip: &e.source_ip,
                    })?;
                    if new {
                        folder.count(&e, &resolved);
                        tally.ingested += 1;
                    } else {
                        tally.duplicates += 1;
                    }
                    Ok(())
                })(),
                AuditItem::Skipped(reason) => {
                    tally.skip(reason.as_str());
                    Ok(())
                }
                AuditItem::Error(err) => {
                    record_error(tx, "audit", cluster, pos, err, now_ms, tally).map_err(SinkError::from)
                }
            };
            if let Err(e) = result {
                failure = Some(e);
            }
        });
        failure.map_or(Ok(()), Err)
    }

    fn flush(&mut self, tx: &Tx) -> Result<(), SinkError> {
        Ok(self.folder.flush(tx)?)
    }

    fn reset(&mut self) {
        self.folder.reset();
    }
}

/// CloudTrail events → access changes.
#[derive(Default)]
pub struct CloudTrailSink;

impl Sink for CloudTrailSink {
    fn kind(&self) -> &'static str {
        "cloudtrail"
    }

    fn cluster(&self) -> Option<&str> {
        None
    }

    fn record(
        &mut self,
        tx: &Tx,
        text: &str,
        _log_group_cluster: Option<&str>,
        pos: Position,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SinkError> {
        let mut failure: Option<rusqlite::Error> = None;
        cloudtrail::parse_record(text, &mut |item| {
            if failure.is_some() {
                return;
            }
            let result = match item {
                CloudTrailItem::Access(change) => tx
                    .insert_access_change(&change)
                    .map(|new| if new { tally.ingested += 1 } else { tally.duplicates += 1 }),
                CloudTrailItem::NotRelevant => {
                    tally.skip("not-access-related");
                    Ok(())
                }
                CloudTrailItem::EmptyList => {
                    tally.skip(audit::SkipReason::EmptyList.as_str());
                    Ok(())
                }
                CloudTrailItem::FailedCall => {
                    tally.skip("failed-call");
                    Ok(())
                }
                CloudTrailItem::Error(err) => record_error(tx, "cloudtrail", None, pos, err, now_ms, tally),
            };
            if let Err(e) = result {
                failure = Some(e);
            }
        });
        failure.map_or(Ok(()), |e| Err(e.into()))
    }

    fn flush(&mut self, _tx: &Tx) -> Result<(), SinkError> {
        Ok(())
    }

    fn reset(&mut self) {}
}
