//! Folding audit events into request shapes and daily usage (DESIGN idea 1).
//!
//! The folder keeps the shape and reason ids it has resolved, so a busy stream touches SQLite once
//! per event (the dedupe insert) plus once per distinct (shape, day, reason) per batch.

use crate::model::{AuditEvent, RecordedDecision, RequestShape, time};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// How many example auditIDs a shape keeps for drill-down.
const MAX_EXAMPLES: usize = 5;

struct ShapeSlot {
    id: i64,
    examples: Vec<String>,
    examples_dirty: bool,
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
    key: u128,
    pub shape_id: i64,
    pub reason_id: i64,
}

/// Resolves shapes and reasons to ids and accumulates one batch's counts until `flush`.
#[derive(Default)]
pub struct UsageFolder {
    shapes: HashMap<u128, ShapeSlot>,
    reasons: HashMap<String, i64>,
    pending: HashMap<(i64, i64, i64), Usage>,
    /// Clusters this batch added requests to: their ingest generation moves on flush.
    clusters: Vec<String>,
    /// (index into `clusters`, day) → requests, for `cluster_days`.
    days: HashMap<(usize, i64), Usage>,
}

impl UsageFolder {
    pub fn new() -> UsageFolder {
        UsageFolder::default()
    }

    /// Whether the shape with this key has been resolved in this run.
    pub fn knows_shape(&self, key: u128) -> bool {
        self.shapes.contains_key(&key)
    }

    /// The ids of the event's shape (whose `key` the caller computed) and reason, inserting either if new.
    pub fn resolve(&mut self, tx: &Transaction, key: u128, event: &AuditEvent) -> rusqlite::Result<Resolved> {
        let shape_id = match self.shapes.get(&key) {
            Some(slot) => slot.id,
            None => {
                let slot = load_or_insert_shape(tx, key, &event.shape)?;
                let id = slot.id;
                self.shapes.insert(key, slot);
                id
            }
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
        Ok(Resolved { key, shape_id, reason_id })
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
        if let Some(slot) = self.shapes.get_mut(&resolved.key)
            && slot.examples.len() < MAX_EXAMPLES
        {
            slot.examples.push(event.audit_id.to_string());
            slot.examples_dirty = true;
        }
    }

    /// Writes the batch's counts into the transaction. Call right before the checkpoint is written.
    pub fn flush(&mut self, tx: &Transaction) -> rusqlite::Result<()> {
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
        for slot in self.shapes.values_mut().filter(|s| s.examples_dirty) {
            examples.execute(params![slot.id, serde_json::to_string(&slot.examples).expect("strings serialize")])?;
            slot.examples_dirty = false;
        }
        for cluster in self.clusters.drain(..) {
            super::replay::bump_ingest_generation(tx, &cluster)?;
        }
        Ok(())
    }

    /// Forgets everything resolved: after a rolled-back transaction the ids may not exist.
    pub fn reset(&mut self) {
        *self = UsageFolder::default();
    }
}

fn load_or_insert_shape(tx: &Transaction, key: u128, s: &RequestShape) -> rusqlite::Result<ShapeSlot> {
    let key_bytes = key.to_be_bytes();
    let existing = tx
        .prepare_cached("SELECT id, examples FROM shapes WHERE key = ?1")?
        .query_row([&key_bytes[..]], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    if let Some((id, examples)) = existing {
        let examples = serde_json::from_str(&examples).unwrap_or_default();
        return Ok(ShapeSlot { id, examples, examples_dirty: false });
    }
    let id = insert_shape(tx, key, s)?;
    Ok(ShapeSlot { id, examples: Vec::new(), examples_dirty: false })
}

/// Stores a new shape under its key, with its caller; returns its id.
pub fn insert_shape(tx: &Transaction, key: u128, s: &RequestShape) -> rusqlite::Result<i64> {
    let key_bytes = key.to_be_bytes();
    let groups = serde_json::to_string(&s.groups).expect("strings serialize");
    let caller = caller_id(tx, s, &groups)?;
    tx.prepare_cached(
        "INSERT INTO shapes (key, cluster, principal, iam, username, groups, session_name, verb, api_group,
                             resource, subresource, namespace, name, path, examples, caller_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, '[]', ?15)",
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
        caller
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The id of the shape's caller (cluster, principal, username, groups), inserting it if new.
fn caller_id(tx: &Transaction, s: &RequestShape, groups: &str) -> rusqlite::Result<i64> {
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
