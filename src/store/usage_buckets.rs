//! The window's requests per (caller, decision) — the few thousand rows grant usage and the
//! agreement with recorded decisions are computed from, whatever the number of shapes.

use super::{Store, Tx};
use crate::model::{GrantId, UsageRole};
use rusqlite::{Transaction, params};
use std::collections::{HashMap, HashSet};

/// Requests in the window of one bucket (or one shape, before it is added to its bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub requests: i64,
    /// Recorded allows and denials.
    pub allowed: i64,
    pub denied: i64,
    pub shapes: i64,
    pub first_ms: i64,
    pub last_ms: i64,
}

impl WindowCounts {
    fn add(&mut self, o: &WindowCounts) {
        if self.shapes == 0 {
            *self = *o;
            return;
        }
        self.requests += o.requests;
        self.allowed += o.allowed;
        self.denied += o.denied;
        self.shapes += o.shapes;
        self.first_ms = self.first_ms.min(o.first_ms);
        self.last_ms = self.last_ms.max(o.last_ms);
    }
}

/// A bucket: (caller id, decision id) → its counts.
pub type Buckets = HashMap<(i64, i64), WindowCounts>;

/// Usage of one grant in one role.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GrantUsage {
    pub requests: i64,
    pub shapes: i64,
    pub principals: i64,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// A cluster's grant usage: each grant's, in each role it played.
pub type UsageByGrant = HashMap<(GrantId, UsageRole), GrantUsage>;

