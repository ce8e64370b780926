//! `grantscope replay` and `grantscope findings`.

use super::CommandError;
use crate::analysis::Finding;
use crate::analysis::assessment::{AssessOptions, Assessment};
use crate::app::assess::assess;
use crate::app::clock::now_ms;
use crate::app::replay::{self, window_start};
use crate::cli::output::{Format, print_json};
use crate::model::ReplaySummary;
use crate::outln;
use crate::store::{self, Store};
use std::path::Path;

/// `part` of `whole` as a percentage, or `n/a`.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "n/a".to_string() } else { format!("{:.2}%", part as f64 * 100.0 / whole as f64) }
}

/// `90d` or `90` → 90.
pub fn parse_days(s: &str) -> Result<u32, String> {
    s.strip_suffix('d')
        .unwrap_or(s)
        .parse::<u32>()
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| format!("`{s}` is not a number of days, like 90d"))
}

fn run_replay(store: &mut Store, cluster: Option<&str>, window_days: u32) -> Result<ReplaySummary, CommandError> {
    let cluster = super::pick_cluster(store, cluster)?;
    Ok(replay::replay(store, &cluster, window_days, now_ms())?)
}

pub fn replay(
    db: &Path,
    cluster: Option<&str>,
    window_days: u32,
    format: Format,
) -> Result<ReplaySummary, CommandError> {
    let mut store = Store::open_existing(db)?;
    let s = run_replay(&mut store, cluster, window_days)?;
    match format {
        Format::Json => print_json(&s),
        Format::Text => {
            outln!("cluster {} against state version {}, last {} days", s.cluster, s.state_version, s.window_days);
            outln!(
                "evaluated {} new request shapes: {} allowed, {} denied, {} unauthenticated, {} not evaluated (nodes, EKS's own identities)",
                s.shapes_evaluated,
                s.allowed,
                s.denied,
                s.unauthenticated,
                s.not_evaluated
            );
            let rate = percent(s.recorded_requests_agreeing, s.recorded_requests_compared);
            outln!(
                "recorded decisions that the current state reproduces: {} of {} requests ({rate})",
                s.recorded_requests_agreeing,
                s.recorded_requests_compared
            );
            let t = &s.at_the_time;
            outln!(
                "... and that the state of the time reproduces: {} of {} requests ({}); {} requests on days the state changed or of principals whose grants were deleted since not compared",
                t.agreeing,
                t.compared,
                percent(t.agreeing, t.compared),
                t.excluded
            );
        }
    }
    Ok(s)
}

/// Which cluster and window to assess.
#[derive(Debug, Clone, Copy)]
pub struct AssessScope<'a> {
    pub cluster: Option<&'a str>,
    pub window_days: u32,
    pub min_observed_days: u32,
}

pub struct FindingsArgs<'a> {
    pub scope: AssessScope<'a>,
    pub kind: Option<&'a str>,
    /// Only findings bearing on this control (`cis-eks-4.1.8`, or `4.1.8`).
    pub control: Option<&'a str>,
}

/// Replays what is new, then assesses the cluster: replay, findings and the proof.
pub fn assessment(store: &mut Store, scope: AssessScope) -> Result<Assessment, CommandError> {
    let cluster = super::pick_cluster(store, scope.cluster)?;
    let options =
        AssessOptions { window_days: scope.window_days, min_observed_days: scope.min_observed_days, now_ms: now_ms() };
    Ok(assess(store, &cluster, options)?)
}

