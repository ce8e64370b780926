//! `grantscope findings`: replay what is new, assess the cluster, list the findings.

use super::CommandError;
use crate::analysis::assessment::{AssessOptions, Assessment};
use crate::analysis::exceptions::{DEFAULT_FILE, Exceptions};
use crate::analysis::{Finding, FindingKind};
use crate::app::assess::assess;
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::outln;
use crate::store::Store;
use std::path::{Path, PathBuf};

/// Which cluster and window to assess, and with which exceptions.
#[derive(Debug, Clone, Copy)]
pub struct AssessScope<'a> {
    pub cluster: Option<&'a str>,
    pub window_days: u32,
    pub min_observed_days: u32,
    /// `--exceptions FILE`, else `[analysis] exceptions`; without either, [`DEFAULT_FILE`] in the
    /// working directory if it is there.
    pub exceptions: Option<&'a Path>,
}

impl AssessScope<'_> {
    /// The exceptions file this command reads or (`accept`) writes: `--exceptions`, else the
    /// default file of the working directory.
    pub fn exceptions_file(&self) -> PathBuf {
        self.exceptions.map_or_else(|| PathBuf::from(DEFAULT_FILE), Path::to_path_buf)
    }

    /// The exceptions to apply: the file given (which must exist), or the default file if it is
    /// there (no file, no exceptions).
    pub fn load_exceptions(&self) -> Result<Option<Exceptions>, CommandError> {
        let path = self.exceptions_file();
        if self.exceptions.is_none() && !path.exists() {
            return Ok(None);
        }
        let loaded = crate::app::exceptions::load(&path)?;
        tracing::info!(file = %path.display(), entries = loaded.entries.len(), "read the exceptions");
        Ok(Some(loaded))
    }
}

pub struct FindingsArgs<'a> {
    pub scope: AssessScope<'a>,
    pub kind: Option<FindingKind>,
    /// Only findings bearing on this control (`cis-eks-4.1.8`, or `4.1.8`).
    pub control: Option<&'a str>,
    /// List the accepted findings too.
    pub show_accepted: bool,
}

/// Replays what is new, then assesses the cluster: replay, findings and the proof.
pub fn assessment(store: &mut Store, scope: AssessScope) -> Result<Assessment, CommandError> {
    let exceptions = scope.load_exceptions()?;
    assessment_with(store, scope, exceptions.as_ref())
}

/// [`assessment`] with the exceptions given, not read from the scope's file.
pub fn assessment_with(
    store: &mut Store,
    scope: AssessScope,
    exceptions: Option<&Exceptions>,
) -> Result<Assessment, CommandError> {
    let cluster = super::pick_cluster(store, scope.cluster)?;
    let options =
        AssessOptions { window_days: scope.window_days, min_observed_days: scope.min_observed_days, now_ms: now_ms() };
    let a = assess(store, &cluster, options, exceptions)?;
    for u in &a.unmatched_exceptions {
        tracing::warn!("{}", u.warning(&cluster));
    }
    Ok(a)
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
    let (cluster, mut found, mut accepted) = (a.replay.cluster, a.findings, a.accepted);
    let wanted = |f: &Finding| {
        args.kind.is_none_or(|kind| f.kind == kind || f.would_be == Some(kind))
            && control.is_none_or(|c| f.controls.contains(&c.id))
    };
    found.retain(wanted);
    accepted.retain(wanted);
    match format {
        Format::Json => {
            // Accepted findings come after the open ones, each with its `accepted` object.
            let listed: Vec<&Finding> = found.iter().chain(accepted.iter().filter(|_| args.show_accepted)).collect();
            print_json(&listed);
            crate::errln!("{proof}");
        }
        Format::Text => {
            if found.is_empty() {
                let open = if accepted.is_empty() { "" } else { "open " };
                outln!("no {open}findings for cluster {cluster} over the last {} days", args.scope.window_days);
            }
            for f in &found {
                print_finding(f);
            }
            if args.show_accepted {
                for f in &accepted {
                    print_finding(f);
                }
            } else if !accepted.is_empty() {
                outln!("{} accepted (--show-accepted to list)", accepted.len());
            }
            outln!("{proof}");
        }
    }
    Ok(found)
}

/// A finding as text: what, where, what to do, and an exception that accepts it or lapsed.
fn print_finding(f: &Finding) {
    let kind = f.would_be.map_or(f.kind.to_string(), |w| format!("{} (would be {w})", f.kind));
    let status = if f.accepted.is_some() { " ACCEPTED" } else { "" };
    outln!("{} {:<6} {kind}{status}: {}", f.id, f.severity, f.grant);
    if let Some(a) = &f.accepted {
        let expires = a.expires.as_deref().map_or(String::new(), |d| format!(", expires {d}"));
        outln!("    accepted by exception {} ({}): {} (owner {}{expires})", a.entry, a.matched_by, a.reason, a.owner);
        return;
    }
    if let Some(l) = &f.lapsed_exception {
        outln!("    no longer accepted by exception {}: {} (it said: {})", l.entry, l.why, l.reason);
    }
    outln!("    {}", f.recommendation.summary);
    for c in &f.recommendation.commands {
        outln!("    $ {c}");
    }
    if !f.controls.is_empty() {
        outln!("    controls: {}", f.controls.join(", "));
    }
}
