//! `grantscope state import|show|export`: access-state versions in the database.

use super::CommandError;
use crate::app::clock::now_ms;
use crate::app::state_versions::{Stored, load, read_snapshot, shrink_against_latest, store_files};
use crate::cli::output::{Format, print_json};
use crate::model::{StateDiff, time};
use crate::outln;
use crate::state::Snapshot;
use crate::store::{StateVersion, Store};
use std::path::{Path, PathBuf};

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
    let stored = store_files(&mut store, cluster, state, paths, now_ms())?;
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
pub fn sync(db: &Path, opts: &crate::app::sync::SyncOptions, format: Format) -> Result<u8, CommandError> {
    let mut store = Store::open(db)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(CommandError::Runtime)?;
    let outcome = runtime.block_on(crate::app::sync::sync(&mut store, opts, now_ms()))?;
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
    for e in outcome.parts.iter().filter_map(|p| p.error.as_ref()) {
        crate::errln!("grantscope: the {} part of {} is stale: {e}", e.part(), outcome.cluster);
    }
    Ok(2)
}

fn read(db: &Path, cluster: Option<&str>, version: Option<i64>) -> Result<(StateVersion, Snapshot), CommandError> {
    let store = Store::open_read_only(db)?;
    let cluster = super::pick_cluster(&store, cluster)?;
    read_snapshot(&store, &cluster, version)?.ok_or(CommandError::NoStateVersion { cluster, version })
}

/// `state export`: the snapshot JSON, which `--state` and `state import` read back.
pub fn export(db: &Path, cluster: Option<&str>, version: Option<i64>, out: Option<&Path>) -> Result<(), CommandError> {
    let (_, snapshot) = read(db, cluster, version)?;
    let text = crate::model::text::to_json(&snapshot, true) + "\n";
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|source| CommandError::Io { path: path.display().to_string(), source })
        }
        None => {
            crate::cli::output::write_stdout_exact(&text);
            Ok(())
        }
    }
}

/// `state show`: a summary a person can read (or the snapshot with `--format json`).
pub fn show(db: &Path, cluster: Option<&str>, version: Option<i64>, format: Format) -> Result<(), CommandError> {
    let (meta, snapshot) = read(db, cluster, version)?;
    let parts = Store::open_read_only(db)?.state_parts(&meta.cluster)?;
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
