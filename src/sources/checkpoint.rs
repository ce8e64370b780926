//! A source's checkpoint as stored: a typed, versioned value (each source's own enum, whose first
//! version is the JSON earlier releases wrote) under a namespace and key in the `checkpoints`
//! table, written in the transaction of the events it covers.
//!
//! A checkpoint that does not read is an error, never "none": reading again from `since` would
//! count every event twice whose id the store has already forgotten (ids are kept for
//! `dedupe_days`, the read may go back 30 days). The source stops and says which checkpoint; a
//! person decides.

use crate::store::{Store, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A stored checkpoint that does not read as its source's checkpoint type.
#[derive(Debug, thiserror::Error)]
#[error(
    "{input}: its checkpoint ({namespace} {key:?}) is corrupt: {reason}. Nothing was read from it: reading again \
     from the start would count events twice once their ids are forgotten. Delete that row of the checkpoints \
     table to read from the start anyway"
)]
pub struct CorruptCheckpoint {
    /// What the checkpoint is of: the source's own name for it (a file, a log group).
    pub input: String,
    pub namespace: &'static str,
    pub key: String,
    /// What is wrong with the stored value.
    pub reason: String,
}

/// Reading a checkpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Corrupt(#[from] Box<CorruptCheckpoint>),
    #[error("database error reading a checkpoint: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Where a checkpoint is stored, and what it is of (for messages).
#[derive(Debug, Clone)]
pub struct CheckpointKey {
    pub namespace: &'static str,
    pub key: String,
    pub input: String,
}

impl CheckpointKey {
    /// The stored checkpoint, if there is one.
    pub fn load<C: DeserializeOwned>(&self, store: &Store) -> Result<Option<C>, CheckpointError> {
        let Some(text) = store.read_checkpoint(self.namespace, &self.key)? else { return Ok(None) };
        serde_json::from_str(&text).map(Some).map_err(|e| self.corrupt(e.to_string()).into())
    }

    /// Stores `checkpoint` in the transaction of the events it covers.
    pub fn save<C: Serialize>(&self, tx: &Tx, checkpoint: &C, now_ms: i64) -> rusqlite::Result<()> {
        let value = serde_json::to_string(checkpoint).expect("checkpoints serialize");
        tx.write_checkpoint(self.namespace, &self.key, &value, now_ms)
    }

    /// The error for a stored value of this key that is wrong in a way serde cannot see.
    pub fn corrupt(&self, reason: impl Into<String>) -> Box<CorruptCheckpoint> {
        Box::new(CorruptCheckpoint {
            input: self.input.clone(),
            namespace: self.namespace,
            key: self.key.clone(),
            reason: reason.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_that_does_not_read_is_an_error_naming_it() {
        let mut store = Store::open_in_memory().unwrap();
        let key = CheckpointKey { namespace: "cloudwatch", key: "eu-west-1|g|s".into(), input: "cloudwatch:g".into() };
        assert!(key.load::<Vec<u32>>(&store).unwrap().is_none(), "no checkpoint is no error");
        let tx = store.begin().unwrap();
        tx.write_checkpoint("cloudwatch", "eu-west-1|g|s", "{\"v\": 2, \"cursor", 1).unwrap();
        tx.commit().unwrap();
        let err = key.load::<Vec<u32>>(&store).unwrap_err().to_string();
        assert!(err.starts_with("cloudwatch:g: its checkpoint (cloudwatch \"eu-west-1|g|s\") is corrupt: "), "{err}");
    }

    #[test]
    fn a_saved_checkpoint_loads_back() {
        let mut store = Store::open_in_memory().unwrap();
        let key = CheckpointKey { namespace: "file", key: "audit:00".into(), input: "a.jsonl".into() };
        let tx = store.begin().unwrap();
        key.save(&tx, &vec![1u32, 2], 5).unwrap();
        tx.commit().unwrap();
        assert_eq!(key.load::<Vec<u32>>(&store).unwrap(), Some(vec![1, 2]));
    }
}
