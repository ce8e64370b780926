//! `grantscope accept` adds an entry to the exceptions file as text, after what is there: the
//! file is reviewed in git, so its comments, order and quoting stay byte for byte, and the diff is
//! the new entry alone. Every value is written double-quoted with YAML's escapes, so a reason
//! holding `: #`, quotes or a newline reads back as given.

use super::{Exceptions, ParseError, parse};
use crate::model::time::format_day;
use std::fmt::Write;

/// What `grantscope accept` records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub id: String,
    pub cluster: String,
    pub reason: String,
    pub owner: String,
    pub expires: Option<i64>,
    pub accepted_on: i64,
    pub grant: String,
    pub fingerprint: String,
}

/// What a new file starts with.
const HEADER: &str = "\
# Accepted risk for grantscope: the findings these entries match are reported apart, not counted
# by severity, not remediated, not alerted on. Review changes to this file like code.
# Format: the README's \"Accepted risk\" section. `grantscope accept ID --reason ...` appends here.
";

/// `s` as a YAML double-quoted scalar.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Line and paragraph separators and the BOM would break or hide lines in an editor.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The entry as list-item lines, each item line indented by `indent` spaces.
pub fn entry_text(e: &NewEntry, indent: usize) -> String {
    let (dash, key) = (" ".repeat(indent), " ".repeat(indent + 2));
    let mut out = format!("{dash}- id: {}\n", e.id);
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(out, "{key}{name}: {}", quoted(value));
    };
    field("cluster", &e.cluster);
    field("reason", &e.reason);
    field("owner", &e.owner);
    if let Some(day) = e.expires {
        field("expires", &format_day(day));
    }
    field("accepted_on", &format_day(e.accepted_on));
    field("grant", &e.grant);
    field("fingerprint", &e.fingerprint);
    out
}

/// The file's text with the entry added at the end of its `exceptions` list (`existing` is the
/// file as it is, `None` when there is none), checked by reading it back: the result holds every
/// entry it held and the new one last, or the reason it cannot be appended to as text.
pub fn appended(existing: Option<&str>, entry: &NewEntry) -> Result<(String, Exceptions), String> {
    let before = parse(existing.unwrap_or("")).map_err(|e| e.to_string())?;
    let mut text = existing.unwrap_or("").to_string();
    if text.trim().is_empty() {
        text = HEADER.to_string();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let key = text.lines().find(|l| l.starts_with("exceptions:"));
    let indent = match key {
        None => {
            text.push_str("exceptions:\n");
            2
        }
        Some(line) => {
            let rest = line["exceptions:".len()..].trim();
            if !(rest.is_empty() || rest.starts_with('#')) {
                return Err(format!(
                    "its list is written inline (`{line}`); write it as a block list (`exceptions:` then one `- ` item per line)"
                ));
            }
            // New items line up with the ones there (YAML allows `- ` at the key's indent too).
            let after = text.split_once(line).map_or("", |(_, a)| a);
            after
                .lines()
                .find(|l| l.trim_start().starts_with("- ") || l.trim() == "-")
                .map_or(2, |l| l.len() - l.trim_start().len())
        }
    };
    text.push_str(&entry_text(entry, indent));
    let after = parse(&text).map_err(|e: ParseError| format!("the file would not read back ({e})"))?;
    let same_before = after.entries.len() == before.entries.len() + 1
        && after.entries.iter().zip(&before.entries).all(|(a, b)| a == b);
    let last = after.entries.last();
    let added = last.is_some_and(|l| {
        l.selector == super::EntrySelector::Id(entry.id.clone())
            && l.reason == entry.reason
            && l.owner == entry.owner
            && l.fingerprint.as_deref() == Some(entry.fingerprint.as_str())
    });
    if !(same_before && added) {
        return Err("the entry, added at the end, would not read back as the list's last".into());
    }
    Ok((text, after))
}
