//! The daemon's exceptions file (`[analysis] exceptions`): read at start (a malformed or missing
//! file stops `serve` there, naming the entry), then again before every assessment, so an edit
//! synced from git takes effect without a restart. A file that later stops reading (a bad merge,
//! a half-synced write) does not drop the accepted risk back into the alerts: the last good file
//! stays in use, and the error shows in `/readyz` (the cluster's `exceptions_error`, its
//! `last_error`, `grantscope_cluster_healthy` 0) and in the log, until the file reads again.

use super::status::TaskFailure;
use crate::analysis::exceptions::Exceptions;
use crate::app::exceptions::{ExceptionsError, load};
use crate::sources::error::ErrorClass;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

pub struct ExceptionsFile {
    path: PathBuf,
    last_good: Mutex<Arc<Exceptions>>,
}

impl ExceptionsFile {
    /// Reads the file once; the daemon does not start on an error.
    pub fn open(path: PathBuf) -> Result<ExceptionsFile, ExceptionsError> {
        let first = load(&path)?;
        tracing::info!(file = %path.display(), entries = first.entries.len(), "read the exceptions");
        Ok(ExceptionsFile { path, last_good: Mutex::new(Arc::new(first)) })
    }

    /// The file as it reads now, or the last good one with why the file did not read.
    pub fn current(&self) -> (Arc<Exceptions>, Option<TaskFailure>) {
        let mut last = self.last_good.lock().unwrap_or_else(PoisonError::into_inner);
        match load(&self.path) {
            Ok(now) => {
                if now != **last {
                    tracing::info!(file = %self.path.display(), entries = now.entries.len(), "the exceptions changed");
                    *last = Arc::new(now);
                }
                (last.clone(), None)
            }
            Err(e) => {
                let class = match e {
                    ExceptionsError::Invalid { .. } => ErrorClass::Input,
                    _ => ErrorClass::Io,
                };
                let message = format!("{e}; the last good exceptions stay in use until it reads");
                (last.clone(), Some(TaskFailure { class, message }))
            }
        }
    }
}
