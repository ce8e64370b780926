//! Interned decisions: the few distinct outcomes a million shapes share, each stored once, and
//! every shape's pointer to its own.

use super::Tx;
use crate::model::GrantId;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// A decision as stored: grants by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredDecision {
    pub outcome: String,
    pub allowed: Option<bool>,
    pub by: Option<GrantId>,
    pub shadowed: Vec<GrantId>,
    pub authenticated_by: Option<GrantId>,
    pub undocumented: Vec<GrantId>,
    /// For an undetermined decision: the grants that might allow some of the requests.
    pub possibly: Vec<GrantId>,
}

/// Every stored decision by id, and the id of each.
#[derive(Default)]
pub struct Decisions {
    pub by_id: HashMap<i64, StoredDecision>,
    ids: HashMap<StoredDecision, i64>,
}

impl Decisions {
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<Decisions> {
        let mut stmt = conn.prepare(
            "SELECT id, outcome, allowed, by_grant, shadowed, authenticated_by, undocumented, possibly FROM decisions",
        )?;
        let rows = stmt.query_map([], |r| {
            let list = |i: usize| -> rusqlite::Result<Vec<GrantId>> {
                Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
            };
            Ok((
                r.get::<_, i64>(0)?,
                StoredDecision {
                    outcome: r.get(1)?,
                    allowed: r.get(2)?,
                    by: r.get(3)?,
                    shadowed: list(4)?,
                    authenticated_by: r.get(5)?,
                    undocumented: list(6)?,
                    possibly: list(7)?,
                },
            ))
        })?;
        let mut d = Decisions::default();
        for row in rows {
            let (id, decision) = row?;
            d.ids.insert(decision.clone(), id);
            d.by_id.insert(id, decision);
        }
        Ok(d)
    }

    /// The decision's id, storing it first if it is new.
    pub fn intern(&mut self, tx: &Tx, d: StoredDecision) -> rusqlite::Result<i64> {
        if let Some(&id) = self.ids.get(&d) {
            return Ok(id);
        }
        let tx = &tx.tx;
        let json = |v: &Vec<GrantId>| serde_json::to_string(v).expect("ids serialize");
        tx.prepare_cached(
            "INSERT INTO decisions (outcome, allowed, by_grant, shadowed, authenticated_by, undocumented, possibly)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            d.outcome,
            d.allowed,
            d.by,
            json(&d.shadowed),
            d.authenticated_by,
            json(&d.undocumented),
            json(&d.possibly)
        ])?;
        let id = tx.last_insert_rowid();
        self.ids.insert(d.clone(), id);
        self.by_id.insert(id, d);
        Ok(id)
    }
}

impl Tx<'_> {
    /// Every stored decision, as this transaction sees them.
    pub fn decisions(&self) -> rusqlite::Result<Decisions> {
        Decisions::load(&self.tx)
    }

    /// Points a shape at its decision.
    pub fn write_shape_decision(
        &self,
        shape_id: i64,
        caller_id: i64,
        decision_id: i64,
        state_version: i64,
    ) -> rusqlite::Result<()> {
        self.tx.prepare_cached(
            "INSERT OR REPLACE INTO shape_decisions (shape_id, caller_id, decision_id, state_version) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![shape_id, caller_id, decision_id, state_version])?;
        Ok(())
    }
}
