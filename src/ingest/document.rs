//! Streaming the records out of one JSON document: an EventList's `items`, a CloudTrail file's
//! `Records`, `aws logs filter-log-events` `events`, `aws cloudtrail lookup-events` `Events`, a
//! top-level array, or values back to back (Firehose). Memory is bounded by one record, whatever
//! the document: a gzip of `{"Records":[` and a gibibyte of spaces costs nothing to read.
//!
//! This is not a JSON parser. It finds where each record starts and ends (strings, escapes and
//! nesting), and reads the envelope's keys; the sink parses each record and reports what is wrong
//! inside it. What the scanner cannot get past (junk between records, a document cut short) ends
//! the document with one [`DocumentError`] naming its line; every record before it was handed out.

use super::records::MAX_RECORD_BYTES;
use std::io::{self, BufRead, Read};

/// The keys whose array value holds a document's records.
const RECORD_LISTS: [&[u8]; 4] = [b"items", b"events", b"Records", b"Events"];

/// A top-level value that is not an envelope is one record (a pretty-printed event, a
/// subscription-filter record with its `logEvents`): it may be larger than one list item.
pub const MAX_TOP_LEVEL_RECORD_BYTES: usize = 16 << 20;

/// How much of the input is kept while no record has been handed out, so an input detected as a
/// document that is not one can be read again as lines (stdin cannot be reopened).
const REPLAY_BYTES: usize = 1 << 20;

/// One record found in the document.
#[derive(Debug)]
pub struct Piece<'a> {
    /// 0-based, counting every record of the document in order.
    pub index: u64,
    /// 1-based line where the record starts.
    pub line: u64,
    pub body: Body<'a>,
    /// The CloudWatch Logs group the document's envelope named before its records, if any.
    pub log_group: Option<&'a str>,
}

/// What a piece holds.
#[derive(Debug, PartialEq)]
pub enum Body<'a> {
    /// The record's bytes.
    Record(&'a [u8]),
    /// A record longer than the limit: skipped, not held.
    TooLong,
    /// Among values back to back (one per line, as JSON lines taken for a document are), one that
    /// is not JSON: the rest of its line is skipped and reading goes on with the next.
    Broken(String),
}

/// Why reading the document stopped early.
#[derive(Debug)]
pub struct DocumentError {
    /// 1-based line where reading stopped.
    pub line: u64,
    /// Byte offset (of the decompressed input) where reading stopped.
    pub offset: u64,
    pub cause: DocumentErrorCause,
}

#[derive(Debug)]
pub enum DocumentErrorCause {
    /// The input ended inside a value: a cut file.
    Truncated,
    /// Something that is not JSON where a record, a comma or a bracket belongs.
    Unexpected(String),
    /// The input could not be read on (a corrupt or cut gzip stream).
    Read(io::Error),
    /// The last value, begun on the last line, is not finished: a file still being written.
    Unfinished,
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            DocumentErrorCause::Truncated => write!(f, "the document ends early, inside a record (a cut file?)"),
            DocumentErrorCause::Unexpected(what) => write!(f, "not a JSON document past this point: {what}"),
            DocumentErrorCause::Read(e) => write!(f, "reading stopped: {e}"),
            DocumentErrorCause::Unfinished => write!(f, "the last value is not finished (still being written?)"),
        }
    }
}

/// Where the scanner is in the document's structure.
#[derive(Debug, Clone, Copy, PartialEq)]
enum At {
    /// Between top-level values.
    TopLevel,
    /// Inside a record list, before an item or the closing bracket.
    ListItem { first: bool },
    /// Inside an envelope object, after its record list: its other keys are skipped.
    EnvelopeRest,
}

/// What one step of the scanner found.
enum ScanStep {
    /// A record, captured; the line it starts on.
    Record(u64),
    /// A line read again that holds no JSON value: the line, and why.
    BrokenLine(u64, String),
    /// Structure passed (a list opened or closed): go on.
    Continue,
    End,
}

/// What a value turned out to be, from its first byte.
#[derive(Clone, Copy, PartialEq)]
enum ValueKind {
    Scalar,
    Nested,
    Text,
}

