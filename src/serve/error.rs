//! Why one of the daemon's tasks failed a read or an assessment, with its source chain, and the
//! class `/readyz` shows and `grantscope_ingest_errors_total{reason}` counts.

use crate::app::replay::ReplayError;
use crate::app::state_versions::StateVersionError;
use crate::app::sync::{PartError, SyncError};
use crate::sources::error::{Classify, ErrorClass};
use crate::sources::files::IngestError;
use crate::sources::follow::ReadFailure;
use crate::sources::slices::SourceError;
use crate::state::StateError;
use crate::store::StoreError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Live(#[from] SourceError),
    #[error(transparent)]
    Files(#[from] IngestError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// A part of the synced state could not be read; the previous version's is kept.
    #[error("the {part} part is stale: {0}", part = .0.part())]
    StalePart(#[source] PartError),
    #[error("state files (previous version kept): {0}")]
    StateFiles(#[source] StateError),
    /// A state file read removes more than half the grants: held back until read the same twice.
    #[error("state files: {shrink} Kept version {version}; the new state is stored if the next poll reads the same")]
    Shrink { shrink: String, version: i64 },
    #[error("files.state {patterns:?} match no file")]
    NoStateFiles { patterns: Vec<String> },
    #[error("file pattern {pattern:?}: {source}")]
    Pattern {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("{0}")]
    Unreadable(#[from] glob::GlobError),
    #[error(transparent)]
    StoredState(#[from] StateVersionError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("writing the report into {}: {source}", dir.display())]
    Report {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The task's thread ended without an answer (a bug: it panicked).
    #[error("the read ended abnormally: {0}")]
    Aborted(#[from] tokio::task::JoinError),
}

impl Classify for TaskError {
    fn class(&self) -> ErrorClass {
        match self {
            TaskError::Live(e) => e.class(),
            TaskError::Files(e) => e.class(),
            TaskError::Sync(e) => e.class(),
            TaskError::StalePart(e) => e.class(),
            // A panicked read is counted with the store's failures, the nearest class; its log
            // line has the panic.
            TaskError::Sql(_) | TaskError::Store(_) | TaskError::Aborted(_) => ErrorClass::Store,
            TaskError::StoredState(StateVersionError::Sql(_))
            | TaskError::Replay(ReplayError::Sql(_) | ReplayError::State(StateVersionError::Sql(_))) => {
                ErrorClass::Store
            }
            TaskError::StateFiles(_)
            | TaskError::Shrink { .. }
            | TaskError::NoStateFiles { .. }
            | TaskError::StoredState(_)
            | TaskError::Replay(_) => ErrorClass::State,
            TaskError::Pattern { .. } | TaskError::Unreadable(_) | TaskError::Report { .. } => ErrorClass::Io,
        }
    }
}

impl ReadFailure for TaskError {
    fn is_fatal(&self) -> bool {
        self.class() == ErrorClass::CorruptCheckpoint
    }
}
