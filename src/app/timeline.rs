//! A cluster's access-change timeline from the store: its CloudTrail access calls and the diffs of
//! its stored state versions, merged by [`crate::analysis::timeline`].

use crate::analysis::timeline::{Change, VersionDiff, timeline};
use crate::model::StateDiff;
use crate::store::Store;
use std::collections::HashSet;

/// The cluster's whole timeline, oldest first. A stored diff or state that cannot be read (it was
/// written by this program, so that is a bug) is logged and left out.
pub fn load(store: &Store, cluster: &str) -> rusqlite::Result<Vec<Change>> {
    let calls = store.access_changes_for(cluster)?;
    let mut diffs: Vec<VersionDiff> = store
        .state_version_times(cluster)?
        .into_iter()
        .map(|(version, created_ms)| VersionDiff { version, created_ms, diff: StateDiff::default() })
        .collect();
    for (version, _, text) in store.state_diffs(cluster)? {
        match serde_json::from_str(&text) {
            Ok(diff) => {
                if let Some(d) = diffs.iter_mut().find(|d| d.version == version) {
                    d.diff = diff;
                }
            }
            Err(e) => tracing::warn!(cluster, version, "stored diff is unreadable, left out of the timeline: {e}"),
        }
    }
    let latest = match crate::app::state_versions::latest_state(store, cluster) {
        Ok(found) => found.map(|(_, state)| state),
        Err(crate::app::state_versions::StateVersionError::Sql(e)) => return Err(e),
        Err(e) => {
            tracing::warn!("{e}; IAM principal events are left out of the timeline");
            None
        }
    };
    let principals: HashSet<String> = latest
        .map(|s| {
            let entries = s.access_entries.iter().map(|e| e.principal_arn.to_lowercase());
            let mappings = s.aws_auth.map_roles.iter().chain(&s.aws_auth.map_users).map(|m| m.arn.to_lowercase());
            entries.chain(mappings).collect()
        })
        .unwrap_or_default();
    Ok(timeline(&calls, &diffs, &principals))
}