/// Everything the scanner does with the bytes it passes: positions, the record being captured,
/// a short side capture (a key, the log group), the replay buffer and the fingerprint.
struct Tape {
    line: u64,
    /// The line the record being captured starts on.
    start_line: u64,
    offset: u64,
    buf: Vec<u8>,
    capturing: bool,
    overflow: bool,
    limit: usize,
    side: Vec<u8>,
    side_capturing: bool,
    replay: Option<Vec<u8>>,
    hasher: xxhash_rust::xxh3::Xxh3,
}

/// A reader with bytes put back in front of it: the lines a broken value swallowed, to read again.
struct Pushback<R> {
    front: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R> Pushback<R> {
    fn push_front(&mut self, bytes: Vec<u8>) {
        let rest = self.front.split_off(self.pos);
        self.front = bytes;
        self.front.extend(rest);
        self.pos = 0;
    }
}

impl<R: BufRead> Read for Pushback<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Pushback<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos < self.front.len() { Ok(&self.front[self.pos..]) } else { self.inner.fill_buf() }
    }

    fn consume(&mut self, n: usize) {
        if self.pos < self.front.len() {
            self.pos += n;
            if self.pos >= self.front.len() {
                (self.front, self.pos) = (Vec::new(), 0);
            }
        } else {
            self.inner.consume(n);
        }
    }
}

/// Longest key or log group name kept on the side; longer ones match no known name.
const SIDE_BYTES: usize = 512;

