//! `grantscope stats`: what the store holds, per cluster.

use super::CommandError;
use crate::output::{Format, print_json};
use crate::store::{self, Stats, Store};
use std::path::Path;

pub fn run(db: &Path, cluster: Option<&str>, format: Format) -> Result<Stats, CommandError> {
    let store = Store::open(db)?;
    let mut stats = store::stats(store.conn())?;
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
        println!("no events stored yet; run `grantscope ingest audit --cluster NAME FILE...`");
    }
    for (name, c) in &s.clusters {
        println!("cluster {name}");
        println!("  events             {}", c.events);
        println!("  request shapes     {}", c.shapes);
        println!("  principals         {}", c.principals);
        println!("  days               {}", c.days);
        println!("  first seen         {}", c.first_seen.as_deref().unwrap_or("-"));
        println!("  last seen          {}", c.last_seen.as_deref().unwrap_or("-"));
        println!("  cloudtrail events  {}", c.cloudtrail_events);
        println!("  ingest errors      {}", c.errors);
    }
    println!("IAM lifecycle events (all clusters): {}", s.iam_events);
    if s.unattributed_errors > 0 {
        println!("ingest errors not tied to a cluster: {}", s.unattributed_errors);
    }
}
