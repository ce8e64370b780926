//! What each subcommand does, behind the CLI in `main.rs`. Each prints its result on stdout as text
//! or JSON (`--format`), and logs on stderr.

pub mod demo;
pub mod errors;
pub mod evaluate;
pub mod explain;
pub mod gc;
pub mod generate;
pub mod ingest;
pub mod replay;
pub mod state;
pub mod stats;

use crate::config::ConfigError;
use crate::ingest::IngestError;
use crate::store::StoreError;

/// A failure that ends a command with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Usage(String),
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
