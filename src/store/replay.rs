//! What replay reads: the shapes to decide, their callers, the window's shapes with their
//! decisions, and the watermark that says how far the decisions and usage are current.

use super::{Decisions, Store, StoredDecision, Tx};
use crate::model::{GrantId, RequestShape};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// The columns `stored_shape` reads, in its order; queries add their FROM and WHERE.
const SHAPE_COLUMNS: &str =
    "SELECT s.id, s.caller_id, s.principal, s.iam, s.username, s.groups, s.session_name, s.verb, s.api_group,
    s.resource, s.subresource, s.namespace, s.name, s.path, s.unkept";

/// A shape as stored, owned.
#[derive(Clone)]
pub struct StoredShape {
    pub id: i64,
    pub caller_id: i64,
    pub shape: RequestShape<'static>,
}

/// Who sent a cluster's requests: one row per distinct principal, username and groups.
pub struct Caller {
    pub id: i64,
    pub principal: String,
    pub iam: bool,
    pub username: String,
    pub groups: Vec<String>,
}

impl Caller {
    /// Whether a change of access state that affects `a` can change this caller's decisions.
    pub fn reached_by(&self, a: &crate::authz::changes::Affected) -> bool {
        a.touches(self.iam.then_some(self.principal.as_str()), &self.username, &self.groups)
    }
}

/// A shape of the window with its current decision and its requests in the window.
pub struct WindowShape {
    pub stored: StoredShape,
    /// Shared by every shape decided the same way.
    pub decision: Arc<StoredDecision>,
    pub requests: i64,
    pub last_ms: i64,
}

impl WindowShape {
    pub fn allowed(&self) -> Option<bool> {
        self.decision.allowed
    }

    /// The grant that allowed it.
    pub fn by(&self) -> Option<&GrantId> {
        self.decision.by.as_ref()
    }

    /// Grants that would also have allowed it.
    pub fn shadowed(&self) -> &[GrantId] {
        &self.decision.shadowed
    }

    /// The access entry or aws-auth mapping its caller came in through.
    pub fn authenticated_by(&self) -> Option<&GrantId> {
        self.decision.authenticated_by.as_ref()
    }
}

/// Which of the window's shapes to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFilter {
    All,
    /// Only those allowed today: all that findings and their proofs look at (a proof asks what
    /// would stop being allowed), usually well under half of the window.
    Allowed,
}

/// The window's shapes as read, and the namespaces of all of them (whatever the filter).
pub struct Window {
    pub shapes: Vec<WindowShape>,
    pub namespaces: std::collections::BTreeSet<String>,
}

/// How far a cluster's replay is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayWatermark {
    /// The decisions reflect this state version.
    pub state_version: i64,
    /// Every shape of the cluster with an id up to this one has a decision.
    pub shapes_through: i64,
    /// The usage buckets cover the days from this one...
    pub usage_from_day: i64,
    /// ... and what the cluster's ingest generation was when they were built.
    pub usage_generation: i64,
}

/// One day's requests of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DayCount {
    pub day: i64,
    pub requests: i64,
    /// Recorded allows and denials.
    pub allowed: i64,
    pub denied: i64,
}

/// One shape's recorded decisions on one day of the window, with its caller and current decision.
pub struct RecordedDay {
    pub shape_id: i64,
    pub day: i64,
    pub allowed: i64,
    pub denied: i64,
    pub caller_id: i64,
    /// The shape's decision under the current state (`None`: not evaluated).
    pub decided: Option<bool>,
}

impl Store {
    /// The cluster's shapes with an id above `after`: those stored since a replay decided up to it.
    pub fn shapes_after(&self, cluster: &str, after: i64) -> rusqlite::Result<Vec<StoredShape>> {
        // `+s.cluster`: read the id range in table order, not every row of the cluster through its index.
        let mut stmt =
            self.conn.prepare(&format!("{SHAPE_COLUMNS} FROM shapes s WHERE s.id > ?2 AND +s.cluster = ?1"))?;
        let rows = stmt.query_map(params![cluster, after], |r| stored_shape(r, cluster))?;
        rows.collect()
    }

    /// The shapes of the given callers with an id up to `through`, read through `shapes_by_caller`.
    pub fn shapes_of_callers(
        &self,
        cluster: &str,
        callers: &[i64],
        through: i64,
    ) -> rusqlite::Result<Vec<StoredShape>> {
        let mut stmt =
            self.conn.prepare(&format!("{SHAPE_COLUMNS} FROM shapes s WHERE s.caller_id = ?1 AND s.id <= ?2"))?;
        let mut shapes = Vec::new();
        for caller in callers {
            for shape in stmt.query_map(params![caller, through], |r| stored_shape(r, cluster))? {
                shapes.push(shape?);
            }
        }
        Ok(shapes)
    }

