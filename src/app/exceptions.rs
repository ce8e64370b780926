//! The exceptions file on disk: read it for an assessment, append an entry for `grantscope
//! accept`. The format and the matching are [`crate::analysis::exceptions`]'.

use crate::analysis::exceptions::{Exceptions, NewEntry, ParseError, appended, parse};
use std::path::{Path, PathBuf};

/// An exceptions file that cannot be read, used or appended to.
#[derive(Debug, thiserror::Error)]
pub enum ExceptionsError {
    #[error("exceptions file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// Malformed: the message names the entry and the field.
    #[error("exceptions file {}: {source}", path.display())]
    Invalid { path: PathBuf, source: ParseError },
    #[error("exceptions file {}: cannot add the entry as text: {why}; add it by hand:\n{entry}", path.display())]
    Append { path: PathBuf, why: String, entry: String },
    #[error("exceptions file {}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Reads and checks the file at `path`.
pub fn load(path: &Path) -> Result<Exceptions, ExceptionsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExceptionsError::Read { path: path.into(), source })?;
    parse(&text).map_err(|source| ExceptionsError::Invalid { path: path.into(), source })
}

/// Adds `entry` at the end of the file at `path` (created if missing), leaving what is there
/// byte for byte; returns the file as read back. The new text replaces the old in one rename, so
/// a crash leaves one or the other.
pub fn append(path: &Path, entry: &NewEntry) -> Result<Exceptions, ExceptionsError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(ExceptionsError::Read { path: path.into(), source }),
    };
    if let Some(text) = &existing {
        // A malformed file is reported as such, naming the entry, before anything is added.
        parse(text).map_err(|source| ExceptionsError::Invalid { path: path.into(), source })?;
    }
    let (text, read) = appended(existing.as_deref(), entry).map_err(|why| ExceptionsError::Append {
        path: path.into(),
        why,
        entry: crate::analysis::exceptions::entry_text(entry, 2),
    })?;
    let write = |source| ExceptionsError::Write { path: path.into(), source };
    let name = path.file_name().map_or_else(|| "exceptions".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&temporary, text).map_err(write)?;
    std::fs::rename(&temporary, path).map_err(write)?;
    Ok(read)
}
