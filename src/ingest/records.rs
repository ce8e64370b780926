//! Splitting an input into records: lines, or the items of one JSON document.
//!
//! A record is the unit a checkpoint counts: a line (by byte offset) or a top-level item of a
//! document (by index). Envelopes inside a record (a CloudWatch event's `message`, a subscription
//! record's `logEvents`) are unpacked by the parsers.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::{self, BufRead};

/// Longest record accepted. CloudWatch Logs truncates events near 256 KiB, leaving invalid JSON;
/// anything past 1 MiB is not an audit event and is skipped without being held in memory.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// How records are laid out in an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// Decide from the content.
    Auto,
    /// One record per line: JSON lines, CloudWatch Logs S3 export lines (`<timestamp> <json>`),
    /// subscription-filter records.
    Jsonl,
    /// One JSON document: an EventList, `aws logs filter-log-events`/`get-log-events` output, a
    /// CloudTrail S3 file (`{"Records":[...]}`), `aws cloudtrail lookup-events` output, an array, a
    /// single (pretty-printed) event.
    Json,
}

/// Decides the layout from the start of the input (`head`: up to the reader's buffer).
///
/// One record per line when the first line is a whole JSON value, or starts with a timestamp.
/// One document when the first line is not complete JSON (a pretty-printed document), or when it
/// is longer than the buffer and opens a list of records (a CloudTrail S3 file is one line of
/// many megabytes); a single over-long event line stays line-oriented, so it alone is skipped.
pub fn detect(head: &[u8]) -> InputFormat {
    let head = head.trim_ascii_start();
    let (line, complete) = match memchr::memchr(b'\n', head) {
        Some(i) => (head[..i].trim_ascii_end(), true),
        None => (head, false),
    };
    if line.first().is_some_and(u8::is_ascii_digit) {
        return InputFormat::Jsonl;
    }
    if !line.starts_with(b"{") {
        return InputFormat::Json;
    }
    if !complete && opens_record_list(&line[..line.len().min(4096)]) {
        return InputFormat::Json;
    }
    if !complete || line.ends_with(b"}") || serde_json::from_slice::<&RawValue>(line).is_ok() {
        return InputFormat::Jsonl;
    }
    InputFormat::Json
}

/// Whether a document's start opens one of the record lists of [`split_document`].
fn opens_record_list(start: &[u8]) -> bool {
    const LISTS: [&[u8]; 5] = [b"\"Records\"", b"\"items\"", b"\"events\"", b"\"logEvents\"", b"\"Events\""];
    LISTS.iter().any(|key| {
        memchr::memmem::find(start, key).is_some_and(|i| start[i + key.len()..].trim_ascii_start().starts_with(b":"))
            && memchr::memmem::find(start, b"[").is_some()
    })
}

/// Strips the `<timestamp> ` prefix of a CloudWatch Logs S3 export line. JSON never starts with a
/// digit, so a leading digit can only be such a prefix.
pub fn strip_export_timestamp(line: &[u8]) -> &[u8] {
    if line.first().is_some_and(u8::is_ascii_digit) {
        match line.iter().position(|&c| c == b' ') {
            Some(i) => &line[i + 1..],
            None => line,
        }
    } else {
        line
    }
}

/// One line read by [`LineReader`].
pub struct Line {
    /// 1-based.
    pub number: u64,
    /// Offset just past this line's newline: where to resume after it.
    pub end_offset: u64,
    /// The line was longer than [`MAX_RECORD_BYTES`]; only its head was kept.
    pub too_long: bool,
}

