//! What the store holds, per cluster.

use super::Store;
use crate::model::time;
use serde::Serialize;
use std::collections::BTreeMap;

/// Totals for one cluster.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ClusterStats {
    /// Every audit event ingested and counted: the sum of the daily counts, not the rows retained.
    pub events: i64,
    pub shapes: i64,
    pub principals: i64,
    /// Distinct UTC days with events.
    pub days: i64,
    /// Access-relevant CloudTrail events naming this cluster.
    pub cloudtrail_events: i64,
    /// Bad records recorded for this cluster.
    pub errors: i64,
    /// RFC 3339, UTC; `null` when there are no events.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// Everything `grantscope stats` reports.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub clusters: BTreeMap<String, ClusterStats>,
    /// IAM principal lifecycle events: they concern accounts, not one cluster.
    pub iam_events: i64,
    /// Bad records whose cluster could not be told.
    pub unattributed_errors: i64,
}

impl Store {
    pub fn stats(&self) -> rusqlite::Result<Stats> {
        let mut out = Stats::default();
        let mut shapes =
            self.conn.prepare("SELECT cluster, count(*), count(DISTINCT principal) FROM shapes GROUP BY cluster")?;
        for row in shapes.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))? {
            let (cluster, n, principals) = row?;
            let c = out.clusters.entry(cluster).or_default();
            c.shapes = n;
            c.principals = principals;
        }
        let mut usage = self.conn.prepare(
            "SELECT s.cluster, sum(d.requests), count(DISTINCT d.day), min(d.first_ms), max(d.last_ms)
             FROM shape_days d JOIN shapes s ON s.id = d.shape_id GROUP BY s.cluster",
        )?;
        for row in usage.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<i64>>(4)?))
        })? {
            let (cluster, events, days, first, last) = row?;
            let c = out.clusters.entry(cluster).or_default();
            c.events = events;
            c.days = days;
            c.first_seen = first.map(time::format_rfc3339);
            c.last_seen = last.map(time::format_rfc3339);
        }
        let mut trail = self.conn.prepare("SELECT cluster, count(*) FROM access_changes GROUP BY cluster")?;
        for row in trail.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))? {
            match row? {
                (Some(cluster), n) => out.clusters.entry(cluster).or_default().cloudtrail_events = n,
                (None, n) => out.iam_events = n,
            }
        }
        let mut errors = self.conn.prepare("SELECT cluster, count(*) FROM ingest_errors GROUP BY cluster")?;
        for row in errors.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))? {
            match row? {
                (Some(cluster), n) => out.clusters.entry(cluster).or_default().errors = n,
                (None, n) => out.unattributed_errors = n,
            }
        }
        Ok(out)
    }
}