    pub fn callers(&self, cluster: &str) -> rusqlite::Result<Vec<Caller>> {
        let mut stmt =
            self.conn.prepare("SELECT id, principal, iam, username, groups FROM callers WHERE cluster = ?1")?;
        let rows = stmt.query_map([cluster], |r| {
            Ok(Caller {
                id: r.get(0)?,
                principal: r.get(1)?,
                iam: r.get(2)?,
                username: r.get(3)?,
                groups: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
            })
        })?;
        rows.collect()
    }

    /// The shapes of the window that have a decision, with their decision and their use. Three scans
    /// in shape-id order (the window's days, the decisions, the shapes) merged here: no temporary
    /// table, and each distinct decision and caller's groups decoded once.
    pub fn window_shapes(&self, cluster: &str, from_day: i64, filter: WindowFilter) -> rusqlite::Result<Window> {
        // One read transaction: the decisions and the three scans see the same snapshot.
        let tx = self.conn.unchecked_transaction()?;
        let conn: &Connection = &tx;
        let decisions: HashMap<i64, Arc<StoredDecision>> =
            Decisions::load(conn)?.by_id.into_iter().map(|(id, d)| (id, Arc::new(d))).collect();
        let mut days = conn.prepare(
            "SELECT shape_id, sum(requests), max(last_ms) FROM shape_days WHERE day >= ?1 GROUP BY shape_id ORDER BY shape_id",
        )?;
        let mut days = days.query([from_day])?;
        let mut decided = conn.prepare("SELECT shape_id, decision_id FROM shape_decisions ORDER BY shape_id")?;
        let mut decided = decided.query([])?;
        let mut shapes = conn.prepare(&format!("{SHAPE_COLUMNS} FROM shapes s WHERE +s.cluster = ?1 ORDER BY s.id"))?;
        let mut shapes = shapes.query([cluster])?;
        let mut groups: HashMap<i64, Vec<Cow<'static, str>>> = HashMap::new();
        // The latest row read from each of the other two scans, as values.
        // (shape id, requests, last ms) and (shape id, decision id).
        let mut day: Option<(i64, i64, i64)> = None;
        let mut decision: Option<(i64, i64)> = None;
        let mut out = Window { shapes: Vec::new(), namespaces: Default::default() };
        while let Some(r) = shapes.next()? {
            let id: i64 = r.get(0)?;
            while day.is_none_or(|(d, _, _)| d < id) {
                match days.next()? {
                    Some(d) => day = Some((d.get(0)?, d.get(1)?, d.get(2)?)),
                    None => return Ok(out), // no more days in the window
                }
            }
            let Some((_, requests, last_ms)) = day.filter(|(d, _, _)| *d == id) else { continue };
            while decision.is_none_or(|(d, _)| d < id) {
                match decided.next()? {
                    Some(d) => decision = Some((d.get(0)?, d.get(1)?)),
                    None => return Ok(out), // no more decisions
                }
            }
            let Some(decision) = decision.filter(|(d, _)| *d == id).and_then(|(_, k)| decisions.get(&k)) else {
                continue;
            };
            let namespace = r.get_ref(11)?.as_str()?;
            if !out.namespaces.contains(namespace) {
                out.namespaces.insert(namespace.to_string());
            }
            if filter == WindowFilter::Allowed && decision.allowed != Some(true) {
                continue;
            }
            out.shapes.push(WindowShape {
                stored: stored_shape_with(r, cluster, &mut groups)?,
                decision: decision.clone(),
                requests,
                last_ms,
            });
        }
        Ok(out)
    }

    pub fn replay_watermark(&self, cluster: &str) -> rusqlite::Result<Option<ReplayWatermark>> {
        self.conn.query_row(
            "SELECT state_version, shapes_through, usage_from_day, usage_generation FROM replay_watermarks WHERE cluster = ?1",
            [cluster],
            |r| {
                Ok(ReplayWatermark {
                    state_version: r.get(0)?,
                    shapes_through: r.get(1)?,
                    usage_from_day: r.get(2)?,
                    usage_generation: r.get(3)?,
                })
            },
        )
        .optional()
    }

    /// How many ingest transactions have added requests to the cluster.
    pub fn ingest_generation(&self, cluster: &str) -> rusqlite::Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT generation FROM ingest_generations WHERE cluster = ?1", [cluster], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// How many of the cluster's shapes have a decision.
    pub fn decided_shapes(&self, cluster: &str) -> rusqlite::Result<u64> {
        self.conn.query_row(
            "SELECT count(*) FROM shape_decisions WHERE caller_id IN (SELECT id FROM callers WHERE cluster = ?1)",
            [cluster],
            |r| r.get(0),
        )
    }

    /// Distinct days with events for the cluster since `from_day`.
    pub fn observed_days(&self, cluster: &str, from_day: i64) -> rusqlite::Result<i64> {
        self.conn.query_row(
            "SELECT count(*) FROM cluster_days WHERE cluster = ?1 AND day >= ?2",
            params![cluster, from_day],
            |r| r.get(0),
        )
    }

