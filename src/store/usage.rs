//! Folding audit events into request shapes and daily usage (DESIGN idea 1).
//!
//! An event's shape is found through its *base* (everything but the object name and the session
//! name, [`RequestShape::base_key`]): a base keeps the first [`KEPT_PARTICULARS`] names and as
//! many sessions it sees, and a request whose name or session is not among them folds into a shape
//! with that part unkept, so the shapes of a busy cluster grow with its behaviour, not with its
//! objects and sessions (README, "Request shapes on busy clusters").
//!
//! The folder keeps the bases, shapes and reasons it has resolved, so a busy stream touches SQLite
//! once per event (the dedupe insert) plus once per distinct (shape, day, reason) per batch.

use super::Tx;
use crate::model::{AuditEvent, KEPT_PARTICULARS, RecordedDecision, RequestShape, Unkept, time};
use foldhash::HashMap;
use foldhash::fast::RandomState;
use rusqlite::{Transaction, params};
use std::hash::BuildHasher;

/// How many example auditIDs a shape keeps for drill-down.
const MAX_EXAMPLES: usize = 5;

struct ShapeSlot {
    examples: Vec<String>,
    examples_dirty: bool,
}

/// Where a request's name (or session) falls among those its base keeps.
#[derive(Clone, Copy)]
enum KeptPlace {
    Kept(usize),
    /// Not kept yet, and there is room.
    New,
    Unkept,
}

/// A base's kept names and sessions, and its shapes by which of them they have. Each kept one
/// carries its hash, compared first: a scan of the list (every event's) reads only this vector,
/// not each string's allocation.
#[derive(Default)]
struct BaseSlot {
    names: Vec<(u64, String)>,
    /// Kept sessions, each with the username it came with (a node's differs per node).
    sessions: Vec<(u64, String, String)>,
    /// (kept name, kept session; `None`: an unkept one) → the shape's id.
    shapes: HashMap<(Option<usize>, Option<usize>), i64>,
}

/// A request's name and session (with its username), each hashed once per event.
struct Particulars<'s> {
    name: &'s str,
    name_hash: u64,
    session: &'s str,
    username: &'s str,
    session_hash: u64,
}

impl<'s> Particulars<'s> {
    fn of(s: &'s RequestShape, hasher: &RandomState) -> Particulars<'s> {
        let (name, session, username) = (s.authorized_name(), s.session_name.as_ref(), s.username.as_ref());
        Particulars {
            name,
            name_hash: hasher.hash_one(name),
            session,
            username,
            session_hash: hasher.hash_one((session, username)),
        }
    }
}

impl BaseSlot {
    fn place<T>(kept: &[T], is: impl Fn(&T) -> bool, limit: usize) -> KeptPlace {
        match kept.iter().position(is) {
            Some(i) => KeptPlace::Kept(i),
            None if kept.len() < limit => KeptPlace::New,
            None => KeptPlace::Unkept,
        }
    }

    /// Where the request's name and session fall.
    fn places(&self, p: &Particulars, limit: usize) -> (KeptPlace, KeptPlace) {
        let name = Self::place(&self.names, |(h, n)| *h == p.name_hash && n == p.name, limit);
        let session =
            Self::place(&self.sessions, |(h, k, u)| *h == p.session_hash && k == p.session && u == p.username, limit);
        (name, session)
    }

    /// The shape the request folds into, if it exists without keeping anything new.
    fn known(&self, p: &Particulars, limit: usize) -> Option<i64> {
        let index = |p| match p {
            KeptPlace::Kept(i) => Some(Some(i)),
            KeptPlace::Unkept => Some(None),
            KeptPlace::New => None,
        };
        let (name, session) = self.places(p, limit);
        self.shapes.get(&(index(name)?, index(session)?)).copied()
    }

