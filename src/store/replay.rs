//! Reading shapes for replay and writing their decisions and the grants' usage.

use crate::authz::changes::Affected;
use crate::model::RequestShape;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::borrow::Cow;

/// The columns `stored_shape` reads, in its order; queries add their FROM and WHERE.
const SHAPE_COLUMNS: &str =
    "SELECT s.id, s.principal, s.iam, s.username, s.groups, s.session_name, s.verb, s.api_group,
    s.resource, s.subresource, s.namespace, s.name, s.path";

/// A shape as stored, owned.
#[derive(Clone)]
pub struct StoredShape {
    pub id: i64,
    pub shape: RequestShape<'static>,
}

/// Shapes of `cluster` seen since `from_day` that have no decision yet.
pub fn shapes_to_replay(conn: &Connection, cluster: &str, from_day: i64) -> rusqlite::Result<Vec<StoredShape>> {
    read_shapes(
        conn,
        &format!(
            "{SHAPE_COLUMNS}
         FROM shapes s
         WHERE s.cluster = ?1
           AND EXISTS (SELECT 1 FROM shape_days u WHERE u.shape_id = s.id AND u.day >= ?2)
           AND NOT EXISTS (SELECT 1 FROM shape_decisions d WHERE d.shape_id = s.id)"
        ),
        params![cluster, from_day],
        cluster,
    )
}

/// A shape of the window with its current decision and its requests in the window.
pub struct WindowShape {
    pub stored: StoredShape,
    pub allowed: Option<bool>,
    pub by: Option<String>,
    /// Grants that would also have allowed it.
    pub shadowed: Vec<String>,
    /// The access entry or aws-auth mapping its caller came in through.
    pub authenticated_by: Option<String>,
    pub requests: i64,
    pub last_ms: i64,
}

/// Every shape of the window that has a decision, with its decision and its use: one query.
pub fn window_shapes(conn: &Connection, cluster: &str, from_day: i64) -> rusqlite::Result<Vec<WindowShape>> {
    let mut stmt = conn.prepare(&format!(
        "{SHAPE_COLUMNS}, d.allowed, d.by_grant, d.shadowed, d.authenticated_by, u.requests, u.last_ms
         FROM shapes s
         JOIN shape_decisions d ON d.shape_id = s.id
         JOIN (SELECT shape_id, sum(requests) AS requests, max(last_ms) AS last_ms
               FROM shape_days WHERE day >= ?2 GROUP BY shape_id) u ON u.shape_id = s.id
         WHERE s.cluster = ?1
         ORDER BY s.id"
    ))?;
    let rows = stmt.query_map(params![cluster, from_day], |r| {
        let shadowed: String = r.get(15)?;
        Ok(WindowShape {
            stored: stored_shape(r, cluster)?,
            allowed: r.get(13)?,
            by: r.get(14)?,
            shadowed: serde_json::from_str(&shadowed).unwrap_or_default(),
            authenticated_by: r.get(16)?,
            requests: r.get(17)?,
            last_ms: r.get(18)?,
        })
    })?;
    rows.collect()
}

fn read_shapes(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    cluster: &str,
) -> rusqlite::Result<Vec<StoredShape>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |r| stored_shape(r, cluster))?;
    rows.collect()
}

/// The shape in the first columns of a row ([`SHAPE_COLUMNS`]).
fn stored_shape(r: &rusqlite::Row, cluster: &str) -> rusqlite::Result<StoredShape> {
    let groups: String = r.get(4)?;
    let own = |i: usize| -> rusqlite::Result<Cow<'static, str>> { Ok(Cow::Owned(r.get::<_, String>(i)?)) };
    Ok(StoredShape {
        id: r.get(0)?,
        shape: RequestShape {
            cluster: Cow::Owned(cluster.to_string()),
            principal: own(1)?,
            iam: r.get(2)?,
            username: own(3)?,
            groups: serde_json::from_str::<Vec<String>>(&groups)
                .unwrap_or_default()
                .into_iter()
                .map(Cow::Owned)
                .collect(),
            session_name: own(5)?,
            verb: own(6)?,
            api_group: own(7)?,
            resource: own(8)?,
            subresource: own(9)?,
            namespace: own(10)?,
            name: own(11)?,
            path: own(12)?,
            access_key_id: "".into(),
        },
    })
}

/// One shape's decision, as grant ids.
pub struct ShapeDecision<'a> {
    pub shape_id: i64,
    pub outcome: &'a str,
    pub allowed: Option<bool>,
    pub by: Option<String>,
    pub shadowed: Vec<String>,
    pub authenticated_by: Option<String>,
    pub undocumented: Vec<String>,
}

pub fn write_shape_decision(
    tx: &Transaction,
    cluster: &str,
    state_version: i64,
    d: &ShapeDecision,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO shape_decisions
           (shape_id, cluster, state_version, outcome, allowed, by_grant, shadowed, authenticated_by, undocumented)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        d.shape_id,
        cluster,
        state_version,
        d.outcome,
        d.allowed,
        d.by,
        serde_json::to_string(&d.shadowed).expect("ids serialize"),
        d.authenticated_by,
        serde_json::to_string(&d.undocumented).expect("ids serialize"),
    ])?;
    Ok(())
}

