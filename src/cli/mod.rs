//! What each subcommand does, behind the CLI in `main.rs`. Each prints its result on stdout as text
//! or JSON (`--format`), and logs on stderr.

pub mod accept;
pub mod demo;
pub mod errors;
pub mod evaluate;
pub mod exit;
pub mod explain;
pub mod findings;
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
pub mod whatif;

use crate::serve::config::ConfigError;
use crate::sources::files::IngestError;
use crate::store::StoreError;

/// A failure that ends a command. Each keeps the error it wraps (its `source`), whose kind sets the
/// exit code ([`exit`]).
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
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Remediate(#[from] crate::remediate::RemediateError),
    #[error(transparent)]
    Exceptions(#[from] crate::app::exceptions::ExceptionsError),
    /// No cluster has a stored access state, so there is none to pick.
    #[error("no access state stored yet; run `grantscope state import --cluster NAME FILE...`")]
    NoStoredState,
    /// The state version asked for (or any, for `None`) is not stored.
    #[error("cluster {cluster} has {}", match version { Some(v) => format!("no state version {v}"), None => "no stored state".to_string() })]
    NoStateVersion { cluster: String, version: Option<i64> },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{path}: {source}")]
    PreviousReport { path: String, source: crate::report::PreviousReportError },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The command as given cannot work: a bad flag, argument or combination. Only for that: an
    /// error of another kind has its own variant, so it keeps its exit code.
    #[error("{0}")]
    Usage(String),
}

/// The cluster a command works on: the one asked for, or the only one with a stored access state.
pub fn pick_cluster(store: &crate::store::Store, cluster: Option<&str>) -> Result<String, CommandError> {
    if let Some(c) = cluster {
        return Ok(c.to_string());
    }
    match store.state_clusters()?.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(CommandError::NoStoredState),
        many => Err(CommandError::Usage(format!(
            "several clusters have stored states ({}); pass --cluster",
            many.join(", ")
        ))),
    }
}

/// `90d` or `90` → 90.
pub fn parse_days(s: &str) -> Result<u32, String> {
    s.strip_suffix('d')
        .unwrap_or(s)
        .parse::<u32>()
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| format!("`{s}` is not a number of days, like 90d"))
}
