//! Accepted risk: an exceptions file, reviewed in git like code, lists findings a team accepts
//! (a break-glass role is unused on purpose). An accepted finding is reported apart: not counted
//! by severity, not remediated, not in the alerting metrics. It comes back when its exception
//! expires, or when the grant it names changes so the exception no longer matches; the finding
//! then says which, in `lapsed_exception`.
//!
//! ```yaml
//! exceptions:
//!   - id: GS-3f1c0a9b2e47              # a finding, as `grantscope findings` prints it
//!     cluster: prod
//!     reason: "Break-glass role: used only in an incident, by the on-call lead"
//!     owner: platform-security
//!     expires: 2026-12-31              # optional: from this day (UTC) it no longer accepts
//!     accepted_on: 2026-06-30          # written by `grantscope accept`, with the two below:
//!     grant: "eks-entry:arn:aws:iam::111122223333:role/break-glass"
//!     fingerprint: "9c3e0f1a2b4d6e8f"  # the grant as accepted; a changed grant no longer matches
//!   - match:                           # a pattern: every field given must match
//!       kind: unused-rbac-binding
//!       principal: "arn:aws:iam::*:role/break-glass*"
//!       grant: "rbac:RoleBinding/sandbox/*"
//!       namespace: "sandbox-*"
//!     reason: "Sandboxes are rebuilt weekly"
//!     owner: dev-platform
//! ```
//!
//! The rules, each tested below: an entry gives `id` or `match`, never both; `reason` and `owner`
//! are required; unknown fields are errors naming the entry. An `id` entry with a `fingerprint`
//! holds only while the grant's fingerprint ([`fingerprint()`]) is the same; without one (written
//! by hand) the id alone decides. A `match` entry's `kind` also matches an `insufficient-evidence`
//! finding that would be that kind (as `findings --kind` does); `namespace` matches when the
//! grant is namespaced (a RoleBinding, an access policy scoped to namespaces) and every one of its
//! namespaces matches (a grant that also reaches other namespaces is not accepted by it). An
//! entry with `cluster` applies to that cluster only. The first entry that holds accepts a
//! finding. An entry that matches no finding of the cluster is reported, to be removed.

mod append;
mod fingerprint;
mod glob;
pub mod outcome;

pub use append::{NewEntry, appended, entry_text};
pub use fingerprint::fingerprint;
pub use glob::glob_matches;
pub use outcome::{Acceptance, Lapsed, Unmatched};

use super::{Finding, FindingKind};
use crate::model::time::{format_day, parse_day};
use serde::Deserialize;

/// The default exceptions file of the command line, in the working directory.
pub const DEFAULT_FILE: &str = "grantscope.exceptions.yaml";

/// An exceptions file, read and checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exceptions {
    pub entries: Vec<Exception>,
}

/// One entry of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// Its position in the file, from 1, as errors and reports name it.
    pub number: usize,
    pub selector: EntrySelector,
    /// Only findings of this cluster.
    pub cluster: Option<String>,
    pub reason: String,
    pub owner: String,
    /// The UTC day from which it no longer accepts.
    pub expires: Option<i64>,
    pub accepted_on: Option<i64>,
    /// The grant's id and fingerprint when it was accepted (`id` entries only).
    pub grant: Option<String>,
    pub fingerprint: Option<String>,
}

/// What an entry selects.
#[derive(Debug, Clone, PartialEq)]
pub enum EntrySelector {
    /// One finding, by id.
    Id(String),
    /// Every finding the pattern matches.
    Match(Pattern),
}

/// A `match` pattern; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub kind: Option<FindingKind>,
    /// Glob over the finding's IAM principal ARN.
    pub principal: Option<String>,
    /// Glob over the grant id.
    pub grant: Option<String>,
    /// Glob every namespace of the grant must match.
    pub namespace: Option<String>,
}

/// An exceptions file that cannot be used, with the entry at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Not YAML, or not a mapping with an `exceptions` list.
    #[error("{0}")]
    Syntax(String),
    #[error("entry {entry}{}: {message}", .what.as_ref().map_or(String::new(), |w| format!(" ({w})")))]
    Entry { entry: usize, what: Option<String>, message: String },
}

