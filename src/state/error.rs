//! A state file that cannot be used, and where in it.

/// A state file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{file}: {source}")]
    Read { file: String, source: std::io::Error },
    /// `line` is the file's line where parsing stopped (0 when there is no file: the API).
    #[error("{file}{}: document {document}: not valid YAML or JSON: {message}", at_line(*line))]
    Syntax { file: String, document: usize, line: usize, message: String },
    /// A value that does not mean anything: `path` is the field, as `accessConfig.accessEntries[1].principalARN`.
    #[error("{file}{}: document {document}: {path}: {message}", at_line(*line))]
    Invalid { file: String, document: usize, line: usize, path: String, message: String },
    /// A file from which nothing was read: empty, only comments, or other kinds of objects.
    #[error("{file}: nothing read: {reason}")]
    NothingRead { file: String, reason: String },
}

/// `:LINE` after a file name; nothing for line 0 (no file: the API).
pub(super) fn at_line(line: usize) -> String {
    if line == 0 { String::new() } else { format!(":{line}") }
}
