//! Why a record was skipped, in a form stored in the errors table and shown to the user.

use std::fmt;

/// A stable category of bad input (the `kind` column of `grantscope errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The JSON ends early: a truncated line or document.
    Truncated,
    InvalidJson,
    InvalidUtf8,
    /// Longer than the 1 MiB record limit.
    TooLong,
    /// Valid JSON that is not an object (an array, a number).
    NotAnObject,
    /// A JSON object of another kind (a CloudTrail record fed to the audit parser, or the reverse).
    OtherKind,
    UnknownStage,
    MissingField,
    /// A field with a value that cannot be used (a timestamp that does not parse).
    BadValue,
    /// The input could not be read on (a corrupt or cut gzip stream); what came before was kept.
    ReadError,
    /// Stands for the bad records of one input past the number kept: counted, not stored.
    TooManyErrors,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "truncated",
            ErrorKind::InvalidJson => "invalid-json",
            ErrorKind::InvalidUtf8 => "invalid-utf8",
            ErrorKind::TooLong => "too-long",
            ErrorKind::NotAnObject => "not-an-object",
            ErrorKind::OtherKind => "other-kind",
            ErrorKind::UnknownStage => "unknown-stage",
            ErrorKind::MissingField => "missing-field",
            ErrorKind::BadValue => "bad-value",
            ErrorKind::ReadError => "read-error",
            ErrorKind::TooManyErrors => "too-many-errors",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bad record (or one bad item inside an envelope).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    pub kind: ErrorKind,
    pub reason: String,
    /// Index inside the record's envelope (`events[3]`), when the bad part is nested.
    pub index: Option<u64>,
    pub excerpt: String,
}

/// The first 160 characters of the bad input, lossily decoded, for the errors table.
pub fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 160;
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX * 4)]);
    let mut out: String = s.chars().take(MAX).collect();
    if out.len() < s.len() || bytes.len() > MAX * 4 {
        out.push('…');
    }
    out
}

impl RecordError {
    pub fn new(kind: ErrorKind, reason: impl Into<String>, bytes: &[u8]) -> RecordError {
        RecordError { kind, reason: reason.into(), index: None, excerpt: excerpt(bytes) }
    }

    /// Classifies a JSON parse failure of `bytes`.
    pub fn from_json(e: &serde_json::Error, bytes: &[u8]) -> RecordError {
        let kind = if std::str::from_utf8(bytes).is_err() {
            ErrorKind::InvalidUtf8
        } else if e.is_eof() {
            ErrorKind::Truncated
        } else if e.is_data() {
            ErrorKind::NotAnObject
        } else {
            ErrorKind::InvalidJson
        };
        let reason = match kind {
            ErrorKind::InvalidUtf8 => "input is not valid UTF-8".to_string(),
            ErrorKind::Truncated => format!("JSON ends early (truncated record): {e}"),
            ErrorKind::NotAnObject => match bytes.trim_ascii_start().first() {
                Some(b'{') => format!("a field has the wrong type: {e}"),
                Some(b'[') => "expected a JSON object, found an array".to_string(),
                Some(b'"') => "expected a JSON object, found a string".to_string(),
                _ => "expected a JSON object, found a number, boolean or null".to_string(),
            },
            _ => format!("not valid JSON: {e}"),
        };
        RecordError::new(kind, reason, bytes)
    }

    pub fn at(mut self, index: u64) -> RecordError {
        self.index.get_or_insert(index);
        self
    }
}
