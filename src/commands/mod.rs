//! What each subcommand does, behind the CLI in `main.rs`. Each prints its result on stdout as text
//! or JSON (`--format`), and logs on stderr.

pub mod demo;
pub mod errors;
pub mod evaluate;
pub mod explain;
pub mod gc;
pub mod generate;
pub mod ingest;
pub mod paths;
pub mod remediate;
pub mod replay;
pub mod report;
pub mod state;
pub mod stats;
pub mod timeline;

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
    #[error(transparent)]
    Source(#[from] crate::sources::slices::SourceError),
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

/// The cluster a command works on: the one asked for, or the only one with a stored access state.
pub fn pick_cluster(store: &crate::store::Store, cluster: Option<&str>) -> Result<String, CommandError> {
    if let Some(c) = cluster {
        return Ok(c.to_string());
    }
    match crate::store::state_clusters(store.conn())?.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(CommandError::Usage(
            "no access state stored yet; run `grantscope state import --cluster NAME FILE...`".into(),
        )),
        many => Err(CommandError::Usage(format!(
            "several clusters have stored states ({}); pass --cluster",
            many.join(", ")
        ))),
    }
}
