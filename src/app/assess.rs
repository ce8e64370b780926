//! An assessment: replay what is new, then every finding over the window with the proof that all
//! recommendations together break nothing. What `findings`, `report`, `remediate` and the daemon
//! share.

use crate::analysis::assessment::{AssessOptions, Assessment};
use crate::analysis::cis_rbac::{CisContext, cis_findings};
use crate::analysis::escalation::{EscalationContext, escalation_findings, escalations};
use crate::analysis::exceptions::{self, Exceptions};
use crate::analysis::{
    Finding, GroupsContext, NarrowerContext, RiskyContext, UnusedContext, narrower_findings, prove_together,
    risky_findings, unused_findings, unused_group_findings,
};
use crate::app::replay::{self, ReplayError, window_start};
use crate::model::UsageRole;
use crate::model::time::{MS_PER_DAY, day_of};
use crate::store::{Store, WindowFilter};

/// The report of this assessment, with the store's requests per day, bad-record count, access
/// changes and earlier assessments (the trend); records this one's counts for the next.
pub fn report(assessment: &Assessment, store: &Store) -> rusqlite::Result<crate::report::Report> {
    let cluster = assessment.replay.cluster.as_str();
    let days = store.cluster_days(cluster, assessment.from_day)?;
    let history = store.assessment_history(cluster, assessment.from_day * MS_PER_DAY)?;
    let inputs = crate::report::ReportInputs {
        days: &days,
        ingest_errors: store.ingest_error_count(cluster)?,
        generated_at: crate::model::time::format_rfc3339(assessment.options.now_ms),
        access_changes: crate::app::timeline::load(store, cluster)?,
        history: &history,
    };
    let report = crate::report::Report::build(assessment, inputs);
    store.record_assessment(cluster, &report.counts(assessment.options.now_ms))?;
    Ok(report)
}

/// Assesses the cluster; the findings `exceptions` accept are set apart before the proof, so
/// that only the open findings' recommendations are proven and applied.
pub fn assess(
    store: &mut Store,
    cluster: &str,
    options: AssessOptions,
    exceptions: Option<&Exceptions>,
) -> Result<Assessment, ReplayError> {
    let started = std::time::Instant::now();
    let phase = |what: &str| tracing::debug!(elapsed = ?started.elapsed(), "assess: {what}");
    let (summary, state) = replay::replay_with_state(store, cluster, options.window_days, options.now_ms)?;
    phase("replayed");
    let from_day = window_start(options.now_ms, options.window_days);
    let usage = store.grant_usage(cluster)?;
    let created_ms = store.access_grant_times(cluster)?;
    let observed_days = store.observed_days(cluster, from_day)?;
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
    let window = store.window_shapes(cluster, from_day, WindowFilter::Allowed)?;
    let shapes = window.shapes;
    phase("read the window's allowed shapes");
    if observed_days >= i64::from(options.min_observed_days) {
        let possibly_used =
            usage.keys().filter(|(_, role)| *role == UsageRole::Possibly).map(|(g, _)| g.clone()).collect();
        let narrower = NarrowerContext {
            cluster,
            observed_days,
            window_days: options.window_days,
            namespaces: &window.namespaces,
            possibly_used: &possibly_used,
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
    let changes = store.access_changes_for(cluster)?;
    let risky = RiskyContext { cluster, observed_days, window_days: options.window_days, changes: &changes };
    found.extend(risky_findings(&state, &risky));
    let used: std::collections::HashSet<crate::model::GrantId> =
        usage.iter().filter(|(_, u)| u.requests > 0).map(|((g, _), _)| g.clone()).collect();
    let escalation = EscalationContext { cluster, observed_days, window_days: options.window_days };
    found.extend(escalation_findings(&escalations(&state, &used), &escalation));
    phase("escalation paths");
    let cis = CisContext {
        cluster,
        observed_days,
        window_days: options.window_days,
        min_observed_days: options.min_observed_days,
    };
    found.extend(cis_findings(&state, &shapes, &cis));
    phase("CIS RBAC recommendations");
    crate::analysis::aws_managed::drop_aws_managed(&state, &mut found);
    for f in &mut found {
        f.controls = crate::analysis::compliance::controls_for(f);
    }
    // Most severe first; within a severity, unused before over-broad before risky, as found.
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let applied = match exceptions {
        Some(e) => {
            let fingerprint = |f: &Finding| exceptions::fingerprint(&state, &f.grant);
            exceptions::apply(e, cluster, &mut found, day_of(options.now_ms), &fingerprint)
        }
        None => exceptions::Applied::default(),
    };
    let together = prove_together(&state, &mut found, &shapes);
    phase("proved the recommendations together");
    Ok(Assessment {
        replay: summary,
        state,
        findings: found,
        accepted: applied.accepted,
        unmatched_exceptions: applied.unmatched,
        together,
        usage,
        shapes,
        observed_days,
        from_day,
        options,
    })
}
