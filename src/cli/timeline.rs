//! `grantscope timeline`: who changed access to a cluster, when, and what — from CloudTrail and
//! the stored state versions' diffs ([`crate::analysis::timeline`]).

use super::CommandError;
use crate::analysis::timeline::Change;
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::model::time::MS_PER_DAY;
use crate::outln;
use crate::store::Store;
use std::path::Path;

pub fn run(db: &Path, cluster: Option<&str>, since_days: u32, format: Format) -> Result<Vec<Change>, CommandError> {
    let store = Store::open_read_only(db)?;
    let cluster = super::pick_cluster(&store, cluster)?;
    let from = now_ms() - i64::from(since_days) * MS_PER_DAY;
    let changes: Vec<Change> =
        crate::app::timeline::load(&store, &cluster)?.into_iter().filter(|c| c.time_ms >= from).collect();
    match format {
        Format::Json => {
            print_json(&serde_json::json!({"cluster": cluster, "since_days": since_days, "changes": changes}))
        }
        Format::Text if changes.is_empty() => outln!("no access changes to {cluster} in the last {since_days} days"),
        Format::Text => {
            for c in &changes {
                outln!("{}", line(c));
            }
        }
    }
    Ok(changes)
}

/// `TIME  KIND  WHAT  by WHO  (CloudTrail ID, state vN)`.
pub fn line(c: &Change) -> String {
    let mut s = format!("{}  {:<20} {}", c.time, c.kind.as_str(), c.what);
    if let Some(who) = &c.who {
        s.push_str(&format!("  by {who}"));
    }
    let mut seen = Vec::new();
    seen.extend(c.event_id.as_ref().map(|e| format!("CloudTrail {e}")));
    seen.extend(c.state_version.map(|v| format!("state v{v}")));
    if c.event_id.is_none() {
        seen.push("not in CloudTrail".into());
    }
    s.push_str(&format!("  ({})", seen.join(", ")));
    s
}
