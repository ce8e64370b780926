//! What a report holds: the [`Report`] value and its sections, built from an assessment and the
//! store's figures; every format renders this one value.

use super::since_previous::SincePrevious;
use crate::analysis::assessment::Assessment;
use crate::analysis::inventory::{GrantRow, GrantStatus, inventory};
use crate::analysis::{Finding, FindingKind, Severity, StateChange, Together};
use crate::authz::policies::policy_name;
use crate::model::AccessScope;
use crate::model::time::format_day;
use crate::store::{AssessmentCounts, DayCount};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the report's JSON format (`grantscope_report`).
pub const REPORT_FORMAT: u32 = 1;

/// How many top risks and reductions the summary shows.
const TOP: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub grantscope_report: u32,
    pub generated_at: String,
    pub cluster: String,
    pub state_version: i64,
    pub window: WindowSpan,
    pub summary: Summary,
    pub coverage: Coverage,
    /// Ids of the most severe findings, most severe first.
    pub top_risks: Vec<String>,
    pub biggest_reductions: Vec<Reduction>,
    /// Open findings: those no exception accepts.
    pub findings: Vec<Finding>,
    /// Findings an exception accepts, each with its `accepted` object; not in the counts.
    pub accepted_findings: Vec<Finding>,
    /// Entries of the exceptions file that match no finding of the cluster.
    pub unmatched_exceptions: Vec<crate::analysis::exceptions::Unmatched>,
    pub grants: Vec<GrantRow>,
    /// Who changed access in the window, oldest first (`grantscope timeline`).
    pub access_changes: Vec<crate::analysis::timeline::Change>,
    /// The controls some finding bears on, with the findings.
    pub compliance: Vec<ComplianceRow>,
    pub charts: Charts,
    /// What changed since an earlier report (`report --since-report`, or the daemon's last
    /// scheduled one); absent when there is none to compare with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_previous: Option<SincePrevious>,
}

