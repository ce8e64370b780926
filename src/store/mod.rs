//! The SQLite store: one file in WAL mode, migrated on open, the single sink every source commits to.
//!
//! Write functions take the open transaction (`&Transaction`) so a batch of events and the checkpoint
//! that follows it commit together (DESIGN idea 5).

mod access_changes;
mod checkpoints;
mod decisions;
mod events;
mod gc;
mod ingest_errors;
mod migrations;
mod replay;
mod state_versions;
mod stats;
mod usage;
mod usage_buckets;

pub use access_changes::{
    access_change_count, access_changes_for, access_grant_times, grant_history_times, insert_access_change,
};
pub use checkpoints::{read_checkpoint, write_checkpoint};
pub use decisions::{Decisions, StoredDecision, write_shape_decision};
pub use events::{NewEvent, event_exists, insert_event, newest_event_ms};
pub use gc::{GcOutcome, Horizons, collect_garbage};
pub use ingest_errors::{IngestErrorRow, ingest_error_count, insert_ingest_error, list_ingest_errors};
pub use replay::{
    Caller, DayCount, RecordedDay, ReplayWatermark, StoredShape, Window, WindowFilter, WindowShape, callers,
    cluster_days, decided_shapes, for_each_recorded_day, ingest_generation, observed_days, replay_watermark,
    set_replay_watermark, shape_by_id, shapes_after, shapes_of_callers, window_shapes,
};
pub use state_versions::{
    StatePart, StateVersion, read_state_version, record_state_part, state_clusters, state_diffs, state_history,
    state_parts, state_version_times, store_state_version,
};
pub use stats::{ClusterStats, Stats, stats};
pub use usage::{Resolved, UsageFolder, insert_shape};
pub use usage_buckets::{
    Buckets, GrantUsage, WindowCounts, grant_usage, rebuild_all_buckets, rebuild_caller_buckets, recorded_agreement,
    usage_buckets, write_grant_usage,
};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Failures opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The path exists but does not hold an SQLite database; it is left untouched.
    #[error("{path}: not a grantscope database (not an SQLite file); refusing to touch it. Pass another --db path")]
    NotSqlite { path: PathBuf },
    /// A newer grantscope migrated this database further than this binary knows.
    #[error(
        "{path}: the database was written by a newer grantscope (schema version {found}, this binary knows up to {known}); upgrade grantscope"
    )]
    TooNew { path: PathBuf, found: i64, known: usize },
    /// A command that only reads was pointed at a database that does not exist.
    #[error("{path}: no such database; ingest something first (grantscope ingest audit ...) or pass --db")]
    Missing { path: PathBuf },
    #[error("{path}: cannot open database: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: cannot read database: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: migrating the database failed: {source}")]
    Migrate { path: PathBuf, source: rusqlite_migration::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// An open store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if absent) the database at `path`, applies pending migrations and sets the
    /// pragmas the ingest path relies on.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        check_is_sqlite(path)?;
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.into(), source })?;
        configure(&conn).map_err(|source| StoreError::Open { path: path.into(), source })?;
        migrations::apply(&mut conn, path)?;
        Ok(Store { conn })
    }

    /// Opens an existing database; for commands that only read or prune, so a mistyped `--db`
    /// does not leave an empty database behind.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing { path: path.into() });
        }
        Store::open(path)
    }

    /// An in-memory store, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::apply(&mut conn, Path::new(":memory:"))?;
        Ok(Store { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // WAL: readers (stats, the daemon's HTTP) never block the writer. synchronous=NORMAL in WAL
    // survives a killed process (only an OS crash may drop the newest commits, never corrupt).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "busy_timeout", 5_000)?;
    // 64 MiB page cache: the dedupe index is random-keyed, so its hot pages should stay resident.
    conn.pragma_update(None, "cache_size", -65_536)?;
    // Checkpoint the WAL every ~32 MiB rather than 4 MiB: the pages a batch touches (the right
    // edge of the events table, the daily counts) are rewritten by the next batches, and a larger
    // WAL writes each of them back once instead of many times.
    conn.pragma_update(None, "wal_autocheckpoint", 8_192)?;
    Ok(())
}

/// Refuses a non-empty file that does not start with SQLite's header, before SQLite writes to it.
fn check_is_sqlite(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StoreError::Read { path: path.into(), source }),
    };
    let n = file.read(&mut header).map_err(|source| StoreError::Read { path: path.into(), source })?;
    if n == 0 || (n == 16 && &header == b"SQLite format 3\0") {
        Ok(())
    } else {
        Err(StoreError::NotSqlite { path: path.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "my precious notes\n").unwrap();
        let err = Store::open(&path).err().expect("must refuse");
        assert!(matches!(err, StoreError::NotSqlite { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "my precious notes\n");
        assert!(!dir.path().join("notes.txt-wal").exists());
    }

    #[test]
    fn reopening_applies_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        let n: i64 = store.conn().query_row("SELECT count(*) FROM shapes", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }
}
