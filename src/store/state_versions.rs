//! Stored access-state versions.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// One stored version (without its snapshot).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateVersion {
    pub cluster: String,
    pub version: i64,
    pub created_ms: i64,
    pub source: String,
}

/// Stores `snapshot` as the cluster's next version unless it equals the latest one. Returns the
/// version that now holds this content and whether it was created.
pub fn store_state_version(
    conn: &mut Connection,
    cluster: &str,
    snapshot: &str,
    source: &str,
    now_ms: i64,
) -> rusqlite::Result<(i64, bool)> {
    let hash = xxhash_rust::xxh3::xxh3_128(snapshot.as_bytes()).to_be_bytes();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
    let version = latest.map_or(1, |(v, _)| v + 1);
    tx.execute(
        "INSERT INTO state_versions (cluster, version, created_ms, content_hash, source, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![cluster, version, now_ms, &hash[..], source, snapshot],
    )?;
    tx.commit()?;
    Ok((version, true))
}

/// The snapshot JSON of a version (the latest when `version` is `None`).
pub fn read_state_version(
    conn: &Connection,
    cluster: &str,
    version: Option<i64>,
) -> rusqlite::Result<Option<(StateVersion, String)>> {
    conn.query_row(
        "SELECT cluster, version, created_ms, source, snapshot FROM state_versions
         WHERE cluster = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY version DESC LIMIT 1",
        params![cluster, version],
        |r| {
            Ok((
                StateVersion { cluster: r.get(0)?, version: r.get(1)?, created_ms: r.get(2)?, source: r.get(3)? },
                r.get(4)?,
            ))
        },
    )
    .optional()
}

/// Clusters that have stored states.
pub fn state_clusters(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT cluster FROM state_versions ORDER BY cluster")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Every version of the cluster, oldest first: (created_ms, snapshot JSON).
pub fn state_history(conn: &Connection, cluster: &str) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt =
        conn.prepare("SELECT created_ms, snapshot FROM state_versions WHERE cluster = ?1 ORDER BY version")?;
    stmt.query_map([cluster], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}
