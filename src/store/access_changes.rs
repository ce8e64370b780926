//! Access-relevant CloudTrail events.

use super::{Store, Tx};
use crate::model::AccessChange;
use rusqlite::params;

impl Store {
    /// Principal ARN → when its access entry or one of its policy associations on `cluster` was last
    /// created, from CloudTrail. Grants created inside an analysis window have not had the whole window
    /// to be used.
    pub fn access_grant_times(&self, cluster: &str) -> rusqlite::Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT principal_arn, max(time_ms) FROM access_changes
             WHERE cluster = ?1 AND name IN ('CreateAccessEntry', 'AssociateAccessPolicy') AND principal_arn IS NOT NULL
             GROUP BY principal_arn",
        )?;
        let rows = stmt.query_map([cluster], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// When the cluster's access entries and associations were created and last removed, from
    /// CloudTrail (principal ARNs lowercased).
    pub fn grant_history_times(&self, cluster: &str) -> rusqlite::Result<crate::model::GrantTimes> {
        let mut stmt = self.conn.prepare(
            "SELECT name, lower(principal_arn), coalesce(policy_arn, ''), max(time_ms) FROM access_changes
             WHERE cluster = ?1 AND principal_arn IS NOT NULL
               AND name IN ('CreateAccessEntry', 'AssociateAccessPolicy', 'DeleteAccessEntry', 'DisassociateAccessPolicy')
             GROUP BY 1, 2, 3",
        )?;
        let mut times = crate::model::GrantTimes::default();
        let rows = stmt.query_map([cluster], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (name, principal, policy, t) = row?;
            match name.as_str() {
                "CreateAccessEntry" => {
                    times.entries.insert(principal, t);
                }
                "AssociateAccessPolicy" => {
                    times.associations.insert((principal, policy), t);
                }
                _ => {
                    let latest = times.removals.entry(principal).or_insert(t);
                    *latest = (*latest).max(t);
                }
            }
        }
        Ok(times)
    }

    /// How many access changes are stored for the cluster (and the account-wide IAM ones).
    pub fn access_change_count(&self, cluster: &str) -> rusqlite::Result<i64> {
        self.conn.query_row(
            "SELECT count(*) FROM access_changes WHERE cluster = ?1 OR cluster IS NULL",
            [cluster],
            |r| r.get(0),
        )
    }

    /// The cluster's EKS access changes and every IAM principal lifecycle event, oldest first.
    pub fn access_changes_for(&self, cluster: &str) -> rusqlite::Result<Vec<AccessChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, event_id, time_ms, source, name, cluster, principal_arn, policy_arn, account, actor_arn, raw
             FROM access_changes WHERE cluster = ?1 OR cluster IS NULL ORDER BY time_ms",
        )?;
        let rows = stmt.query_map([cluster], |r| {
            let id: Vec<u8> = r.get(0)?;
            Ok(AccessChange {
                id: crate::model::EventId(id.try_into().unwrap_or([0; 16])),
                event_id: r.get(1)?,
                time_ms: r.get(2)?,
                source: r.get(3)?,
                name: r.get(4)?,
                cluster: r.get(5)?,
                principal_arn: r.get(6)?,
                policy_arn: r.get(7)?,
                account: r.get(8)?,
                actor_arn: r.get(9)?,
                raw: r.get(10)?,
            })
        })?;
        rows.collect()
    }
}

impl Tx<'_> {
    /// Stores the event unless its eventID is already stored; returns whether it was new.
    pub fn insert_access_change(&self, c: &AccessChange) -> rusqlite::Result<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT INTO access_changes (id, event_id, time_ms, source, name, cluster, principal_arn, policy_arn,
                                             account, actor_arn, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                &c.id.0[..],
                c.event_id,
                c.time_ms,
                c.source,
                c.name,
                c.cluster,
                c.principal_arn,
                c.policy_arn,
                c.account,
                c.actor_arn,
                c.raw
            ])?;
        Ok(n == 1)
    }
}
