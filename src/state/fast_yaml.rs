//! A fast reader for the YAML that `helm template` and `kubectl` print, handing a document to the
//! same serde visitors serde-saphyr would, several times faster: block mappings and sequences,
//! one-line plain and quoted scalars, comments, and one-line flow collections (`[a, "b"]`,
//! `{name: x}`, `[]`, `{}`). At the first construct it does not read (anchors and aliases, tags,
//! block scalars `|` `>`, scalars over several lines, complex or non-string keys, a key given
//! twice, a tab, ...) it gives the whole document up, and the caller reads it with serde-saphyr
//! from the start: YAML bombs, syntax errors and every corner of the spec keep the full parser's
//! handling and messages. Giving up is never an error of the input: it only means "not mine".
//!
//! Giving up must happen before anything of the document reaches the builder. A document's object
//! reaches it when its top mapping has been read whole, except a List's items, which are loaded one
//! at a time as they are read: so when the top mapping's `items` key is met, the rest of the
//! document is first read through once without building anything (it gives up there, or never).
//!
//! Plain scalars resolve as serde-saphyr resolves them for an untyped value (its defaults: the
//! YAML 1.2 core schema with YAML 1.1 booleans): empty, `~`, `null`, `Null`, `NULL` are null;
//! `true`, `yes`, `on`, `y`, `false`, `no`, `off`, `n` in any case are booleans; decimal integers
//! and finite floats are numbers; everything else is a string. The spellings where its rules have
//! corners (radix prefixes, `_`, a leading `+`, `.inf`, `.nan`, integers past 64 bits) are given up.

use memchr::memmem::Finder;
use memchr::{memchr, memchr2, memchr3};
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

/// Why a document was not read here.
#[derive(Debug, PartialEq)]
pub(super) enum Error {
    /// A construct left to the full parser; `line` counts from the document's first.
    Unsupported { line: usize, what: &'static str },
    /// A visitor's own error (an invalid value); the caller has serde-saphyr read the document
    /// again to report it, as it reports every error.
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::Unsupported { line, what } => write!(f, "line {line}: not read by the fast reader: {what}"),
            Error::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error::Custom(message.to_string())
    }
}

/// Deeper than this, the full parser decides (it has its own limits).
const MAX_DEPTH: usize = 64;
/// YAML limits an implicit key to 1024 characters.
const MAX_KEY: usize = 1024;
/// Keys are checked for duplicates one against another; a larger mapping is left to the full parser.
const MAX_KEYS: usize = 256;

const MORE_INDENTED: &str =
    "a line more indented than the lines before it (a plain scalar over several lines, or an indentation error)";
const NOT_AN_ENTRY: &str = "a line in a block mapping that is not `key: value`";

/// Reads one document with `seed`.
pub(super) fn deserialize<'a, S: DeserializeSeed<'a>>(text: &'a str, seed: S) -> Result<S::Value, Error> {
    check_characters(text)?;
    let mut r = Reader { text, pos: 0, line: 1, line_start: 0, keys: Vec::new(), depth: 0, checked: false };
    r.document_start()?;
    let value = seed.deserialize(YamlNode { r: &mut r, at: At::Below { parent: -1, seq_here: false } })?;
    r.document_end()?;
    Ok(value)
}

/// Tabs, carriage returns and other control characters, characters YAML does not print, the
/// Unicode line breaks YAML 1.1 knew and a byte order mark inside a document are left to the full
/// parser, which knows where each is allowed and what it means there; so is a document marker
/// after the first line (the caller splits documents there: only a text given whole has one).
fn check_characters(text: &str) -> Result<(), Error> {
    static MARKERS: LazyLock<[Finder; 2]> = LazyLock::new(|| [Finder::new(b"\n---"), Finder::new(b"\n...")]);
    let line_of = |at: usize| 1 + text.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
    for marker in MARKERS.iter() {
        for at in marker.find_iter(text.as_bytes()) {
            if matches!(text.as_bytes().get(at + 4), None | Some(b' ' | b'\n' | b'\t' | b'\r')) {
                return Err(Error::Unsupported {
                    line: line_of(at + 1),
                    what: "a document marker inside the document",
                });
            }
        }
    }
    let plain_ascii = |b: u8| (0x20..0x7f).contains(&b) || b == b'\n';
    if text.as_bytes().chunks(64).all(|c| c.iter().fold(true, |all, &b| all & plain_ascii(b))) {
        return Ok(());
    }
    let allowed = |c: char| match c as u32 {
        0x0a | 0x20..=0x7e => true,
        0x2028 | 0x2029 | 0xfeff => false,
        0xa0..=0xd7ff | 0xe000..=0xfffd | 0x10000.. => true,
        _ => false,
    };
    match text.char_indices().find(|(_, c)| !allowed(*c)) {
        None => Ok(()),
        Some((at, _)) => Err(Error::Unsupported {
            line: line_of(at),
            what: "a tab, a carriage return, a control character or a character YAML does not print",
        }),
    }
}

/// The cursor over a document's text, and what the mappings being read hold.
#[derive(Clone)]
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// 1-based line of `pos` in the document.
    line: usize,
    line_start: usize,
    /// The keys of the mappings being read, innermost last, for the duplicate check.
    keys: Vec<Cow<'a, str>>,
    depth: usize,
    /// Whether the rest of the document has been read through already (see the module doc).
    checked: bool,
}