impl Store {
    /// Recorded decisions against replayed ones over the window, in requests: (compared, agreeing).
    pub fn recorded_agreement(&self, cluster: &str) -> rusqlite::Result<(i64, i64)> {
        self.conn.query_row(
            "SELECT coalesce(sum(b.allowed + b.denied), 0),
                    coalesce(sum(CASE WHEN d.allowed = 1 THEN b.allowed ELSE b.denied END), 0)
             FROM usage_buckets b JOIN decisions d ON d.id = b.decision_id
             WHERE b.cluster = ?1 AND d.allowed IS NOT NULL",
            [cluster],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The cluster's grant usage.
    pub fn grant_usage(&self, cluster: &str) -> rusqlite::Result<UsageByGrant> {
        let mut stmt = self.conn.prepare(
            "SELECT grant_id, role, requests, shapes, principals, first_ms, last_ms FROM grant_usage WHERE cluster = ?1",
        )?;
        let rows = stmt.query_map([cluster], |r| {
            Ok((
                (r.get(0)?, r.get(1)?),
                GrantUsage {
                    requests: r.get(2)?,
                    shapes: r.get(3)?,
                    principals: r.get(4)?,
                    first_ms: r.get(5)?,
                    last_ms: r.get(6)?,
                },
            ))
        })?;
        rows.collect()
    }
}

impl Tx<'_> {
    /// The cluster's buckets, as this transaction sees them (replay reads back what it rebuilt).
    pub fn usage_buckets(&self, cluster: &str) -> rusqlite::Result<Buckets> {
        let mut stmt = self.tx.prepare(
            "SELECT caller_id, decision_id, requests, allowed, denied, shapes, first_ms, last_ms
             FROM usage_buckets WHERE cluster = ?1",
        )?;
        let rows = stmt.query_map([cluster], |r| {
            Ok((
                (r.get(0)?, r.get(1)?),
                WindowCounts {
                    requests: r.get(2)?,
                    allowed: r.get(3)?,
                    denied: r.get(4)?,
                    shapes: r.get(5)?,
                    first_ms: r.get(6)?,
                    last_ms: r.get(7)?,
                },
            ))
        })?;
        rows.collect()
    }

    /// Rebuilds every bucket of the cluster. Both inputs are read in shape-id order (the primary keys
    /// of `shape_decisions` and `shape_days`) and merged here: two sequential scans, no sorting.
    pub fn rebuild_all_buckets(
        &self,
        cluster: &str,
        from_day: i64,
        cluster_callers: &HashSet<i64>,
    ) -> rusqlite::Result<()> {
        let mut decisions =
            self.tx.prepare("SELECT shape_id, caller_id, decision_id FROM shape_decisions ORDER BY shape_id")?;
        let mut decisions = decisions.query([])?;
        let mut days = self.tx.prepare(
            "SELECT shape_id, sum(requests), sum(allowed), sum(denied), min(first_ms), max(last_ms)
             FROM shape_days WHERE day >= ?1 GROUP BY shape_id ORDER BY shape_id",
        )?;
        let mut days = days.query([from_day])?;
        let mut buckets = Buckets::new();
        let mut decision: Option<(i64, i64, i64)> = None;
        while let Some(day) = days.next()? {
            let shape: i64 = day.get(0)?;
            while decision.is_none_or(|(id, _, _)| id < shape) {
                match decisions.next()? {
                    Some(r) => decision = Some((r.get(0)?, r.get(1)?, r.get(2)?)),
                    None => break,
                }
            }
            match decision {
                Some((id, caller, decided)) if id == shape && cluster_callers.contains(&caller) => {
                    buckets.entry((caller, decided)).or_default().add(&shape_counts(day, 1)?);
                }
                Some((id, _, _)) if id < shape => break, // no decisions left
                _ => {}
            }
        }
        self.tx.execute("DELETE FROM usage_buckets WHERE cluster = ?1", [cluster])?;
        write_buckets(&self.tx, cluster, &buckets)
    }

    /// Rebuilds the buckets of some callers only: what a state change reaches.
    pub fn rebuild_caller_buckets(&self, cluster: &str, from_day: i64, callers: &[i64]) -> rusqlite::Result<()> {
        let mut stmt = self.tx.prepare(
            "SELECT d.decision_id, sum(u.requests), sum(u.allowed), sum(u.denied), min(u.first_ms), max(u.last_ms)
             FROM shapes s
             JOIN shape_decisions d ON d.shape_id = s.id
             JOIN shape_days u ON u.shape_id = s.id
             WHERE s.caller_id = ?1 AND u.day >= ?2
             GROUP BY s.id",
        )?;
        let mut delete = self.tx.prepare("DELETE FROM usage_buckets WHERE cluster = ?1 AND caller_id = ?2")?;
        let mut buckets = Buckets::new();
        for &caller in callers {
            delete.execute(params![cluster, caller])?;
            let mut rows = stmt.query(params![caller, from_day])?;
            while let Some(r) = rows.next()? {
                buckets.entry((caller, r.get(0)?)).or_default().add(&shape_counts(r, 1)?);
            }
        }
        write_buckets(&self.tx, cluster, &buckets)
    }

    /// Replaces the cluster's grant usage.
    pub fn write_grant_usage(
        &self,
        cluster: &str,
        state_version: i64,
        window_days: u32,
        usage: &UsageByGrant,
    ) -> rusqlite::Result<()> {
        self.tx.execute("DELETE FROM grant_usage WHERE cluster = ?1", [cluster])?;
        let mut insert = self.tx.prepare(
            "INSERT INTO grant_usage (cluster, grant_id, role, state_version, window_days, requests, shapes, principals, first_ms, last_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for ((grant, role), u) in usage {
            insert.execute(params![
                cluster,
                grant,
                role,
                state_version,
                window_days,
                u.requests,
                u.shapes,
                u.principals,
                u.first_ms,
                u.last_ms
            ])?;
        }
        Ok(())
    }
}

/// One shape's window counts from an aggregate row: sum(requests), sum(allowed), sum(denied),
/// min(first_ms), max(last_ms) starting at column `at`.
fn shape_counts(r: &rusqlite::Row, at: usize) -> rusqlite::Result<WindowCounts> {
    Ok(WindowCounts {
        requests: r.get(at)?,
        allowed: r.get(at + 1)?,
        denied: r.get(at + 2)?,
        shapes: 1,
        first_ms: r.get(at + 3)?,
        last_ms: r.get(at + 4)?,
    })
}

fn write_buckets(tx: &Transaction, cluster: &str, buckets: &Buckets) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO usage_buckets (cluster, caller_id, decision_id, requests, allowed, denied, shapes, first_ms, last_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (&(caller, decision), c) in buckets {
        insert.execute(params![
            cluster, caller, decision, c.requests, c.allowed, c.denied, c.shapes, c.first_ms, c.last_ms
        ])?;
    }
    Ok(())
}
