//! The report as one self-contained HTML file: inline CSS and SVG, no script, no external request,
//! readable in any browser or mail client. maud escapes every value it writes.

use super::charts;
use super::contents::{Report, percent};
use super::since_previous::{Figures, FindingRef, SincePrevious};
use crate::model::GrantId;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1d2430}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}td,th{border:1px solid #d8dde6;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}code,pre{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#f3f5f9;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.sev-high{color:#b3261e;font-weight:600}.sev-medium{color:#a15c00;font-weight:600}.sev-low{color:#3c5a99}
.finding{border:1px solid #d8dde6;border-radius:6px;padding:.4rem 1rem;margin:1rem 0}.muted{color:#5b6472}
.chart .bar{fill:#3c6fd1}.chart .bar-denied{fill:#d1453c}.chart .axis{stroke:#8a93a3}.chart .label{font-size:11px;fill:#3b4350}
.status-unused{color:#b3261e}.status-used{color:#1e7a3c}
.chart polyline,.chart line.line-unused,.chart line.line-high,.chart line.line-medium,.chart line.line-low{fill:none;stroke-width:2}
.line-unused{stroke:#3c6fd1;fill:#3c6fd1}.line-high{stroke:#b3261e;fill:#b3261e}.line-medium{stroke:#a15c00;fill:#a15c00}.line-low{stroke:#6b7a99;fill:#6b7a99}
";

/// "Since the previous report": the figures then and now, then what is new and what is gone.
fn since_previous(d: &SincePrevious) -> Markup {
    let ratio = |f: &Figures| percent(f.agreement_ratio);
    let rows: [(&str, String, String); 6] = [
        ("Grants used", d.then.grants_used.to_string(), d.now.grants_used.to_string()),
        ("Grants unused", d.then.grants_unused.to_string(), d.now.grants_unused.to_string()),
        ("High findings", d.then.findings_high.to_string(), d.now.findings_high.to_string()),
        ("Medium findings", d.then.findings_medium.to_string(), d.now.findings_medium.to_string()),
        ("Low findings", d.then.findings_low.to_string(), d.now.findings_low.to_string()),
        ("Agreement", ratio(&d.then), ratio(&d.now)),
    ];
    let findings = |title: &str, list: &[FindingRef]| {
        html! {
            h3 { (title) " (" (list.len()) ")" }
            @if list.is_empty() { p.muted { "None." } } @else {
                ul { @for f in list {
                    li { code { (f.id) } " " (f.kind) " " span class=(format!("sev-{}", f.severity)) { "(" (f.severity) ")" }
                        " " code { (f.grant) } }
                } }
            }
        }
    };
    let grants = |title: &str, list: &[GrantId]| {
        html! {
            h3 { (title) " (" (list.len()) ")" }
            @if list.is_empty() { p.muted { "None." } } @else { ul { @for g in list { li { code { (g) } } } } }
        }
    };
    html! {
        h2 { "Since the previous report" }
        p.muted { "Compared with the report of " (d.previous_generated_at) " (state version "
            (d.previous_state_version) ")." }
        table {
            tr { th { "" } th { "Then" } th { "Now" } }
            @for (name, then, now) in &rows { tr { th { (name) } td { (then) } td { (now) } } }
        }
        (findings("New findings", &d.new_findings))
        (findings("Resolved findings", &d.resolved_findings))
        (findings("Newly accepted", &d.newly_accepted))
        (grants("Grants added", &d.grants_added))
        (grants("Grants removed", &d.grants_removed))
    }
}

/// "Accepted risk": the findings an exception accepts, and the exceptions that match nothing.
fn accepted_risk(r: &Report) -> Markup {
    html! {
        h2 { "Accepted risk" }
        @if r.accepted_findings.is_empty() { p { "No finding is accepted by an exception." } } @else {
            p.muted { "Accepted by the exceptions file: not counted above, not remediated, not alerted on." }
            table {
                tr { th { "Finding" } th { "Severity" } th { "Grant" } th { "Reason" } th { "Owner" } th { "Expires" } th { "Entry" } }
                @for f in &r.accepted_findings {
                    @if let Some(a) = &f.accepted {
                        tr { td { code { (f.id) } " " (f.kind) } td class=(format!("sev-{}", f.severity)) { (f.severity) }
                            td { code { (f.grant) } } td { (a.reason) } td { (a.owner) }
                            td { (a.expires.as_deref().unwrap_or("never")) } td { (a.entry) " (" (a.matched_by) ")" } }
                    }
                }
            }
        }
        @if !r.unmatched_exceptions.is_empty() {
            p { "Exceptions that match no finding (remove or fix them):" }
            ul { @for u in &r.unmatched_exceptions { li { "entry " (u.entry) ": " code { (u.selector) } " (" (u.reason) ")" } } }
        }
    }
}

pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let g = &s.grants;
    let c = &r.coverage;
    let kinds: Vec<(String, usize)> = r.charts.findings_by_kind.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    let unused: Vec<(String, usize)> =
        r.charts.unused_grants_per_principal.iter().map(|p| (p.principal.clone(), p.unused)).collect();
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "grantscope report: " (r.cluster) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Least-privilege report: cluster " (r.cluster) }
                p.muted {
                    "Generated " (r.generated_at) " from state version " (r.state_version) ", over the "
                    (r.window.days) " days " (r.window.from) " to " (r.window.to) "."
                }
                h2 { "Summary" }
                table {
                    tr { th { "Grants" } td { (g.total) " total: " span.status-used { (g.used) " used" } ", "
                        span.status-unused { (g.unused) " unused" } ", " (g.shadowed) " shadowed, "
                        (g.insufficient_evidence) " insufficient evidence, " (g.unknown) " not judged, "
                        (g.managed) " managed by AWS or Kubernetes" } }
                    tr { th { "Findings" } td { (s.findings.total) ": " span.sev-high { (s.findings.high) " high" } ", "
                        span.sev-medium { (s.findings.medium) " medium" } ", " span.sev-low { (s.findings.low) " low" }
                        "; " (s.findings.accepted) " accepted, counted apart" } }
                    tr { th { "Requests in the window" } td { (s.requests) } }
                    tr { th { "Agreement with recorded decisions" } td {
                        (percent(s.agreement.ratio)) " (" (s.agreement.agreeing) " of " (s.agreement.compared)
                        " requests) against today's state; " (percent(s.agreement.at_the_time.ratio)) " ("
                        (s.agreement.at_the_time.agreeing) " of " (s.agreement.at_the_time.compared)
                        ") against the state of the time, " (s.agreement.at_the_time.excluded) " requests not comparable"
                    } }
                    tr { th { "Recommendations" } td { (s.recommendations.changes) " applied together: "
                        strong { (s.recommendations.denied_requests) } " of " (s.recommendations.allowed_requests)
                        " allowed requests would be denied" } }
                    tr { th { "Data coverage" } td {
                        (c.observed_days) " of " (c.window_days) " days observed"
                        @if let (Some(a), Some(b)) = (&c.first_day, &c.last_day) { " (" (a) " to " (b) ")" }
                        "; "
                        @if c.gaps.is_empty() { "no gaps" } @else {
                            "gaps: "
                            @for (i, gap) in c.gaps.iter().enumerate() {
                                @if i > 0 { ", " }
                                (gap.days) " day(s) from " (gap.from)
                            }
                        }
                        "; " (c.ingest_errors) " bad records skipped at ingest"
                    } }
                }
                @if let Some(d) = &r.since_previous { (since_previous(d)) }
                h2 { "Trend" }
                figure { (charts::trend(&r.charts.trend))
                    figcaption.muted { "Unused grants and findings by severity at the last assessment of each day." } }
                h2 { "Requests per day" }
                figure { (charts::requests_per_day(&r.charts.requests_per_day))
                    figcaption.muted { "Bars: requests; red: recorded denials." } }
                h2 { "Top risks" }
                @if r.top_risks.is_empty() { p { "No high-severity finding." } }
                ol {
                    @for id in &r.top_risks {
                        @if let Some(f) = r.finding(id) {
                            li { span.sev-high { (f.kind) } " " code { (f.grant) } ": " (f.recommendation.summary) }
                        }
                    }
                }
                h2 { "Biggest privilege reductions" }
                @if r.biggest_reductions.is_empty() { p { "No recommendation takes privilege away." } } @else {
                    table {
                        tr { th { "Finding" } th { "Severity" } th { "From" } th { "To" } }
                        @for x in &r.biggest_reductions {
                            tr { td { code { (x.finding) } " " (x.kind) } td { (x.severity) } td { code { (x.from) } } td { (x.to) } }
                        }
                    }
                }
                h2 { "Findings by kind" }
                figure { (charts::horizontal_bars("Findings by kind", &kinds)) }
                h2 { "Unused grants per principal" }
                figure { (charts::horizontal_bars("Unused grants per principal", &unused)) }
                h2 { "Findings" }
                @for f in &r.findings {
                    section.finding id=(f.id) {
                        h3 { code { (f.id) } " " (f.kind) " " span class=(format!("sev-{}", f.severity)) { "(" (f.severity) ")" } }
                        p { "Grant: " code { (f.grant) } }
                        @if let Some(p) = &f.principal { p { "Principal: " code { (p) } } }
                        p.muted {
                            (f.evidence.requests) " requests in " (f.evidence.shapes) " distinct shapes"
                            @if let Some(l) = &f.evidence.last_used { ", last used " (l) }
                            "; " (f.evidence.shadowed_requests) " requests it would also have allowed; "
                            (f.evidence.observed_days) " of " (f.evidence.window_days) " days observed"
                        }
                        @if !f.evidence.examples.is_empty() {
                            ul { @for x in &f.evidence.examples { li { (x) } } }
                        }
                        @if let Some(l) = &f.lapsed_exception {
                            p { strong { "No longer accepted by exception " (l.entry) ": " } (l.why)
                                span.muted { " (it said: " (l.reason) ")" } }
                        }
                        p { (f.recommendation.summary) }
                        @if !f.recommendation.commands.is_empty() {
                            pre { (f.recommendation.commands.join("\n")) }
                        }
                    }
                }
                (accepted_risk(r))
                h2 { "Compliance" }
                @if r.compliance.is_empty() { p { "No finding bears on a CIS or NSA/CISA control." } } @else {
                    table {
                        tr { th { "Control" } th { "Framework" } th { "Title" } th { "Findings" } }
                        @for c in &r.compliance {
                            tr { td { (c.control.reference) } td { (c.control.framework) } td { (c.control.title) }
                                td { @for f in &c.findings { code { (f) } " " } } }
                        }
                    }
                }
                h2 { "Access changes" }
                @if r.access_changes.is_empty() {
                    p { "No access changes recorded in the window (CloudTrail and the stored state versions)." }
                } @else {
                    table {
                        tr { th { "When" } th { "Change" } th { "What" } th { "Who" } }
                        @for c in &r.access_changes {
                            tr { td { (c.time) } td { (c.kind.as_str()) } td { code { (c.what) } }
                                td { @if let Some(w) = &c.who { code { (w) } } @else { span.muted { "not in CloudTrail" } } } }
                        }
                    }
                }
                h2 { "Grants" }
                table {
                    tr { th { "Grant" } th { "Type" } th { "Status" } }
                    @for g in &r.grants {
                        tr { td { code { (g.grant) } } td { (g.grant_type.as_str()) }
                            td class=(format!("status-{}", g.status.as_str())) { (g.status.as_str())
                                @if let Some(why) = g.managed { br; span.muted { (why) } } } }
                    }
                }
            }
        }
    };
    page.into_string()
}
