//! `grantscope paths`: privilege-escalation paths of a stored state (or of state files), ranked by
//! whether the grants on them were used ([`crate::analysis::escalation`]).

use super::{CommandError, pick_cluster};
use crate::analysis::escalation::{Capability, Escalations, Path, escalations};
use crate::cli::output::{FormatArg, print_json, write_stdout};
use crate::model::{AccessState, GrantId};
use crate::outln;
use crate::store::Store;
use std::collections::HashSet;
use std::path::{Path as FilePath, PathBuf};

pub struct PathsArgs {
    /// State files; none: the database's latest state of `cluster`.
    pub state: Vec<PathBuf>,
    pub cluster: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Prints the paths; returns how many there are.
pub fn run(db: &FilePath, args: PathsArgs, format: FormatArg) -> Result<usize, CommandError> {
    let to = match args.to.as_deref() {
        Some(t) => Some(Capability::parse(t).ok_or_else(|| {
            let known: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
            CommandError::Usage(format!("--to {t}: expected one of {}", known.join(", ")))
        })?),
        None => None,
    };
    let (state, used) = load(db, &args)?;
    let mut e = escalations(&state, used.as_ref().unwrap_or(&HashSet::new()));
    e.paths
        .retain(|p| args.from.as_ref().is_none_or(|f| p.from.eq_ignore_ascii_case(f)) && to.is_none_or(|t| p.to == t));
    match format {
        FormatArg::Json => print_json(&e),
        FormatArg::Dot => write_stdout(&dot(&e.paths)),
        FormatArg::Text => print_text(&e, used.is_some()),
        other => {
            return Err(CommandError::Usage(format!(
                "--format {} is not for `paths`: text, json or dot",
                other.name()
            )));
        }
    }
    Ok(e.paths.len())
}

/// The state, and the grants used in the window (`None`: unknown, no replay stored).
fn load(db: &FilePath, args: &PathsArgs) -> Result<(AccessState, Option<HashSet<GrantId>>), CommandError> {
    if !args.state.is_empty() {
        return Ok((crate::app::state_versions::load(&args.state, args.cluster.as_deref())?, None));
    }
    let store = Store::open_read_only(db)?;
    let cluster = pick_cluster(&store, args.cluster.as_deref())?;
    let (_, state) = crate::app::state_versions::current_state(&store, &cluster)?;
    let usage = store.grant_usage(&cluster)?;
    let used =
        (!usage.is_empty()).then(|| usage.into_iter().filter(|(_, u)| u.requests > 0).map(|((g, _), _)| g).collect());
    Ok((state, used))
}

fn print_text(e: &Escalations, usage_known: bool) {
    if e.paths.is_empty() {
        outln!("no escalation paths");
        return;
    }
    for p in &e.paths {
        outln!("{} -> {}", p.from, p.to.as_str());
        for s in &p.steps {
            outln!("    {:<15} {}  [{}]", s.edge.as_str(), s.to, s.grant);
        }
        outln!("    cut: {}", cut_reason(p, usage_known));
    }
    outln!("\nchoke points (grants on the most paths):");
    for c in e.choke_points.iter().take(10) {
        let used = if !usage_known {
            ""
        } else if c.used {
            ", used"
        } else {
            ", never used"
        };
        outln!("  {:>4} paths{used}  {}", c.paths, c.grant);
    }
    if !usage_known {
        outln!("\n(grant usage unknown: run `grantscope replay` on stored events to rank cuts by use)");
    }
}

fn cut_reason(p: &Path, usage_known: bool) -> String {
    if !usage_known {
        return format!("{} (where the path starts)", p.cut);
    }
    match p.unused_grants.first() {
        Some(g) => format!("{g} (allowed nothing in the window: the cheapest, safest cut)"),
        None => format!("{} (every grant on the path is used: narrow it rather than remove it)", p.cut),
    }
}

/// The paths as a Graphviz digraph: identities and capabilities as nodes, steps as edges.
fn dot(paths: &[Path]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut edges: Vec<String> = Vec::new();
    for p in paths {
        let mut from = p.from.clone();
        for s in &p.steps {
            edges.push(format!("  {} -> {} [label={}];", quote(&from), quote(&s.to), quote(s.edge.as_str())));
            from = s.to.clone();
        }
    }
    edges.sort();
    edges.dedup();
    format!("digraph escalation {{\n  rankdir=LR;\n{}\n}}\n", edges.join("\n"))
}
