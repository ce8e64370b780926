//! A cluster's access-state versions: loading state files, storing a state as the next version
//! (with what changed since the latest), and reading a stored version back. Everything that stores
//! a state (`state import`, `state sync`, the daemon) comes through here.

use crate::model::{AccessState, StateDiff};
use crate::state::{self, Shrink, Snapshot};
use crate::store::{StateVersion, Store};
use serde::Serialize;
use std::path::PathBuf;

/// A stored version that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StateVersionError {
    #[error(
        "cluster {cluster}: no access state stored; run `grantscope state import --cluster {cluster} FILE...` first"
    )]
    NoState { cluster: String },
    #[error("cluster {cluster}: stored state version {version} is unreadable: {source}")]
    Unreadable {
        cluster: String,
        version: i64,
        #[source]
        source: serde_json::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Loads state files, logging what was noticed; a bad file is an error naming file, document, field.
pub fn load(paths: &[PathBuf], cluster: Option<&str>) -> Result<AccessState, state::StateError> {
    let loaded = state::load_files(paths, cluster)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.state)
}

/// A stored version with its snapshot (the latest when `version` is `None`), `None` if the cluster
/// has no such version.
pub fn read_snapshot(
    store: &Store,
    cluster: &str,
    version: Option<i64>,
) -> Result<Option<(StateVersion, Snapshot)>, StateVersionError> {
    let Some((meta, text)) = store.read_state_version(cluster, version)? else { return Ok(None) };
    let snapshot = serde_json::from_str(&text).map_err(|source| StateVersionError::Unreadable {
        cluster: cluster.to_string(),
        version: meta.version,
        source,
    })?;
    Ok(Some((meta, snapshot)))
}

/// A version's state (the latest when `version` is `None`); no state at all is an error.
pub fn state_version(
    store: &Store,
    cluster: &str,
    version: Option<i64>,
) -> Result<(i64, AccessState), StateVersionError> {
    read_snapshot(store, cluster, version)?
        .map(|(meta, snapshot)| (meta.version, snapshot.state))
        .ok_or_else(|| StateVersionError::NoState { cluster: cluster.to_string() })
}

/// The cluster's latest stored state, with its version.
pub fn current_state(store: &Store, cluster: &str) -> Result<(i64, AccessState), StateVersionError> {
    state_version(store, cluster, None)
}

/// The cluster's latest stored version and state, or `None` if it has none yet.
pub fn latest_state(store: &Store, cluster: &str) -> Result<Option<(i64, AccessState)>, StateVersionError> {
    Ok(read_snapshot(store, cluster, None)?.map(|(meta, snapshot)| (meta.version, snapshot.state)))
}

/// Whether `state` would remove more than half the grants of the cluster's latest stored version.
pub fn shrink_against_latest(
    store: &Store,
    cluster: &str,
    state: &AccessState,
) -> Result<Option<(i64, Shrink)>, StateVersionError> {
    let latest = latest_state(store, cluster)?;
    Ok(latest.and_then(|(version, old)| state::shrinks(&old, state).map(|s| (version, s))))
}

/// Stores the state of `paths` as the cluster's next version, if it changed, and records that the
/// files part was read.
pub fn store_files(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    paths: &[PathBuf],
    now_ms: i64,
) -> rusqlite::Result<Stored> {
    let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let stored = store_state(store, cluster, state, &source, now_ms)?;
    store.record_state_part(cluster, "files", now_ms, None)?;
    Ok(stored)
}

/// A state stored (or found unchanged), and what changed since the version before.
#[derive(Debug, Serialize)]
pub struct Stored {
    pub version: i64,
    pub created: bool,
    /// `None` for a cluster's first version and when nothing changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<StateDiff>,
    /// What the authorizer noticed about the state, for the caller to log (the daemon logs them
    /// once per state, not at every poll).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Stores `state` as the cluster's next version unless it equals the latest, with the diff
/// against the latest.
pub fn store_state(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    source: &str,
    now_ms: i64,
) -> rusqlite::Result<Stored> {
    let warnings = crate::authz::Authorizer::new(&state).warnings;
    let snapshot = serde_json::to_string(&Snapshot::new(state.clone())).expect("snapshot serializes");
    let mut diff = None;
    // Against the version the store finds latest, inside its transaction; a diff with nothing in
    // it (only creation times moved) is still stored, as `{}`.
    let (version, created) = store.store_state_version(
        cluster,
        &snapshot,
        |old| {
            let d = serde_json::from_str::<Snapshot>(old)
                .map(|old| StateDiff::between(&old.state, &state))
                .unwrap_or_default();
            let json = serde_json::to_string(&d).expect("diffs serialize");
            diff = Some(d);
            json
        },
        source,
        now_ms,
    )?;
    Ok(Stored { version, created, diff: diff.filter(|d| !d.is_empty()), warnings })
}
