//! `grantscope state import|show|export`: access-state versions in the database.

use super::{CommandError, now_ms};
use crate::model::{AccessState, time};
use crate::outln;
use crate::output::{Format, print_json, write_stdout};
use crate::state::{self, Snapshot};
use crate::store::{self, Store};
use std::path::{Path, PathBuf};

/// Loads state files, logging what was noticed; a bad file is an error naming file, document, field.
pub fn load(paths: &[PathBuf], cluster: Option<&str>) -> Result<AccessState, CommandError> {
    let loaded = state::load_files(paths, cluster)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.state)
}

/// Stores the files' state as the cluster's next version, if it changed: (version, created).
pub fn import_into(store: &mut Store, cluster: &str, paths: &[PathBuf]) -> Result<(i64, bool), CommandError> {
    let state = load(paths, Some(cluster))?;
    store_loaded(store, cluster, state, paths)
}

fn store_loaded(
    store: &mut Store,
    cluster: &str,
    state: AccessState,
    paths: &[PathBuf],
) -> Result<(i64, bool), CommandError> {
    for w in crate::authz::Authorizer::new(&state).warnings {
        tracing::warn!("{w}");
    }
    let snapshot = serde_json::to_string(&Snapshot::new(state)).expect("snapshot serializes");
    let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    Ok(store::store_state_version(store.conn_mut(), cluster, &snapshot, &source, now_ms())?)
}

/// `state import`: stores the files' state as the cluster's next version, if it changed.
pub fn import(db: &Path, cluster: &str, paths: &[PathBuf], format: Format) -> Result<(), CommandError> {
    // Loaded first: a bad file leaves no database behind.
    let state = load(paths, Some(cluster))?;
    let mut store = Store::open(db)?;
    let (version, created) = store_loaded(&mut store, cluster, state, paths)?;
    match format {
        Format::Json => print_json(&serde_json::json!({"cluster": cluster, "version": version, "created": created})),
        Format::Text if created => outln!("stored version {version} of cluster {cluster}"),
        Format::Text => outln!("unchanged: cluster {cluster} is still at version {version}"),
    }
    Ok(())
}

fn read(
    db: &Path,
    cluster: Option<&str>,
    version: Option<i64>,
) -> Result<(store::StateVersion, Snapshot), CommandError> {
    let store = Store::open_existing(db)?;
    let cluster = super::pick_cluster(&store, cluster)?;
    let (meta, text) = store::read_state_version(store.conn(), &cluster, version)?.ok_or_else(|| {
        CommandError::Usage(match version {
            Some(v) => format!("cluster {cluster} has no state version {v}"),
            None => format!("cluster {cluster} has no stored state"),
        })
    })?;
    let snapshot: Snapshot = serde_json::from_str(&text)
        .map_err(|e| CommandError::Usage(format!("stored state {cluster} v{} is unreadable: {e}", meta.version)))?;
    Ok((meta, snapshot))
}

/// `state export`: the snapshot JSON, which `--state` and `state import` read back.
pub fn export(db: &Path, cluster: Option<&str>, version: Option<i64>, out: Option<&Path>) -> Result<(), CommandError> {
    let (_, snapshot) = read(db, cluster, version)?;
    let text = serde_json::to_string_pretty(&snapshot).expect("snapshot serializes") + "\n";
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|source| CommandError::Io { path: path.display().to_string(), source })
        }
        None => {
            write_stdout(&text);
            Ok(())
        }
    }
}

/// `state show`: a summary a person can read (or the snapshot with `--format json`).
pub fn show(db: &Path, cluster: Option<&str>, version: Option<i64>, format: Format) -> Result<(), CommandError> {
    let (meta, snapshot) = read(db, cluster, version)?;
    if format == Format::Json {
        print_json(&serde_json::json!({"version": meta, "snapshot": snapshot}));
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
