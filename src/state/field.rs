//! An invalid value inside one document, named by its field path, before the file and document
//! are known; and reading a value as a type so that a failure names its field.

use serde_json::Value;

/// An invalid value inside one document, before the file and document are known.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { path: path.into(), message: message.into() }
    }

    /// A typed deserialization failure, with the path serde_path_to_error tracked.
    pub fn from_serde(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") | (false, "") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        FieldError {
            path: if path.is_empty() || path == "." { "(document)".into() } else { path },
            message: e.into_inner().to_string(),
        }
    }
}

/// Deserializes `value` as `T`, naming the failing field. Tracking the path costs more than the
/// deserializing itself, so it is done only to name the field of a value that failed.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(prefix: &str, value: Value) -> Result<T, FieldError> {
    match T::deserialize(&value) {
        Ok(t) => Ok(t),
        Err(_) => serde_path_to_error::deserialize(value).map_err(|e| FieldError::from_serde(prefix, e)),
    }
}

/// `prefix.field`, or `field` at the top.
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") }
}
