//! `grantscope state import|show|export`: access-state versions in the database.

use super::{CommandError, now_ms};
use crate::model::{AccessState, StateDiff, time};
use crate::outln;
use crate::output::{Format, print_json};
use crate::state::{self, Shrink, Snapshot};
use crate::store::{self, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Loads state files, logging what was noticed; a bad file is an error naming file, document, field.
pub fn load(paths: &[PathBuf], cluster: Option<&str>) -> Result<AccessState, CommandError> {
    let loaded = state::load_files(paths, cluster)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.state)
}

/// Whether `state` would remove more than half the grants of the cluster's latest stored version.
pub fn shrink_against_latest(
    store: &Store,
    cluster: &str,
    state: &AccessState,
) -> Result<Option<(i64, Shrink)>, CommandError> {
    let latest = crate::replay::latest_state(store, cluster).map_err(|e| CommandError::Usage(e.to_string()))?;
    Ok(latest.and_then(|(version, old)| state::shrinks(&old, state).map(|s| (version, s))))
}

/// Stores the state of `paths` as the cluster's next version, if it changed, and records that the
/// files part was read.
pub fn store_files(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    paths: &[PathBuf],
) -> Result<Stored, CommandError> {
    let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let now = now_ms();
    let stored = store_state(store, cluster, state, &source, now)?;
    store::record_state_part(store.conn(), cluster, "files", now, None)?;
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
/// against the latest. Everything that stores a state (import, sync, serve) comes through here.
pub fn store_state(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    source: &str,
    now_ms: i64,
) -> Result<Stored, CommandError> {
    let warnings = crate::authz::Authorizer::new(&state).warnings;
    let snapshot = serde_json::to_string(&Snapshot::new(state.clone())).expect("snapshot serializes");
    let mut diff = None;
    // Against the version the store finds latest, inside its transaction; a diff with nothing in
    // it (only creation times moved) is still stored, as `{}`.
    let (version, created) = store::store_state_version(
        store.conn_mut(),
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

fn parse(meta: &store::StateVersion, text: &str) -> Result<Snapshot, CommandError> {
    serde_json::from_str(text)
        .map_err(|e| CommandError::Usage(format!("stored state {} v{} is unreadable: {e}", meta.cluster, meta.version)))
}

/// `state import`: stores the files' state as the cluster's next version, if it changed. A version
/// that would remove more than half the stored grants needs `allow_shrink`.
pub fn import(
    db: &Path,
    cluster: &str,
    paths: &[PathBuf],
    allow_shrink: bool,
    format: Format,
) -> Result<(), CommandError> {
    // Loaded first: a bad file leaves no database behind.
    let state = load(paths, Some(cluster))?;
    let mut store = Store::open(db)?;
    if let Some((version, shrink)) = shrink_against_latest(&store, cluster, &state)?
        && !allow_shrink
    {
        return Err(CommandError::Usage(format!(
            "not stored: {shrink} Cluster {cluster} stays at version {version}; if the removal is meant, run again with --allow-shrink"
        )));
    }
    let stored = store_files(&mut store, cluster, state, paths)?;
    for w in &stored.warnings {
        tracing::warn!("{w}");
    }
    match format {
        Format::Json => {
            let mut json = serde_json::to_value(&stored).expect("serializes");
            json["cluster"] = cluster.into();
            print_json(&json)
        }
        Format::Text => print_stored(cluster, &stored),
    }
    Ok(())
}

/// `stored version N of cluster C` and what changed, one line each.
pub fn print_stored(cluster: &str, stored: &Stored) {
    if stored.created {
        outln!("stored version {} of cluster {cluster}", stored.version);
    } else {
        outln!("unchanged: cluster {cluster} is still at version {}", stored.version);
    }
    for line in stored.diff.iter().flat_map(StateDiff::lines) {
        outln!("  {line}");
    }
}

/// `state sync`: exit 0 when both parts were read, 2 when one was kept from an earlier sync.
pub fn sync(db: &Path, opts: &crate::sync::SyncOptions, format: Format) -> Result<u8, CommandError> {
    let mut store = Store::open(db)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the async runtime: {e}")))?;
    let outcome = runtime
        .block_on(crate::sync::sync(&mut store, opts, now_ms()))
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    for w in &outcome.warnings {
        tracing::warn!("{w}");
    }
    match format {
        Format::Json => print_json(&outcome),
        Format::Text => {
            print_stored(&outcome.cluster, &outcome.stored);
            for p in &outcome.parts {
                match (&p.error, &p.kept_from) {
                    (None, _) => outln!("{}: read just now", p.part),
                    (Some(e), kept) => outln!(
                        "{}: NOT read ({e}); kept from the sync of {}",
                        p.part,
                        kept.as_deref().unwrap_or("an earlier version")
                    ),
                }
            }
        }
    }
    if outcome.complete() {
        return Ok(0);
    }
    for p in outcome.parts.iter().filter(|p| !p.fresh) {
        crate::errln!(
            "grantscope: the {} part of {} is stale: {}",
            p.part,
            outcome.cluster,
            p.error.as_deref().unwrap_or("")
        );
    }
    Ok(2)
}

fn read(
    db: &Path,
    cluster: Option<&str>,
    version: Option<i64>,
) -> Result<(store::StateVersion, Snapshot), CommandError> {
    let store = Store::open_read_only(db)?;
    let cluster = super::pick_cluster(&store, cluster)?;
    let (meta, text) = store::read_state_version(store.conn(), &cluster, version)?.ok_or_else(|| {
        CommandError::Usage(match version {
            Some(v) => format!("cluster {cluster} has no state version {v}"),
            None => format!("cluster {cluster} has no stored state"),
        })
    })?;
    let snapshot = parse(&meta, &text)?;
    Ok((meta, snapshot))
}

/// `state export`: the snapshot JSON, which `--state` and `state import` read back.
pub fn export(db: &Path, cluster: Option<&str>, version: Option<i64>, out: Option<&Path>) -> Result<(), CommandError> {
    let (_, snapshot) = read(db, cluster, version)?;
    let text = crate::output::to_json(&snapshot, true) + "\n";
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|source| CommandError::Io { path: path.display().to_string(), source })
        }
        None => {
            crate::output::write_stdout_exact(&text);
            Ok(())
        }
    }
}