    /// Keeps the request's name and session if there is room, and says which shape of the base it
    /// belongs to: the kept name's and session's indexes (`None`: unkept).
    fn keep(&mut self, p: &Particulars, limit: usize) -> (Option<usize>, Option<usize>) {
        let (name, session) = self.places(p, limit);
        let name = match name {
            KeptPlace::Kept(i) => Some(i),
            KeptPlace::New => Some(push_index(&mut self.names, (p.name_hash, p.name.to_string()))),
            KeptPlace::Unkept => None,
        };
        let session = match session {
            KeptPlace::Kept(i) => Some(i),
            KeptPlace::New => {
                Some(push_index(&mut self.sessions, (p.session_hash, p.session.to_string(), p.username.to_string())))
            }
            KeptPlace::Unkept => None,
        };
        (name, session)
    }
}

/// Pushes `item` and returns its index.
fn push_index<T>(list: &mut Vec<T>, item: T) -> usize {
    list.push(item);
    list.len() - 1
}

#[derive(Default)]
struct Usage {
    requests: i64,
    allowed: i64,
    denied: i64,
    first_ms: i64,
    last_ms: i64,
}

impl Usage {
    fn add(&mut self, event: &AuditEvent) {
        self.requests += 1;
        match event.decision {
            Some(RecordedDecision::Allow) => self.allowed += 1,
            Some(RecordedDecision::Forbid) => self.denied += 1,
            None => {}
        }
        self.first_ms = self.first_ms.min(event.time_ms);
        self.last_ms = self.last_ms.max(event.time_ms);
    }
}

/// An event's shape and reason, as stored.
pub struct Resolved {
    pub shape_id: i64,
    pub reason_id: i64,
}

/// Resolves shapes and reasons to ids and accumulates one batch's counts until `flush`.
pub struct UsageFolder {
    /// Kept particulars per base: [`KEPT_PARTICULARS`], or more for the differential test.
    limit: usize,
    /// Hashes the kept names and sessions, and each event's.
    hasher: RandomState,
    bases: HashMap<u128, BaseSlot>,
    /// Callers by [`RequestShape::caller_key`]: new shapes mostly have a caller seen before.
    callers: HashMap<u128, i64>,
    shapes: HashMap<i64, ShapeSlot>,
    reasons: HashMap<String, i64>,
    pending: HashMap<(i64, i64, i64), Usage>,
    /// Clusters this batch added requests to: their ingest generation moves on flush.
    clusters: Vec<String>,
    /// (index into `clusters`, day) → requests, for `cluster_days`.
    days: HashMap<(usize, i64), Usage>,
}

impl Default for UsageFolder {
    fn default() -> UsageFolder {
        UsageFolder::keeping(KEPT_PARTICULARS)
    }
}

impl UsageFolder {
    pub fn new() -> UsageFolder {
        UsageFolder::default()
    }

    /// A folder keeping `limit` particulars per base (the unbounded model keeps them all).
    pub fn keeping(limit: usize) -> UsageFolder {
        UsageFolder {
            limit,
            hasher: RandomState::default(),
            bases: HashMap::default(),
            callers: HashMap::default(),
            shapes: HashMap::default(),
            reasons: HashMap::default(),
            pending: HashMap::default(),
            clusters: Vec::new(),
            days: HashMap::default(),
        }
    }

    /// The id of the shape an event of this base (its `base_key`) folds into, if this run has
    /// resolved it already.
    pub fn known_shape(&self, base: u128, shape: &RequestShape) -> Option<i64> {
        let slot = self.bases.get(&base)?;
        slot.known(&Particulars::of(shape, &self.hasher), self.limit)
    }

    /// The ids of the event's shape (whose `base_key` the caller computed, and `known_shape`) and
    /// reason, inserting either if new.
    pub fn resolve(
        &mut self,
        tx: &Tx,
        base: u128,
        known: Option<i64>,
        event: &AuditEvent,
    ) -> rusqlite::Result<Resolved> {
        let tx = &tx.tx;
        let shape_id = match known {
            Some(id) => id,
            None => self.find_or_insert_shape(tx, base, &event.shape)?,
        };
        let reason_id = if event.reason.is_empty() {
            0
        } else if let Some(&id) = self.reasons.get(event.reason.as_ref()) {
            id
        } else {
            let id = intern_reason(tx, &event.reason)?;
            self.reasons.insert(event.reason.to_string(), id);
            id
        };
        Ok(Resolved { shape_id, reason_id })
    }

