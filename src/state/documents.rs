//! Splitting a state file into the documents it holds, each with its number and first line, so
//! each is parsed on its own: a file of 100,000 documents costs one document's memory at a time
//! beyond the state built, parsing limits apply per document, and an error names the real document
//! and line.
//!
//! YAML forbids a line starting with `---` or `...` (then a space or the line's end) inside any
//! scalar, so such a line always marks a document boundary, whatever it sits in: splitting there
//! is exact, not a heuristic. A JSON file is one document, as kubectl reads it.

/// One document of a file.
#[derive(Debug, PartialEq)]
pub(super) struct Document<'a> {
    /// 1-based, as the user counts: the n-th `---`-separated part with anything in it.
    pub number: usize,
    /// 1-based line of the document's first line in the file.
    pub line: usize,
    pub text: &'a str,
}

/// Whether the text is JSON: kubectl's rule, the first character that is not white space opens an
/// object or an array.
pub(super) fn is_json(text: &str) -> bool {
    matches!(text.trim_start_matches('\u{feff}').trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// Whether a line is a document marker: `---` or `...` then white space or the end of the line.
fn marker(line: &str) -> Option<&'static str> {
    let rest_ok = |rest: &str| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']);
    if let Some(rest) = line.strip_prefix("---") {
        return rest_ok(rest).then_some("---");
    }
    line.strip_prefix("...").filter(|rest| rest_ok(rest)).map(|_| "...")
}

/// Whether a YAML text holds nothing but white space, comments and directives.
pub(super) fn is_blank(text: &str) -> bool {
    let empty = |l: &str| l.is_empty() || l.starts_with('#');
    text.lines().map(str::trim_end).all(|l| {
        let rest = if marker(l).is_some() { &l[3..] } else { l };
        empty(rest.trim_start()) || l.starts_with('%')
    })
}

/// The YAML documents of a text, in order. Parts with nothing but comments (the text before a
/// first `---`, between `---` lines) are skipped and not counted, as kubectl skips them.
pub(super) fn yaml_documents(text: &str) -> impl Iterator<Item = Document<'_>> {
    let bytes = text.as_bytes();
    let mut markers = markers(text).chain([(text.len(), "")]);
    let mut start = 0; // byte offset of the current part
    let mut start_line = 1;
    // Lines are counted up to `counted`, which is on line `counted_line`.
    let (mut counted, mut counted_line) = (0, 1);
    let mut number = 0;
    std::iter::from_fn(move || {
        for (at, m) in markers.by_ref() {
            counted_line += bytes[counted..at].iter().filter(|&&b| b == b'\n').count();
            counted = at;
            let part = (&text[start..at], start_line);
            // `---` opens a part (its line is the part's, content may follow it); `...` closes
            // one (its line belongs to none).
            (start, start_line) = match m {
                "---" => (at, counted_line),
                _ => (memchr::memchr(b'\n', &bytes[at..]).map_or(text.len(), |i| at + i + 1), counted_line + 1),
            };
            if !is_blank(part.0) {
                number += 1;
                return Some(Document { number, line: part.1, text: part.0 });
            }
        }
        None
    })
}

/// The document markers of a text, in order: (byte offset, `---` or `...`).
fn markers(text: &str) -> impl Iterator<Item = (usize, &'static str)> + '_ {
    use memchr::memmem::find_iter;
    let bytes = text.as_bytes();
    let mut dashes = find_iter(bytes, b"---").peekable();
    let mut dots = find_iter(bytes, b"...").peekable();
    std::iter::from_fn(move || {
        loop {
            let at = match (dashes.peek(), dots.peek()) {
                (Some(&d), Some(&p)) if p < d => dots.next(),
                (Some(_), _) => dashes.next(),
                (None, _) => dots.next(),
            }?;
            if (at == 0 || bytes[at - 1] == b'\n')
                && let Some(m) = marker(&text[at..])
            {
                return Some((at, m));
            }
        }
    })
}

/// Limits for one YAML document. Without aliases every node costs input bytes, so node, event and
/// scalar-byte counts need no cap of their own beyond the input's size (a real cluster's List is
/// millions of nodes); what a small input can blow up is alias expansion, which keeps serde-saphyr's
/// limits (1,000,000 replayed events per document, the alias/anchor ratio).
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: usize::MAX,
            max_nodes: usize::MAX,
            max_total_scalar_bytes: usize::MAX,
        },
        with_snippet: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_documents_split_at_markers_and_keep_their_first_line() {
        struct Case {
            name: &'static str,
            text: &'static str,
            want: &'static [(usize, &'static str)],
        }
        let cases = [
            Case { name: "one bare document", text: "a: 1\nb: 2\n", want: &[(1, "a: 1\nb: 2\n")] },
            Case {
                name: "a leading marker opens the first document",
                text: "---\na: 1\n---\nb: 2\n",
                want: &[(1, "---\na: 1\n"), (3, "---\nb: 2\n")],
            },
            Case {
                name: "comment-only parts are not documents",
                text: "# Source: x\n---\n# nothing\n---\na: 1\n",
                want: &[(4, "---\na: 1\n")],
            },
            Case {
                name: "content after the marker stays with its document",
                text: "--- {a: 1}\n--- !!str x\n",
                want: &[(1, "--- {a: 1}\n"), (2, "--- !!str x\n")],
            },
            Case {
                name: "an end marker closes a document and its line belongs to none",
                text: "a: 1\n...\nb: 2\n",
                want: &[(1, "a: 1\n"), (3, "b: 2\n")],
            },
            Case {
                name: "dashes not followed by a space are content",
                text: "a: |\n  ---x\n----\n",
                want: &[(1, "a: |\n  ---x\n----\n")],
            },
            Case {
                name: "CRLF line ends",
                text: "---\r\na: 1\r\n---\r\nb: 2\r\n",
                want: &[(1, "---\r\na: 1\r\n"), (3, "---\r\nb: 2\r\n")],
            },
            Case { name: "an empty text has no document", text: "", want: &[] },
        ];
        for c in cases {
            let got: Vec<(usize, &str)> = yaml_documents(c.text).map(|d| (d.line, d.text)).collect();
            assert_eq!(got, c.want, "{}", c.name);
            let numbers: Vec<usize> = yaml_documents(c.text).map(|d| d.number).collect();
            assert_eq!(numbers, (1..=c.want.len()).collect::<Vec<_>>(), "{}: numbered from 1", c.name);
        }
    }

    #[test]
    fn json_is_told_by_its_first_character() {
        for (text, want) in
            [("  {\"a\":1}", true), ("\u{feff}[1]", true), ("a: {}", false), ("# {\n", false), ("", false)]
        {
            assert_eq!(is_json(text), want, "{text:?}");
        }
    }
}
