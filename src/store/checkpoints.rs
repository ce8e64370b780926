//! Source checkpoints. The invariant (as atuin's watermark): a checkpoint is written in the same
//! transaction as the events it covers, so it never runs ahead of what is stored; replaying behind
//! it is harmless because event ids dedupe.

use super::{Store, Tx};
use rusqlite::{OptionalExtension, params};

impl Store {
    /// The stored checkpoint value of `source`/`key`, if any.
    pub fn read_checkpoint(&self, source: &str, key: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT value FROM checkpoints WHERE source = ?1 AND key = ?2")?
            .query_row([source, key], |r| r.get(0))
            .optional()
    }

    /// Moves the checkpoint of `source`/`old_key` to `key`, unless `key` already has one (a checkpoint
    /// carried over when its key format changed).
    pub fn rename_checkpoint(&self, source: &str, old_key: &str, key: &str) -> rusqlite::Result<()> {
        if self.read_checkpoint(source, key)?.is_none() {
            self.conn.execute(
                "UPDATE checkpoints SET key = ?1 WHERE source = ?2 AND key = ?3",
                params![key, source, old_key],
            )?;
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// Stores the checkpoint of `source`/`key` inside the batch's transaction.
    pub fn write_checkpoint(&self, source: &str, key: &str, value: &str, now_ms: i64) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO checkpoints (source, key, value, updated_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
            )?
            .execute(params![source, key, value, now_ms])?;
        Ok(())
    }
}
