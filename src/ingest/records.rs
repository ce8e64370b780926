//! Splitting an input into records: lines (here), or the items of one JSON document (`document`).
//!
//! A record is the unit a checkpoint counts: a line (by byte offset) or a top-level item of a
//! document (by index). Envelopes inside a record (a CloudWatch event's `message`, a subscription
//! record's `logEvents`) are unpacked by the parsers.

use serde::de::IgnoredAny;
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
    let head = strip_bom(head).trim_ascii_start();
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
    if serde_json::from_slice::<IgnoredAny>(line).is_ok() {
        return InputFormat::Jsonl;
    }
    if concatenated_values(line) {
        // `{...}{...}`: JSON values back to back, as Firehose writes subscription records.
        return InputFormat::Json;
    }
    if !complete || line.ends_with(b"}") {
        return InputFormat::Jsonl;
    }
    InputFormat::Json
}

/// Whether the JSON in `bytes` ends early: what a writer that has not finished its line leaves.
/// Broken JSON is not "unfinished"; it is bad input.
pub fn unfinished_json(bytes: &[u8]) -> bool {
    serde_json::Deserializer::from_slice(bytes).into_iter::<IgnoredAny>().any(|v| v.is_err_and(|e| e.is_eof()))
}

/// Whether `head` starts with at least two whole JSON values back to back (the last may be cut
/// off where the buffer ends).
fn concatenated_values(head: &[u8]) -> bool {
    let mut whole = 0;
    for value in serde_json::Deserializer::from_slice(head).into_iter::<IgnoredAny>() {
        match value {
            Ok(_) => whole += 1,
            Err(e) if e.is_eof() => break,
            Err(_) => return false,
        }
    }
    whole >= 2
}

/// Whether a document's start opens one of the record lists a document reader streams: one of their
/// keys followed by `:` and `[`, before any `auditID` (an audit event may well carry a field named
/// `items` in its request body).
fn opens_record_list(start: &[u8]) -> bool {
    const LISTS: [&[u8]; 4] = [b"\"Records\"", b"\"items\"", b"\"events\"", b"\"Events\""];
    let event_at = memchr::memmem::find(start, b"\"auditID\"").unwrap_or(start.len());
    LISTS.iter().any(|key| {
        memchr::memmem::find_iter(&start[..event_at], key).any(|i| {
            let rest = start[i + key.len()..].trim_ascii_start();
            rest.strip_prefix(b":").is_some_and(|r| r.trim_ascii_start().starts_with(b"["))
        })
    })
}

/// Strips a UTF-8 byte order mark, which some Windows tools write at the start of a file.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
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
    /// The line ended with a newline. Only the last line of an input can lack one: it may be
    /// complete (a file without a final newline) or still being written.
    pub terminated: bool,
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
            let line = Line { number: self.number, end_offset: self.offset, too_long: false, terminated: true };
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
        let mut terminated = false;
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
                terminated = true;
                break;
            }
        }
        self.number += 1;
        Ok(Line { number: self.number, end_offset: self.offset, too_long, terminated })
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_tells_lines_from_documents() {
        let long_event = format!("{{\"kind\":\"Event\",\"userAgent\":\"{}", "x".repeat(5000));
        let long_body = format!("{{\"auditID\":\"x\",\"requestObject\":{{\"items\":[{}", "1,".repeat(3000));
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
            ("values back to back are one document", b"{\"Records\":[]}{\"Records\":[]}", InputFormat::Json),
            (
                "a long event whose request body has an items list stays line-oriented",
                long_body.as_bytes(),
                InputFormat::Jsonl,
            ),
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
    fn a_byte_order_mark_does_not_hide_the_layout() {
        assert_eq!(detect(b"\xEF\xBB\xBF{\"kind\":\"Event\"}\n"), InputFormat::Jsonl);
        assert_eq!(strip_bom(b"\xEF\xBB\xBFx"), b"x");
    }
}