/// Reads lines without ever holding more than [`MAX_RECORD_BYTES`] of one.
///
/// A line that sits whole in the reader's buffer (nearly all of them) is handed out in place,
/// without a copy; only a line that straddles the buffer's end is assembled in `buf`.
pub struct LineReader<R> {
    inner: R,
    number: u64,
    offset: u64,
    buf: Vec<u8>,
    /// Bytes of the line handed out last, consumed at the next call.
    pending: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, start_offset: u64, start_line: u64) -> LineReader<R> {
        LineReader { inner, number: start_line, offset: start_offset, buf: Vec::new(), pending: 0 }
    }

    /// The next line, without its line ending; `None` at the end of input.
    pub fn next_line(&mut self) -> io::Result<Option<(Line, &[u8])>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        let found = {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            memchr::memchr(b'\n', chunk)
        };
        if let Some(end) = found.filter(|&end| end <= MAX_RECORD_BYTES) {
            self.pending = end + 1;
            self.offset += end as u64 + 1;
            self.number += 1;
            let line = Line { number: self.number, end_offset: self.offset, too_long: false };
            // The buffer is not empty, so this returns it again without reading.
            let chunk = self.inner.fill_buf()?;
            return Ok(Some((line, trim_cr(&chunk[..end]))));
        }
        self.assemble().map(|line| Some((line, trim_cr(&self.buf))))
    }

    /// Slow path: copies a line that crosses the buffer's end (or is too long) into `buf`.
    fn assemble(&mut self) -> io::Result<Line> {
        self.buf.clear();
        let mut too_long = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let data = if done { &chunk[..take - 1] } else { &chunk[..take] };
            let room = MAX_RECORD_BYTES.saturating_sub(self.buf.len());
            too_long |= data.len() > room;
            self.buf.extend_from_slice(&data[..data.len().min(room)]);
            self.inner.consume(take);
            self.offset += take as u64;
            if done {
                break;
            }
        }
        self.number += 1;
        Ok(Line { number: self.number, end_offset: self.offset, too_long })
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The lists a document may carry its records in.
#[derive(Deserialize)]
struct Collections<'a> {
    /// EventList.
    #[serde(borrow)]
    items: Option<Vec<&'a RawValue>>,
    /// `aws logs filter-log-events` / `get-log-events`.
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
    /// CloudWatch Logs subscription-filter record.
    #[serde(borrow, rename = "logEvents")]
    log_events: Option<Vec<&'a RawValue>>,
    /// CloudTrail S3 delivery file.
    #[serde(borrow, rename = "Records")]
    records: Option<Vec<&'a RawValue>>,
    /// `aws cloudtrail lookup-events`.
    #[serde(borrow, rename = "Events")]
    lookup_events: Option<Vec<&'a RawValue>>,
    #[serde(rename = "logGroup")]
    log_group: Option<String>,
}

/// A document split into records.
pub struct DocumentRecords<'a> {
    pub items: Vec<&'a RawValue>,
    /// The CloudWatch Logs group the document names, if any.
    pub log_group: Option<String>,
}

