//! The file source's checkpoint: where reading an input stopped, and what the record before that
//! point looked like, so a resume can check it is still the same input.

use crate::ingest::InputFormat;
use serde::{Deserialize, Serialize};

/// Where a file stopped, as stored. Versioned so a future layout can read old checkpoints.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "version")]
pub enum FileCheckpoint {
    #[serde(rename = "1")]
    V1 {
        path: String,
        format: InputFormat,
        /// Decompressed bytes consumed (line layout).
        offset: u64,
        /// Lines consumed (line layout).
        line: u64,
        /// Records consumed (document layout).
        record: u64,
        /// Fingerprint of the last record covered (hex), and its length in bytes (line layout).
        last_hash: String,
        last_len: u64,
        /// Document layout: reading stopped at an error already recorded; the hash of the bytes
        /// read up to it (a re-read that stops at the same place records nothing new).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failed_document: Option<String>,
        /// A document or gzip input was read to its end (or to an error) at this size on disk: while
        /// its size and identity stay the same it is not decompressed and read again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_whole: Option<u64>,
    },
}

/// Where to start reading an input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resume {
    pub offset: u64,
    pub line: u64,
    pub record: u64,
    pub last_hash: u128,
    pub last_len: u64,
    pub failed_document: Option<u128>,
    pub read_whole: Option<u64>,
}

impl FileCheckpoint {
    /// The checkpoint of an input read with `format` up to `at`.
    pub fn new(path: &str, format: InputFormat, at: &Resume) -> FileCheckpoint {
        FileCheckpoint::V1 {
            path: path.to_string(),
            format,
            offset: at.offset,
            line: at.line,
            record: at.record,
            last_hash: format!("{:032x}", at.last_hash),
            last_len: at.last_len,
            failed_document: at.failed_document.map(|h| format!("{h:032x}")),
            read_whole: at.read_whole,
        }
    }

    /// The layout the input was read with and where to resume; the reason when a hash is no hash.
    pub fn resume(self) -> Result<(InputFormat, Resume), String> {
        let FileCheckpoint::V1 {
            format, offset, line, record, last_hash, last_len, failed_document, read_whole, ..
        } = self;
        let hex = |field: &str, s: &str| {
            u128::from_str_radix(s, 16).map_err(|_| format!("{field} {s:?} is not a hexadecimal fingerprint"))
        };
        let failed_document = failed_document.map(|h| hex("failed_document", &h)).transpose()?;
        let last_hash = hex("last_hash", &last_hash)?;
        Ok((format, Resume { offset, line, record, last_hash, last_len, failed_document, read_whole }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_as_written_and_as_earlier_releases_wrote_it() {
        let at = Resume { offset: 120, line: 3, last_hash: 0xabc, last_len: 40, ..Resume::default() };
        let text = serde_json::to_string(&FileCheckpoint::new("a.jsonl", InputFormat::Jsonl, &at)).unwrap();
        let back: FileCheckpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back.resume().unwrap(), (InputFormat::Jsonl, at));
        // The first release's layout, byte for byte.
        let stored = r#"{"version":"1","path":"a.json","format":"json","offset":0,"line":0,"record":7,"last_hash":"000000000000000000000000000000ff","last_len":0,"read_whole":90}"#;
        let (format, resume) = serde_json::from_str::<FileCheckpoint>(stored).unwrap().resume().unwrap();
        assert_eq!(format, InputFormat::Json);
        assert_eq!((resume.record, resume.last_hash, resume.read_whole), (7, 0xff, Some(90)));
    }

    #[test]
    fn a_damaged_checkpoint_is_refused_not_read_as_zero() {
        let cases = [
            ("a version from the future", r#"{"version":"2","path":"a"}"#, "unknown variant `2`"),
            ("no version", r#"{"path":"a","offset":1}"#, "missing field `version`"),
            (
                "a hash that is no hash",
                r#"{"version":"1","path":"a","format":"jsonl","offset":1,"line":1,"record":0,"last_hash":"zz","last_len":1}"#,
                "last_hash \"zz\" is not a hexadecimal fingerprint",
            ),
        ];
        for (name, text, want) in cases {
            let got = serde_json::from_str::<FileCheckpoint>(text).map_err(|e| e.to_string()).and_then(|c| c.resume());
            assert!(got.as_ref().is_err_and(|e| e.contains(want)), "{name}: {got:?}");
        }
    }
}