impl Tape {
    fn take(&mut self, bytes: &[u8]) {
        self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.offset += bytes.len() as u64;
        self.hasher.update(bytes);
        if let Some(r) = &mut self.replay {
            if r.len() + bytes.len() > REPLAY_BYTES {
                self.replay = None;
            } else {
                r.extend_from_slice(bytes);
            }
        }
        if self.capturing && !self.overflow {
            if self.buf.len() + bytes.len() > self.limit {
                self.overflow = true;
                self.buf = Vec::new();
            } else {
                self.buf.extend_from_slice(bytes);
            }
        }
        if self.side_capturing {
            let room = SIDE_BYTES.saturating_sub(self.side.len());
            self.side.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    fn error(&self, cause: DocumentErrorCause) -> DocumentError {
        DocumentError { line: self.line, offset: self.offset, cause }
    }
}

pub struct DocumentReader<R> {
    inner: Pushback<R>,
    tape: Tape,
    at: At,
    /// Whether the current list is an envelope's (then its object goes on after `]`).
    list_in_envelope: bool,
    next_index: u64,
    log_group: Option<String>,
    /// The log group the current top-level object names: the document's once the object turns
    /// out to be an envelope (a subscription record is a record and keeps its own).
    object_group: Option<String>,
    empty_lists: u64,
    /// A value at the top level was broken: skip to the next line before reading on.
    resync: bool,
    /// Lines put back after a broken value are read one line, one value, up to this offset.
    lines_until: u64,
}

impl<R: BufRead> DocumentReader<R> {
    /// `start_line` and `start_offset` place the reader in its input: lines and bytes already
    /// passed (blank lines skipped before it).
    pub fn new(inner: R, start_line: u64, start_offset: u64) -> DocumentReader<R> {
        let tape = Tape {
            line: start_line + 1,
            start_line: start_line + 1,
            offset: start_offset,
            buf: Vec::new(),
            capturing: false,
            overflow: false,
            limit: MAX_RECORD_BYTES,
            side: Vec::new(),
            side_capturing: false,
            replay: Some(Vec::new()),
            hasher: xxhash_rust::xxh3::Xxh3::new(),
        };
        DocumentReader {
            inner: Pushback { front: Vec::new(), pos: 0, inner },
            tape,
            at: At::TopLevel,
            list_in_envelope: false,
            next_index: 0,
            log_group: None,
            object_group: None,
            empty_lists: 0,
            resync: false,
            lines_until: 0,
        }
    }

    /// The CloudWatch Logs group an envelope named before its records, if any.
    pub fn log_group(&self) -> Option<&str> {
        self.log_group.as_deref()
    }

    /// Record lists that held no record (`{"Records":[]}`): counted, not silently dropped.
    pub fn empty_lists(&self) -> u64 {
        self.empty_lists
    }

    /// A fingerprint of every byte read so far: tells a failure already recorded from a new one.
    pub fn hash_so_far(&self) -> u128 {
        self.tape.hasher.digest128()
    }

    /// While no record has been handed out: the bytes read so far followed by the rest of the
    /// input, to read it again as lines. `None` once a record was handed out or more than
    /// [`REPLAY_BYTES`] were read.
    pub fn into_replay(self) -> Option<io::Chain<io::Cursor<Vec<u8>>, R>> {
        let DocumentReader { inner, tape, .. } = self;
        // (Nothing is pushed back while the replay is kept.)
        tape.replay.map(|bytes| io::Cursor::new(bytes).chain(inner.inner))
    }

    /// The next record, `None` at the end of the document.
    pub fn next_piece(&mut self) -> Result<Option<Piece<'_>>, DocumentError> {
        if std::mem::take(&mut self.resync) {
            self.skip_line()?;
        }
        if self.next_index == 0 && self.tape.offset == 0 {
            // A byte order mark, as some Windows tools write: not part of the JSON.
            let head = self.inner.fill_buf().map_err(|e| self.tape.error(DocumentErrorCause::Read(e)))?;
            if head.starts_with(b"\xEF\xBB\xBF") {
                self.tape.take(b"\xEF\xBB\xBF");
                self.inner.consume(3);
            }
        }
        loop {
            let top = self.at == At::TopLevel;
            match self.step() {
                Ok(ScanStep::Record(line)) => return Ok(Some(self.piece(line))),
                Ok(ScanStep::BrokenLine(line, what)) => {
                    let (index, log_group) = (self.next_index, self.log_group.as_deref());
                    self.next_index += 1;
                    return Ok(Some(Piece { index, line, body: Body::Broken(what), log_group }));
                }
                Ok(ScanStep::Continue) => {}
                Ok(ScanStep::End) => return Ok(None),
                // A value cut at the end of input, that took later lines into it: those are read
                // again below (a line cut short, then whole lines).
                Err(DocumentError { line, cause: DocumentErrorCause::Truncated, .. })
                    if top
                        && self.tape.capturing
                        && !self.tape.overflow
                        && memchr::memchr(b'\n', &self.tape.buf).is_some() =>
                {
                    let what = "a value cut short, before the end of its line".to_string();
                    return Ok(Some(self.broken(line, what)));
                }
                // A value that began on the last line and is not finished: still being written.
                Err(DocumentError { line, offset, cause: DocumentErrorCause::Truncated })
                    if top && self.tape.capturing =>
                {
                    return Err(DocumentError { line, offset, cause: DocumentErrorCause::Unfinished });
                }
                Err(DocumentError { line, cause: DocumentErrorCause::Unexpected(what), .. }) if top => {
                    return Ok(Some(self.broken(line, what)));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A broken value at the top level, as a piece.
    fn broken(&mut self, line: u64, what: String) -> Piece<'_> {
        // Values back to back are lines in all but name: one that is not JSON costs its
        // own line, not the rest of the input. Lines it swallowed (a line cut short
        // takes the next one for its value) are read again, on their own.
        let t = &mut self.tape;
        let line = if t.capturing { t.start_line } else { line };
        let after_first_line = if t.capturing && !t.overflow {
            memchr::memchr(b'\n', &t.buf).map(|i| t.buf[i + 1..].to_vec())
        } else {
            None
        };
        t.capturing = false;
        match after_first_line {
            Some(again) => {
                // Those lines are read one by one (not as a document again), so no byte is read
                // more than twice however the input is built.
                self.lines_until = t.offset;
                t.line -= memchr::memchr_iter(b'\n', &again).count() as u64;
                t.offset -= again.len() as u64;
                t.replay = None; // what is read again would be replayed twice
                self.inner.push_front(again);
            }
            None => self.resync = true,
        }
        let index = self.next_index;
        self.next_index += 1;
        let log_group = self.log_group.as_deref();
        Piece { index, line, body: Body::Broken(what), log_group }
    }

    /// One step through the document's structure.
    fn step(&mut self) -> Result<ScanStep, DocumentError> {
        let Some(b) = self.skip_whitespace()? else {
            return match self.at {
                At::TopLevel => Ok(ScanStep::End),
                _ => Err(self.tape.error(DocumentErrorCause::Truncated)),
            };
        };
        if self.at == At::TopLevel && self.tape.offset < self.lines_until {
            return self.line_value();
        }
        match self.at {
            At::TopLevel => match b {
                b'[' => {
                    self.consume_one();
                    self.at = At::ListItem { first: true };
                    self.list_in_envelope = false;
                    Ok(ScanStep::Continue)
                }
                b'{' => Ok(self.object()?.map_or(ScanStep::Continue, ScanStep::Record)),
                b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                    // A lone scalar: the parser reports it as one record that is not an event.
                    // Text that only starts like one (`not json`) is junk, not a record.
                    let line = self.start_record(MAX_RECORD_BYTES);
                    self.value()?;
                    let after = self.inner.fill_buf().map_err(|e| self.tape.error(DocumentErrorCause::Read(e)))?;
                    if let Some(&next) = after.first()
                        && !(next.is_ascii_whitespace() || matches!(next, b'{' | b'[' | b'"'))
                    {
                        return Err(self.unexpected(next, "a line break after a value"));
                    }
                    let t = &self.tape;
                    if !t.overflow && serde_json::from_slice::<serde::de::IgnoredAny>(&t.buf).is_err() {
                        let word = String::from_utf8_lossy(&t.buf[..t.buf.len().min(40)]).into_owned();
                        let what = format!("found `{word}` where a JSON value belongs");
                        return Err(DocumentError {
                            line,
                            offset: t.offset,
                            cause: DocumentErrorCause::Unexpected(what),
                        });
                    }
                    Ok(ScanStep::Record(line))
                }
                _ => Err(self.unexpected(b, "a JSON value")),
            },
            At::ListItem { first } => {
                if b == b']' {
                    self.consume_one();
                    self.empty_lists += u64::from(first);
                    self.at = if self.list_in_envelope { At::EnvelopeRest } else { At::TopLevel };
                    return Ok(ScanStep::Continue);
                }
                if !first {
                    if b != b',' {
                        return Err(self.unexpected(b, "`,` or `]` after a record"));
                    }
                    self.consume_one();
                    self.expect_more()?;
                }
                self.at = At::ListItem { first: false };
                let line = self.start_record(MAX_RECORD_BYTES);
                self.value()?;
                Ok(ScanStep::Record(line))
            }
            At::EnvelopeRest => match b {
                b'}' => {
                    self.consume_one();
                    self.at = At::TopLevel;
                    Ok(ScanStep::Continue)
                }
                b',' => {
                    self.consume_one();
                    self.member(false)?;
                    Ok(ScanStep::Continue)
                }
                _ => Err(self.unexpected(b, "`,` or `}` in the document's object")),
            },
        }
    }

    /// One line put back after a broken value, as one value: a record if the line is JSON. Lines
    /// that are not (the rest of a pretty-printed value cut short) are one broken piece together.
    fn line_value(&mut self) -> Result<ScanStep, DocumentError> {
        let first = self.tape.line;
        loop {
            let line = self.start_record(MAX_TOP_LEVEL_RECORD_BYTES);
            self.skip_line()?;
            let t = &mut self.tape;
            t.capturing = false;
            let ending = t.buf.iter().rev().take_while(|&&b| b == b'\n' || b == b'\r').count();
            let valid = !t.overflow && serde_json::from_slice::<serde::de::IgnoredAny>(&t.buf).is_ok();
            if valid && line == first {
                t.buf.truncate(t.buf.len() - ending); // the record, without its line ending
                return Ok(ScanStep::Record(line));
            }
            if valid {
                // The first whole value after the broken lines: read next, as a record.
                let again = std::mem::take(&mut t.buf);
                t.line -= memchr::memchr_iter(b'\n', &again).count() as u64;
                t.offset -= again.len() as u64;
                self.inner.push_front(again);
                break;
            }
            let at_end = self.inner.fill_buf().map_err(|e| self.tape.error(DocumentErrorCause::Read(e)))?.is_empty();
            if self.tape.offset >= self.lines_until || at_end {
                break;
            }
        }
        Ok(ScanStep::BrokenLine(first, "lines that hold no JSON value".to_string()))
    }

    /// Passes the rest of the current line, its line break included.
    fn skip_line(&mut self) -> Result<(), DocumentError> {
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) => return Err(self.tape.error(DocumentErrorCause::Read(e))),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            let (n, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            self.tape.take(&chunk[..n]);
            self.inner.consume(n);
            if done {
                return Ok(());
            }
        }
    }

    /// A top-level object: an envelope (its record list is then open, and `None` returned) or one
    /// record (captured whole; the line it started on is returned).
    fn object(&mut self) -> Result<Option<u64>, DocumentError> {
        let line = self.start_record(MAX_TOP_LEVEL_RECORD_BYTES);
        self.object_group = None;
        self.consume_one(); // `{`
        let mut first = true;
        loop {
            let b = self.expect_more()?;
            match b {
                b'}' => {
                    self.consume_one();
                    return Ok(Some(line));
                }
                b',' if !first => self.consume_one(),
                _ if first => {}
                _ => return Err(self.unexpected(b, "`,` or `}` in an object")),
            }
            first = false;
            if self.member(true)? {
                return Ok(None);
            }
        }
    }

    /// One `"key": value` of a top-level object. While the object may still be a record
    /// (`may_open_list`), a record list's key makes it an envelope: the capture is dropped, the
    /// list opened and `true` returned.
    fn member(&mut self, may_open_list: bool) -> Result<bool, DocumentError> {
        let b = self.expect_more()?;
        if b != b'"' {
            return Err(self.unexpected(b, "a quoted key"));
        }
        let key = self.side_value()?;
        let b = self.expect_more()?;
        if b != b':' {
            return Err(self.unexpected(b, "`:` after a key"));
        }
        self.consume_one();
        let b = self.expect_more()?;
        let name = key.strip_prefix(b"\"").and_then(|k| k.strip_suffix(b"\"")).unwrap_or(&key);
        if may_open_list && b == b'[' && RECORD_LISTS.contains(&name) {
            self.tape.capturing = false;
            self.tape.buf.clear();
            self.consume_one();
            self.at = At::ListItem { first: true };
            self.list_in_envelope = true;
            if self.log_group.is_none() {
                self.log_group = self.object_group.take();
            }
            return Ok(true);
        }
        if may_open_list && name == b"logGroup" && b == b'"' {
            let group = self.side_value()?;
            self.object_group = serde_json::from_slice(&group).ok();
        } else {
            self.value()?;
        }
        Ok(false)
    }

    /// Starts capturing a record at the next byte; returns its line.
    fn start_record(&mut self, limit: usize) -> u64 {
        let t = &mut self.tape;
        t.buf.clear();
        t.overflow = false;
        t.capturing = true;
        t.limit = limit;
        t.start_line = t.line;
        t.line
    }

    fn piece(&mut self, line: u64) -> Piece<'_> {
        let index = self.next_index;
        self.next_index += 1;
        let t = &mut self.tape;
        t.capturing = false;
        t.replay = None; // a record was handed out: reading again as lines would count it twice
        let body = if t.overflow { Body::TooLong } else { Body::Record(&t.buf[..]) };
        Piece { index, line, body, log_group: self.log_group.as_deref() }
    }

    /// Reads one value (a string here) on the side as well, and returns it.
    fn side_value(&mut self) -> Result<Vec<u8>, DocumentError> {
        self.tape.side.clear();
        self.tape.side_capturing = true;
        let read = self.value();
        self.tape.side_capturing = false;
        read.map(|()| std::mem::take(&mut self.tape.side))
    }

    /// Passes whitespace; the next byte, not consumed, or `None` at the end of input.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, DocumentError> {
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) => return Err(self.tape.error(DocumentErrorCause::Read(e))),
            };
            if chunk.is_empty() {
                return Ok(None);
            }
            let found = chunk.iter().position(|b| !b.is_ascii_whitespace());
            let n = found.unwrap_or(chunk.len());
            let next = found.map(|i| chunk[i]);
            self.tape.take(&chunk[..n]);
            self.inner.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// The next non-blank byte, which must exist.
    fn expect_more(&mut self) -> Result<u8, DocumentError> {
        self.skip_whitespace()?.ok_or_else(|| self.tape.error(DocumentErrorCause::Truncated))
    }

    /// Consumes the byte [`Self::skip_whitespace`] just returned.
    fn consume_one(&mut self) {
        if let Ok(chunk) = self.inner.fill_buf()
            && let Some(&b) = chunk.first()
        {
            self.tape.take(&[b]);
            self.inner.consume(1);
        }
    }

    /// Consumes one JSON value starting at the next byte: a string, a nested value (to its closing
    /// bracket, strings and escapes respected), or a scalar (to the next delimiter).
    fn value(&mut self) -> Result<(), DocumentError> {
        let mut kind: Option<ValueKind> = None;
        let (mut depth, mut in_string, mut escape) = (0u64, false, false);
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) => return Err(self.tape.error(DocumentErrorCause::Read(e))),
            };
            if chunk.is_empty() {
                // A scalar may end the input; anything else open here was cut.
                return if kind == Some(ValueKind::Scalar) {
                    Ok(())
                } else {
                    Err(self.tape.error(DocumentErrorCause::Truncated))
                };
            }
            let mut end = None;
            let mut i = 0;
            while i < chunk.len() {
                if in_string && !escape {
                    // Most of an event is string bytes: jump to the next one that matters.
                    match memchr::memchr3(b'"', b'\\', b'\n', &chunk[i..]) {
                        Some(k) => i += k,
                        None => break,
                    }
                }
                let b = chunk[i];
                i += 1;
                if in_string {
                    if escape {
                        escape = false;
                    } else if b == b'\\' {
                        escape = true;
                    } else if b == b'\n' {
                        let i = i - 1;
                        // JSON strings never hold a raw line break: this is a line cut short (or
                        // lines taken for a document), and reading on would swallow the next lines.
                        self.tape.take(&chunk[..i]);
                        self.inner.consume(i);
                        let what = "a line break inside a string (a line cut short?)".to_string();
                        return Err(self.tape.error(DocumentErrorCause::Unexpected(what)));
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            end = Some(i);
                            break;
                        }
                    }
                    continue;
                }
                match kind {
                    None => match b {
                        b'"' => (kind, in_string) = (Some(ValueKind::Text), true),
                        b'{' | b'[' => (kind, depth) = (Some(ValueKind::Nested), 1),
                        _ => kind = Some(ValueKind::Scalar),
                    },
                    Some(ValueKind::Scalar) => {
                        if b.is_ascii_whitespace() || matches!(b, b',' | b']' | b'}' | b'{' | b'[' | b'"' | b':') {
                            end = Some(i - 1); // the delimiter is not the scalar's
                            break;
                        }
                    }
                    Some(_) => match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i);
                                break;
                            }
                        }
                        _ => {}
                    },
                }
            }
            let n = end.unwrap_or(chunk.len());
            self.tape.take(&chunk[..n]);
            self.inner.consume(n);
            if end.is_some() {
                return Ok(());
            }
        }
    }

    fn unexpected(&self, found: u8, expected: &str) -> DocumentError {
        let found =
            if found.is_ascii_graphic() { format!("`{}`", found as char) } else { format!("byte 0x{found:02x}") };
        self.tape.error(DocumentErrorCause::Unexpected(format!("found {found} where {expected} belongs")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record's (index, line, text) and how the document ended.
    fn read(doc: &[u8], buf: usize) -> (Vec<(u64, u64, String)>, Option<String>, u64) {
        let mut r = DocumentReader::new(io::BufReader::with_capacity(buf, doc), 0, 0);
        let mut got = Vec::new();
        loop {
            match r.next_piece() {
                Ok(Some(p)) => {
                    let text = match p.body {
                        Body::Record(t) => String::from_utf8_lossy(t).into_owned(),
                        Body::TooLong => "<too long>".to_string(),
                        Body::Broken(what) => format!("<broken: {what}>"),
                    };
                    got.push((p.index, p.line, text));
                }
                Ok(None) => return (got, None, r.empty_lists()),
                Err(e) => return (got, Some(format!("line {}: {e}", e.line)), r.empty_lists()),
            }
        }
    }

    fn texts(doc: &str) -> Vec<String> {
        let (got, err, _) = read(doc.as_bytes(), 7);
        assert_eq!(err, None, "{doc}");
        got.into_iter().map(|(_, _, t)| t).collect()
    }

    #[test]
    fn finds_the_records_of_each_envelope() {
        let cases: [(&str, &str, &[&str]); 9] = [
            ("EventList", r#"{"kind":"EventList","items":[{"a":1},{"b":"]}"}]}"#, &[r#"{"a":1}"#, r#"{"b":"]}"}"#]),
            ("filter-log-events", r#"{"events":[{"message":"{}"}],"searchedLogStreams":[]}"#, &[r#"{"message":"{}"}"#]),
            (
                "a subscription record stays whole",
                r#"{"logGroup":"/aws/eks/a/cluster","logEvents":[{},{}]}"#,
                &[r#"{"logGroup":"/aws/eks/a/cluster","logEvents":[{},{}]}"#],
            ),
            ("values back to back are split one by one", r#"{"Records":[{},{}]}{"Records":[1]}"#, &["{}", "{}", "1"]),
            ("an array", "[ {\"x\": [1, 2]} , true ]", &[r#"{"x": [1, 2]}"#, "true"]),
            ("a single event is its own record", "{\n  \"kind\": \"Event\"\n}\n", &["{\n  \"kind\": \"Event\"\n}"]),
            ("escaped quotes do not end a string", r#"[{"a":"x\"}{"}]"#, &[r#"{"a":"x\"}{"}"#]),
            ("a record list after other keys", r#"{"nextToken":"t","Events":[{"e":1}]}"#, &[r#"{"e":1}"#]),
            (
                "a list key whose value is not a list is a field",
                r#"{"items":null,"a":1}"#,
                &[r#"{"items":null,"a":1}"#],
            ),
        ];
        for (name, doc, want) in cases {
            assert_eq!(texts(doc), want, "{name}");
        }
    }

    #[test]
    fn names_the_line_where_a_document_stops() {
        let (got, err, _) = read(b"{\"items\":[\n{\"a\":1},\n{\"b\":", 64);
        assert_eq!(
            (got.len(), err.as_deref()),
            (1, Some("line 3: the document ends early, inside a record (a cut file?)")),
            "the record before the cut is kept"
        );
        let (got, err, _) = read(b"{\"Records\":[\n{\"a\":1}\n{\"b\":2}\n]}\n", 5);
        assert_eq!(got.len(), 1);
        assert_eq!(
            err.as_deref(),
            Some("line 3: not a JSON document past this point: found `{` where `,` or `]` after a record belongs")
        );
    }

    #[test]
    fn a_value_at_the_top_level_that_is_not_json_costs_its_line_only() {
        let (got, err, _) = read(b"{\"Records\":[\n{\"a\":1},\n{\"b\":2}\n]}\ntrailing text\n{\"c\":3}\n", 5);
        let at: Vec<(u64, u64, &str)> = got.iter().map(|(i, l, t)| (*i, *l, t.as_str())).collect();
        assert_eq!(
            at,
            [
                (0, 2, r#"{"a":1}"#),
                (1, 3, r#"{"b":2}"#),
                (2, 5, "<broken: found `trailing` where a JSON value belongs>"),
                (3, 6, r#"{"c":3}"#)
            ]
        );
        assert_eq!(err, None);
        // Lines taken for a document: a line cut inside a string does not swallow the next ones.
        let (got, err, _) = read(b"{\"kind\":\"Event\",\"user\":{\"usern\n{\"a\":1}\n# note\n{\"b\":2}\n", 64);
        let texts: Vec<&str> = got.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "<broken: a line break inside a string (a line cut short?)>",
                r#"{"a":1}"#,
                "<broken: found `#` where a JSON value belongs>",
                r#"{"b":2}"#
            ]
        );
        assert_eq!(err, None);
        // A line cut after a key takes the next line for its value: that line is read again.
        let (got, err, _) =
            read(b"{\"auditID\":\"x\",\"stage\":\n{\"a\":1}\n{\"b\":2}\n\"kind\":\"Event\"}\n{\"c\":3}\n", 4);
        let at: Vec<(u64, &str)> = got.iter().map(|(_, l, t)| (*l, t.as_str())).collect();
        assert_eq!(
            at,
            [
                (1, "<broken: found `{` where `,` or `}` in an object belongs>"),
                (2, r#"{"a":1}"#),
                (3, r#"{"b":2}"#),
                (4, "<broken: found `:` where a line break after a value belongs>"),
                (5, r#"{"c":3}"#)
            ]
        );
        assert_eq!(err, None);
    }

    #[test]
    fn gives_each_record_its_index_and_line() {
        let (got, _, _) = read(b"{\"items\": [\n  {\"a\": 1},\n\n  {\"b\": 2}\n]}", 3);
        let at: Vec<(u64, u64)> = got.iter().map(|(i, l, _)| (*i, *l)).collect();
        assert_eq!(at, [(0, 2), (1, 4)]);
    }

    #[test]
    fn memory_stays_bounded_by_one_record() {
        // A gibibyte of spaces would do the same; a few MiB show no byte of them is kept.
        let mut doc = b"{\"Records\":[".to_vec();
        doc.extend(std::iter::repeat_n(b' ', 8 << 20));
        doc.extend_from_slice(b"{\"a\":1}]}");
        let mut r = DocumentReader::new(io::BufReader::new(&doc[..]), 0, 0);
        let p = r.next_piece().unwrap().unwrap();
        assert_eq!(p.body, Body::Record(&b"{\"a\":1}"[..]));
        assert!(r.tape.buf.capacity() < 1 << 10 && r.tape.replay.is_none());
        let big = format!("[{{\"a\":\"{}\"}},{{\"b\":1}}]", "x".repeat(MAX_RECORD_BYTES));
        let (got, err, _) = read(big.as_bytes(), 1 << 16);
        assert_eq!(err, None);
        assert_eq!(
            (got[0].2.as_str(), got[1].2.as_str()),
            ("<too long>", r#"{"b":1}"#),
            "an over-long record is skipped, not held"
        );
    }

    #[test]
    fn a_log_group_names_the_document_only_in_an_envelope() {
        let mut r = DocumentReader::new(&br#"{"logGroup":"/aws/eks/a/cluster","logEvents":[]}"#[..], 0, 0);
        r.next_piece().unwrap().unwrap();
        assert_eq!(r.log_group(), None, "a subscription record keeps its own");
        let mut r = DocumentReader::new(&br#"{"logGroup":"/aws/eks/b/cluster","events":[{}]}"#[..], 0, 0);
        r.next_piece().unwrap().unwrap();
        assert_eq!(r.log_group(), Some("/aws/eks/b/cluster"));
    }

    /// Counts every byte read from the input.
    struct Counted<'a>(&'a [u8], std::rc::Rc<std::cell::Cell<usize>>);

    impl Read for Counted<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }

    #[test]
    fn no_input_makes_it_read_a_byte_more_than_twice() {
        // Every line opens a value that never closes: each broken value swallows the rest of the
        // input. Read naively again after each, that is quadratic; here each byte is scanned at
        // most twice (once in the broken value, once as a line of its own).
        let input = "{\"k\":[\n".repeat(20_000);
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut r = DocumentReader::new(io::BufReader::new(Counted(input.as_bytes(), read.clone())), 0, 0);
        let mut pieces = 0;
        while let Ok(Some(_)) = r.next_piece() {
            pieces += 1;
            assert!(pieces < 100, "one broken piece per run of broken lines, not one per line");
        }
        assert_eq!(read.get(), input.len(), "the input is read once");
        assert_eq!(r.tape.offset as usize, input.len());
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_document() {
        assert_eq!(texts("\u{feff}[{\"a\":1}]"), [r#"{"a":1}"#]);
    }

    #[test]
    fn counts_empty_record_lists() {
        let (got, err, empty) = read(br#"{"Records":[]}[]{"Records":[{}]}"#, 4);
        assert_eq!((got.len(), err, empty), (1, None, 2));
    }

    #[test]
    fn replays_what_it_read_until_a_record_is_handed_out() {
        let input = b"{\"items\": [\n";
        let mut r = DocumentReader::new(io::BufReader::with_capacity(4, &input[..]), 0, 0);
        assert!(r.next_piece().is_err());
        let mut again = String::new();
        io::Read::read_to_string(&mut r.into_replay().unwrap(), &mut again).unwrap();
        assert_eq!(again.as_bytes(), input, "the bytes read, then the rest");
    }
}
