//! Per-event rows: the exactly-once key and the short-lived drill-down record.

use super::{Store, Tx};
use crate::model::{EventId, RecordedDecision};
use rusqlite::{Transaction, params};

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

/// Whether an event with this id and request second is stored.
pub fn event_exists(tx: &Transaction, id: EventId, time_ms: i64) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM events WHERE time_s = ?1 AND id = ?2")?
        .exists(params![time_ms.div_euclid(1000), &id.0[..]])
}

/// Records the event unless it is already stored (same request second and id). Returns whether it
/// was new, i.e. whether it must be counted.
pub fn insert_event(tx: &Transaction, e: &NewEvent) -> rusqlite::Result<bool> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO events (time_s, id, ingested_day, time_ms, shape_id, decision, reason_id, code, source_ip)
         VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (time_s, id) DO NOTHING",
    )?;
    let decision = e.decision.map(|d| d == RecordedDecision::Allow);
    let changed = stmt.execute(params![
        &e.id.0[..],
        e.ingested_day,
        e.time_ms,
        e.shape_id,
        decision,
        e.reason_id,
        e.code,
        e.source_ip,
        e.time_ms.div_euclid(1000)
    ])?;
    Ok(changed == 1)
}

/// When the cluster's newest stored event happened (inside the retention horizon), if any: read
/// backwards along the events' time key until one of the cluster's turns up. `CROSS JOIN` keeps
/// SQLite from starting at the cluster's shapes, which would scan every event (measured: the
/// daemon's CPU then grew with the store).
pub fn newest_event_ms(conn: &rusqlite::Connection, cluster: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT e.time_ms FROM events e CROSS JOIN shapes s ON s.id = e.shape_id
         WHERE s.cluster = ?1 ORDER BY e.time_s DESC LIMIT 1",
        [cluster],
        |r| r.get(0),
    )
    .optional()
}

// The methods callers use. The functions above keep the rusqlite transaction (the ingest path's
// hot loop is being reworked beside this; fold them in once it lands).
impl Tx<'_> {
    /// `event_exists` above, in this transaction.
    pub fn event_exists(&self, id: EventId, time_ms: i64) -> rusqlite::Result<bool> {
        event_exists(&self.tx, id, time_ms)
    }

    /// `insert_event` above, in this transaction.
    pub fn insert_event(&self, e: &NewEvent) -> rusqlite::Result<bool> {
        insert_event(&self.tx, e)
    }
}

impl Store {
    /// `newest_event_ms` above.
    pub fn newest_event_ms(&self, cluster: &str) -> rusqlite::Result<Option<i64>> {
        newest_event_ms(&self.conn, cluster)
    }
}