/// Where the node to read starts.
#[derive(Clone, Copy)]
enum At {
    /// On a later line, more indented than `parent` (-1 for the document's top node); with
    /// `seq_here`, a block sequence may also start at `parent` itself (a mapping's value).
    /// Nothing there is an empty value: null.
    Below { parent: isize, seq_here: bool },
    /// At the cursor, on the current line; `collections` when a block collection may start there
    /// (at the start of a line, or after `- `).
    Here { collections: bool },
}

/// A scalar resolved to what an untyped visitor receives.
enum Scalar<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
}

impl<'a> Scalar<'a> {
    fn visit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Scalar::Null => visitor.visit_unit(),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::U64(n) => visitor.visit_u64(n),
            Scalar::I64(n) => visitor.visit_i64(n),
            Scalar::F64(n) => visitor.visit_f64(n),
            Scalar::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Scalar::Str(Cow::Owned(s)) => visitor.visit_string(s),
        }
    }
}

/// A plain scalar's meaning, as serde-saphyr's `deserialize_any` gives it; `None` for the
/// spellings left to it.
fn resolve(text: &str) -> Option<Scalar<'_>> {
    const FALSE: [&str; 4] = ["false", "no", "off", "n"];
    const TRUE: [&str; 4] = ["true", "yes", "on", "y"];
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Scalar::Null);
    }
    if text.len() <= 5 {
        if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Scalar::Bool(true));
        }
        if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Scalar::Bool(false));
        }
    }
    let b = text.as_bytes();
    // No integer or float spelling starts otherwise (`inf` and `nan` are strings to it), or holds
    // another character.
    let number_like = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_');
    if !matches!(b[0], b'0'..=b'9' | b'+' | b'-' | b'.') || !b.iter().all(number_like) {
        return Some(Scalar::Str(Cow::Borrowed(text)));
    }
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit) && (d[0] != b'0' || d.len() == 1);
    if digits(b) {
        return text.parse().ok().map(Scalar::U64);
    }
    if b[0] == b'-' && digits(&b[1..]) && b[1] != b'0' {
        return text.parse().ok().map(Scalar::I64);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.len() < text.len() && matches!(unsigned, ".nan" | ".NaN" | ".NAN") {
        // A signed NaN is no YAML float.
        return Some(Scalar::Str(Cow::Borrowed(text)));
    }
    let radix = matches!(unsigned.as_bytes(), [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', digits @ ..]
        if digits.iter().all(|c| c.is_ascii_hexdigit() || *c == b'_'));
    let special = matches!(unsigned, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN");
    if b[0] == b'+' || radix || special || text.contains('_') || b == b"-0" {
        return None;
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Scalar::F64(f)),
        Ok(_) => None,
        Err(_) => Some(Scalar::Str(Cow::Borrowed(text))),
    }
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes().get(self.pos + offset).copied()
    }

    fn column(&self) -> usize {
        self.pos - self.line_start
    }

    fn unsupported<T>(&self, what: &'static str) -> Result<T, Error> {
        Err(Error::Unsupported { line: self.line, what })
    }

    fn line_end(&self) -> usize {
        memchr(b'\n', &self.bytes()[self.pos..]).map_or(self.text.len(), |i| self.pos + i)
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Moves to the next line's start (or the end of the text).
    fn next_line(&mut self) {
        let end = if self.peek() == Some(b'\n') { self.pos } else { self.line_end() };
        if end < self.text.len() {
            self.pos = end + 1;
            self.line += 1;
        } else {
            self.pos = end;
        }
        self.line_start = self.pos;
    }

    /// Whether nothing but white space and a comment is left on the line.
    fn rest_is_blank(&self) -> bool {
        let mut i = self.pos;
        while self.bytes().get(i) == Some(&b' ') {
            i += 1;
        }
        match self.bytes().get(i) {
            None | Some(b'\n') => true,
            Some(b'#') => i > self.line_start && self.bytes()[i - 1] == b' ' || i == self.line_start,
            Some(_) => false,
        }
    }

    /// Where the node after an indicator (`-`, `key:`) starts: `below` when nothing follows on its
    /// line, else here (where a block collection may start only after `-`).
    fn node_after(&mut self, below: At, collections: bool) -> At {
        if self.rest_is_blank() {
            self.next_line();
            below
        } else {
            self.skip_spaces();
            At::Here { collections }
        }
    }

    /// After a value: only white space and a comment may follow on its line.
    fn end_line(&mut self) -> Result<(), Error> {
        if !self.rest_is_blank() {
            return self.unsupported("more after a value on its line");
        }
        self.next_line();
        Ok(())
    }

    /// From a line's start, skips blank and comment lines; the indentation of the next line with
    /// content (the cursor stays at its start), `None` at the end of the text.
    fn next_content_line(&mut self) -> Option<usize> {
        debug_assert_eq!(self.pos, self.line_start);
        loop {
            let indent = self.bytes()[self.pos..].iter().take_while(|&&b| b == b' ').count();
            match self.bytes().get(self.pos + indent) {
                None => {
                    self.pos = self.text.len();
                    self.line_start = self.pos;
                    return None;
                }
                Some(b'\n' | b'#') => self.next_line(),
                Some(_) => return Some(indent),
            }
        }
    }

    /// Whether the cursor is at a block sequence's `-` (then white space or the line's end).
    fn at_dash(&self) -> bool {
        self.dash_at(self.pos)
    }

    fn dash_at(&self, at: usize) -> bool {
        self.bytes().get(at) == Some(&b'-') && matches!(self.bytes().get(at + 1), None | Some(b' ' | b'\n'))
    }

    /// Whether the cursor is at a mapping's `:` (then white space or the line's end).
    fn at_colon(&self) -> bool {
        self.peek() == Some(b':') && matches!(self.peek_at(1), None | Some(b' ' | b'\n'))
    }

    fn document_start(&mut self) -> Result<(), Error> {
        if self.text.starts_with("---") {
            self.pos = 3;
            if !matches!(self.peek(), None | Some(b' ' | b'\n')) || !self.rest_is_blank() {
                return self.unsupported("content on the `---` line");
            }
            self.next_line();
        }
        Ok(())
    }

    fn document_end(&mut self) -> Result<(), Error> {
        match self.next_content_line() {
            None => Ok(()),
            Some(_) => self.unsupported("more after the document's top node"),
        }
    }

    /// A plain scalar or key in a block, from the cursor. A scalar's text is passed; a key's
    /// cursor stays at its start.
    fn block_plain(&mut self) -> Result<Plain<'a>, Error> {
        self.plain_start()?;
        let start = self.pos;
        let bytes = self.bytes();
        // Lines are short: a byte loop beats setting up a vector search twice.
        let mut i = start;
        let stop = loop {
            match bytes.get(i) {
                None | Some(b'\n') => break i,
                Some(b'#') if bytes[i - 1] == b' ' => break i,
                Some(b':') if matches!(bytes.get(i + 1), None | Some(b' ' | b'\n')) => {
                    let key = self.text[start..i].trim_end_matches(' ');
                    return Ok(Plain::Key { key, colon: i });
                }
                _ => i += 1,
            }
        };
        let text = self.text[start..stop].trim_end_matches(' ');
        self.pos = start + text.len();
        Ok(Plain::Scalar(text))
    }

    /// Refuses what cannot start a plain scalar, naming it.
    fn plain_start(&self) -> Result<(), Error> {
        match self.peek() {
            Some(b'&') => self.unsupported("an anchor `&`"),
            Some(b'*') => self.unsupported("an alias `*`"),
            Some(b'!') => self.unsupported("a tag `!`"),
            Some(b'|' | b'>') => self.unsupported("a block scalar `|` or `>`"),
            Some(b'?') => self.unsupported("a complex key `?`"),
            Some(b'-') if !matches!(self.peek_at(1), None | Some(b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')) => {
                Ok(())
            }
            Some(b'-' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'%' | b'@' | b'`' | b'\'' | b'"') => {
                self.unsupported("a scalar starting with an indicator character")
            }
            None | Some(b'\n' | b' ') => self.unsupported("a missing value, or a flow collection over several lines"),
            Some(_) => Ok(()),
        }
    }

    /// A quoted scalar on one line, the cursor at its opening quote; the cursor moves past it.
    /// Single-quoted scalars escape only `'` (as `''`), double-quoted ones with `\`.
    fn quoted(&mut self) -> Result<Cow<'a, str>, Error> {
        let quote = self.bytes()[self.pos];
        let start = self.pos + 1;
        let bytes = self.bytes();
        let mut owned: Option<String> = None;
        let mut from = start;
        loop {
            let next = if quote == b'"' {
                memchr3(b'"', b'\\', b'\n', &bytes[from..])
            } else {
                memchr2(b'\'', b'\n', &bytes[from..])
            };
            let Some(at) = next.map(|j| from + j).filter(|&at| bytes[at] != b'\n') else {
                return self.unsupported("a quoted scalar over several lines");
            };
            let (c, len) = match bytes[at] {
                b'\\' => self.escape(at)?,
                b'\'' if bytes.get(at + 1) == Some(&b'\'') => ('\'', 2),
                _ => {
                    self.pos = at + 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(&self.text[start..at]),
                        Some(mut s) => {
                            s.push_str(&self.text[from..at]);
                            Cow::Owned(s)
                        }
                    });
                }
            };
            let s = owned.get_or_insert_with(String::new);
            s.push_str(&self.text[from..at]);
            s.push(c);
            from = at + len;
        }
    }

    /// The escape at `at` (its `\`): the character and the escape's length.
    fn escape(&self, at: usize) -> Result<(char, usize), Error> {
        let simple = match self.bytes().get(at + 1) {
            Some(b'0') => '\0',
            Some(b'a') => '\x07',
            Some(b'b') => '\x08',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'v') => '\x0b',
            Some(b'f') => '\x0c',
            Some(b'r') => '\r',
            Some(b'e') => '\x1b',
            Some(b' ') => ' ',
            Some(b'"') => '"',
            Some(b'/') => '/',
            Some(b'\\') => '\\',
            Some(b'N') => '\u{85}',
            Some(b'_') => '\u{a0}',
            Some(b'L') => '\u{2028}',
            Some(b'P') => '\u{2029}',
            Some(&x @ (b'x' | b'u' | b'U')) => {
                let digits = match x {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.text.get(at + 2..at + 2 + digits).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                // Surrogates (a JSON-style pair) are left to the full parser.
                return match hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
                    Some(c) => Ok((c, 2 + digits)),
                    None => self.unsupported("a `\\x`, `\\u` or `\\U` escape that is not one character"),
                };
            }
            _ => return self.unsupported("an escape YAML does not define, or a line continuation"),
        };
        Ok((simple, 2))
    }

    /// A key at the cursor, through its `:`; the cursor moves after the `:`.
    fn key(&mut self) -> Result<Cow<'a, str>, Error> {
        let key = match self.peek() {
            Some(b'"' | b'\'') => {
                let key = self.quoted()?;
                self.skip_spaces();
                if !self.at_colon() {
                    return self.unsupported(NOT_AN_ENTRY);
                }
                key
            }
            _ => match self.block_plain()? {
                Plain::Key { key, colon } => {
                    self.pos = colon;
                    self.plain_key(key)?
                }
                Plain::Scalar(_) => return self.unsupported(NOT_AN_ENTRY),
            },
        };
        self.pos += 1;
        Ok(key)
    }

    /// Refuses the plain keys whose meaning is not their text.
    fn plain_key(&self, key: &'a str) -> Result<Cow<'a, str>, Error> {
        if key == "<<" {
            return self.unsupported("a merge key `<<`");
        }
        match resolve(key) {
            Some(Scalar::Str(s)) => Ok(s),
            _ => self.unsupported("a key YAML reads as null, a boolean or a number"),
        }
    }

    /// Adds a key of the mapping whose keys start at `from`, refusing a duplicate.
    fn add_key(&mut self, from: usize, key: Cow<'a, str>) -> Result<(), Error> {
        if key.len() > MAX_KEY {
            return self.unsupported("a key longer than 1024 characters");
        }
        let mapping = &self.keys[from..];
        if mapping.len() >= MAX_KEYS {
            return self.unsupported("a mapping with more than 256 keys");
        }
        if mapping.contains(&key) {
            return self.unsupported("a key given twice in one mapping");
        }
        self.keys.push(key);
        Ok(())
    }

    /// A plain scalar inside a flow collection, from the cursor; `key` when a `: ` may follow it.
    fn flow_plain(&mut self, key: bool) -> Result<&'a str, Error> {
        self.plain_start()?;
        let start = self.pos;
        let bytes = self.bytes();
        let mut i = start;
        loop {
            match bytes.get(i) {
                None | Some(b'\n') => return self.unsupported("a flow collection over several lines"),
                Some(b',' | b']' | b'}') => break,
                Some(b'[' | b'{') => return self.unsupported("a flow indicator inside a flow scalar"),
                Some(b'#') if bytes[i - 1] == b' ' => return self.unsupported("a comment inside a flow collection"),
                Some(b':') if matches!(bytes.get(i + 1), None | Some(b' ' | b'\n' | b',' | b']' | b'}')) => {
                    if key {
                        break;
                    }
                    return self.unsupported("a `key: value` pair in a flow sequence");
                }
                Some(_) => i += 1,
            }
        }
        let text = self.text[start..i].trim_end_matches(' ');
        self.pos = start + text.len();
        Ok(text)
    }

    /// Reads the rest of the document from here without building anything, as the document's
    /// top mapping (at `indent`, its keys from `keys_from`) would, the next value at `value`.
    fn check_rest(&self, indent: usize, keys_from: usize, value: At) -> Result<(), Error> {
        let mut probe = self.clone();
        probe.checked = true;
        <IgnoredAny as de::Deserialize>::deserialize(YamlNode { r: &mut probe, at: value })?;
        let mut rest = Block { first: false, keys_from, value, ..Block::new(&mut probe, indent, true) };
        while rest.next_key::<IgnoredAny>()?.is_some() {
            rest.next_value::<IgnoredAny>()?;
        }
        probe.document_end()
    }
}