/// `state show`: a summary a person can read (or the snapshot with `--format json`).
pub fn show(db: &Path, cluster: Option<&str>, version: Option<i64>, format: Format) -> Result<(), CommandError> {
    let (meta, snapshot) = read(db, cluster, version)?;
    let parts = store::state_parts(Store::open_read_only(db)?.conn(), &meta.cluster)?;
    if format == Format::Json {
        print_json(&serde_json::json!({"version": meta, "parts": parts, "snapshot": snapshot}));
        return Ok(());
    }
    let s = &snapshot.state;
    outln!(
        "cluster {} version {} (stored {}, from {})",
        meta.cluster,
        meta.version,
        time::format_rfc3339(meta.created_ms),
        meta.source
    );
    // Where each part was last read: a part kept from an older read says so.
    for p in &parts {
        let read = p.synced_ms.map_or_else(|| "never".to_string(), time::format_rfc3339);
        match &p.error {
            None => outln!("{}: last read {read}", p.part),
            Some(e) => outln!(
                "{}: last read {read}; last attempt {} FAILED: {e}",
                p.part,
                time::format_rfc3339(p.attempted_ms)
            ),
        }
    }
    outln!("authentication mode: {:?}", s.authentication_mode);
    outln!("access entries: {}", s.access_entries.len());
    for e in &s.access_entries {
        outln!("  {} ({:?}) groups {:?}", e.principal_arn, e.entry_type, e.kubernetes_groups);
        for a in &e.policies {
            outln!("    {} @ {}", a.policy_arn, a.scope);
        }
    }
    let a = &s.aws_auth;
    outln!(
        "aws-auth: {} mapRoles, {} mapUsers, {} mapAccounts",
        a.map_roles.len(),
        a.map_users.len(),
        a.map_accounts.len()
    );
    for m in a.map_roles.iter().chain(&a.map_users) {
        outln!("  {} -> {} {:?}", m.arn, m.username, m.groups);
    }
    let cluster_roles = s.roles.iter().filter(|r| r.namespace.is_none()).count();
    let crbs = s.bindings.iter().filter(|b| b.namespace.is_none()).count();
    outln!(
        "RBAC: {cluster_roles} ClusterRoles, {} Roles, {crbs} ClusterRoleBindings, {} RoleBindings (Kubernetes defaults included)",
        s.roles.len() - cluster_roles,
        s.bindings.len() - crbs
    );
    Ok(())
}