/// A compliance control and the findings that bear on it.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceRow {
    #[serde(flatten)]
    pub control: crate::analysis::compliance::Control,
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowSpan {
    pub days: u32,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub grants: GrantCounts,
    pub findings: SeverityCounts,
    /// Requests in the window.
    pub requests: i64,
    pub agreement: Agreement,
    /// All recommendations applied together and replayed over the window.
    pub recommendations: Together,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GrantCounts {
    pub total: usize,
    pub used: usize,
    pub unused: usize,
    pub shadowed: usize,
    pub insufficient_evidence: usize,
    pub unknown: usize,
    /// Maintained by AWS or Kubernetes: never recommended for removal or narrowing.
    pub managed: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SeverityCounts {
    pub total: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// Findings an exception accepts, counted apart (not in the others).
    pub accepted: usize,
}

/// Recorded decisions against the current state's, in requests.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    pub compared: i64,
    pub agreeing: i64,
    /// `agreeing / compared`; absent when nothing recorded a decision.
    pub ratio: Option<f64>,
    /// The same against the state that held on each request's day.
    pub at_the_time: AgreementAtTheTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgreementAtTheTime {
    pub compared: i64,
    pub agreeing: i64,
    pub ratio: Option<f64>,
    /// Requests not compared: on days the state changed, or of principals whose grants were deleted since.
    pub excluded: i64,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub window_days: u32,
    pub observed_days: i64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Runs of days without any event between the first and the last observed day.
    pub gaps: Vec<Gap>,
    /// Bad records skipped at ingest, for this cluster.
    pub ingest_errors: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub days: i64,
}

/// A recommendation that takes privilege away: from the grant to what replaces it.
#[derive(Debug, Clone, Serialize)]
pub struct Reduction {
    pub finding: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub principal: Option<String>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Charts {
    pub requests_per_day: Vec<DayPoint>,
    pub findings_by_kind: BTreeMap<&'static str, usize>,
    /// Principals with the most unused grants, most first.
    pub unused_grants_per_principal: Vec<PrincipalCount>,
    /// Unused grants and findings by severity at the last assessment of each day in the window,
    /// this report's the last.
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub day: String,
    pub grants_unused: i64,
    pub findings_high: i64,
    pub findings_medium: i64,
    pub findings_low: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayPoint {
    pub day: String,
    pub requests: i64,
    pub allowed: i64,
    pub denied: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipalCount {
    pub principal: String,
    pub unused: usize,
}

/// What the report is built from besides the assessment.
pub struct ReportInputs<'a> {
    pub days: &'a [DayCount],
    pub ingest_errors: i64,
    pub generated_at: String,
    /// The cluster's access changes (all; the report keeps the window's).
    pub access_changes: Vec<crate::analysis::timeline::Change>,
    /// Earlier assessments' counts in the window, oldest first.
    pub history: &'a [AssessmentCounts],
}

impl Report {
    pub fn build(a: &Assessment, inputs: ReportInputs) -> Report {
        // An accepted finding still says what its grant is (an unused break-glass entry is unused).
        let judged: Vec<Finding> = a.findings.iter().chain(&a.accepted).cloned().collect();
        let grants = inventory(&a.state, &a.usage, &judged);
        let mut counts = GrantCounts { total: grants.len(), ..GrantCounts::default() };
        for g in &grants {
            *match g.status {
                GrantStatus::Used => &mut counts.used,
                GrantStatus::Unused => &mut counts.unused,
                GrantStatus::Shadowed => &mut counts.shadowed,
                GrantStatus::InsufficientEvidence => &mut counts.insufficient_evidence,
                GrantStatus::Unknown => &mut counts.unknown,
                GrantStatus::Managed => &mut counts.managed,
            } += 1;
        }
        let mut severities =
            SeverityCounts { total: a.findings.len(), accepted: a.accepted.len(), ..SeverityCounts::default() };
        for f in &a.findings {
            *match f.severity {
                Severity::High => &mut severities.high,
                Severity::Medium => &mut severities.medium,
                Severity::Low => &mut severities.low,
            } += 1;
        }
        let (compared, agreeing) = (a.replay.recorded_requests_compared, a.replay.recorded_requests_agreeing);
        let to_day = crate::model::time::day_of(a.options.now_ms);
        let mut findings_by_kind = BTreeMap::new();
        for f in &a.findings {
            *findings_by_kind.entry(f.kind.as_str()).or_insert(0) += 1;
        }
        let mut report = Report {
            grantscope_report: REPORT_FORMAT,
            generated_at: inputs.generated_at,
            cluster: a.replay.cluster.clone(),
            state_version: a.replay.state_version,
            window: WindowSpan { days: a.options.window_days, from: format_day(a.from_day), to: format_day(to_day) },
            summary: Summary {
                grants: counts,
                findings: severities,
                requests: inputs.days.iter().map(|d| d.requests).sum(),
                agreement: Agreement {
                    compared,
                    agreeing,
                    ratio: ratio(agreeing, compared),
                    at_the_time: AgreementAtTheTime {
                        compared: a.replay.at_the_time.compared,
                        agreeing: a.replay.at_the_time.agreeing,
                        ratio: ratio(a.replay.at_the_time.agreeing, a.replay.at_the_time.compared),
                        excluded: a.replay.at_the_time.excluded,
                    },
                },
                recommendations: a.together,
            },
            coverage: Coverage {
                window_days: a.options.window_days,
                observed_days: a.observed_days,
                first_day: inputs.days.first().map(|d| format_day(d.day)),
                last_day: inputs.days.last().map(|d| format_day(d.day)),
                gaps: gaps(inputs.days),
                ingest_errors: inputs.ingest_errors,
            },
            top_risks: a
                .findings
                .iter()
                .filter(|f| f.severity == Severity::High)
                .take(TOP)
                .map(|f| f.id.clone())
                .collect(),
            biggest_reductions: a.findings.iter().filter_map(reduction).take(TOP).collect(),
            charts: Charts {
                requests_per_day: inputs
                    .days
                    .iter()
                    .map(|d| DayPoint {
                        day: format_day(d.day),
                        requests: d.requests,
                        allowed: d.allowed,
                        denied: d.denied,
                    })
                    .collect(),
                findings_by_kind,
                unused_grants_per_principal: unused_per_principal(&grants),
                trend: Vec::new(),
            },
            compliance: crate::analysis::compliance::CONTROLS
                .iter()
                .map(|c| ComplianceRow {
                    control: *c,
                    findings: a.findings.iter().filter(|f| f.controls.contains(&c.id)).map(|f| f.id.clone()).collect(),
                })
                .filter(|row| !row.findings.is_empty())
                .collect(),
            findings: a.findings.clone(),
            accepted_findings: a.accepted.clone(),
            unmatched_exceptions: a.unmatched_exceptions.clone(),
            grants,
            access_changes: inputs
                .access_changes
                .into_iter()
                .filter(|c| c.time_ms >= a.from_day * crate::model::time::MS_PER_DAY)
                .collect(),
            since_previous: None,
        };
        report.charts.trend = trend(inputs.history, &report.counts(a.options.now_ms));
        report
    }

    /// This report's counts, as the trend chart keeps them.
    pub fn counts(&self, at_ms: i64) -> AssessmentCounts {
        let s = &self.summary;
        AssessmentCounts {
            at_ms,
            state_version: self.state_version,
            grants_used: s.grants.used as i64,
            grants_unused: s.grants.unused as i64,
            findings_high: s.findings.high as i64,
            findings_medium: s.findings.medium as i64,
            findings_low: s.findings.low as i64,
        }
    }

    /// A finding by id.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }
}

/// A ratio as a percentage with two decimals, or `n/a`.
pub(super) fn percent(ratio: Option<f64>) -> String {
    ratio.map_or("n/a".to_string(), |r| format!("{:.2} %", r * 100.0))
}

/// The last assessment of each day, `now` last (it replaces an earlier one of its day).
fn trend(history: &[AssessmentCounts], now: &AssessmentCounts) -> Vec<TrendPoint> {
    let mut points: Vec<TrendPoint> = Vec::new();
    for c in history.iter().filter(|c| c.at_ms < now.at_ms).chain([now]) {
        let point = TrendPoint {
            day: format_day(crate::model::time::day_of(c.at_ms)),
            grants_unused: c.grants_unused,
            findings_high: c.findings_high,
            findings_medium: c.findings_medium,
            findings_low: c.findings_low,
        };
        match points.last_mut() {
            Some(last) if last.day == point.day => *last = point,
            _ => points.push(point),
        }
    }
    points
}

/// Runs of missing days between consecutive observed days (`days` in order).
pub fn gaps(days: &[DayCount]) -> Vec<Gap> {
    days.windows(2)
        .filter(|w| w[1].day - w[0].day > 1)
        .map(|w| Gap { from: format_day(w[0].day + 1), to: format_day(w[1].day - 1), days: w[1].day - w[0].day - 1 })
        .collect()
}

fn unused_per_principal(grants: &[GrantRow]) -> Vec<PrincipalCount> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for g in grants.iter().filter(|g| g.status == GrantStatus::Unused) {
        // RBAC bindings name subjects, not one principal: they count under their grant id.
        *by.entry(g.principal.as_deref().unwrap_or(g.grant.as_str())).or_insert(0) += 1;
    }
    let mut out: Vec<PrincipalCount> =
        by.into_iter().map(|(principal, unused)| PrincipalCount { principal: principal.to_string(), unused }).collect();
    out.sort_by(|a, b| b.unused.cmp(&a.unused).then_with(|| a.principal.cmp(&b.principal)));
    out.truncate(10);
    out
}

/// What the finding's change takes away, in words.
fn reduction(f: &Finding) -> Option<Reduction> {
    let scope = |s: &AccessScope| match s {
        AccessScope::Cluster => "the whole cluster".to_string(),
        AccessScope::Namespace { namespaces } => format!("namespaces {}", namespaces.join(", ")),
    };
    let to = match f.change.as_ref()? {
        StateChange::Remove(_) => "removed".to_string(),
        // Re-created as it was: nothing is taken away.
        StateChange::Recreate { .. } => return None,
        StateChange::Scope { scope: s, .. } => format!("the same policy in {}", scope(s)),
        StateChange::Policy { policy_arn, .. } => policy_name(policy_arn).unwrap_or(policy_arn).to_string(),
        StateChange::RemoveGroup { group, .. } => format!("the entry without group {group}"),
        StateChange::Replace { rbac, .. } => {
            let rules: usize = rbac.roles.iter().map(|r| r.rules.len()).sum();
            format!("{rules} generated RBAC rules in {} roles, through group {}", rbac.roles.len(), rbac.group)
        }
    };
    Some(Reduction {
        finding: f.id.clone(),
        kind: f.kind,
        severity: f.severity,
        principal: f.principal.clone(),
        from: f.grant.to_string(),
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_the_runs_of_missing_days_between_observed_ones() {
        type Case<'a> = (&'a str, &'a [i64], &'a [(i64, i64)]);
        let cases: [Case; 4] = [
            ("no days, no gaps", &[], &[]),
            ("consecutive days", &[10, 11, 12], &[]),
            ("one missing day", &[10, 12], &[(11, 1)]),
            ("two runs", &[10, 14, 15, 17], &[(11, 3), (16, 1)]),
        ];
        for (name, days, want) in cases {
            let days: Vec<DayCount> =
                days.iter().map(|&d| DayCount { day: d, requests: 1, allowed: 0, denied: 0 }).collect();
            let got: Vec<(String, i64)> = gaps(&days).into_iter().map(|g| (g.from, g.days)).collect();
            let want: Vec<(String, i64)> = want.iter().map(|&(d, n)| (format_day(d), n)).collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