    /// The id of the shape of `base` the request folds into, loading the base from the store the
    /// first time and storing the shape if it is new.
    fn find_or_insert_shape(&mut self, tx: &Transaction, base: u128, shape: &RequestShape) -> rusqlite::Result<i64> {
        if !self.bases.contains_key(&base) {
            let slot = load_base(tx, base, &mut self.shapes, &self.hasher)?;
            self.bases.insert(base, slot);
        }
        let slot = self.bases.get_mut(&base).expect("inserted above");
        let particulars = Particulars::of(shape, &self.hasher);
        if let Some(id) = slot.known(&particulars, self.limit) {
            return Ok(id);
        }
        let (name, session) = slot.keep(&particulars, self.limit);
        let unkept = Unkept { name: name.is_none(), session: session.is_none() };
        let (key, stored) = shape.within_base(base, unkept);
        let caller_key = stored.caller_key();
        let caller = match self.callers.get(&caller_key) {
            Some(&id) => id,
            None => {
                let id = caller_id(tx, &stored)?;
                self.callers.insert(caller_key, id);
                id
            }
        };
        let id = insert_shape(tx, key, Some(base), &stored, caller)?;
        slot.shapes.insert((name, session), id);
        self.shapes.insert(id, ShapeSlot { examples: Vec::new(), examples_dirty: false });
        Ok(id)
    }

    /// Counts one newly stored event (the dedupe insert said it was new).
    pub fn count(&mut self, event: &AuditEvent, resolved: &Resolved) {
        // A batch holds one cluster or a few: a scan beats hashing every event's name.
        let cluster = match self.clusters.iter().position(|c| c == event.shape.cluster.as_ref()) {
            Some(i) => i,
            None => {
                self.clusters.push(event.shape.cluster.to_string());
                self.clusters.len() - 1
            }
        };
        let day = time::day_of(event.time_ms);
        self.days.entry((cluster, day)).or_default().add(event);
        let usage = self.pending.entry((resolved.shape_id, day, resolved.reason_id)).or_insert_with(|| Usage {
            first_ms: event.time_ms,
            last_ms: event.time_ms,
            ..Usage::default()
        });
        usage.add(event);
        if let Some(slot) = self.shapes.get_mut(&resolved.shape_id)
            && slot.examples.len() < MAX_EXAMPLES
        {
            slot.examples.push(event.audit_id.to_string());
            slot.examples_dirty = true;
        }
    }

    /// Writes the batch's counts into the transaction. Call right before the checkpoint is written.
    pub fn flush(&mut self, tx: &Tx) -> rusqlite::Result<()> {
        let tx = &tx.tx;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO shape_days (shape_id, day, reason_id, requests, allowed, denied, first_ms, last_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (shape_id, day, reason_id) DO UPDATE SET
               requests = requests + excluded.requests,
               allowed = allowed + excluded.allowed,
               denied = denied + excluded.denied,
               first_ms = min(first_ms, excluded.first_ms),
               last_ms = max(last_ms, excluded.last_ms)",
        )?;
        for ((shape_id, day, reason_id), u) in self.pending.drain() {
            upsert
                .execute(params![shape_id, day, reason_id, u.requests, u.allowed, u.denied, u.first_ms, u.last_ms])?;
        }
        let mut day_upsert = tx.prepare_cached(
            "INSERT INTO cluster_days (cluster, day, requests, allowed, denied) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (cluster, day) DO UPDATE SET
               requests = requests + excluded.requests,
               allowed = allowed + excluded.allowed,
               denied = denied + excluded.denied",
        )?;
        for ((cluster, day), d) in self.days.drain() {
            day_upsert.execute(params![self.clusters[cluster], day, d.requests, d.allowed, d.denied])?;
        }
        let mut examples = tx.prepare_cached("UPDATE shapes SET examples = ?2 WHERE id = ?1")?;
        for (id, slot) in self.shapes.iter_mut().filter(|(_, s)| s.examples_dirty) {
            examples.execute(params![id, serde_json::to_string(&slot.examples).expect("strings serialize")])?;
            slot.examples_dirty = false;
        }
        for cluster in self.clusters.drain(..) {
            super::replay::bump_ingest_generation(tx, &cluster)?;
        }
        Ok(())
    }