/// A plain scalar in a block, or the key of a `key: value` line.
enum Plain<'a> {
    Scalar(&'a str),
    Key { key: &'a str, colon: usize },
}

/// A node of the document, to hand to a visitor.
struct YamlNode<'r, 'a> {
    r: &'r mut Reader<'a>,
    at: At,
}

impl<'de> Deserializer<'de> for YamlNode<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = self.r;
        let (collections, top) = match self.at {
            At::Below { parent, seq_here } => match r.next_content_line() {
                Some(m) if m as isize > parent => {
                    r.pos += m;
                    (true, parent < 0)
                }
                Some(m) if seq_here && m as isize == parent && r.dash_at(r.pos + m) => {
                    r.pos += m;
                    return visit_block(r, m, false, true, visitor);
                }
                _ => return visitor.visit_unit(),
            },
            At::Here { collections } => (collections, false),
        };
        let column = r.column();
        match r.peek() {
            Some(b'-') if r.at_dash() => {
                if !collections {
                    return r.unsupported("a block sequence on its key's line");
                }
                visit_block(r, column, top, true, visitor)
            }
            Some(b'[' | b'{') => {
                let value = FlowNode { r: &mut *r }.deserialize_any(visitor)?;
                r.end_line()?;
                Ok(value)
            }
            Some(b'"' | b'\'') => {
                let start = r.pos;
                let text = r.quoted()?;
                r.skip_spaces();
                if r.at_colon() {
                    if !collections {
                        return r.unsupported("a `key: value` on another key's line");
                    }
                    r.pos = start;
                    return visit_block(r, column, top, false, visitor);
                }
                r.end_line()?;
                Scalar::Str(text).visit(visitor)
            }
            _ => {
                let Plain::Scalar(text) = r.block_plain()? else {
                    if !collections {
                        return r.unsupported("a `key: value` on another key's line");
                    }
                    return visit_block(r, column, top, false, visitor);
                };
                let Some(scalar) = resolve(text) else {
                    return r.unsupported("a number or special float spelt in a way left to the full parser");
                };
                r.end_line()?;
                scalar.visit(visitor)
            }
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

fn deeper(r: &mut Reader) -> Result<(), Error> {
    r.depth += 1;
    if r.depth > MAX_DEPTH { r.unsupported("nesting deeper than 64 levels") } else { Ok(()) }
}

/// A block sequence (`seq`) or mapping whose first entry (its `-`, its key) is at the cursor, at
/// column `indent`.
fn visit_block<'de, V: Visitor<'de>>(
    r: &mut Reader<'de>,
    indent: usize,
    top: bool,
    seq: bool,
    visitor: V,
) -> Result<V::Value, Error> {
    deeper(r)?;
    let mut block = Block::new(&mut *r, indent, top);
    let value = if seq { visitor.visit_seq(&mut block)? } else { visitor.visit_map(&mut block)? };
    while !block.done {
        if seq {
            block.next_element::<IgnoredAny>()?;
        } else if block.next_key::<IgnoredAny>()?.is_some() {
            block.next_value::<IgnoredAny>()?;
        }
    }
    r.depth -= 1;
    Ok(value)
}

/// A block collection's entries, at column `indent`. The document's top one (`top`) runs to the
/// document's end.
struct Block<'r, 'a> {
    r: &'r mut Reader<'a>,
    indent: usize,
    top: bool,
    /// The cursor is at the first entry (its `-` or its key).
    first: bool,
    done: bool,
    /// A mapping's: where its keys start in the reader's `keys`.
    keys_from: usize,
    /// A mapping's: where the value of the key just read starts.
    value: At,
}

impl<'r, 'a> Block<'r, 'a> {
    fn new(r: &'r mut Reader<'a>, indent: usize, top: bool) -> Self {
        let keys_from = r.keys.len();
        Block { r, indent, top, first: true, done: false, keys_from, value: At::Here { collections: false } }
    }

    /// Moves to the next entry of a sequence (`seq`) or mapping: whether there is one.
    fn next(&mut self, seq: bool) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        if self.first {
            self.first = false;
            return Ok(true);
        }
        let r = &mut *self.r;
        let Some(m) = r.next_content_line() else {
            self.done = true;
            return Ok(false);
        };
        let dash = r.dash_at(r.pos + m);
        if m == self.indent && dash == seq {
            r.pos += m;
            return Ok(true);
        }
        // A line at a sequence's own column without `-` is the next key of a mapping the sequence
        // is the value of, at the same column.
        if !self.top && (m < self.indent || (seq && m == self.indent)) {
            self.done = true;
            return Ok(false);
        }
        r.unsupported(match m.cmp(&self.indent) {
            std::cmp::Ordering::Greater => MORE_INDENTED,
            std::cmp::Ordering::Less => "a line less indented than the document's top node",
            std::cmp::Ordering::Equal if seq => "a line at a block sequence's column that is not an entry",
            std::cmp::Ordering::Equal => "a block sequence entry among a mapping's keys",
        })
    }
}

impl<'de> SeqAccess<'de> for Block<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if !self.next(true)? {
            return Ok(None);
        }
        let r = &mut *self.r;
        r.pos += 1;
        let at = r.node_after(At::Below { parent: self.indent as isize, seq_here: false }, true);
        seed.deserialize(YamlNode { r, at }).map(Some)
    }
}

