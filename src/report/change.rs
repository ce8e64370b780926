//! What changed since an earlier report of the same cluster: findings new and resolved, grants
//! added and removed, and the headline figures then and now. A periodic report is read next to the
//! last one; this section is that reading, done for the reader.
//!
//! The earlier report is read from its JSON (the published format, any version that carries these
//! fields), so a report from last week's file and one kept by the daemon compare the same way.

use super::contents::{REPORT_FORMAT, Report};
use super::since_previous::{Figures, FindingRef, SincePrevious};
use crate::model::GrantId;
use serde::Deserialize;
use std::collections::HashSet;

/// An earlier report that cannot be compared with.
#[derive(Debug, thiserror::Error)]
pub enum PreviousReportError {
    #[error("not a grantscope JSON report: {0}")]
    Unreadable(#[source] serde_path_to_error::Error<serde_json::Error>),
    /// Within a format version fields are only ever added, so any report of this one compares.
    #[error("report format {found}; this grantscope compares with format {expected} (grantscope_report)")]
    Format { found: u32, expected: u32 },
    #[error("a report of cluster {found}, not of {expected}")]
    Cluster { found: String, expected: String },
}

/// The fields of an earlier report the comparison reads.
#[derive(Deserialize)]
struct Previous {
    grantscope_report: u32,
    generated_at: String,
    cluster: String,
    state_version: i64,
    summary: PreviousSummary,
    findings: Vec<FindingRef>,
    /// Absent from reports written before exceptions existed: none were accepted.
    #[serde(default)]
    accepted_findings: Vec<FindingRef>,
    grants: Vec<PreviousGrant>,
}

#[derive(Deserialize)]
struct PreviousSummary {
    grants: PreviousGrantCounts,
    findings: PreviousSeverities,
    agreement: PreviousAgreement,
}

#[derive(Deserialize)]
struct PreviousGrantCounts {
    used: usize,
    unused: usize,
}

#[derive(Deserialize)]
struct PreviousSeverities {
    high: usize,
    medium: usize,
    low: usize,
}

#[derive(Deserialize)]
struct PreviousAgreement {
    ratio: Option<f64>,
}

#[derive(Deserialize)]
struct PreviousGrant {
    grant: GrantId,
}

impl Report {
    /// Adds the "since the previous report" section, against an earlier report's JSON.
    pub fn compare_with(&mut self, previous_json: &str) -> Result<(), PreviousReportError> {
        self.since_previous = Some(since(previous_json, self)?);
        Ok(())
    }
}

/// What changed from the report in `previous_json` to `current`.
pub fn since(previous_json: &str, current: &Report) -> Result<SincePrevious, PreviousReportError> {
    let mut de = serde_json::Deserializer::from_str(previous_json);
    let previous: Previous = serde_path_to_error::deserialize(&mut de).map_err(PreviousReportError::Unreadable)?;
    if previous.grantscope_report != REPORT_FORMAT {
        return Err(PreviousReportError::Format { found: previous.grantscope_report, expected: REPORT_FORMAT });
    }
    if previous.cluster != current.cluster {
        return Err(PreviousReportError::Cluster { found: previous.cluster, expected: current.cluster.clone() });
    }
    let refs = |findings: &[crate::analysis::Finding]| -> Vec<FindingRef> {
        findings
            .iter()
            .map(|f| FindingRef {
                id: f.id.clone(),
                kind: f.kind.to_string(),
                severity: f.severity.to_string(),
                grant: f.grant.clone(),
            })
            .collect()
    };
    let now_findings = refs(&current.findings);
    let now_accepted = refs(&current.accepted_findings);
    // A finding accepted since is not resolved: it is still true, and listed as newly accepted.
    let now_all: Vec<FindingRef> = now_findings.iter().chain(&now_accepted).cloned().collect();
    let then_grants: Vec<GrantId> = previous.grants.into_iter().map(|g| g.grant).collect();
    let now_grants: Vec<GrantId> = current.grants.iter().map(|g| g.grant.clone()).collect();
    let s = &current.summary;
    Ok(SincePrevious {
        previous_generated_at: previous.generated_at,
        previous_state_version: previous.state_version,
        new_findings: missing_from(&now_findings, &previous.findings, |f| &f.id),
        resolved_findings: missing_from(&previous.findings, &now_all, |f| &f.id),
        newly_accepted: missing_from(&now_accepted, &previous.accepted_findings, |f| &f.id),
        grants_added: missing_from(&now_grants, &then_grants, GrantId::as_str),
        grants_removed: missing_from(&then_grants, &now_grants, GrantId::as_str),
        then: Figures {
            grants_used: previous.summary.grants.used,
            grants_unused: previous.summary.grants.unused,
            findings_high: previous.summary.findings.high,
            findings_medium: previous.summary.findings.medium,
            findings_low: previous.summary.findings.low,
            agreement_ratio: previous.summary.agreement.ratio,
        },
        now: Figures {
            grants_used: s.grants.used,
            grants_unused: s.grants.unused,
            findings_high: s.findings.high,
            findings_medium: s.findings.medium,
            findings_low: s.findings.low,
            agreement_ratio: s.agreement.ratio,
        },
    })
}

/// The items of `items` whose key is not among `others`' keys, in `items`' order.
fn missing_from<T: Clone, K: Eq + std::hash::Hash + ?Sized>(
    items: &[T],
    others: &[T],
    key: impl Fn(&T) -> &K,
) -> Vec<T> {
    let known: HashSet<&K> = others.iter().map(&key).collect();
    items.iter().filter(|i| !known.contains(key(i))).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_from_keeps_order_and_compares_by_key() {
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let cases: [Case; 4] = [
            ("nothing before: all new", &["a", "b"], &[], &["a", "b"]),
            ("the same: nothing new", &["a", "b"], &["b", "a"], &[]),
            ("one new, in order", &["c", "a", "d"], &["a"], &["c", "d"]),
            ("nothing now: nothing new", &[], &["a"], &[]),
        ];
        for (name, items, others, want) in cases {
            let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
            let others: Vec<String> = others.iter().map(|s| s.to_string()).collect();
            assert_eq!(missing_from(&items, &others, String::as_str), want, "{name}");
        }
    }

    #[test]
    fn an_earlier_report_that_is_not_one_is_refused_with_the_field() {
        let err = match serde_path_to_error::deserialize::<_, Previous>(&mut serde_json::Deserializer::from_str(
            r#"{"grantscope_report": 1, "generated_at": "x", "cluster": "c", "state_version": "seven"}"#,
        )) {
            Err(e) => PreviousReportError::Unreadable(e),
            Ok(_) => panic!("must not parse"),
        };
        assert!(err.to_string().contains("state_version"), "{err}");
    }
}
