//! `grantscope stats`: what the store holds, per cluster.

use super::CommandError;
use crate::cli::output::{Format, print_json};
use crate::store::{Stats, Store};
use std::path::Path;

pub fn run(db: &Path, cluster: Option<&str>, format: Format) -> Result<Stats, CommandError> {
    let store = Store::open_read_only(db)?;
    let mut stats = store.stats()?;
    if let Some(c) = cluster {
        stats.clusters.retain(|name, _| name == c);
    }
    match format {
        Format::Json => print_json(&stats),
        Format::Text => print_text(&stats),
    }
    Ok(stats)
}

fn print_text(s: &Stats) {
    if s.clusters.is_empty() {
        crate::outln!("no events stored yet; run `grantscope ingest audit --cluster NAME FILE...`");
    }
    for (name, c) in &s.clusters {
        crate::outln!("cluster {name}");
        crate::outln!("  events             {}", c.events);
        crate::outln!("  request shapes     {}", c.shapes);
        crate::outln!("  principals         {}", c.principals);
        crate::outln!("  days               {}", c.days);
        crate::outln!("  first seen         {}", c.first_seen.as_deref().unwrap_or("-"));
        crate::outln!("  last seen          {}", c.last_seen.as_deref().unwrap_or("-"));
        crate::outln!("  cloudtrail events  {}", c.cloudtrail_events);
        crate::outln!("  ingest errors      {}", c.errors);
    }
    crate::outln!("IAM lifecycle events (all clusters): {}", s.iam_events);
    if s.unattributed_errors > 0 {
        crate::outln!("ingest errors not tied to a cluster: {}", s.unattributed_errors);
    }
}