/// Replays what is new, then lists the findings.
pub fn findings(db: &Path, args: FindingsArgs, format: Format) -> Result<Vec<Finding>, CommandError> {
    // A control is checked before the (slow) assessment: a typo fails at once.
    let control = match args.control {
        Some(id) => Some(crate::analysis::compliance::control(id).ok_or_else(|| {
            let known: Vec<&str> = crate::analysis::compliance::CONTROLS.iter().map(|c| c.id).collect();
            CommandError::Usage(format!("--control {id}: expected one of {}", known.join(", ")))
        })?),
        None => None,
    };
    let mut store = Store::open_existing(db)?;
    let a = assessment(&mut store, args.scope)?;
    let proof = a.proof();
    let (cluster, mut found) = (a.replay.cluster, a.findings);
    if let Some(kind) = args.kind {
        found.retain(|f| f.kind == kind || f.would_be == Some(kind));
    }
    if let Some(c) = control {
        found.retain(|f| f.controls.contains(&c.id));
    }
    match format {
        Format::Json => {
            print_json(&found);
            crate::errln!("{proof}");
        }
        Format::Text => {
            if found.is_empty() {
                outln!("no findings for cluster {cluster} over the last {} days", args.scope.window_days);
            }
            for f in &found {
                let kind = f.would_be.map_or(f.kind.to_string(), |w| format!("{} (would be {w})", f.kind));
                outln!("{} {:<6} {kind}: {}", f.id, f.severity, f.grant);
                outln!("    {}", f.recommendation.summary);
                for c in &f.recommendation.commands {
                    outln!("    $ {c}");
                }
                if !f.controls.is_empty() {
                    outln!("    controls: {}", f.controls.join(", "));
                }
            }
            outln!("{proof}");
        }
    }
    Ok(found)
}

pub struct WhatifArgs<'a> {
    pub cluster: Option<&'a str>,
    pub window_days: u32,
    pub proposed: &'a [std::path::PathBuf],
}

/// `whatif`: the window's request shapes decided under a proposed state. Returns whether anything
/// allowed today would be denied.
pub fn whatif(db: &Path, args: WhatifArgs, format: Format) -> Result<bool, CommandError> {
    let mut store = Store::open_existing(db)?;
    let summary = run_replay(&mut store, args.cluster, args.window_days)?;
    let cluster = summary.cluster.as_str();
    let proposed = crate::app::state_versions::load(args.proposed, Some(cluster))?;
    let from_day = window_start(now_ms(), args.window_days);
    let shapes = store::window_shapes(store.conn(), cluster, from_day, store::WindowFilter::All)?.shapes;
    let (_, current) = crate::app::state_versions::current_state(&store, cluster)?;
    let window = crate::analysis::whatif::ShapesByCaller::new(&shapes);
    let flips = crate::analysis::whatif::flips(&current, &proposed, &window);
    let (breaks, grants): (Vec<_>, Vec<_>) = flips.iter().partition(|f| f.from == Some(true) && f.to != Some(true));
    let broken_requests: i64 = breaks.iter().map(|f| f.shape.requests).sum();
    let line = |f: &crate::analysis::whatif::Flip| {
        serde_json::json!({
            "request": crate::analysis::whatif::describe(f.shape),
            "principal": f.shape.stored.shape.principal,
            "from": f.from,
            "to": f.to,
            "requests": f.shape.requests,
            "last_seen": crate::model::time::format_rfc3339(f.shape.last_ms),
            "was_allowed_by": f.was_allowed_by,
            "now_allowed_by": f.now_allowed_by,
        })
    };
    match format {
        Format::Json => print_json(&serde_json::json!({
            "cluster": cluster,
            "state_version": summary.state_version,
            "window_days": args.window_days,
            "shapes": shapes.len(),
            "broken_requests": broken_requests,
            "allow_to_deny": breaks.iter().map(|f| line(f)).collect::<Vec<_>>(),
            "deny_to_allow": grants.iter().map(|f| line(f)).collect::<Vec<_>>(),
        })),
        Format::Text => {
            outln!(
                "cluster {cluster}, {} request shapes of the last {} days against the proposed state:",
                shapes.len(),
                args.window_days
            );
            outln!("{} of them ({broken_requests} requests) would be denied that are allowed now", breaks.len());
            for f in &breaks {
                outln!(
                    "  DENY  {} ({} requests, last {}; allowed now by {})",
                    crate::analysis::whatif::describe(f.shape),
                    f.shape.requests,
                    crate::model::time::format_rfc3339(f.shape.last_ms),
                    f.was_allowed_by.as_deref().unwrap_or("-")
                );
            }
            outln!("{} would be allowed that are not now", grants.len());
            for f in &grants {
                outln!(
                    "  ALLOW {} (by {})",
                    crate::analysis::whatif::describe(f.shape),
                    f.now_allowed_by.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(!breaks.is_empty())
}
