//! The sliced reader's checkpoint: how far the reads got, the newest event time read and the ids
//! read at that millisecond. Stored as JSON with its version in `v`, as every release wrote it.

use serde::{Deserialize, Serialize};

/// A stored checkpoint of a sliced read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredCheckpoint", into = "StoredCheckpoint")]
pub enum SliceCheckpoint {
    /// The first releases: a run resumed at the newest event read.
    V1 { cursor_ms: i64, ids: Vec<String> },
    /// Also where the slices read so far end: a run resumes there (less the overlap), so a quiet
    /// log is not read again and again.
    V2 { cursor_ms: i64, ids: Vec<String>, scanned_to_ms: i64 },
}

/// The JSON form: `{"v": 2, "cursor_ms": ..., "ids": [...], "scanned_to_ms": ...}`.
#[derive(Serialize, Deserialize)]
struct StoredCheckpoint {
    v: u32,
    cursor_ms: i64,
    ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scanned_to_ms: Option<i64>,
}

impl TryFrom<StoredCheckpoint> for SliceCheckpoint {
    type Error = String;

    fn try_from(s: StoredCheckpoint) -> Result<Self, String> {
        match (s.v, s.scanned_to_ms) {
            (1, None) => Ok(SliceCheckpoint::V1 { cursor_ms: s.cursor_ms, ids: s.ids }),
            (2, Some(scanned_to_ms)) => Ok(SliceCheckpoint::V2 { cursor_ms: s.cursor_ms, ids: s.ids, scanned_to_ms }),
            (1, Some(_)) => Err("version 1 has no scanned_to_ms".into()),
            (2, None) => Err("version 2 without scanned_to_ms".into()),
            (v, _) => Err(format!("unknown version {v} (this grantscope reads 1 and 2)")),
        }
    }
}

impl From<SliceCheckpoint> for StoredCheckpoint {
    fn from(c: SliceCheckpoint) -> StoredCheckpoint {
        match c {
            SliceCheckpoint::V1 { cursor_ms, ids } => StoredCheckpoint { v: 1, cursor_ms, ids, scanned_to_ms: None },
            SliceCheckpoint::V2 { cursor_ms, ids, scanned_to_ms } => {
                StoredCheckpoint { v: 2, cursor_ms, ids, scanned_to_ms: Some(scanned_to_ms) }
            }
        }
    }
}

impl SliceCheckpoint {
    /// The newest event time read and the ids read at it.
    pub fn cursor(&self) -> (i64, &[String]) {
        match self {
            SliceCheckpoint::V1 { cursor_ms, ids } | SliceCheckpoint::V2 { cursor_ms, ids, .. } => (*cursor_ms, ids),
        }
    }

    /// Where reading goes on from (before the overlap): the end of what was scanned, or for a
    /// version 1 checkpoint, which did not say, its cursor.
    pub fn resume_ms(&self) -> i64 {
        match self {
            SliceCheckpoint::V1 { cursor_ms, .. } => *cursor_ms,
            SliceCheckpoint::V2 { scanned_to_ms, .. } => *scanned_to_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_version_reads_and_anything_else_is_refused() {
        let v1 = SliceCheckpoint::V1 { cursor_ms: 5, ids: vec!["a".into()] };
        let v2 = SliceCheckpoint::V2 { cursor_ms: 5, ids: vec!["a".into()], scanned_to_ms: 9 };
        let cases: [(&str, &str, Result<SliceCheckpoint, &str>); 7] = [
            ("version 1 as the first releases wrote it", r#"{"v":1,"cursor_ms":5,"ids":["a"]}"#, Ok(v1)),
            ("version 2", r#"{"v":2,"cursor_ms":5,"ids":["a"],"scanned_to_ms":9}"#, Ok(v2)),
            ("a version from the future", r#"{"v":3,"cursor_ms":5,"ids":[]}"#, Err("unknown version 3")),
            ("version 2 cut short", r#"{"v":2,"cursor_ms":5,"ids":["a"]}"#, Err("without scanned_to_ms")),
            ("no cursor", r#"{"v":2,"ids":[],"scanned_to_ms":9}"#, Err("missing field `cursor_ms`")),
            ("ids that are not strings", r#"{"v":1,"cursor_ms":5,"ids":[1]}"#, Err("invalid type")),
            ("not JSON", r#"{"v":1,"cur"#, Err("EOF")),
        ];
        for (name, text, want) in cases {
            let got = serde_json::from_str::<SliceCheckpoint>(text).map_err(|e| e.to_string());
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_checkpoint_is_written_as_it_is_read() {
        let c = SliceCheckpoint::V2 { cursor_ms: 7, ids: vec!["x".into(), "y".into()], scanned_to_ms: 11 };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"v":2,"cursor_ms":7,"ids":["x","y"],"scanned_to_ms":11}"#);
        assert_eq!(serde_json::from_str::<SliceCheckpoint>(&text).unwrap(), c);
    }
}
