//! Replay: every distinct request shape of a cluster seen in the analysis window, decided against
//! the cluster's current access-state version, and the usage of every grant derived from it.
//!
//! Every stored shape keeps a decision, so after an ingest only the new shapes (those above the
//! watermark) cost anything. After a new state version, only the shapes of the callers the change
//! can reach (their principal, username or a group: see [`Affected`]) are decided again; the others
//! carry their decision over, and only the reached callers' usage buckets are rebuilt.

use crate::app::state_versions::{StateVersionError, current_state, state_version};
use crate::authz::changes::Affected;
use crate::authz::{Authorizer, Decision, Outcome};
use crate::model::time;
use crate::model::{GrantId, ReplaySummary, UsageRole};
use crate::store::{self, GrantUsage, ReplayWatermark, Store, StoredDecision, UsageByGrant};
use std::collections::{HashMap, HashSet};

/// A replay that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    State(#[from] StateVersionError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The first UTC day of a window of `days` ending today.
pub fn window_start(now_ms: i64, days: u32) -> i64 {
    time::day_of(now_ms) - i64::from(days) + 1
}

pub fn replay(store: &mut Store, cluster: &str, window_days: u32, now_ms: i64) -> Result<ReplaySummary, ReplayError> {
    replay_with_state(store, cluster, window_days, now_ms).map(|(summary, _)| summary)
}

/// [`replay`], with the state it decided under: what findings must be computed against, even if
/// another version is imported meanwhile.
pub fn replay_with_state(
    store: &mut Store,
    cluster: &str,
    window_days: u32,
    now_ms: i64,
) -> Result<(ReplaySummary, crate::model::AccessState), ReplayError> {
    let (version, state) = current_state(store, cluster)?;
    let authz = Authorizer::new(&state);
    let from_day = window_start(now_ms, window_days);
    let started = std::time::Instant::now();
    // Read first: an ingest that commits while this replay runs leaves the usage marked stale.
    let generation = store.ingest_generation(cluster)?;
    let mark = store.replay_watermark(cluster)?;
    let mut through = mark.map_or(0, |m| m.shapes_through);
    // After a state change, decide again only the shapes of the callers the change can reach.
    let mut affected = None;
    if let Some(previous) = mark.map(|m| m.state_version).filter(|v| *v != version) {
        match state_version(store, cluster, Some(previous)) {
            Ok((_, old)) => {
                let mut a = Affected::between(&old, &state);
                a.reach_principals([&old, &state]);
                affected = Some(a);
            }
            Err(e) => {
                // Without the old state, nothing can be carried over: decide everything again.
                tracing::warn!("{e}; replaying every shape");
                through = 0;
            }
        }
    }
    let new_shapes = store.shapes_after(cluster, through)?;
    let shapes_through = new_shapes.iter().map(|s| s.id).max().unwrap_or(through);
    // Read after the new shapes: every caller they name is here.
    let callers = store.callers(cluster)?;
    let reached: Vec<i64> =
        affected.map_or_else(Vec::new, |a| callers.iter().filter(|c| c.reached_by(&a)).map(|c| c.id).collect());
    let mut shapes = store.shapes_of_callers(cluster, &reached, through)?;
    let usage_current =
        mark.is_some_and(|m| m.usage_from_day == from_day && m.usage_generation == generation) && new_shapes.is_empty();
    shapes.extend(new_shapes);
    tracing::debug!(to_decide = shapes.len(), callers_reached = reached.len(), elapsed = ?started.elapsed(), "read the shapes to decide");
    let mut summary = ReplaySummary {
        cluster: cluster.to_string(),
        state_version: version,
        window_days,
        shapes_evaluated: shapes.len() as u64,
        shapes_carried: 0,
        allowed: 0,
        denied: 0,
        unauthenticated: 0,
        not_evaluated: 0,
        undetermined: 0,
        recorded_requests_compared: 0,
        recorded_requests_agreeing: 0,
        at_the_time: Default::default(),
    };
    let tx = store.begin()?;
    let mut decisions = tx.decisions()?;
    // Shapes share a few thousand decisions: turn each into grant ids and intern it once.
    let mut interned: HashMap<Decision, i64> = HashMap::new();
    for s in &shapes {
        let d = authz.authorize(&s.shape);
        *match d.outcome {
            Outcome::Allowed => &mut summary.allowed,
            Outcome::NoGrant => &mut summary.denied,
            Outcome::Unauthenticated => &mut summary.unauthenticated,
            Outcome::NotEvaluated => &mut summary.not_evaluated,
            Outcome::Undetermined => &mut summary.undetermined,
        } += 1;
        let decision_id = match interned.get(&d) {
            Some(&id) => id,
            None => {
                let id = decisions.intern(&tx, stored_decision(&authz, &d))?;
                interned.insert(d, id);
                id
            }
        };
        tx.write_shape_decision(s.id, s.caller_id, decision_id, version)?;
    }
    tracing::debug!(decisions = interned.len(), elapsed = ?started.elapsed(), "decided");
    if !usage_current {
        let ids = callers.iter().map(|c| c.id).collect();
        tx.rebuild_all_buckets(cluster, from_day, &ids)?;
    } else if !reached.is_empty() {
        tx.rebuild_caller_buckets(cluster, from_day, &reached)?;
    }
    let buckets = tx.usage_buckets(cluster)?;
    let principals = callers.iter().map(|c| (c.id, c.principal.as_str())).collect();
    tx.write_grant_usage(cluster, version, window_days, &grant_usage(&buckets, &decisions, &principals))?;
    tx.set_replay_watermark(
        cluster,
        &ReplayWatermark {
            state_version: version,
            shapes_through,
            usage_from_day: from_day,
            usage_generation: generation,
        },
    )?;
    tx.commit()?;
    tracing::debug!(elapsed = ?started.elapsed(), usage_rebuilt = !usage_current, "usage written and committed");
    (summary.recorded_requests_compared, summary.recorded_requests_agreeing) = store.recorded_agreement(cluster)?;
    summary.shapes_carried = store.decided_shapes(cluster)?.saturating_sub(summary.shapes_evaluated);
    let today = (summary.recorded_requests_compared, summary.recorded_requests_agreeing);
    summary.at_the_time = crate::app::agreement::agreement_at_the_time(store, cluster, from_day, &state, today)?;
    tracing::debug!(elapsed = ?started.elapsed(), "agreement at the time");
    Ok((summary, state))
}

