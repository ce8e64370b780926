//! `grantscope whatif`: the window's request shapes decided under a proposed state.

use super::CommandError;
use crate::app::clock::now_ms;
use crate::app::replay::window_start;
use crate::cli::output::{Format, print_json};
use crate::model::GrantId;
use crate::outln;
use crate::store::{Store, WindowFilter};
use std::path::Path;

pub struct WhatifArgs<'a> {
    pub cluster: Option<&'a str>,
    pub window_days: u32,
    pub proposed: &'a [std::path::PathBuf],
}

/// `whatif`: the window's request shapes decided under a proposed state. Returns whether anything
/// allowed today would be denied.
pub fn whatif(db: &Path, args: WhatifArgs, format: Format) -> Result<bool, CommandError> {
    let mut store = Store::open_existing(db)?;
    let summary = super::replay::replay_cluster(&mut store, args.cluster, args.window_days)?;
    let cluster = summary.cluster.as_str();
    let proposed = crate::app::state_versions::load(args.proposed, Some(cluster))?;
    let from_day = window_start(now_ms(), args.window_days);
    let shapes = store.window_shapes(cluster, from_day, WindowFilter::All)?.shapes;
    let (_, current) = crate::app::state_versions::current_state(&store, cluster)?;
    let window = crate::analysis::whatif::ShapesByCaller::new(&shapes);
    let flips = crate::analysis::whatif::flips(&current, &proposed, &window);
    // Breaks: allowed now and not certainly allowed then; and requests whose names or sessions were
    // not kept, undetermined now, that the proposed state denies (some of them may be allowed now).
    let (breaks, grants): (Vec<_>, Vec<_>) = flips.iter().partition(|f| {
        f.to != Some(true) && (f.from == Some(true) || f.shape.stored.shape.unkept.any() && f.from.is_none())
    });
    let broken_requests: i64 = breaks.iter().map(|f| f.shape.requests).sum();
    let line = |f: &crate::analysis::whatif::Flip| {
        serde_json::json!({
            "request": crate::analysis::whatif::describe(f.shape),
            "principal": f.shape.stored.shape.principal,
            "from": f.from,
            "to": f.to,
            // Undetermined (`to` null) for requests whose names or sessions were not kept: some
            // might be denied, so they count as broken.
            "names_kept": !f.shape.stored.shape.unkept.name,
            "sessions_kept": !f.shape.stored.shape.unkept.session,
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
                    f.was_allowed_by.as_ref().map_or("-", GrantId::as_str)
                );
            }
            outln!("{} would be allowed that are not now", grants.len());
            for f in &grants {
                outln!(
                    "  ALLOW {} (by {})",
                    crate::analysis::whatif::describe(f.shape),
                    f.now_allowed_by.as_ref().map_or("-", GrantId::as_str)
                );
            }
        }
    }
    Ok(!breaks.is_empty())
}
