//! Replay: every distinct request shape of a cluster seen in the analysis window, decided against
//! the cluster's current access-state version, and the usage of every grant derived from it.
//!
//! Shapes already decided under the current version are not evaluated again, so after an ingest
//! only the new shapes cost anything. After a new state version, only the shapes whose caller the
//! change can reach (their principal, username or a group: see [`Affected`]) are decided again;
//! the others carry their decision over.

use crate::authz::changes::Affected;
use crate::authz::{Authorizer, Outcome};
use crate::model::time;
use crate::state::Snapshot;
use crate::store::{self, ShapeDecision, Store};
use serde::Serialize;

/// A replay that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "cluster {cluster}: no access state stored; run `grantscope state import --cluster {cluster} FILE...` first"
    )]
    NoState { cluster: String },
    #[error("cluster {cluster}: stored state version {version} is unreadable: {message}")]
    BadState { cluster: String, version: i64, message: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What a replay did and found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplaySummary {
    pub cluster: String,
    pub state_version: i64,
    pub window_days: u32,
    /// Shapes decided in this run: new ones, and those a state change can affect.
    pub shapes_evaluated: u64,
    /// Shapes whose decision under the previous state version carried over unchanged.
    pub shapes_carried: u64,
    pub allowed: u64,
    pub denied: u64,
    pub unauthenticated: u64,
    pub not_evaluated: u64,
    /// Requests in the window with a recorded decision that replay decided too, and how many of
    /// them replay decides the same way under the current state.
    pub recorded_requests_compared: i64,
    pub recorded_requests_agreeing: i64,
}

/// The cluster's latest stored state, with its version.
pub fn current_state(store: &Store, cluster: &str) -> Result<(i64, crate::model::AccessState), ReplayError> {
    state_version(store, cluster, None)
}

fn state_version(
    store: &Store,
    cluster: &str,
    version: Option<i64>,
) -> Result<(i64, crate::model::AccessState), ReplayError> {
    let (meta, text) = store::read_state_version(store.conn(), cluster, version)?
        .ok_or_else(|| ReplayError::NoState { cluster: cluster.to_string() })?;
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|e| ReplayError::BadState {
        cluster: cluster.to_string(),
        version: meta.version,
        message: e.to_string(),
    })?;
    Ok((meta.version, snapshot.state))
}

/// The first UTC day of a window of `days` ending today.
pub fn window_start(now_ms: i64, days: u32) -> i64 {
    time::day_of(now_ms) - i64::from(days) + 1
}

pub fn replay(store: &mut Store, cluster: &str, window_days: u32, now_ms: i64) -> Result<ReplaySummary, ReplayError> {
    let (version, state) = current_state(store, cluster)?;
    let authz = Authorizer::new(&state);
    let from_day = window_start(now_ms, window_days);
    let started = std::time::Instant::now();
    let mut shapes = store::shapes_to_replay(store.conn(), cluster, from_day)?;
    tracing::debug!(shapes = shapes.len(), elapsed = ?started.elapsed(), "read the shapes without a decision");
    // After a state change, decide again only what the change can reach; the rest stands.
    let watermark = store::replay_watermark(store.conn(), cluster)?;
    let mut carried = 0;
    if let Some(previous) = watermark.filter(|w| *w != version) {
        match state_version(store, cluster, Some(previous)) {
            Ok((_, old)) => {
                let mut affected = Affected::between(&old, &state);
                affected.reach_principals([&old, &state]);
                // A change that reaches nobody (a binding without subjects, say) needs no scan at all.
                let reached = if affected.is_empty() {
                    Vec::new()
                } else {
                    store::affected_shapes(store.conn(), cluster, from_day, affected)?
                };
                carried =
                    store::decided_in_window(store.conn(), cluster, from_day)?.saturating_sub(reached.len() as u64);
                shapes.extend(reached);
            }
            Err(e) => {
                // Without the old state, nothing can be carried over: decide everything again.
                tracing::warn!("{e}; replaying the whole window");
                store::forget_decisions(store.conn(), cluster)?;
                shapes = store::shapes_to_replay(store.conn(), cluster, from_day)?;
            }
        }
    }
    tracing::debug!(to_decide = shapes.len(), carried, elapsed = ?started.elapsed(), "chose the shapes to decide");
    let mut summary = ReplaySummary {
        cluster: cluster.to_string(),
        state_version: version,
        window_days,
        shapes_evaluated: shapes.len() as u64,
        shapes_carried: carried,
        allowed: 0,
        denied: 0,
        unauthenticated: 0,
        not_evaluated: 0,
        recorded_requests_compared: 0,
        recorded_requests_agreeing: 0,
    };
    let tx = store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for s in &shapes {
        let d = authz.authorize(&s.shape);
        *match d.outcome {
            Outcome::Allowed => &mut summary.allowed,
            Outcome::NoGrant => &mut summary.denied,
            Outcome::Unauthenticated => &mut summary.unauthenticated,
            Outcome::NotEvaluated => &mut summary.not_evaluated,
        } += 1;
        let id = |g| authz.grant_id(g);
        store::write_shape_decision(
            &tx,
            cluster,
            version,
            &ShapeDecision {
                shape_id: s.id,
                outcome: d.outcome.as_str(),
                allowed: d.allowed,
                by: d.by.map(id),
                shadowed: d.shadowed.iter().map(|&g| id(g)).collect(),
                authenticated_by: d.authenticated_by.map(id),
                undocumented: d.undocumented.iter().map(|&g| id(g)).collect(),
            },
        )?;
    }
    // Decisions of shapes that left the window would be stale when they come back: drop them.
    store::forget_decisions_outside(&tx, cluster, from_day)?;
    store::set_replay_watermark(&tx, cluster, version)?;
    tracing::debug!(elapsed = ?started.elapsed(), "decided and carried over");
    store::recompute_grant_usage(&tx, cluster, version, window_days, from_day)?;
    tx.commit()?;
    tracing::debug!(elapsed = ?started.elapsed(), "grant usage recomputed and committed");
    let (compared, agreeing) = store::recorded_agreement(store.conn(), cluster, from_day)?;
    summary.recorded_requests_compared = compared;
    summary.recorded_requests_agreeing = agreeing;
    Ok(summary)
}
