//! Agreement with recorded decisions under the state that held on each day, not only today's: a
//! request the API server allowed last month under a grant removed since is no disagreement.
//! The states come from [`crate::analysis::history`]; only callers whose decisions the day's state
//! can change are decided again, the rest keep their current decision.

use crate::analysis::history::{DayState, History, history};
use crate::app::state_versions::StateVersionError;
use crate::authz::Authorizer;
use crate::authz::changes::Affected;
use crate::model::AccessState;
use crate::model::AtTheTime;
use crate::state::Snapshot;
use crate::store::{Caller, RecordedDay, Store};
use std::collections::{HashMap, HashSet};

/// Agreement at the time over the window from `from_day`, recomputed only when what it depends on
/// moved; `current` is the state replay just decided with, whose agreement is `today`.
pub fn agreement_at_the_time(
    store: &Store,
    cluster: &str,
    from_day: i64,
    current: &AccessState,
    today: (i64, i64),
) -> Result<AtTheTime, StateVersionError> {
    let versions = store.state_history(cluster)?;
    let basis = format!(
        "{}:{}:{from_day}:{}:{}",
        versions.len(),
        store.ingest_generation(cluster)?,
        store.access_change_count(cluster)?,
        today.0
    );
    if let Some(figures) = store.cached_agreement(cluster, &basis)? {
        return Ok(figures);
    }
    // An unreadable version is an error, never skipped: the days it held would be decided
    // under a state that did not hold.
    let versions = versions
        .into_iter()
        .map(|(version, created_ms, json)| match serde_json::from_str::<Snapshot>(&json) {
            Ok(s) => Ok((created_ms, s.state)),
            Err(source) => Err(StateVersionError::Unreadable { cluster: cluster.to_string(), version, source }),
        })
        .collect::<Result<Vec<(i64, AccessState)>, _>>()?;
    let days: Vec<i64> = store.cluster_days(cluster, from_day)?.iter().map(|d| d.day).collect();
    let h = history(&versions, &store.grant_history_times(cluster)?, &days);
    let result = if h.is_trivial(current) {
        AtTheTime { compared: today.0, agreeing: today.1, excluded: 0 }
    } else {
        compare(store, cluster, from_day, current, &h, today)?
    };
    store.cache_agreement(cluster, &basis, result)?;
    Ok(result)
}

/// Compares every recorded request against its day's state; or, when no day is excluded, starts
/// from today's agreement and looks again only at the callers some past state treats differently.
fn compare(
    store: &Store,
    cluster: &str,
    from_day: i64,
    current: &AccessState,
    h: &History,
    today: (i64, i64),
) -> rusqlite::Result<AtTheTime> {
    let callers: HashMap<i64, Caller> = store.callers(cluster)?.into_iter().map(|c| (c.id, c)).collect();
    // Per state: the callers whose decisions it can change, and its authorizer.
    let reached: Vec<HashSet<i64>> = h
        .states
        .iter()
        .map(|s| {
            let mut a = Affected::between(current, s);
            a.reach_principals([current, s]);
            callers.values().filter(|c| c.reached_by(&a)).map(|c| c.id).collect()
        })
        .collect();
    let authorizers: Vec<Authorizer> = h.states.iter().map(Authorizer::new).collect();
    let mut decided: HashMap<(usize, i64), Option<bool>> = HashMap::new();
    let mut out = AtTheTime::default();
    let mut visit = |r: RecordedDay, out: &mut AtTheTime| -> rusqlite::Result<()> {
        let Some(caller) = callers.get(&r.caller_id) else { return Ok(()) }; // another cluster's
        if r.decided.is_none() {
            return Ok(()); // Nodes: the Node authorizer decides, under any state; never compared.
        }
        let requests = r.allowed + r.denied;
        let state = match h.days.get(&r.day) {
            _ if caller.iam && h.uncertain(&caller.principal, r.day) => None,
            Some(DayState::State(i)) => Some(*i),
            Some(DayState::Changing { state, change }) => (!caller.reached_by(&h.changes[*change])).then_some(*state),
            None => None,
        };
        let Some(state) = state else {
            out.excluded += requests;
            return Ok(());
        };
        let allowed = if reached[state].contains(&r.caller_id) {
            match decided.get(&(state, r.shape_id)) {
                Some(d) => *d,
                None => {
                    let shape = store.shape_by_id(cluster, r.shape_id)?;
                    let d = authorizers[state].authorize(&shape.shape).allowed;
                    decided.insert((state, r.shape_id), d);
                    d
                }
            }
        } else {
            r.decided
        };
        if let Some(allowed) = allowed {
            out.compared += requests;
            out.agreeing += if allowed { r.allowed } else { r.denied };
        }
        Ok(())
    };
    if h.has_uncertain() {
        store.for_each_recorded_day(from_day, None, |r| visit(r, &mut out))?;
        return Ok(out);
    }
    // Today's counts, with the reached callers' requests taken out and compared again.
    let mut delta = AtTheTime::default();
    let mut today_part = AtTheTime::default();
    // ... and those a day's change reaches.
    let mut all_reached: HashSet<i64> = reached.iter().flatten().copied().collect();
    for a in &h.changes {
        all_reached.extend(callers.values().filter(|c| c.reached_by(a)).map(|c| c.id));
    }
    for caller in all_reached {
        store.for_each_recorded_day(from_day, Some(caller), |r| {
            if let Some(allowed) = r.decided {
                today_part.compared += r.allowed + r.denied;
                today_part.agreeing += if allowed { r.allowed } else { r.denied };
            }
            visit(r, &mut delta)
        })?;
    }
    out.compared = today.0 - today_part.compared + delta.compared;
    out.agreeing = today.1 - today_part.agreeing + delta.agreeing;
    out.excluded = delta.excluded;
    Ok(out)
}