/// Recomputes the cluster's grant usage over the window from the decisions and daily counts.
pub fn recompute_grant_usage(
    tx: &Transaction,
    cluster: &str,
    state_version: i64,
    window_days: u32,
    from_day: i64,
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM grant_usage WHERE cluster = ?1", [cluster])?;
    // (grant expression, role, extra join, extra condition)
    let parts = [
        ("d.by_grant", "by", "", "d.by_grant IS NOT NULL"),
        ("j.value", "shadowed", ", json_each(d.shadowed) j", "1"),
        ("d.authenticated_by", "authenticated", "", "d.authenticated_by IS NOT NULL AND d.allowed = 1"),
    ];
    for (grant, role, join, condition) in parts {
        tx.execute(
            &format!(
                "INSERT INTO grant_usage (cluster, grant_id, role, state_version, window_days, requests, shapes, principals, first_ms, last_ms)
                 SELECT ?1, {grant}, '{role}', ?2, ?3, sum(u.requests), count(DISTINCT s.id), count(DISTINCT s.principal),
                        min(u.first_ms), max(u.last_ms)
                 FROM shape_decisions d{join}
                 JOIN shapes s ON s.id = d.shape_id
                 JOIN shape_days u ON u.shape_id = d.shape_id
                 WHERE d.cluster = ?1 AND u.day >= ?4 AND {condition}
                 GROUP BY {grant}"
            ),
            params![cluster, state_version, window_days, from_day],
        )?;
    }
    Ok(())
}

/// Usage of one grant in one role.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GrantUsage {
    pub requests: i64,
    pub shapes: i64,
    pub principals: i64,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// The cluster's grant usage: (grant id, role) → usage.
pub fn grant_usage(
    conn: &Connection,
    cluster: &str,
) -> rusqlite::Result<std::collections::HashMap<(String, String), GrantUsage>> {
    let mut stmt = conn.prepare(
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

/// Recorded decisions against replayed ones over the window, in requests: (compared, agreeing).
pub fn recorded_agreement(conn: &Connection, cluster: &str, from_day: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT coalesce(sum(u.allowed + u.denied), 0),
                coalesce(sum(CASE WHEN d.allowed = 1 THEN u.allowed ELSE u.denied END), 0)
         FROM shape_decisions d JOIN shape_days u ON u.shape_id = d.shape_id
         WHERE d.cluster = ?1 AND u.day >= ?2 AND d.allowed IS NOT NULL",
        params![cluster, from_day],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Distinct days with events for the cluster since `from_day`.
pub fn observed_days(conn: &Connection, cluster: &str, from_day: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(DISTINCT u.day) FROM shape_days u JOIN shapes s ON s.id = u.shape_id WHERE s.cluster = ?1 AND u.day >= ?2",
        params![cluster, from_day],
        |r| r.get(0),
    )
}

/// The state version the cluster's decisions reflect, if it was replayed.
pub fn replay_watermark(conn: &Connection, cluster: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT state_version FROM replay_watermarks WHERE cluster = ?1", [cluster], |r| r.get(0)).optional()
}

/// Records that the cluster's decisions now reflect `version`, in the replay's transaction.
pub fn set_replay_watermark(tx: &Transaction, cluster: &str, version: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO replay_watermarks (cluster, state_version) VALUES (?1, ?2)
         ON CONFLICT (cluster) DO UPDATE SET state_version = excluded.state_version",
        params![cluster, version],
    )?;
    Ok(())
}

/// The window's decided shapes a state change reaches, selected inside SQLite (a Rust function
/// tests each row against `affected`), so an incremental replay never loads the rest.
pub fn affected_shapes(
    conn: &Connection,
    cluster: &str,
    from_day: i64,
    affected: Affected,
) -> rusqlite::Result<Vec<StoredShape>> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "grantscope_affected",
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let iam: bool = ctx.get(0)?;
            let principal: String = ctx.get(1)?;
            let username: String = ctx.get(2)?;
            let groups: String = ctx.get(3)?;
            let groups: Vec<String> =
                if affected.groups.is_empty() { Vec::new() } else { serde_json::from_str(&groups).unwrap_or_default() };
            Ok(affected.touches(iam.then_some(principal.as_str()), &username, &groups))
        },
    )?;
    let shapes = read_shapes(
        conn,
        &format!(
            "{SHAPE_COLUMNS}
         FROM shapes s JOIN shape_decisions d ON d.shape_id = s.id
         WHERE s.cluster = ?1
           AND EXISTS (SELECT 1 FROM shape_days u WHERE u.shape_id = s.id AND u.day >= ?2)
           AND grantscope_affected(s.iam, s.principal, s.username, s.groups)"
        ),
        params![cluster, from_day],
        cluster,
    );
    conn.remove_function("grantscope_affected", 4)?;
    shapes
}

/// How many of the cluster's shapes seen in the window have a decision.
pub fn decided_in_window(conn: &Connection, cluster: &str, from_day: i64) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT count(*) FROM shape_decisions d WHERE d.cluster = ?1
           AND EXISTS (SELECT 1 FROM shape_days u WHERE u.shape_id = d.shape_id AND u.day >= ?2)",
        params![cluster, from_day],
        |r| r.get(0),
    )
}

/// Drops every decision of the cluster: the next replay decides everything again.
pub fn forget_decisions(conn: &Connection, cluster: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM shape_decisions WHERE cluster = ?1", [cluster])?;
    Ok(())
}

/// Drops the decisions of shapes not seen since `from_day`: later replays did not look at them,
/// so they would be stale if the shapes came back.
pub fn forget_decisions_outside(tx: &Transaction, cluster: &str, from_day: i64) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM shape_decisions WHERE cluster = ?1
           AND NOT EXISTS (SELECT 1 FROM shape_days u WHERE u.shape_id = shape_decisions.shape_id AND u.day >= ?2)",
        params![cluster, from_day],
    )?;
    Ok(())
}
