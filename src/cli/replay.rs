//! `grantscope replay`: decide the window's request shapes against the current state.

use super::CommandError;
use crate::app::clock::now_ms;
use crate::app::replay;
use crate::cli::output::{Format, print_json};
use crate::model::ReplaySummary;
use crate::outln;
use crate::store::Store;
use std::path::Path;

/// `part` of `whole` as a percentage, or `n/a`.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "n/a".to_string() } else { format!("{:.2}%", part as f64 * 100.0 / whole as f64) }
}

/// Replays the cluster asked for (or the only one) over the window: what is new since the last run.
pub(super) fn replay_cluster(
    store: &mut Store,
    cluster: Option<&str>,
    window_days: u32,
) -> Result<ReplaySummary, CommandError> {
    let cluster = super::pick_cluster(store, cluster)?;
    Ok(replay::replay(store, &cluster, window_days, now_ms())?)
}

pub fn replay(
    db: &Path,
    cluster: Option<&str>,
    window_days: u32,
    format: Format,
) -> Result<ReplaySummary, CommandError> {
    let mut store = Store::open_existing(db)?;
    let s = replay_cluster(&mut store, cluster, window_days)?;
    match format {
        Format::Json => print_json(&s),
        Format::Text => {
            outln!("cluster {} against state version {}, last {} days", s.cluster, s.state_version, s.window_days);
            outln!(
                "evaluated {} new request shapes: {} allowed, {} denied, {} unauthenticated, {} not evaluated (nodes, EKS's own identities)",
                s.shapes_evaluated,
                s.allowed,
                s.denied,
                s.unauthenticated,
                s.not_evaluated
            );
            if s.undetermined > 0 {
                outln!(
                    "{} shapes of requests whose object names and sessions were not kept are undetermined: allowed for some names or sessions, denied for others (counted as neither)",
                    s.undetermined
                );
            }
            let rate = percent(s.recorded_requests_agreeing, s.recorded_requests_compared);
            outln!(
                "recorded decisions that the current state reproduces: {} of {} requests ({rate})",
                s.recorded_requests_agreeing,
                s.recorded_requests_compared
            );
            let t = &s.at_the_time;
            outln!(
                "... and that the state of the time reproduces: {} of {} requests ({}); {} requests on days the state changed or of principals whose grants were deleted since not compared",
                t.agreeing,
                t.compared,
                percent(t.agreeing, t.compared),
                t.excluded
            );
        }
    }
    Ok(s)
}
