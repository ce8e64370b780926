//! The record of bad input: every skipped record, with where it was and why.

use super::{Store, Tx};
use rusqlite::params;
use serde::Serialize;

/// One bad record.
#[derive(Debug, Clone, Serialize)]
pub struct IngestErrorRow {
    pub ingested_ms: i64,
    pub cluster: Option<String>,
    pub source: String,
    pub file: String,
    pub line: Option<u64>,
    pub record: Option<u64>,
    pub kind: String,
    pub reason: String,
    pub excerpt: String,
}

impl Store {
    /// The newest `limit` errors, oldest first.
    pub fn list_ingest_errors(&self, limit: u64) -> rusqlite::Result<Vec<IngestErrorRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT * FROM (SELECT id, ingested_ms, cluster, source, file, line, record, kind, reason, excerpt
                            FROM ingest_errors ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(IngestErrorRow {
                ingested_ms: r.get(1)?,
                cluster: r.get(2)?,
                source: r.get(3)?,
                file: r.get(4)?,
                line: r.get(5)?,
                record: r.get(6)?,
                kind: r.get(7)?,
                reason: r.get(8)?,
                excerpt: r.get(9)?,
            })
        })?;
        rows.collect()
    }

    /// How many bad records were skipped for the cluster.
    pub fn ingest_error_count(&self, cluster: &str) -> rusqlite::Result<i64> {
        self.conn.query_row("SELECT count(*) FROM ingest_errors WHERE cluster = ?1", [cluster], |r| r.get(0))
    }
}

impl Tx<'_> {
    /// Records a bad record, once: the same record of the same file is not recorded again.
    pub fn insert_ingest_error(&self, e: &IngestErrorRow) -> rusqlite::Result<()> {
        self.tx.prepare_cached(
            "INSERT OR IGNORE INTO ingest_errors (ingested_ms, cluster, source, file, line, record, kind, reason, excerpt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            e.ingested_ms,
            e.cluster,
            e.source,
            e.file,
            e.line,
            e.record,
            e.kind,
            e.reason,
            e.excerpt
        ])?;
        Ok(())
    }
}
