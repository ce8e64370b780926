//! Stored access-state versions.

use super::Store;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One stored version (without its snapshot).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateVersion {
    pub cluster: String,
    pub version: i64,
    pub created_ms: i64,
    pub source: String,
}

/// Where one part of a cluster's state was last read from its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatePart {
    pub part: String,
    /// The last successful read (Unix ms), if any.
    pub synced_ms: Option<i64>,
    pub attempted_ms: i64,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
}

impl Store {
    /// Stores `snapshot` as the cluster's next version unless it equals the latest one, with what
    /// `diff` says changed since the latest (given the latest version and its snapshot; called
    /// inside the transaction, so a concurrent writer cannot slip a version in between). An error
    /// of `diff` stores nothing. Returns the version that now holds this content and whether it was
    /// created.
    pub fn store_state_version<E: From<rusqlite::Error>>(
        &mut self,
        cluster: &str,
        snapshot: &str,
        diff: impl FnOnce(i64, &str) -> Result<String, E>,
        source: &str,
        now_ms: i64,
    ) -> Result<(i64, bool), E> {
        let hash = xxhash_rust::xxh3::xxh3_128(snapshot.as_bytes()).to_be_bytes();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let latest: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT version, content_hash FROM state_versions WHERE cluster = ?1 ORDER BY version DESC LIMIT 1",
                [cluster],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((version, h)) = &latest
            && h[..] == hash[..]
        {
            return Ok((*version, false));
        }
        let version = latest.as_ref().map_or(1, |(v, _)| v + 1);
        if let Some((previous, _)) = latest {
            let old: String = tx.query_row(
                "SELECT snapshot FROM state_versions WHERE cluster = ?1 AND version = ?2",
                params![cluster, previous],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO state_diffs (cluster, version, diff) VALUES (?1, ?2, ?3)",
                params![cluster, version, diff(previous, &old)?],
            )?;
        }
        tx.execute(
            "INSERT INTO state_versions (cluster, version, created_ms, content_hash, source, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![cluster, version, now_ms, &hash[..], source, snapshot],
        )?;
        tx.commit()?;
        Ok((version, true))
    }

    /// The snapshot JSON of a version (the latest when `version` is `None`).
    pub fn read_state_version(
        &self,
        cluster: &str,
        version: Option<i64>,
    ) -> rusqlite::Result<Option<(StateVersion, String)>> {
        self.conn
            .query_row(
                "SELECT cluster, version, created_ms, source, snapshot FROM state_versions
                 WHERE cluster = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY version DESC LIMIT 1",
                params![cluster, version],
                |r| {
                    Ok((
                        StateVersion {
                            cluster: r.get(0)?,
                            version: r.get(1)?,
                            created_ms: r.get(2)?,
                            source: r.get(3)?,
                        },
                        r.get(4)?,
                    ))
                },
            )
            .optional()
    }

    /// Clusters that have stored states.
    pub fn state_clusters(&self) -> rusqlite::Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT cluster FROM state_versions ORDER BY cluster")?;
        stmt.query_map([], |r| r.get(0))?.collect()
    }

    /// Every version of the cluster, oldest first: (version, created_ms, snapshot JSON).
    pub fn state_history(&self, cluster: &str) -> rusqlite::Result<Vec<(i64, i64, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT version, created_ms, snapshot FROM state_versions WHERE cluster = ?1 ORDER BY version")?;
        stmt.query_map([cluster], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
    }

    /// Every version of the cluster and when it was stored, oldest first.
    pub fn state_version_times(&self, cluster: &str) -> rusqlite::Result<Vec<(i64, i64)>> {
        let mut stmt =
            self.conn.prepare("SELECT version, created_ms FROM state_versions WHERE cluster = ?1 ORDER BY version")?;
        stmt.query_map([cluster], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
    }

    /// What changed in each version after the first, oldest first: (version, created_ms, diff JSON).
    pub fn state_diffs(&self, cluster: &str) -> rusqlite::Result<Vec<(i64, i64, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.version, v.created_ms, d.diff FROM state_diffs d
             JOIN state_versions v ON v.cluster = d.cluster AND v.version = d.version
             WHERE d.cluster = ?1 ORDER BY d.version",
        )?;
        stmt.query_map([cluster], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
    }

    /// Records an attempt to read `part`: a success moves `synced_ms`, a failure keeps it.
    pub fn record_state_part(
        &self,
        cluster: &str,
        part: &str,
        now_ms: i64,
        error: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO state_parts (cluster, part, synced_ms, attempted_ms, error)
             VALUES (?1, ?2, CASE WHEN ?4 IS NULL THEN ?3 END, ?3, ?4)
             ON CONFLICT (cluster, part) DO UPDATE SET
               synced_ms = CASE WHEN excluded.error IS NULL THEN excluded.attempted_ms ELSE synced_ms END,
               attempted_ms = excluded.attempted_ms, error = excluded.error",
            params![cluster, part, now_ms, error],
        )?;
        Ok(())
    }

    /// Every part of the cluster's state, by name.
    pub fn state_parts(&self, cluster: &str) -> rusqlite::Result<Vec<StatePart>> {
        let mut stmt = self
            .conn
            .prepare("SELECT part, synced_ms, attempted_ms, error FROM state_parts WHERE cluster = ?1 ORDER BY part")?;
        stmt.query_map([cluster], |r| {
            Ok(StatePart { part: r.get(0)?, synced_ms: r.get(1)?, attempted_ms: r.get(2)?, error: r.get(3)? })
        })?
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_attempt_keeps_the_last_success() {
        let store = Store::open_in_memory().unwrap();
        store.record_state_part("c", "kubernetes", 1_000, Some("unreachable")).unwrap();
        let never = &store.state_parts("c").unwrap()[0];
        assert_eq!((never.synced_ms, never.error.as_deref()), (None, Some("unreachable")));
        store.record_state_part("c", "kubernetes", 2_000, None).unwrap();
        store.record_state_part("c", "kubernetes", 3_000, Some("403")).unwrap();
        let part = &store.state_parts("c").unwrap()[0];
        assert_eq!((part.synced_ms, part.attempted_ms, part.error.as_deref()), (Some(2_000), 3_000, Some("403")));
        store.record_state_part("c", "kubernetes", 4_000, None).unwrap();
        let part = &store.state_parts("c").unwrap()[0];
        assert_eq!((part.synced_ms, part.error.as_deref()), (Some(4_000), None));
    }
}
