//! `grantscope findings`: replay what is new, assess the cluster, list the findings.

use super::CommandError;
use crate::analysis::assessment::{AssessOptions, Assessment};
use crate::analysis::{Finding, FindingKind};
use crate::app::assess::assess;
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::outln;
use crate::store::Store;
use std::path::Path;

/// Which cluster and window to assess.
#[derive(Debug, Clone, Copy)]
pub struct AssessScope<'a> {
    pub cluster: Option<&'a str>,
    pub window_days: u32,
    pub min_observed_days: u32,
}

pub struct FindingsArgs<'a> {
    pub scope: AssessScope<'a>,
    pub kind: Option<FindingKind>,
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
