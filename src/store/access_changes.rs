//! Access-relevant CloudTrail events.

use crate::model::AccessChange;
use rusqlite::{Transaction, params};

/// Stores the event unless its eventID is already stored; returns whether it was new.
pub fn insert_access_change(tx: &Transaction, c: &AccessChange) -> rusqlite::Result<bool> {
    let n = tx
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