/// Splits a whole document into its top-level records. An object that carries none of the known
/// lists is itself the one record.
pub fn split_document(doc: &[u8]) -> Result<DocumentRecords<'_>, serde_json::Error> {
    let trimmed = doc.trim_ascii_start();
    if trimmed.starts_with(b"[") {
        return Ok(DocumentRecords { items: serde_json::from_slice(doc)?, log_group: None });
    }
    let whole: &RawValue = serde_json::from_slice(doc)?;
    let c: Collections = match serde_json::from_str(whole.get()) {
        Ok(c) => c,
        // Not an object: let the parser report it as one bad record.
        Err(_) => return Ok(DocumentRecords { items: vec![whole], log_group: None }),
    };
    let list = c.items.or(c.events).or(c.log_events).or(c.records).or(c.lookup_events);
    Ok(match list {
        Some(items) => DocumentRecords { items, log_group: c.log_group },
        None => DocumentRecords { items: vec![whole], log_group: None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_tells_lines_from_documents() {
        let long_event = format!("{{\"kind\":\"Event\",\"userAgent\":\"{}", "x".repeat(5000));
        let long_records = format!("{{\"Records\":[{{\"eventID\":\"{}", "x".repeat(5000));
        let cases = [
            ("one compact event per line", &b"{\"kind\":\"Event\",\"auditID\":\"x\"}\n{}"[..], InputFormat::Jsonl),
            ("S3 export line", b"2024-08-24T14:27:07.461Z {\"kind\":\"Event\"}\n", InputFormat::Jsonl),
            ("pretty document opens with a lone brace", b"{\n  \"kind\": \"Event\"", InputFormat::Json),
            ("CLI output opens a list on the first line", b"{\"events\": [\n", InputFormat::Json),
            ("array document", b"[\n{", InputFormat::Json),
            ("a truncated first line that still ends the object", b"{\"a\":1,\"b\":}\n", InputFormat::Jsonl),
            ("leading whitespace is ignored", b"\n   {\"a\":1}  \n", InputFormat::Jsonl),
            ("an event line longer than the buffer stays line-oriented", long_event.as_bytes(), InputFormat::Jsonl),
            (
                "a one-line CloudTrail file longer than the buffer is a document",
                long_records.as_bytes(),
                InputFormat::Json,
            ),
            ("a one-line document that fits is read as one record line", b"{\"Records\":[{}]}\n", InputFormat::Jsonl),
        ];
        for (name, head, want) in cases {
            assert_eq!(detect(head), want, "{name}");
        }
    }

    #[test]
    fn strip_export_timestamp_removes_only_a_leading_timestamp() {
        assert_eq!(strip_export_timestamp(b"2024-08-24T14:27:07.461Z {\"a\":1}"), b"{\"a\":1}");
        assert_eq!(strip_export_timestamp(b"{\"a\":\"2024 x\"}"), b"{\"a\":\"2024 x\"}");
    }

    #[test]
    fn line_reader_caps_long_lines_and_tracks_offsets() {
        let mut input = vec![b'a'; MAX_RECORD_BYTES + 10];
        input.extend_from_slice(b"\nshort\r\nlast");
        // A small buffer, so lines are met whole, straddling its end, and longer than it.
        let mut r = LineReader::new(io::BufReader::with_capacity(8, &input[..]), 0, 0);
        let (l1, text) = r.next_line().unwrap().unwrap();
        assert!(l1.too_long);
        assert_eq!(text.len(), MAX_RECORD_BYTES);
        assert_eq!((l1.number, l1.end_offset), (1, MAX_RECORD_BYTES as u64 + 11));
        let (l2, text) = r.next_line().unwrap().unwrap();
        assert_eq!((text, l2.number, l2.too_long), (&b"short"[..], 2, false));
        let (l3, text) = r.next_line().unwrap().unwrap();
        assert_eq!((text, l3.end_offset), (&b"last"[..], input.len() as u64));
        assert!(r.next_line().unwrap().is_none());
        let mut whole = LineReader::new(io::BufReader::with_capacity(64, &b"a\nbb\r\n\nccc"[..]), 10, 3);
        let mut got = Vec::new();
        while let Some((l, text)) = whole.next_line().unwrap() {
            got.push((l.number, l.end_offset, String::from_utf8(text.to_vec()).unwrap()));
        }
        let want = [(4, 12, "a"), (5, 16, "bb"), (6, 17, ""), (7, 20, "ccc")];
        assert_eq!(got, want.map(|(n, o, t)| (n, o, t.to_string())), "offsets continue from the resume point");
    }

    #[test]
    fn split_document_finds_the_records_of_each_envelope() {
        let cases: [(&str, &str, usize, Option<&str>); 6] = [
            ("EventList", r#"{"kind":"EventList","items":[{},{}]}"#, 2, None),
            ("filter-log-events", r#"{"events":[{"message":"{}"}],"searchedLogStreams":[]}"#, 1, None),
            (
                "subscription record names its group",
                r#"{"logGroup":"/aws/eks/a/cluster","logEvents":[{},{},{}]}"#,
                3,
                Some("/aws/eks/a/cluster"),
            ),
            ("CloudTrail S3 file", r#"{"Records":[{},{}]}"#, 2, None),
            ("single event is its own record", r#"{"kind":"Event","auditID":"x"}"#, 1, None),
            ("array", r#"[{},{},{},{}]"#, 4, None),
        ];
        for (name, doc, n, group) in cases {
            let d = split_document(doc.as_bytes()).unwrap();
            assert_eq!((d.items.len(), d.log_group.as_deref()), (n, group), "{name}");
        }
        assert!(split_document(b"{\"items\": [").is_err(), "a truncated document is an error");
    }
}
