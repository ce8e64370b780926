//! The report as Markdown, for a pull request or a wiki page. Every value from the data is
//! escaped: principal names, namespaces and session names come from logs and state files.

use super::contents::{Report, percent};
use super::since_previous::SincePrevious;
use std::fmt::Write;

/// `s` as Markdown text, inside a line: inline markup, HTML and table pipes escaped, newlines
/// joined. (List and heading markers only count at a line's start, where this never writes `s`.)
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block that no backtick run in `body` can close early.
fn fenced(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}sh\n{body}\n{fence}\n")
}

/// "Since the previous report": the figures then and now, then what is new and what is gone.
fn since_previous(o: &mut String, d: &SincePrevious) {
    let _ = writeln!(
        o,
        "## Since the previous report\n\nCompared with the report of {} (state version {}).\n",
        text(&d.previous_generated_at),
        d.previous_state_version
    );
    let _ = writeln!(o, "| | Then | Now |\n|---|---|---|");
    let (t, n) = (&d.then, &d.now);
    for (name, then, now) in [
        ("Grants used", t.grants_used, n.grants_used),
        ("Grants unused", t.grants_unused, n.grants_unused),
        ("High findings", t.findings_high, n.findings_high),
        ("Medium findings", t.findings_medium, n.findings_medium),
        ("Low findings", t.findings_low, n.findings_low),
    ] {
        let _ = writeln!(o, "| {name} | {then} | {now} |");
    }
    let _ = writeln!(o, "| Agreement | {} | {} |\n", percent(t.agreement_ratio), percent(n.agreement_ratio));
    for (title, list) in [
        ("New findings", &d.new_findings),
        ("Resolved findings", &d.resolved_findings),
        ("Newly accepted", &d.newly_accepted),
    ] {
        let _ = writeln!(o, "### {title} ({})\n", list.len());
        for f in list.iter() {
            let _ =
                writeln!(o, "- {} {} ({}) {}", text(&f.id), text(&f.kind), text(&f.severity), text(f.grant.as_str()));
        }
        o.push('\n');
    }
    for (title, list) in [("Grants added", &d.grants_added), ("Grants removed", &d.grants_removed)] {
        let _ = writeln!(o, "### {title} ({})\n", list.len());
        for g in list.iter() {
            let _ = writeln!(o, "- {}", text(g.as_str()));
        }
        o.push('\n');
    }
}

