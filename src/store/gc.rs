//! Retention: per-event rows live only inside a short horizon; shapes and daily counts stay.

use super::Store;
use crate::model::time::{MS_PER_DAY, day_of};
use rusqlite::params;
use serde::Serialize;

/// How long per-event rows are kept.
#[derive(Debug, Clone, Copy)]
pub struct Horizons {
    /// Event ids are remembered for events ingested in the last this many days.
    pub dedupe_days: u32,
    /// Raw normalized events are kept for events that happened in the last this many days.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct GcOutcome {
    pub events_deleted: u64,
    /// Bad-input rows recorded before the retention horizon.
    pub errors_deleted: u64,
}

impl Store {
    /// Deletes per-event rows outside both horizons. A row is kept while either still needs it.
    pub fn collect_garbage(&self, h: Horizons, now_ms: i64) -> rusqlite::Result<GcOutcome> {
        let ingested_before = day_of(now_ms) - i64::from(h.dedupe_days);
        let happened_before = now_ms - i64::from(h.retention_days) * MS_PER_DAY;
        let n = self.conn.execute(
            // time_s leads the primary key, so this is a range scan over the old rows only.
            "DELETE FROM events WHERE time_s < ?2 AND ingested_day < ?1",
            params![ingested_before, happened_before.div_euclid(1000)],
        )?;
        // Bad input is kept as long as raw events: long enough to look at, never growing for ever.
        let errors = self.conn.execute("DELETE FROM ingest_errors WHERE ingested_ms < ?1", [happened_before])?;
        Ok(GcOutcome { events_deleted: n as u64, errors_deleted: errors as u64 })
    }
}
