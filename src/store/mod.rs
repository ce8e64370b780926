//! The SQLite store: one file in WAL mode, migrated on open, the single sink every source commits to.
//!
//! The connection stays inside: callers read and write through methods, one `impl` block per
//! concern in the file holding that concern's SQL. Writes that must commit together are methods
//! of [`Tx`], the write transaction [`Store::begin`] opens: a batch of events, its usage and the
//! checkpoint that follows it (DESIGN idea 5); a replay's decisions, usage buckets, grant usage
//! and watermark. Writes that stand alone are methods of [`Store`] and commit by themselves: a
//! state version (in its own IMMEDIATE transaction, so no concurrent writer slips a version in
//! between), a state part's sync attempt, the agreement cache, a renamed checkpoint, gc.

mod access_changes;
mod agreement_cache;
mod checkpoints;
mod decisions;
mod error;
mod events;
mod gc;
mod ingest_errors;
mod migrations;
mod replay;
mod report_history;
mod sql_types;
mod state_versions;
mod stats;
mod tx;
mod usage;
mod usage_buckets;

pub use decisions::{Decisions, StoredDecision};
pub use error::StoreError;
pub use events::NewEvent;
pub use gc::{GcOutcome, Horizons};
pub use ingest_errors::IngestErrorRow;
pub use replay::{Caller, DayCount, RecordedDay, ReplayWatermark, StoredShape, Window, WindowFilter, WindowShape};
pub use report_history::AssessmentCounts;
pub use state_versions::{StatePart, StateVersion};
pub use stats::{ClusterStats, Stats};
pub use tx::Tx;
pub use usage::{Resolved, UsageFolder};
pub use usage_buckets::{Buckets, GrantUsage, UsageByGrant, WindowCounts};

use rusqlite::Connection;
use std::path::Path;

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
        // Before anything is written (even the journal mode is a write): is it ours?
        check_is_ours(&conn, path)?;
        configure(&conn).map_err(|source| StoreError::Open { path: path.into(), source })?;
        migrations::apply(&mut conn, path)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        Ok(Store { conn })
    }

    /// Opens an existing database for a command that only reads (`stats`, `errors`, `state show`,
    /// `paths`, `timeline`): nothing is written, so it works on a read-only filesystem or a copy
    /// made by someone else. Without write access to the database's directory, SQLite cannot keep
    /// its WAL index; the file is then read as immutable, but only when no WAL with pending writes
    /// lies beside it (a writer elsewhere would otherwise be ignored).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        if !path.exists() {
            return Err(StoreError::Missing { path: path.into() });
        }
        check_is_sqlite(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |uri: String| -> rusqlite::Result<(Connection, i64)> {
            let conn = Connection::open_with_flags(uri, flags)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Ok((conn, version))
        };
        let file = file_uri(path);
        let (conn, found) = match open(format!("{file}?mode=ro")) {
            Ok(opened) => opened,
            // No WAL index can be made (a read-only directory). Reading the file as immutable is
            // right only when no write is pending in a WAL it would ignore.
            Err(e) if cannot_keep_wal_index(&e) && wal_is_empty(path) => open(format!("{file}?mode=ro&immutable=1"))
                .map_err(|source| StoreError::Open { path: path.into(), source })?,
            Err(source) => return Err(StoreError::Open { path: path.into(), source }),
        };
        check_is_ours(&conn, path)?;
        let known = migrations::count();
        match found {
            f if f as usize > known => return Err(StoreError::TooNew { path: path.into(), found, known }),
            f if (f as usize) < known => return Err(StoreError::NeedsUpgrade { path: path.into(), found, known }),
            _ => {}
        }
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

/// SQLite's `application_id` of a grantscope database ("GSCP"): `file(1)` and other tools can tell
/// it from any other SQLite file, and grantscope can refuse theirs.
const APPLICATION_ID: i32 = 0x4753_4350;

/// Refuses an SQLite database that is some other program's: one with tables, and neither
/// grantscope's application id nor (from before the id was written) grantscope's own tables.
fn check_is_ours(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let read = |source| StoreError::Open { path: path.into(), source };
    let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(read)?;
    if id == APPLICATION_ID {
        return Ok(());
    }
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .map_err(read)?;
    let tables: Vec<String> =
        stmt.query_map([], |r| r.get(0)).map_err(read)?.collect::<Result<_, _>>().map_err(read)?;
    // Every grantscope schema, from the first migration on, has these; user_version says migrated.
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(read)?;
    let ours = id == 0 && version > 0 && ["checkpoints", "shapes"].iter().all(|t| tables.iter().any(|n| n == t));
    if tables.is_empty() && id == 0 || ours {
        return Ok(());
    }
    let mut listed: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
    if tables.len() > 5 {
        listed.push("...");
    }
    let tables = if listed.is_empty() { "none".to_string() } else { listed.join(", ") };
    Err(StoreError::Foreign { path: path.into(), tables })
}

/// Whether opening failed because SQLite could not create the WAL index beside the database.
fn cannot_keep_wal_index(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, ReadOnly};
    matches!(e.sqlite_error_code(), Some(CannotOpen | ReadOnly))
}

/// Whether the database has no WAL with pending writes beside it.
fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(true, |m| m.len() == 0)
}

/// `path` as an SQLite `file:` URI, every byte but unreserved ASCII percent-encoded (`?`, `#` and
/// `%` would end it early; other bytes would be read as Latin-1).
fn file_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
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
    fn another_programs_database_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let other = Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
        drop(other);
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().expect("must refuse");
        assert!(matches!(err, StoreError::Foreign { ref tables, .. } if tables == "t"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
        assert!(!dir.path().join("other.db-wal").exists());
        assert!(matches!(Store::open_read_only(&path).err(), Some(StoreError::Foreign { .. })));
    }

    #[test]
    fn a_grantscope_database_is_marked_and_read_only_opening_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g?#% józef.db");
        drop(Store::open(&path).unwrap());
        let id: i32 =
            Connection::open(&path).unwrap().pragma_query_value(None, "application_id", |r| r.get(0)).unwrap();
        assert_eq!(id, APPLICATION_ID);
        let before = std::fs::read(&path).unwrap();
        let store = Store::open_read_only(&path).unwrap();
        let n: i64 = store.conn.query_row("SELECT count(*) FROM shapes", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
        assert!(store.conn.execute("DELETE FROM shapes", []).is_err(), "writes are refused");
        drop(store);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_database_from_before_the_marker_is_still_ours() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "application_id", 0).unwrap();
        drop(Store::open(&path).expect("an unmarked grantscope database opens"));
    }

    #[test]
    fn reopening_applies_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        let n: i64 = store.conn.query_row("SELECT count(*) FROM shapes", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }
}
