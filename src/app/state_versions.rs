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
    /// Its snapshot is not one this grantscope reads: nothing is decided or stored from it (a
    /// guess would pass for the state), so the command stops here.
    #[error(
        "cluster {cluster}: stored state version {version} is unreadable: {source}; the database was changed \
         outside grantscope or is damaged: restore it from a backup"
    )]
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
) -> Result<Stored, StateVersionError> {
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
/// against the latest. A latest version that does not read stores nothing and is an error, as
/// everywhere a stored version is read: an empty diff would say nothing changed.
pub fn store_state(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    source: &str,
    now_ms: i64,
) -> Result<Stored, StateVersionError> {
    let warnings = crate::authz::Authorizer::new(&state).warnings;
    let snapshot = serde_json::to_string(&Snapshot::new(state.clone())).expect("snapshot serializes");
    let mut diff = None;
    // Against the version the store finds latest, inside its transaction; a diff with nothing in
    // it (only creation times moved) is still stored, as `{}`.
    let (version, created) = store.store_state_version::<StateVersionError>(
        cluster,
        &snapshot,
        |previous, old| {
            let old = serde_json::from_str::<Snapshot>(old).map_err(|source| StateVersionError::Unreadable {
                cluster: cluster.to_string(),
                version: previous,
                source,
            })?;
            let d = StateDiff::between(&old.state, &state);
            let json = serde_json::to_string(&d).expect("diffs serialize");
            diff = Some(d);
            Ok(json)
        },
        source,
        now_ms,
    )?;
    Ok(Stored { version, created, diff: diff.filter(|d| !d.is_empty()), warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_entry(arn: &str) -> AccessState {
        let mut state = AccessState::default();
        state.access_entries.push(crate::model::AccessEntry::test_viewer(arn));
        state
    }

    #[test]
    fn store_state_diffs_against_the_latest_version_and_never_guesses_one_that_does_not_read() {
        let mut store = Store::open_in_memory().unwrap();
        let first = store_state(&mut store, "c", state_with_entry("arn:aws:iam::1:role/a"), "test", 1).unwrap();
        assert_eq!((first.version, first.created, first.diff.is_none()), (1, true, true), "a first version");
        let second = store_state(&mut store, "c", state_with_entry("arn:aws:iam::1:role/b"), "test", 2).unwrap();
        let lines = second.diff.as_ref().map(StateDiff::lines).unwrap_or_default();
        assert!(lines.iter().any(|l| l.contains("role/b")), "the diff against version 1: {lines:?}");

        // A latest version that does not read: an error naming it and what to do, nothing stored.
        let as_is = |_, _: &str| Ok::<_, rusqlite::Error>("{}".into());
        store.store_state_version("c", "{not a snapshot", as_is, "test", 3).unwrap();
        let err = store_state(&mut store, "c", state_with_entry("arn:aws:iam::1:role/c"), "test", 4)
            .expect_err("an unreadable previous version is not diffed as empty");
        assert!(matches!(err, StateVersionError::Unreadable { version: 3, .. }), "{err:?}");
        let said = err.to_string();
        assert!(said.starts_with("cluster c: stored state version 3 is unreadable: "), "{said}");
        assert!(said.ends_with("restore it from a backup"), "says what to do: {said}");
        let (latest, _) = store.read_state_version("c", None).unwrap().unwrap();
        assert_eq!(latest.version, 3, "nothing stored over it");
    }
}