impl<'de> MapAccess<'de> for Block<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if !self.next(false)? {
            self.r.keys.truncate(self.keys_from);
            return Ok(None);
        }
        let (r, indent) = (&mut *self.r, self.indent);
        let key = r.key()?;
        self.value = r.node_after(At::Below { parent: indent as isize, seq_here: true }, false);
        r.add_key(self.keys_from, key.clone())?;
        if self.top && !r.checked && key == "items" {
            r.check_rest(indent, self.keys_from, self.value)?;
            r.checked = true;
        }
        deserialize_key(key, seed).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(YamlNode { r: &mut *self.r, at: self.value })
    }
}

/// Hands a key to its seed, borrowed when it is a slice of the text.
fn deserialize_key<'de, K: DeserializeSeed<'de>>(key: Cow<'de, str>, seed: K) -> Result<K::Value, Error> {
    match key {
        Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
        Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
    }
}

/// A node inside a flow collection (or the collection itself), on the cursor's line.
struct FlowNode<'r, 'a> {
    r: &'r mut Reader<'a>,
}

impl<'de> Deserializer<'de> for FlowNode<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = self.r;
        match r.peek() {
            Some(open @ (b'[' | b'{')) => {
                r.pos += 1;
                deeper(r)?;
                let keys_from = r.keys.len();
                let mut flow = Flow { r: &mut *r, keys_from, first: true, done: false };
                let value = if open == b'[' { visitor.visit_seq(&mut flow)? } else { visitor.visit_map(&mut flow)? };
                while !flow.done {
                    if open == b'[' {
                        flow.next_element::<IgnoredAny>()?;
                    } else if flow.next_key::<IgnoredAny>()?.is_some() {
                        flow.next_value::<IgnoredAny>()?;
                    }
                }
                r.depth -= 1;
                Ok(value)
            }
            Some(b'"' | b'\'') => {
                let text = r.quoted()?;
                Scalar::Str(text).visit(visitor)
            }
            _ => {
                let text = r.flow_plain(false)?;
                match resolve(text) {
                    Some(scalar) => scalar.visit(visitor),
                    None => r.unsupported("a number or special float spelt in a way left to the full parser"),
                }
            }
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The entries of a one-line flow sequence or mapping, the cursor after its opening bracket.
struct Flow<'r, 'a> {
    r: &'r mut Reader<'a>,
    keys_from: usize,
    first: bool,
    done: bool,
}

impl<'a> Flow<'_, 'a> {
    /// Moves to the next entry; `false` at the closing `close`.
    fn next_entry(&mut self, close: u8) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        let r = &mut *self.r;
        r.skip_spaces();
        if !self.first {
            match r.peek() {
                Some(b',') => {
                    r.pos += 1;
                    r.skip_spaces();
                    if r.peek() == Some(close) {
                        return r.unsupported("a flow collection ending in `,`");
                    }
                }
                Some(c) if c == close => {}
                _ => return r.unsupported("a flow collection that is not `[a, b]` or `{k: v}` on one line"),
            }
        }
        if r.peek() == Some(close) {
            r.pos += 1;
            r.keys.truncate(self.keys_from);
            self.done = true;
            return Ok(false);
        }
        self.first = false;
        Ok(true)
    }
}

