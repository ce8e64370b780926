//! The task that assesses one cluster every `[analysis] interval_seconds` (replay, findings,
//! proofs, report) and publishes the result as metrics, `/api/v1/findings` and
//! `/api/v1/reports/latest`, writing the scheduled report when it is due.

use super::error::TaskError;
use super::shared::Shared;
use super::status::TaskFailure;
use crate::analysis::assessment::AssessOptions;
use crate::app::assess::assess;
use crate::app::clock::now_ms;
use crate::model::time::format_rfc3339;
use crate::sources::error::Classify;
use crate::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Assesses `cluster` until the stop. The first assessment waits for the first read of each of
/// its `sources` (counted in `first_reads`), but no longer than an interval: a slow first read
/// must not hold up what the others read.
pub async fn run(cluster: String, shared: Arc<Shared>, mut first_reads: watch::Receiver<usize>, sources: usize) {
    let interval = Duration::from_secs(shared.analysis.interval_seconds);
    tokio::select! {
        _ = tokio::time::timeout(interval, first_reads.wait_for(|n| *n >= sources)) => {}
        () = shared.stop.wait() => return,
    }
    let mut last_report: Option<i64> = None;
    loop {
        let after_first_reads = shared.status.update(&cluster, |st| st.first_reads_done());
        let (c, s) = (cluster.clone(), shared.clone());
        let assessed = tokio::task::spawn_blocking(move || assess_cluster(&c, &s, last_report))
            .await
            .unwrap_or_else(|e| Err(TaskError::Aborted(e)));
        let failure = match assessed {
            Ok(written) => {
                last_report = written.or(last_report);
                None
            }
            Err(e) => {
                tracing::warn!(cluster, error = %e, "assessment failed; trying again at the next interval");
                Some(TaskFailure { class: e.class(), message: e.to_string() })
            }
        };
        let healthy = shared.status.update(&cluster, |st| {
            st.assessment(failure, after_first_reads);
            st.healthy()
        });
        shared.metrics.cluster_healthy.with_label_values(&[&cluster]).set(i64::from(healthy));
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shared.stop.wait() => break,
        }
    }
}

/// Assesses the cluster and publishes the result; writes the scheduled report when due. Returns
/// when a report was written, if one was.
fn assess_cluster(cluster: &str, shared: &Shared, last_report: Option<i64>) -> Result<Option<i64>, TaskError> {
    let started = Instant::now();
    let mut store = Store::open(&shared.db)?;
    let options = AssessOptions {
        window_days: shared.analysis.window_days,
        min_observed_days: shared.analysis.min_observed_days,
        now_ms: now_ms(),
    };
    let exceptions = shared.exceptions.as_ref().map(|file| {
        let (current, failure) = file.current();
        if let Some(f) = &failure {
            tracing::error!(cluster, "{}", f.message);
        }
        shared.status.update(cluster, |st| st.exceptions(failure));
        current
    });
    let a = assess(&mut store, cluster, options, exceptions.as_deref())?;
    let unmatched: Vec<String> = a.unmatched_exceptions.iter().map(|u| u.warning(cluster)).collect();
    shared.warn_once_about(cluster, "exceptions", &unmatched);
    let mut report = crate::app::assess::report(&a, &store)?;
    // Every report says what changed since the last scheduled one.
    if let Some(previous) = store.last_report(cluster)?
        && let Err(e) = report.compare_with(&previous)
    {
        tracing::warn!(cluster, "the last scheduled report cannot be compared with: {e}");
    }
    let metrics = &shared.metrics;
    let last_used: BTreeMap<String, i64> = a
        .usage
        .iter()
        .filter(|((_, role), _)| *role == crate::model::UsageRole::By)
        .map(|((g, _), u)| (g.to_string(), u.last_ms))
        .collect();
    metrics.set_assessment(cluster, &report.grants, &a.findings, &a.accepted, &last_used);
    metrics.count_access_changes(cluster, &report.access_changes);
    if let Some(ratio) = report.summary.agreement.ratio {
        metrics.agreement.with_label_values(&[cluster]).set(ratio);
    }
    metrics.state_version.with_label_values(&[cluster]).set(a.replay.state_version);
    metrics.replay_duration.with_label_values(&[cluster]).observe(started.elapsed().as_secs_f64());
    let findings_json = serde_json::to_string(&a.findings).expect("findings serialize");
    let html = crate::report::html(&report);
    shared.status.update(cluster, |st| {
        st.findings = a.findings.len();
        st.accepted = a.accepted.len();
        st.findings_json = Some(findings_json);
        st.report_html = Some(html);
        st.last_assessment = Some(format_rfc3339(now_ms()));
    });
    let Some(dir) = &shared.reports.dir else { return Ok(None) };
    let now = now_ms();
    if now < super::reports::next_due(&shared.reports, last_report, now) {
        return Ok(None);
    }
    let written = super::reports::write(&shared.reports, dir, cluster, &report, now)
        .map_err(|source| TaskError::Report { dir: dir.clone(), source })?;
    tracing::info!(cluster, files = ?written, "wrote the scheduled report");
    let json = serde_json::to_string(&report).expect("reports serialize");
    store.set_last_report(cluster, &json)?;
    Ok(Some(now))
}