impl Exception {
    /// `id GS-…`, or the pattern as `match kind=…, principal=…`.
    pub fn selector_text(&self) -> String {
        match &self.selector {
            EntrySelector::Id(id) => format!("id {id}"),
            EntrySelector::Match(p) => {
                let kind = p.kind.map(|k| k.as_str().to_string());
                let fields =
                    [("kind", &kind), ("principal", &p.principal), ("grant", &p.grant), ("namespace", &p.namespace)];
                let parts: Vec<String> =
                    fields.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}"))).collect();
                format!("match {}", parts.join(", "))
            }
        }
    }

    /// Whether the entry selects the finding (its cluster, expiry and fingerprint aside).
    fn selects(&self, f: &Finding) -> bool {
        match &self.selector {
            EntrySelector::Id(id) => *id == f.id,
            EntrySelector::Match(p) => {
                let glob = |pattern: &Option<String>, text: Option<&str>| {
                    pattern.as_deref().is_none_or(|p| text.is_some_and(|t| glob_matches(p, t)))
                };
                let namespaces = f.grant.namespaces();
                p.kind.is_none_or(|k| f.kind == k || f.would_be == Some(k))
                    && glob(&p.principal, f.principal.as_deref())
                    && glob(&p.grant, Some(f.grant.as_str()))
                    && p.namespace
                        .as_deref()
                        .is_none_or(|g| !namespaces.is_empty() && namespaces.iter().all(|ns| glob_matches(g, ns)))
            }
        }
    }

    /// Why a selected finding is not accepted by this entry today, if it is not.
    fn lapse(&self, f: &Finding, today: i64, fingerprint: &dyn Fn(&Finding) -> String) -> Option<String> {
        if let Some(day) = self.expires.filter(|d| today >= *d) {
            return Some(format!("exception expired on {}", format_day(day)));
        }
        let since = self.accepted_on.map_or(String::new(), |d| format!(" on {}", format_day(d)));
        if let Some(grant) = self.grant.as_deref().filter(|g| *g != f.grant.as_str()) {
            return Some(format!("the exception accepted grant {grant}{since}; the finding now names {}", f.grant));
        }
        let recorded = self.fingerprint.as_deref()?;
        let now = fingerprint(f);
        (now != recorded).then(|| {
            format!(
                "the grant changed since it was accepted{since} (fingerprint {recorded}, now {now}): review it and accept it again"
            )
        })
    }
}

/// The findings an exceptions file accepts, out of a cluster's findings.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Accepted findings, each with `accepted` set, in the order they were found.
    pub accepted: Vec<Finding>,
    /// Entries of this cluster (or of every cluster) that matched no finding.
    pub unmatched: Vec<Unmatched>,
}

/// Moves the findings an entry accepts on `today` (a UTC day) out of `findings`, and marks those
/// whose only matching entries lapsed. `fingerprint` gives a finding's grant's fingerprint now.
pub fn apply(
    exceptions: &Exceptions,
    cluster: &str,
    findings: &mut Vec<Finding>,
    today: i64,
    fingerprint: &dyn Fn(&Finding) -> String,
) -> Applied {
    let entries: Vec<&Exception> =
        exceptions.entries.iter().filter(|e| e.cluster.as_ref().is_none_or(|c| c == cluster)).collect();
    let mut matched = vec![false; entries.len()];
    let mut applied = Applied::default();
    let mut open = Vec::with_capacity(findings.len());
    for mut f in findings.drain(..) {
        let mut lapsed = None;
        let mut accepted = None;
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.selects(&f)) {
            matched[i] = true;
            match e.lapse(&f, today, fingerprint) {
                Some(why) => {
                    lapsed.get_or_insert(Lapsed { entry: e.number, reason: e.reason.clone(), why });
                }
                None => {
                    accepted = Some(Acceptance {
                        reason: e.reason.clone(),
                        owner: e.owner.clone(),
                        expires: e.expires.map(format_day),
                        matched_by: match e.selector {
                            EntrySelector::Id(_) => "id",
                            EntrySelector::Match(_) => "match",
                        },
                        entry: e.number,
                    });
                    break;
                }
            }
        }
        match accepted {
            Some(a) => {
                f.accepted = Some(a);
                applied.accepted.push(f);
            }
            None => {
                f.lapsed_exception = lapsed;
                open.push(f);
            }
        }
    }
    *findings = open;
    applied.unmatched = entries
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(e, _)| Unmatched { entry: e.number, selector: e.selector_text(), reason: e.reason.clone() })
        .collect();
    applied
}

/// The file as written: a mapping whose only key is `exceptions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    exceptions: Option<Vec<RawEntry>>,
}

/// One entry as written, before the checks serde cannot make. Every value is read as a string,
/// whatever it looks like (`owner: no` is the team "no", not false).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<String>,
    #[serde(rename = "match")]
    pattern: Option<Pattern>,
    cluster: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
    accepted_on: Option<String>,
    grant: Option<String>,
    fingerprint: Option<String>,
}

