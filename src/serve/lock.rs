//! One writer per database: `serve` holds an exclusive lock on `<db>.lock` while it runs, and a
//! second one on the same file refuses to start instead of interleaving its writes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held for as long as the daemon runs; the lock goes with the process (also on `kill -9`).
pub struct WriterLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{path}: another `grantscope serve` is already writing to this database; stop it first, or pass another --db"
    )]
    Held { path: PathBuf },
    #[error("{path}: cannot create the lock file: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

pub fn acquire(db: &Path) -> Result<WriterLock, LockError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| LockError::Io { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(WriterLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(LockError::Held { path: db.to_path_buf() }),
        Err(TryLockError::Error(source)) => Err(LockError::Io { path, source }),
    }
}