impl<'de> SeqAccess<'de> for Flow<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if !self.next_entry(b']')? {
            return Ok(None);
        }
        let value = seed.deserialize(FlowNode { r: &mut *self.r })?;
        self.r.skip_spaces();
        if self.r.peek() == Some(b':') {
            return self.r.unsupported("a `key: value` pair in a flow sequence");
        }
        Ok(Some(value))
    }
}

impl<'de> MapAccess<'de> for Flow<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if !self.next_entry(b'}')? {
            return Ok(None);
        }
        let r = &mut *self.r;
        let key = match r.peek() {
            Some(b'"' | b'\'') => r.quoted()?,
            _ => {
                let key = r.flow_plain(true)?;
                r.plain_key(key)?
            }
        };
        r.skip_spaces();
        if !(r.peek() == Some(b':') && r.peek_at(1) == Some(b' ')) {
            return r.unsupported("a flow mapping entry that is not `key: value`");
        }
        r.pos += 1;
        r.skip_spaces();
        if matches!(r.peek(), Some(b',' | b'}')) {
            return r.unsupported("a flow mapping entry without a value");
        }
        r.add_key(self.keys_from, key.clone())?;
        deserialize_key(key, seed).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(FlowNode { r: &mut *self.r })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::Rng;
    use serde_json::Value;
    use std::marker::PhantomData;

    fn fast(text: &str) -> Result<Value, Error> {
        deserialize(text, PhantomData::<Value>)
    }

    fn full(text: &str) -> Result<Value, String> {
        serde_saphyr::from_str_with_options(text, super::super::documents::yaml_options()).map_err(|e| e.to_string())
    }

    #[test]
    fn each_construct_it_reads_gives_what_serde_saphyr_gives() {
        let cases: [(&str, &str); 24] = [
            ("a block mapping", "a: 1\nb: x\n"),
            ("a leading `---` and comments anywhere", "--- # c\n# c\na: 1 # c\n  # c\nb: 2\n"),
            ("nested block mappings", "a:\n  b:\n    c: d\n  e: f\ng: h\n"),
            ("a block sequence at its key's column", "a:\n- x\n- y\nb: z\n"),
            ("a block sequence indented under its key", "a:\n  - x\n  - y\nb: z\n"),
            ("compact mappings in a sequence", "- a: 1\n  b: 2\n-   c: 3\n    d: [x]\n"),
            ("a compact sequence in a sequence", "- - a\n  - b\n- c\n"),
            ("an empty value is null, at any place", "a:\nb:\n  # c\nc: 1\nd:\n"),
            ("an empty sequence entry is null", "-\n- x\n-\n"),
            ("a value on the line under its key", "a:\n  x\nb:\n  'y'\n"),
            ("plain scalars keep inner spaces, `#` and `:` not followed by a space", "a: b  c#d e:f http://x\n"),
            ("quoted keys", "\"a b\": 1\n'c''d': 2\n\"\": 3\n"),
            ("single-quoted scalars", "a: 'it''s'\nb: ''\nc: '#not a comment'\nd: 'true'\n"),
            ("double-quoted escapes", r#"a: "\e[31m\x41\u00e9\U0001F600\t\n\\\"\/\0\a\b\v\f\r\ \N\_\L\P""#),
            ("empty flow collections", "a: []\nb: {}\nc: [ ]\nd: { }\n"),
            ("flow sequences of scalars", "a: [\"\", apps, 'x y', 1, true, null]\n"),
            (
                "nested flow collections",
                "a: [{kind: User, name: x}, {kind: Group, name: \"y\"}]\nb: {c: [d, e], f: {}}\n",
            ),
            ("a document that is a sequence", "- a\n- 1\n"),
            ("a document that is a scalar", "just text\n"),
            ("an indented top mapping", "  a: 1\n  b:\n    - c\n"),
            ("no line break at the end", "a: 1\nb: [x]"),
            ("keys with spaces before the colon", "a   : 1\n\"b\" : 2\n"),
            ("unicode text", "name: \"rtl\u{202e}txt\"\nother: ünïcödé ✓\n"),
            (
                "a List, read through before its items",
                "apiVersion: v1\nitems:\n- kind: Role\n  metadata: {name: a}\nkind: List\n",
            ),
        ];
        for (name, text) in cases {
            let got = fast(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(Ok(got), full(text), "{name}");
        }
    }

    #[test]
    fn each_construct_it_leaves_is_named_and_read_by_the_full_parser() {
        let cases: [(&str, &str, &str); 33] = [
            ("an anchor", "a: &x 1\nb: *x\n", "anchor"),
            ("an alias", "a: *x\n", "alias"),
            ("a tag", "a: !!str 1\n", "tag"),
            ("a literal block scalar", "a: |\n  x\n", "block scalar"),
            ("a folded block scalar", "a: >-\n  x\n", "block scalar"),
            ("a plain scalar over two lines", "a: b\n  c\n", "more indented"),
            ("a quoted scalar over two lines", "a: \"b\n  c\"\n", "several lines"),
            ("a flow collection over two lines", "a: [b,\n  c]\n", "several lines"),
            ("a complex key", "? a\n: b\n", "complex key"),
            ("a key given twice", "a: 1\nb: 2\na: 3\n", "twice"),
            ("a key given twice in a flow mapping", "a: {b: 1, b: 2}\n", "twice"),
            ("a merge key", "a: 1\n<<: {b: 2}\n", "merge key"),
            ("a null key", "~: 1\n", "null, a boolean or a number"),
            ("a number key", "1: a\n", "null, a boolean or a number"),
            ("a boolean key", "yes: a\n", "null, a boolean or a number"),
            ("a tab", "a:\tb\n", "tab"),
            ("a carriage return", "a: b\r\n", "carriage return"),
            ("a byte order mark inside", "a: \u{feff}b\n", "does not print"),
            ("an escape YAML does not define", "a: \"\\q\"\n", "escape"),
            ("a surrogate escape", "a: \"\\ud83d\\ude00\"\n", "escape"),
            ("a hexadecimal number", "a: 0x1F\n", "number"),
            ("a number with underscores", "a: 1_000\n", "number"),
            ("a number with a plus sign", "a: +1\n", "number"),
            ("a special float", "a: .inf\n", "number"),
            ("an integer past 64 bits", "a: 123456789012345678901234\n", "number"),
            ("content on the `---` line", "--- {a: 1}\n", "`---` line"),
            ("a key: value on another key's line", "a: b: c\n", "another key's line"),
            ("a sequence on its key's line", "a: - b\n", "its key's line"),
            ("more after a quoted value", "a: \"b\" c\n", "more after"),
            ("a pair in a flow sequence", "a: [b: c]\n", "pair in a flow sequence"),
            ("a trailing comma in a flow collection", "a: [b, ]\n", "ending in `,`"),
            ("a sequence entry among keys", "a: 1\n- b\n", "among a mapping's keys"),
            ("a line less indented than the top mapping", "  a: 1\nb: 2\n", "less indented"),
        ];
        for (name, text, what) in cases {
            match fast(text) {
                Err(Error::Unsupported { what: said, .. }) => assert!(said.contains(what), "{name}: {said}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn plain_scalars_resolve_as_serde_saphyr_resolves_them() {
        let read_here = [
            "x",
            "1",
            "0",
            "-1",
            "18446744073709551615",
            "-9223372036854775808",
            "007",
            "0.5",
            "-0.5",
            ".5",
            "1.",
            "1e3",
            "2E-2",
            "true",
            "True",
            "TRUE",
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "~",
            "null",
            "Null",
            "NULL",
            "nUll",
            "nan",
            "inf",
            "-.nan",
            "+.nan",
            "2026-10-01T12:00:00Z",
            "5c0d0000-1c2b",
            "1.2.3",
            "-",
            "-x",
            "1e",
            "0xg",
            "0b6c3f0e-5d41",
            "--a=$(B_C)",
            "v1",
            ".",
            "..",
            "1:2",
            "3.0.0-rc1",
        ];
        let left = [
            "0x1F",
            "0o17",
            "0b1",
            "0X1",
            "+1",
            "1_000",
            "1_a",
            ".inf",
            "-.Inf",
            ".NaN",
            "1e999",
            "-0",
            "99999999999999999999",
        ];
        for s in read_here {
            let text = format!("a: {s}\nb: [{s}]\n");
            let text = if s == "-" { format!("a: {s}x\n") } else { text };
            assert_eq!(fast(&text).map_err(|e| e.to_string()), full(&text), "{s}");
        }
        for s in left {
            let text = format!("a: {s}\n");
            assert!(matches!(fast(&text), Err(Error::Unsupported { .. })), "{s}");
        }
    }

    #[test]
    fn a_list_whose_end_it_cannot_read_is_given_up_before_its_first_item() {
        use serde::de::{MapAccess, SeqAccess};
        // A visitor that counts the items it was handed: none may be handed before giving up.
        struct Count<'c>(&'c mut usize);
        impl<'de> Visitor<'de> for Count<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("anything")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some(key) = map.next_key::<String>()? {
                    if key == "items" {
                        map.next_value_seed(Count(&mut *self.0))?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    *self.0 += 1;
                }
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for Count<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        let mut items = 0;
        let text = "apiVersion: v1\nitems:\n- a: 1\n- b: 2\nkind: List\nmetadata: &m {}\n";
        assert!(matches!(deserialize(text, Count(&mut items)), Err(Error::Unsupported { line: 6, .. })));
        assert_eq!(items, 0);
        let text = "apiVersion: v1\nitems:\n- a: 1\n- b: 2\nkind: List\n";
        deserialize(text, Count(&mut items)).unwrap();
        assert_eq!(items, 2);
    }

    /// Random documents built from the pieces `helm template`, kubectl and people write, with
    /// random faults: whatever the fast reader reads, serde-saphyr reads the same.
    #[test]
    fn random_documents_read_as_serde_saphyr_reads_them() {
        let mut rng = Rng::new(15);
        let (mut read, mut left) = (0, 0);
        for case in 0..20_000 {
            let mut text = String::new();
            random_node(&mut rng, &mut text, 0, 0, true);
            let text = mangle(&mut rng, text);
            match fast(&text) {
                Ok(value) => {
                    read += 1;
                    assert_eq!(Ok(value), full(&text), "case {case}:\n{text}");
                }
                Err(Error::Unsupported { .. }) => left += 1,
                Err(e) => panic!("case {case}: {e}\n{text}"),
            }
        }
        eprintln!("{read} read, {left} left");
        assert!(read > 5_000 && left > 5_000, "both ways taken often: {read} read, {left} left");
    }

    const SCALARS: [&str; 42] = [
        "x",
        "0b6c-1",
        "--x=$(Y_Z)",
        "1_000",
        "0x1F",
        "-.inf",
        "1e999",
        "app-1",
        "\"\"",
        "''",
        "\"a b\"",
        "'it''s'",
        "\"\\e[2J\"",
        "1",
        "-2",
        "0.5",
        "true",
        "no",
        "~",
        "null",
        "\"true\"",
        "2026-10-01T12:00:00Z",
        "a b  c",
        "http://x:1/y",
        "v1.2.3",
        "*",
        "'*'",
        "\"\\u00e9\"",
        "x # c",
        "ünï",
        "a:b",
        "-1.5",
        ".5",
        "1e3",
        "On",
        "x#y",
        "-x",
        "0755",
        "'a: b'",
        "\"a # b\"",
        "a,b",
        "a]b",
    ];
    const KEYS: [&str; 16] = [
        "a", "b", "kind", "name", "\"q k\"", "'s'", "x-y", "a.b/c", "items", "metadata", "a:b", "-k", "\"1\"", "k#x",
        "a b", "\"\"",
    ];

    fn random_node(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, line_start: bool) {
        let pad = |n: usize| " ".repeat(n);
        match if depth > 3 { 2 } else { rng.below(4) } {
            0 => {
                for i in 0..1 + rng.below(3) {
                    if i > 0 || line_start {
                        out.push_str(&pad(indent));
                    }
                    out.push_str(rng.pick::<&str>(&KEYS));
                    out.push(':');
                    match rng.below(3) {
                        0 => {
                            out.push('\n');
                            let (deeper, seq_here) = (indent + 1 + rng.below(4) as usize, rng.below(2) == 0);
                            random_node(rng, out, if seq_here { indent } else { deeper }, depth + 1, true);
                        }
                        _ => {
                            out.push(' ');
                            random_inline(rng, out, depth);
                            out.push('\n');
                        }
                    }
                }
            }
            1 => {
                for i in 0..1 + rng.below(3) {
                    if i > 0 || line_start {
                        out.push_str(&pad(indent));
                    }
                    out.push_str(if rng.below(8) == 0 { "-   " } else { "- " });
                    if rng.below(3) == 0 {
                        let column = indent + 2 + rng.below(2) as usize;
                        random_node(rng, out, column, depth + 1, false);
                    } else {
                        random_inline(rng, out, depth);
                        out.push('\n');
                    }
                }
            }
            _ => {
                if line_start {
                    out.push_str(&pad(indent));
                }
                random_inline(rng, out, depth);
                out.push('\n');
            }
        }
    }

    fn random_inline(rng: &mut Rng, out: &mut String, depth: usize) {
        match if depth > 4 { 0 } else { rng.below(5) } {
            3 => {
                out.push('[');
                for i in 0..rng.below(3) {
                    out.push_str(if i > 0 { ", " } else { "" });
                    random_inline(rng, out, depth + 2);
                }
                out.push(']');
            }
            4 => {
                out.push('{');
                for i in 0..rng.below(3) {
                    out.push_str(if i > 0 { ", " } else { "" });
                    out.push_str(rng.pick::<&str>(&KEYS));
                    out.push_str(": ");
                    random_inline(rng, out, depth + 2);
                }
                out.push('}');
            }
            _ => out.push_str(rng.pick::<&str>(&SCALARS)),
        }
    }

    /// Sometimes adds comments and blank lines, or breaks the document one way or another.
    fn mangle(rng: &mut Rng, text: String) -> String {
        const SIGNIFICANT: [char; 20] =
            [' ', ' ', ':', '-', '#', '"', '\'', '[', ']', '{', '}', ',', '&', '*', '!', '|', '?', '\t', '\n', '\\'];
        let mut text = text;
        for _ in 0..rng.below(3) {
            let mut at = rng.below(text.len() as u64 + 1) as usize;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if rng.below(3) == 0 && at < text.len() {
                text.remove(at);
            } else {
                text.insert(at, *rng.pick(&SIGNIFICANT));
            }
        }
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        if lines.is_empty() {
            return text;
        }
        for _ in 0..rng.below(3) {
            let i = rng.below(lines.len() as u64) as usize;
            let line = lines[i].clone();
            match rng.below(10) {
                0 => lines.insert(i, "# a comment".into()),
                1 => lines.insert(i, String::new()),
                2 => lines[i] = format!(" {line}"),
                3 => lines[i] = line.trim_start().to_string(),
                4 => lines[i] = line.replacen(": ", ":", 1),
                5 => lines[i] = format!("{line} # trailing"),
                6 => lines[i] = format!("{line}  "),
                7 => lines[i] = line.replacen('"', "", 1),
                8 => lines[i] = line.replacen(']', "", 1),
                _ => lines.insert(i, "---".into()),
            }
        }
        lines.join("\n") + if rng.below(4) == 0 { "" } else { "\n" }
    }
}