/// "Accepted risk": the findings an exception accepts, and the exceptions that match nothing.
fn accepted_risk(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Accepted risk\n");
    if r.accepted_findings.is_empty() {
        let _ = writeln!(o, "No finding is accepted by an exception.\n");
    } else {
        let _ = writeln!(
            o,
            "Accepted by the exceptions file: not counted above, not remediated, not alerted on.\n\n\
             | Finding | Severity | Grant | Reason | Owner | Expires | Entry |\n|---|---|---|---|---|---|---|"
        );
        for f in &r.accepted_findings {
            let Some(a) = &f.accepted else { continue };
            let _ = writeln!(
                o,
                "| `{}` {} | {} | {} | {} | {} | {} | {} ({}) |",
                f.id,
                f.kind,
                f.severity,
                text(f.grant.as_str()),
                text(&a.reason),
                text(&a.owner),
                a.expires.as_deref().unwrap_or("never"),
                a.entry,
                a.matched_by
            );
        }
        o.push('\n');
    }
    if !r.unmatched_exceptions.is_empty() {
        let _ = writeln!(o, "Exceptions that match no finding (remove or fix them):\n");
        for u in &r.unmatched_exceptions {
            let _ = writeln!(o, "- entry {}: {} ({})", u.entry, text(&u.selector), text(&u.reason));
        }
        o.push('\n');
    }
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(o, "# grantscope least-privilege report: cluster {}\n", text(&r.cluster));
    let _ = writeln!(
        o,
        "Generated {} from state version {}, over the {} days {} to {}.\n",
        text(&r.generated_at),
        r.state_version,
        r.window.days,
        r.window.from,
        r.window.to
    );
    let _ = writeln!(o, "## Summary\n\n| | |\n|---|---|");
    let g = &s.grants;
    let _ = writeln!(
        o,
        "| Grants | {} total: {} used, {} unused, {} shadowed, {} insufficient evidence, {} not judged, {} managed by AWS or Kubernetes |",
        g.total, g.used, g.unused, g.shadowed, g.insufficient_evidence, g.unknown, g.managed
    );
    let f = &s.findings;
    let _ = writeln!(
        o,
        "| Findings | {}: {} high, {} medium, {} low; {} accepted, counted apart |",
        f.total, f.high, f.medium, f.low, f.accepted
    );
    let _ = writeln!(o, "| Requests in the window | {} |", s.requests);
    let _ = writeln!(
        o,
        "| Agreement with recorded decisions | {} ({} of {} requests) against today's state; {} ({} of {}) against the state of the time, {} requests not comparable |",
        percent(s.agreement.ratio),
        s.agreement.agreeing,
        s.agreement.compared,
        percent(s.agreement.at_the_time.ratio),
        s.agreement.at_the_time.agreeing,
        s.agreement.at_the_time.compared,
        s.agreement.at_the_time.excluded
    );
    let rec = &s.recommendations;
    let _ = writeln!(
        o,
        "| Recommendations | {} applied together: {} of {} allowed requests would be denied |",
        rec.changes, rec.denied_requests, rec.allowed_requests
    );
    let c = &r.coverage;
    let span = match (&c.first_day, &c.last_day) {
        (Some(a), Some(b)) => format!(" ({a} to {b})"),
        _ => String::new(),
    };
    let gaps = if c.gaps.is_empty() {
        "no gaps".to_string()
    } else {
        c.gaps.iter().map(|g| format!("{} day(s) from {}", g.days, g.from)).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(
        o,
        "| Data coverage | {} of {} days observed{span}; gaps: {gaps}; {} bad records skipped at ingest |\n",
        c.observed_days, c.window_days, c.ingest_errors
    );

    if let Some(d) = &r.since_previous {
        since_previous(&mut o, d);
    }
    let _ = writeln!(o, "## Top risks\n");
    if r.top_risks.is_empty() {
        let _ = writeln!(o, "No high-severity finding.\n");
    }
    for (i, id) in r.top_risks.iter().enumerate() {
        if let Some(f) = r.finding(id) {
            let _ = writeln!(
                o,
                "{}. **{}** {} `{}`: {}",
                i + 1,
                f.kind,
                text(f.grant.as_str()),
                f.id,
                text(&f.recommendation.summary)
            );
        }
    }
    let _ = writeln!(o, "\n## Biggest privilege reductions\n");
    if r.biggest_reductions.is_empty() {
        let _ = writeln!(o, "No recommendation takes privilege away.\n");
    } else {
        let _ = writeln!(o, "| Finding | Severity | From | To |\n|---|---|---|---|");
        for x in &r.biggest_reductions {
            let _ =
                writeln!(o, "| `{}` {} | {} | {} | {} |", x.finding, x.kind, x.severity, text(&x.from), text(&x.to));
        }
    }

    let _ = writeln!(o, "\n## Findings\n");
    for f in &r.findings {
        let _ = writeln!(o, "### `{}` {} ({})\n", f.id, f.kind, f.severity);
        let _ = writeln!(o, "- Grant: {}", text(f.grant.as_str()));
        if let Some(p) = &f.principal {
            let _ = writeln!(o, "- Principal: {}", text(p));
        }
        let e = &f.evidence;
        let last = e.last_used.as_deref().map_or(String::new(), |l| format!(", last used {l}"));
        let _ = writeln!(
            o,
            "- Evidence: {} requests in {} distinct shapes{last}; {} requests it would also have allowed; {} of {} days observed",
            e.requests, e.shapes, e.shadowed_requests, e.observed_days, e.window_days
        );
        for x in &e.examples {
            let _ = writeln!(o, "  - {}", text(x));
        }
        if let Some(l) = &f.lapsed_exception {
            let _ = writeln!(
                o,
                "- No longer accepted by exception {}: {} (it said: {})",
                l.entry,
                text(&l.why),
                text(&l.reason)
            );
        }
        let _ = writeln!(o, "- Recommendation: {}\n", text(&f.recommendation.summary));
        if !f.recommendation.commands.is_empty() {
            o.push_str(&fenced(&f.recommendation.commands.join("\n")));
            o.push('\n');
        }
    }
    accepted_risk(&mut o, r);
    let _ = writeln!(o, "## Compliance\n");
    if r.compliance.is_empty() {
        let _ = writeln!(o, "No finding bears on a CIS or NSA/CISA control.\n");
    } else {
        let _ = writeln!(o, "| Control | Framework | Title | Findings |\n|---|---|---|---|");
        for c in &r.compliance {
            let ids: Vec<String> = c.findings.iter().map(|f| format!("`{f}`")).collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                text(c.control.reference),
                text(c.control.framework),
                text(c.control.title),
                ids.join(" ")
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Access changes\n");
    if r.access_changes.is_empty() {
        let _ = writeln!(o, "No access changes recorded in the window (CloudTrail and the stored state versions).\n");
    } else {
        let _ = writeln!(o, "| When | Change | What | Who |\n|---|---|---|---|");
        for c in &r.access_changes {
            let who = c.who.as_deref().map_or_else(|| "not in CloudTrail".to_string(), text);
            let _ = writeln!(o, "| {} | {} | {} | {who} |", c.time, c.kind.as_str(), text(&c.what));
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Grants\n\n| Grant | Type | Status |\n|---|---|---|");
    for g in &r.grants {
        let why = g.managed.map_or_else(String::new, |why| format!(" ({why})"));
        let _ = writeln!(o, "| {} | {} | {}{why} |", text(g.grant.as_str()), g.grant_type.as_str(), g.status.as_str());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_html_and_table_pipes() {
        let cases = [
            ("html", "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"),
            ("a table cell cannot be closed", "a|b", "a\\|b"),
            ("emphasis and code are literal", "*x* `y`", "\\*x\\* \\`y\\`"),
            ("a link is literal", "[a](b)", "\\[a\\]\\(b\\)"),
            ("one line", "a\nb", "a b"),
        ];
        for (name, input, want) in cases {
            assert_eq!(text(input), want, "{name}");
        }
    }

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_inside() {
        assert!(fenced("echo ```").starts_with("````sh\n"));
        assert!(fenced("plain").starts_with("```sh\n"));
    }
}
