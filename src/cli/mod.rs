//! What each subcommand does, behind the CLI in `main.rs`. Each prints its result on stdout as text
//! or JSON (`--format`), and logs on stderr.

pub mod demo;
pub mod errors;
pub mod evaluate;
pub mod explain;
pub mod gc;
pub mod generate;
pub mod ingest;
pub mod output;
pub mod paths;
pub mod remediate;
pub mod replay;
pub mod report;
pub mod state;
pub mod stats;
pub mod timeline;

use crate::serve::config::ConfigError;
use crate::sources::files::IngestError;
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
    #[error(transparent)]
    StoredState(#[from] crate::app::state_versions::StateVersionError),
    #[error(transparent)]
    Replay(#[from] crate::app::replay::ReplayError),
    #[error(transparent)]
    Sync(#[from] crate::app::sync::SyncError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Usage(String),
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
