//! An assessment: replay what is new, then every finding over the window with the proof that all
//! recommendations together break nothing. What `findings`, `report`, `remediate` and the daemon
//! share.

use crate::analysis::escalation::{EscalationContext, escalation_findings, escalations};
use crate::analysis::{
    Finding, GroupsContext, NarrowerContext, RiskyContext, Together, UnusedContext, narrower_findings, prove_together,
    risky_findings, unused_findings, unused_group_findings,
};
use crate::model::AccessState;
use crate::model::time::MS_PER_DAY;
use crate::replay::{self, ReplayError, ReplaySummary, window_start};
use crate::store::{self, GrantUsage, Store, WindowShape};
use std::collections::HashMap;

/// What to assess.
#[derive(Debug, Clone, Copy)]
pub struct AssessOptions {
    pub window_days: u32,
    /// Fewer observed days than this make "unused" `insufficient-evidence`.
    pub min_observed_days: u32,
    pub now_ms: i64,
}

/// The findings over the window and what they were computed from.
pub struct Assessment {
    pub replay: ReplaySummary,
    pub state: AccessState,
    /// Most severe first.
    pub findings: Vec<Finding>,
    /// All recommendations applied together and replayed.
    pub together: Together,
    pub usage: HashMap<(String, String), GrantUsage>,
    /// The window's shapes allowed today.
    pub shapes: Vec<WindowShape>,
    pub observed_days: i64,
    pub from_day: i64,
    pub options: AssessOptions,
}

impl Assessment {
    /// The report of this assessment, with the store's requests per day and bad-record count.
    pub fn report(&self, store: &Store) -> rusqlite::Result<crate::report::Report> {
        let cluster = self.replay.cluster.as_str();
        let days = store::cluster_days(store.conn(), cluster, self.from_day)?;
        let inputs = crate::report::ReportInputs {
            days: &days,
            ingest_errors: store::ingest_error_count(store.conn(), cluster)?,
            generated_at: crate::model::time::format_rfc3339(self.options.now_ms),
            access_changes: crate::timeline::load(store, cluster)?,
        };
        Ok(crate::report::Report::build(self, inputs))
    }

    /// The sentence that states the proof.
    pub fn proof(&self) -> String {
        format!(
            "all {} recommendations applied together: {} of {} requests allowed {} would be denied",
            self.together.changes,
            self.together.denied_requests,
            self.together.allowed_requests,
            crate::analysis::observed_span(self.observed_days, self.options.window_days)
        )
    }
}

pub fn assess(store: &mut Store, cluster: &str, options: AssessOptions) -> Result<Assessment, ReplayError> {
    let started = std::time::Instant::now();
    let phase = |what: &str| tracing::debug!(elapsed = ?started.elapsed(), "assess: {what}");
    let (summary, state) = replay::replay_with_state(store, cluster, options.window_days, options.now_ms)?;
    phase("replayed");
    let from_day = window_start(options.now_ms, options.window_days);
    let usage = store::grant_usage(store.conn(), cluster)?;
    let created_ms = store::access_grant_times(store.conn(), cluster)?;
    let observed_days = store::observed_days(store.conn(), cluster, from_day)?;
    let ctx = UnusedContext {
        cluster,
        usage: &usage,
        observed_days,
        window_days: options.window_days,
        min_observed_days: options.min_observed_days,
        window_start_ms: from_day * MS_PER_DAY,
        created_ms: &created_ms,
    };
    let mut found = unused_findings(&state, &ctx);
    phase("unused grants");
    // Findings and their proofs look only at what is allowed today.
    let window = store::window_shapes(store.conn(), cluster, from_day, store::WindowFilter::Allowed)?;
    let shapes = window.shapes;
    phase("read the window's allowed shapes");
    if observed_days >= i64::from(options.min_observed_days) {
        let narrower = NarrowerContext {
            cluster,
            observed_days,
            window_days: options.window_days,
            namespaces: &window.namespaces,
        };
        found.extend(narrower_findings(&state, &shapes, &narrower));
    }
    let groups = GroupsContext {
        cluster,
        observed_days,
        window_days: options.window_days,
        min_observed_days: options.min_observed_days,
    };
    phase("over-broad grants");
    found.extend(unused_group_findings(&state, &shapes, &groups));
    phase("unused groups");
    let changes = store::access_changes_for(store.conn(), cluster)?;
    let risky = RiskyContext { cluster, observed_days, window_days: options.window_days, changes: &changes };
    found.extend(risky_findings(&state, &risky));
    let used: std::collections::HashSet<String> =
        usage.iter().filter(|(_, u)| u.requests > 0).map(|((g, _), _)| g.clone()).collect();
    let escalation = EscalationContext { cluster, observed_days, window_days: options.window_days };
    found.extend(escalation_findings(&escalations(&state, &used), &escalation));
    phase("escalation paths");
    crate::analysis::aws_managed::drop_aws_managed(&state, &mut found);
    for f in &mut found {
        f.controls = crate::analysis::compliance::controls_for(f);
    }
    // Most severe first; within a severity, unused before over-broad before risky, as found.
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let together = prove_together(&state, &mut found, &shapes);
    phase("proved the recommendations together");
    Ok(Assessment {
        replay: summary,
        state,
        findings: found,
        together,
        usage,
        shapes,
        observed_days,
        from_day,
        options,
    })
}
