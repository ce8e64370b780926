//! A write transaction on the store: what must commit together (a batch of events, its usage and
//! the checkpoint that follows it; a replay's decisions, usage and watermark) is written through
//! one [`Tx`], whose methods are the writes, and lands with [`Tx::commit`]. Dropped without a
//! commit (an error, a stop), it rolls back and nothing of it is stored.

use super::Store;
use rusqlite::{Connection, Statement};
use std::cell::RefCell;

/// An open write transaction; see the module doc.
pub struct Tx<'a> {
    /// Declared before `tx`: statements are finalized before the transaction ends.
    pub(super) held: Held<'a>,
    pub(super) tx: rusqlite::Transaction<'a>,
    conn: &'a Connection,
}

/// The statements ingest runs once per event, prepared the first time and held for the
/// transaction. `prepare_cached` finds a statement by hashing and comparing its SQL text, twice a
/// call: 4 % of ingest, measured, for the per-event insert alone.
#[derive(Default)]
pub(super) struct Held<'a> {
    pub(super) insert_event: RefCell<Option<Statement<'a>>>,
    pub(super) event_exists: RefCell<Option<Statement<'a>>>,
}

impl Store {
    /// Begins a write transaction. IMMEDIATE: it takes the write lock up front, so a concurrent
    /// writer makes it wait (busy timeout) instead of failing a batch half-way with SQLITE_BUSY.
    pub fn begin(&mut self) -> rusqlite::Result<Tx<'_>> {
        let conn = &self.conn;
        // Unchecked only in name: `&mut self` is the proof that no other transaction is open.
        let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        Ok(Tx { held: Held::default(), tx, conn })
    }
}

impl<'a> Tx<'a> {
    /// Stores everything written through this transaction, at once.
    pub fn commit(self) -> rusqlite::Result<()> {
        let Tx { held, tx, .. } = self;
        drop(held);
        tx.commit()
    }

    /// Runs `run` on the statement held in `slot`, preparing it from `sql` the first time.
    pub(super) fn with_held<T>(
        &self,
        slot: &RefCell<Option<Statement<'a>>>,
        sql: &str,
        run: impl FnOnce(&mut Statement<'a>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let mut slot = slot.borrow_mut();
        let statement = match &mut *slot {
            Some(statement) => statement,
            none => none.insert(self.conn.prepare(sql)?),
        };
        run(statement)
    }
}
