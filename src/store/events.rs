//! Per-event rows: the exactly-once key and the short-lived drill-down record.

use super::{Store, Tx};
use crate::model::{EventId, RecordedDecision};
use rusqlite::params;

/// A newly ingested audit event, resolved to its shape and reason.
pub struct NewEvent<'a> {
    pub id: EventId,
    pub ingested_day: i64,
    pub time_ms: i64,
    pub shape_id: i64,
    pub decision: Option<RecordedDecision>,
    pub reason_id: i64,
    pub code: Option<u16>,
    pub source_ip: &'a str,
}

impl Tx<'_> {
    /// Whether an event with this id and request second is stored.
    pub fn event_exists(&self, id: EventId, time_ms: i64) -> rusqlite::Result<bool> {
        self.with_held(&self.held.event_exists, "SELECT 1 FROM events WHERE time_s = ?1 AND id = ?2", |stmt| {
            stmt.exists(params![time_ms.div_euclid(1000), &id.0[..]])
        })
    }

    /// Records the event unless it is already stored (same request second and id). Returns
    /// whether it was new, i.e. whether it must be counted.
    pub fn insert_event(&self, e: &NewEvent) -> rusqlite::Result<bool> {
        const INSERT: &str =
            "INSERT INTO events (time_s, id, ingested_day, time_ms, shape_id, decision, reason_id, code, source_ip)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (time_s, id) DO NOTHING";
        self.with_held(&self.held.insert_event, INSERT, |stmt| {
            // Bound one by one: `execute(params![..])` re-checks the count and goes through
            // `dyn ToSql` for each, once per event.
            stmt.raw_bind_parameter(1, e.time_ms.div_euclid(1000))?;
            stmt.raw_bind_parameter(2, &e.id.0[..])?;
            stmt.raw_bind_parameter(3, e.ingested_day)?;
            stmt.raw_bind_parameter(4, e.time_ms)?;
            stmt.raw_bind_parameter(5, e.shape_id)?;
            stmt.raw_bind_parameter(6, e.decision.map(|d| d == RecordedDecision::Allow))?;
            stmt.raw_bind_parameter(7, e.reason_id)?;
            stmt.raw_bind_parameter(8, e.code)?;
            stmt.raw_bind_parameter(9, e.source_ip)?;
            Ok(stmt.raw_execute()? == 1)
        })
    }
}

impl Store {
    /// When the cluster's newest stored event happened (inside the retention horizon), if any: read
    /// backwards along the events' time key until one of the cluster's turns up. `CROSS JOIN` keeps
    /// SQLite from starting at the cluster's shapes, which would scan every event (measured: the
    /// daemon's CPU then grew with the store).
    pub fn newest_event_ms(&self, cluster: &str) -> rusqlite::Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row(
                "SELECT e.time_ms FROM events e CROSS JOIN shapes s ON s.id = e.shape_id
             WHERE s.cluster = ?1 ORDER BY e.time_s DESC LIMIT 1",
                [cluster],
                |r| r.get(0),
            )
            .optional()
    }
}