    /// Forgets everything resolved: after a rolled-back transaction the ids may not exist.
    pub fn reset(&mut self) {
        *self = UsageFolder::keeping(self.limit);
    }
}

/// A base's shapes as stored (none for a base not seen before), with their examples.
fn load_base(
    tx: &Transaction,
    base: u128,
    shapes: &mut HashMap<i64, ShapeSlot>,
    hasher: &RandomState,
) -> rusqlite::Result<BaseSlot> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, name, session_name, username, unkept, examples FROM shapes WHERE base_key = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([&base.to_be_bytes()[..]])?;
    let mut slot = BaseSlot::default();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let unkept = Unkept::from_bits(r.get(4)?);
        let name = (!unkept.name).then(|| -> rusqlite::Result<usize> {
            let name: String = r.get(1)?;
            Ok(match slot.names.iter().position(|(_, n)| *n == name) {
                Some(i) => i,
                None => push_index(&mut slot.names, (hasher.hash_one(name.as_str()), name)),
            })
        });
        let session = (!unkept.session).then(|| -> rusqlite::Result<usize> {
            let (session, username): (String, String) = (r.get(2)?, r.get(3)?);
            Ok(match slot.sessions.iter().position(|(_, k, u)| *k == session && *u == username) {
                Some(i) => i,
                None => {
                    let hash = hasher.hash_one((session.as_str(), username.as_str()));
                    push_index(&mut slot.sessions, (hash, session, username))
                }
            })
        });
        slot.shapes.insert((name.transpose()?, session.transpose()?), id);
        // A corrupt list only loses drill-down examples, never a count: start it again.
        let examples = serde_json::from_str(r.get_ref(5)?.as_str()?).unwrap_or_default();
        shapes.insert(id, ShapeSlot { examples, examples_dirty: false });
    }
    Ok(slot)
}

/// Stores a new shape under its key (and its base's, if it has one), with its caller's id
/// ([`caller_id`]); returns its id.
fn insert_shape(
    tx: &Transaction,
    key: u128,
    base: Option<u128>,
    s: &RequestShape,
    caller: i64,
) -> rusqlite::Result<i64> {
    let key_bytes = key.to_be_bytes();
    let base_bytes = base.map(|b| b.to_be_bytes());
    let groups = serde_json::to_string(&s.groups).expect("strings serialize");
    tx.prepare_cached(
        "INSERT INTO shapes (key, cluster, principal, iam, username, groups, session_name, verb, api_group,
                             resource, subresource, namespace, name, path, examples, caller_id, base_key, unkept)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, '[]', ?15, ?16, ?17)",
    )?
    .execute(params![
        &key_bytes[..],
        s.cluster,
        s.principal,
        s.iam,
        s.username,
        groups,
        s.session_name,
        s.verb,
        s.api_group,
        s.resource,
        s.subresource,
        s.namespace,
        s.name,
        s.path,
        caller,
        base_bytes.as_ref().map(|b| &b[..]),
        s.unkept.bits()
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The id of the shape's caller (cluster, principal, username, groups), inserting it if new.
fn caller_id(tx: &Transaction, s: &RequestShape) -> rusqlite::Result<i64> {
    let groups = serde_json::to_string(&s.groups).expect("strings serialize");
    let caller = params![s.cluster, s.principal, s.iam, s.username, groups];
    tx.prepare_cached(
        "INSERT INTO callers (cluster, principal, iam, username, groups) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
    )?
    .execute(caller)?;
    tx.prepare_cached(
        "SELECT id FROM callers
         WHERE cluster = ?1 AND principal = ?2 AND iam = ?3 AND username = ?4 AND groups = ?5",
    )?
    .query_row(caller, |r| r.get(0))
}

fn intern_reason(tx: &Transaction, reason: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO reasons (reason) VALUES (?1) ON CONFLICT (reason) DO NOTHING")?.execute([reason])?;
    tx.prepare_cached("SELECT id FROM reasons WHERE reason = ?1")?.query_row([reason], |r| r.get(0))
}

impl Tx<'_> {
    /// `insert_shape` above, in this transaction (the replay benchmark stores its shapes so).
    pub fn insert_shape(&self, key: u128, base: Option<u128>, s: &RequestShape) -> rusqlite::Result<i64> {
        insert_shape(&self.tx, key, base, s, caller_id(&self.tx, s)?)
    }
}