/// Reads an exceptions file's text. A file that is empty or holds only comments accepts nothing.
pub fn parse(text: &str) -> Result<Exceptions, ParseError> {
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(Exceptions::default());
    }
    let mut track = serde_path_to_error::Track::new();
    let options = serde_saphyr::options! { with_snippet: false };
    let raw = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        RawFile::deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
    });
    let raw = raw.map_err(|e| {
        use serde_path_to_error::Segment;
        let message = e.to_string().replace('\n', " ");
        // The path to the value at fault: `exceptions[2].match.kind` is entry 3's `match.kind`.
        let path = track.path();
        let mut segments = path.iter().skip(1);
        let Some(Segment::Seq { index }) = segments.next() else {
            return ParseError::Syntax(format!(
                "{message} (expected a mapping with one key, `exceptions`, holding a list of entries)"
            ));
        };
        let field: Vec<String> = segments
            .filter_map(|s| match s {
                Segment::Map { key } => Some(key.clone()),
                Segment::Seq { index } => Some(format!("[{index}]")),
                Segment::Enum { .. } | Segment::Unknown => None,
            })
            .collect();
        let field = field.join(".");
        let message = if field.is_empty() || message.contains(&format!("`{field}`")) {
            message
        } else {
            format!("{field}: {message}")
        };
        ParseError::Entry { entry: index + 1, what: id_of(text, *index), message }
    })?;
    let entries = raw.exceptions.unwrap_or_default().into_iter().enumerate().map(|(i, e)| entry(i + 1, e));
    Ok(Exceptions { entries: entries.collect::<Result<_, _>>()? })
}

/// `id X` of the entry at `index`, for an error about it, if the file reads that far.
fn id_of(text: &str, index: usize) -> Option<String> {
    let value: serde_json::Value = serde_saphyr::from_str(text).ok()?;
    value.get("exceptions")?.get(index)?.get("id")?.as_str().map(|id| format!("id {id}"))
}

/// One entry, checked; errors name it by position and id.
fn entry(number: usize, raw: RawEntry) -> Result<Exception, ParseError> {
    let what = raw.id.as_ref().map(|id| format!("id {id}"));
    let fail = |message: String| ParseError::Entry { entry: number, what: what.clone(), message };
    let required = |value: Option<String>, field: &str, what: &str| {
        value.filter(|v| !v.trim().is_empty()).ok_or_else(|| fail(format!("{field}: required: {what}")))
    };
    let reason = required(raw.reason, "reason", "why the risk is accepted")?;
    let owner = required(raw.owner, "owner", "who answers for the accepted risk (a team or a person)")?;
    let day = |value: Option<String>, field: &str| {
        value
            .map(|d| parse_day(&d).ok_or_else(|| fail(format!("{field}: `{d}` is not a date (YYYY-MM-DD)"))))
            .transpose()
    };
    let expires = day(raw.expires, "expires")?;
    let accepted_on = day(raw.accepted_on, "accepted_on")?;
    let selector = match (raw.id, raw.pattern) {
        (Some(_), Some(_)) => return Err(fail("give `id` or `match`, not both".into())),
        (None, None) => return Err(fail("give `id` (a finding id) or `match` (a pattern)".into())),
        (Some(id), None) if !is_finding_id(&id) => {
            return Err(fail(format!(
                "id: `{id}` is not a finding id (GS- and 12 hex digits, as `grantscope findings` prints them)"
            )));
        }
        (Some(id), None) => EntrySelector::Id(id),
        (None, Some(p)) => {
            let globs = [("principal", &p.principal), ("grant", &p.grant), ("namespace", &p.namespace)];
            if let Some((field, _)) = globs.iter().find(|(_, g)| g.as_deref() == Some("")) {
                return Err(fail(format!("match.{field}: empty; leave it out to match any")));
            }
            if p == Pattern::default() {
                return Err(fail("match: give at least one of kind, principal, grant, namespace".into()));
            }
            for (field, given) in [("grant", raw.grant.is_some()), ("fingerprint", raw.fingerprint.is_some())] {
                if given {
                    return Err(fail(format!("{field}: only an `id` entry records what it accepted")));
                }
            }
            EntrySelector::Match(p)
        }
    };
    if let Some(f) = raw.fingerprint.as_deref().filter(|f| f.len() != 16 || !f.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(fail(format!("fingerprint: `{f}` is not one `grantscope accept` writes (16 hex digits)")));
    }
    Ok(Exception {
        number,
        selector,
        cluster: raw.cluster,
        reason,
        owner,
        expires,
        accepted_on,
        grant: raw.grant,
        fingerprint: raw.fingerprint,
    })
}

/// `GS-` and 12 lowercase hex digits ([`super::finding_id`]).
pub fn is_finding_id(id: &str) -> bool {
    id.strip_prefix("GS-")
        .is_some_and(|h| h.len() == 12 && h.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
}

#[cfg(test)]
mod tests;
