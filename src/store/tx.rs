//! A write transaction on the store: what must commit together (a batch of events, its usage and
//! the checkpoint that follows it; a replay's decisions, usage and watermark) is written through
//! one [`Tx`], whose methods are the writes, and lands with [`Tx::commit`]. Dropped without a
//! commit (an error, a stop), it rolls back and nothing of it is stored.

use super::Store;

/// An open write transaction; see the module doc.
pub struct Tx<'a> {
    pub(super) tx: rusqlite::Transaction<'a>,
}

impl Store {
    /// Begins a write transaction. IMMEDIATE: it takes the write lock up front, so a concurrent
    /// writer makes it wait (busy timeout) instead of failing a batch half-way with SQLITE_BUSY.
    pub fn begin(&mut self) -> rusqlite::Result<Tx<'_>> {
        Ok(Tx { tx: self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)? })
    }
}

impl Tx<'_> {
    /// Stores everything written through this transaction, at once.
    pub fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }
}