/// A decision with its grants named.
fn stored_decision(authz: &Authorizer, d: &Decision) -> StoredDecision {
    let id = |g| authz.grant_id(g);
    StoredDecision {
        outcome: d.outcome.as_str().to_string(),
        allowed: d.allowed,
        by: d.by.map(id),
        shadowed: d.shadowed.iter().map(|&g| id(g)).collect(),
        authenticated_by: d.authenticated_by.map(id),
        undocumented: d.undocumented.iter().map(|&g| id(g)).collect(),
        possibly: d.possibly.iter().map(|&g| id(g)).collect(),
    }
}

/// Each grant's usage in the window, per role: it allowed the request, it would also have, or the
/// caller came in through it (for allowed requests).
fn grant_usage(
    buckets: &store::Buckets,
    decisions: &store::Decisions,
    principals: &HashMap<i64, &str>,
) -> UsageByGrant {
    let mut usage: HashMap<(GrantId, UsageRole), (GrantUsage, HashSet<&str>)> = HashMap::new();
    for (&(caller, decision), c) in buckets {
        let (Some(d), Some(&principal)) = (decisions.by_id.get(&decision), principals.get(&caller)) else {
            continue;
        };
        let authenticated = d.authenticated_by.as_ref().filter(|_| d.allowed == Some(true));
        let roles = d.by.iter().map(|g| (g, UsageRole::By)).chain(d.shadowed.iter().map(|g| (g, UsageRole::Shadowed)));
        let possibly = d.possibly.iter().map(|g| (g, UsageRole::Possibly));
        for (grant, role) in roles.chain(authenticated.map(|g| (g, UsageRole::Authenticated))).chain(possibly) {
            let (u, seen) = usage.entry((grant.clone(), role)).or_default();
            if u.shapes == 0 {
                (u.first_ms, u.last_ms) = (c.first_ms, c.last_ms);
            }
            u.requests += c.requests;
            u.shapes += c.shapes;
            u.first_ms = u.first_ms.min(c.first_ms);
            u.last_ms = u.last_ms.max(c.last_ms);
            seen.insert(principal);
        }
    }
    usage
        .into_iter()
        .map(|(k, (mut u, seen))| {
            u.principals = seen.len() as i64;
            (k, u)
        })
        .collect()
}