    /// The cluster's days with events since `from_day`, in order.
    pub fn cluster_days(&self, cluster: &str, from_day: i64) -> rusqlite::Result<Vec<DayCount>> {
        let mut stmt = self.conn.prepare(
            "SELECT day, requests, allowed, denied FROM cluster_days WHERE cluster = ?1 AND day >= ?2 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![cluster, from_day], |r| {
            Ok(DayCount { day: r.get(0)?, requests: r.get(1)?, allowed: r.get(2)?, denied: r.get(3)? })
        })?;
        rows.collect()
    }

    /// Calls `f` for every (shape, day) since `from_day` with a recorded decision, in shape order;
    /// only the given caller's shapes when `caller` is set (read through `shapes_by_caller`).
    pub fn for_each_recorded_day(
        &self,
        from_day: i64,
        caller: Option<i64>,
        mut f: impl FnMut(RecordedDay) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let columns = "SELECT u.shape_id, u.day, sum(u.allowed), sum(u.denied), d.caller_id, dd.allowed";
        let rest = "JOIN decisions dd ON dd.id = d.decision_id
                    WHERE u.day >= ?1 AND u.allowed + u.denied > 0";
        let mut stmt = match caller {
            None => self.conn.prepare_cached(&format!(
                "{columns} FROM shape_days u JOIN shape_decisions d ON d.shape_id = u.shape_id {rest}
                 GROUP BY u.shape_id, u.day"
            ))?,
            Some(_) => self.conn.prepare_cached(&format!(
                "{columns} FROM shapes s JOIN shape_days u ON u.shape_id = s.id JOIN shape_decisions d ON d.shape_id = s.id
                 {rest} AND s.caller_id = ?2 GROUP BY u.shape_id, u.day"
            ))?,
        };
        let mut rows = match caller {
            None => stmt.query([from_day])?,
            Some(c) => stmt.query([from_day, c])?,
        };
        while let Some(r) = rows.next()? {
            f(RecordedDay {
                shape_id: r.get(0)?,
                day: r.get(1)?,
                allowed: r.get(2)?,
                denied: r.get(3)?,
                caller_id: r.get(4)?,
                decided: r.get(5)?,
            })?;
        }
        Ok(())
    }

    /// One stored shape by id.
    pub fn shape_by_id(&self, cluster: &str, id: i64) -> rusqlite::Result<StoredShape> {
        self.conn
            .prepare_cached(&format!("{SHAPE_COLUMNS} FROM shapes s WHERE s.id = ?1"))?
            .query_row([id], |r| stored_shape(r, cluster))
    }
}

impl Tx<'_> {
    /// Moves the watermark, in the replay's transaction.
    pub fn set_replay_watermark(&self, cluster: &str, w: &ReplayWatermark) -> rusqlite::Result<()> {
        self.tx.execute(
            "INSERT OR REPLACE INTO replay_watermarks (cluster, state_version, shapes_through, usage_from_day, usage_generation)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cluster, w.state_version, w.shapes_through, w.usage_from_day, w.usage_generation],
        )?;
        Ok(())
    }
}

/// Records, in an ingest transaction, that the cluster's requests changed (the usage folder's
/// flush calls it with the batch's transaction).
pub(super) fn bump_ingest_generation(tx: &Transaction, cluster: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO ingest_generations (cluster, generation) VALUES (?1, 1)
         ON CONFLICT (cluster) DO UPDATE SET generation = generation + 1",
    )?
    .execute([cluster])?;
    Ok(())
}

/// The shape in the first columns of a row ([`SHAPE_COLUMNS`]).
fn stored_shape(r: &rusqlite::Row, cluster: &str) -> rusqlite::Result<StoredShape> {
    stored_shape_with(r, cluster, &mut HashMap::new())
}

/// [`stored_shape`], decoding each caller's groups once.
fn stored_shape_with(
    r: &rusqlite::Row,
    cluster: &str,
    groups: &mut HashMap<i64, Vec<Cow<'static, str>>>,
) -> rusqlite::Result<StoredShape> {
    let own = |i: usize| -> rusqlite::Result<Cow<'static, str>> { Ok(Cow::Owned(r.get::<_, String>(i)?)) };
    let caller_id: i64 = r.get(1)?;
    let groups = match groups.get(&caller_id) {
        Some(g) => g.clone(),
        None => {
            let text: String = r.get(5)?;
            let decoded: Vec<Cow<'static, str>> =
                serde_json::from_str::<Vec<String>>(&text).unwrap_or_default().into_iter().map(Cow::Owned).collect();
            groups.insert(caller_id, decoded.clone());
            decoded
        }
    };
    Ok(StoredShape {
        id: r.get(0)?,
        caller_id,
        shape: RequestShape {
            cluster: Cow::Owned(cluster.to_string()),
            principal: own(2)?,
            iam: r.get(3)?,
            username: own(4)?,
            groups,
            session_name: own(6)?,
            verb: own(7)?,
            api_group: own(8)?,
            resource: own(9)?,
            subresource: own(10)?,
            namespace: own(11)?,
            name: own(12)?,
            path: own(13)?,
            access_key_id: "".into(),
            unkept: crate::model::Unkept::from_bits(r.get(14)?),
        },
    })
}
