//! One cluster's loop in the daemon: every `poll_seconds`, follow its files (audit events,
//! CloudTrail, access state) exactly as `ingest` and `state import` do; every
//! `[analysis] interval_seconds`, assess it (replay, findings, proofs, report) and publish the
//! result as metrics, `/api/v1/findings` and `/api/v1/reports/latest`. A failure is logged, counted
//! and shown in `/readyz`; the loop goes on, and other clusters never notice.

use super::live::LiveSources;
use super::metrics::Metrics;
use super::status::Status;
use crate::analysis::assessment::AssessOptions;
use crate::app::assess::assess;
use crate::app::clock::now_ms;
use crate::ingest::sink::Sink;
use crate::ingest::{AuditSink, CloudTrailSink, InputFormat, InputPath, Tally};
use crate::model::time::format_rfc3339;
use crate::serve::config::{AnalysisConfig, ClusterConfig, ReportsConfig};
use crate::sources::aws::Pacers;
use crate::sources::files::{DEFAULT_BATCH_RECORDS, FileOptions, ingest_files_into};
use crate::store::{self, Store};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What every cluster loop shares.
pub struct Shared {
    pub db: PathBuf,
    pub analysis: AnalysisConfig,
    pub reports: ReportsConfig,
    pub metrics: Arc<Metrics>,
    pub status: Arc<Status>,
    /// Set on SIGTERM/SIGINT: ingest stops at its next batch boundary, committed.
    pub stop: crate::sources::stop::Stop,
    /// CloudTrail's quota is per region: every cluster's lookups share one pace per region.
    pub pacers: Pacers,
    /// Per cluster, the warnings about its access state logged last (a hash): the same state is
    /// read at every poll, and its warnings are logged once, when they change.
    pub warned: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

impl Shared {
    /// Logs what was noticed about a cluster's access state, unless it is what was logged last.
    pub fn warn_once(&self, cluster: &str, warnings: &[String]) {
        let hash = xxhash_rust::xxh3::xxh3_64(warnings.join("\n").as_bytes());
        let mut warned = self.warned.lock().expect("no panic holds the lock");
        if warned.insert(cluster.to_string(), hash) != Some(hash) {
            for w in warnings {
                tracing::warn!(cluster, "{w}");
            }
        }
    }
}

pub async fn run(cluster: ClusterConfig, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let name = cluster.name.clone();
    shared.metrics.init_cluster(&name, &apis(&cluster));
    let mut live = LiveSources::new();
    let mut next_assessment = Instant::now();
    let mut last_report: Option<i64> = None;
    // The hash of a shrinking state read at the last poll (see `import_state`).
    let mut pending_shrink: Option<u64> = None;
    loop {
        let (c, s) = (cluster.clone(), shared.clone());
        let polled = tokio::task::spawn_blocking(move || {
            let outcome = poll(&c, &s, &mut pending_shrink);
            (outcome, pending_shrink)
        })
        .await;
        let polled = match polled {
            Ok((outcome, pending)) => {
                pending_shrink = pending;
                outcome
            }
            Err(e) => Err(e.to_string()),
        };
        let mut problems: Vec<String> = polled.err().into_iter().collect();
        // The live reads write SQLite between their requests: on a blocking thread, so a long
        // transaction never holds up the runtime that serves /metrics and handles signals.
        let (c, s, runtime) = (cluster.clone(), shared.clone(), tokio::runtime::Handle::current());
        let polled = tokio::task::spawn_blocking(move || {
            let found = runtime.block_on(live.poll(&c, &s));
            (live, found)
        })
        .await;
        live = match polled {
            Ok((back, found)) => {
                problems.extend(found);
                back
            }
            Err(e) => {
                problems.push(format!("live sources: {e}"));
                LiveSources::new()
            }
        };
        if shared.stop.is_set() {
            break;
        }
        // A failing source leaves the others' data to assess; with no state at all, the
        // assessment says so itself.
        if Instant::now() >= next_assessment {
            let (n, s) = (name.clone(), shared.clone());
            let assessed = tokio::task::spawn_blocking(move || assess_cluster(&n, &s, last_report))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            next_assessment = Instant::now() + Duration::from_secs(shared.analysis.interval_seconds);
            match assessed {
                Ok(written) => last_report = written.or(last_report),
                Err(e) => problems.push(e),
            }
        }
        let healthy = problems.is_empty();
        for p in &problems {
            tracing::warn!(cluster = %name, error = %p, "cluster poll failed; retrying at the next poll");
        }
        shared.metrics.cluster_healthy.with_label_values(&[&name]).set(i64::from(healthy));
        shared.status.update(&name, |st| {
            st.attempted = true;
            st.ready |= healthy && st.last_assessment.is_some();
            st.last_error = (!healthy).then(|| problems.join("; "));
            st.last_poll = Some(format_rfc3339(now_ms()));
        });
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(cluster.poll_seconds)) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::info!(cluster = %name, "stopped");
}

/// The APIs a cluster's sources call, for `grantscope_source_requests_total` (files count as
/// `audit` and `cloudtrail`).
fn apis(c: &ClusterConfig) -> Vec<&'static str> {
    let mut apis = Vec::new();
    if !c.audit_files.is_empty() {
        apis.push("audit");
    }
    if !c.cloudtrail_files.is_empty() {
        apis.push("cloudtrail");
    }
    if c.cloudwatch {
        apis.push("FilterLogEvents");
    }
    if c.cloudtrail {
        apis.push("LookupEvents");
    }
    if c.state_sync {
        apis.extend(["DescribeCluster", "ListAccessEntries", "DescribeAccessEntry", "ListAssociatedAccessPolicies"]);
    }
    apis
}

/// Files from paths and `*` patterns, in order; a pattern matching nothing is no error (the files
/// may not exist yet), but an unreadable pattern is.
fn expand(patterns: &[String]) -> Result<Vec<InputPath>, String> {
    let mut out = Vec::new();
    for p in patterns {
        let matched = glob::glob(p).map_err(|e| format!("file pattern {p:?}: {e}"))?;
        for path in matched {
            out.push(InputPath::File(path.map_err(|e| e.to_string())?));
        }
    }
    Ok(out)
}

/// Imports the state files as the cluster's next version. A version removing more than half the
/// grants is stored only when the previous poll read the very same content (`pending_shrink`
/// holds its hash): a file caught half-written, truncated or replaced by mistake keeps the stored
/// version, and the cluster reports unhealthy, until it is read the same twice in a row.
fn import_state(
    shared: &Shared,
    store: &mut Store,
    cluster: &str,
    paths: &[PathBuf],
    pending_shrink: &mut Option<u64>,
) -> Result<crate::app::state_versions::Stored, String> {
    use crate::app::state_versions::{shrink_against_latest, store_files};
    let loaded = crate::state::load_files(paths, Some(cluster))
        .map_err(|e| format!("state files (previous version kept): {e}"))?;
    let (state, mut warnings) = (loaded.state, loaded.warnings);
    match shrink_against_latest(store, cluster, &state).map_err(|e| e.to_string())? {
        Some((version, shrink)) => {
            let content = xxhash_rust::xxh3::xxh3_64(&serde_json::to_vec(&state).expect("states serialize"));
            if pending_shrink.replace(content) != Some(content) {
                return Err(format!(
                    "state files: {shrink} Kept version {version}; the new state is stored if the next poll reads the same"
                ));
            }
            tracing::warn!(cluster, %shrink, "state files read the same on two polls in a row; storing them");
        }
        None => *pending_shrink = None,
    }
    let mut stored = store_files(store, cluster, state, paths, now_ms()).map_err(|e| e.to_string())?;
    *pending_shrink = None;
    warnings.append(&mut stored.warnings);
    shared.warn_once(cluster, &warnings);
    Ok(stored)
}

fn poll(c: &ClusterConfig, shared: &Shared, pending_shrink: &mut Option<u64>) -> Result<(), String> {
    let mut store = Store::open(&shared.db).map_err(|e| e.to_string())?;
    let opts = FileOptions {
        format: InputFormat::Auto,
        batch_records: DEFAULT_BATCH_RECORDS,
        progress: false,
        stop: Some(shared.stop.clone()),
        clock: now_ms,
    };
    let metrics = &shared.metrics;
    let mut follow = |source: &str, patterns: &[String], sink: &mut dyn Sink| -> Result<(), String> {
        if patterns.is_empty() {
            return Ok(());
        }
        // What was committed counts, even when a later file fails.
        let mut committed = Tally::default();
        let outcome = expand(patterns).and_then(|paths| {
            ingest_files_into(&mut store, &paths, sink, &opts, &mut committed).map_err(|e| e.to_string())
        });
        let ok = outcome.is_ok();
        metrics.source_requests.with_label_values(&[c.name.as_str(), source, if ok { "ok" } else { "error" }]).inc();
        metrics.count_tally(&c.name, source, &committed);
        outcome
    };
    follow("audit", &c.audit_files, &mut AuditSink::new(Some(c.name.clone())))?;
    follow("cloudtrail", &c.cloudtrail_files, &mut CloudTrailSink)?;
    if let Some(newest) = store::newest_event_ms(store.conn(), &c.name).map_err(|e| e.to_string())? {
        metrics
            .ingest_lag
            .with_label_values(&[&c.name, "audit"])
            .set(crate::model::time::lag_seconds(newest, now_ms()));
    }
    if !c.state_files.is_empty() {
        let paths: Vec<PathBuf> = expand(&c.state_files)?
            .into_iter()
            .filter_map(|p| match p {
                InputPath::File(f) => Some(f),
                InputPath::Stdin => None,
            })
            .collect();
        if paths.is_empty() {
            return Err(format!("state_files {:?} match no file", c.state_files));
        }
        let paths = crate::state::state_files(&paths, false).map_err(|e| e.to_string())?;
        let stored = import_state(shared, &mut store, &c.name, &paths, pending_shrink)?;
        let version = stored.version;
        if stored.created {
            tracing::info!(cluster = %c.name, version, "stored a new access-state version");
        }
        metrics.state_version.with_label_values(&[&c.name]).set(version);
        metrics.state_sync_timestamp.with_label_values(&[&c.name, "files"]).set(now_ms() as f64 / 1000.0);
        shared.status.update(&c.name, |st| st.state_version = Some(version));
    }
    Ok(())
}

/// Assesses the cluster and publishes the result; writes the scheduled report when due. Returns
/// when a report was written, if one was.
fn assess_cluster(cluster: &str, shared: &Shared, last_report: Option<i64>) -> Result<Option<i64>, String> {
    let started = Instant::now();
    let mut store = Store::open(&shared.db).map_err(|e| e.to_string())?;
    let options = AssessOptions {
        window_days: shared.analysis.window_days,
        min_observed_days: shared.analysis.min_observed_days,
        now_ms: now_ms(),
    };
    let a = assess(&mut store, cluster, options).map_err(|e| e.to_string())?;
    let report = crate::app::assess::report(&a, &store).map_err(|e| e.to_string())?;
    let metrics = &shared.metrics;
    let last_used: BTreeMap<String, i64> =
        a.usage.iter().filter(|((_, role), _)| role == "by").map(|((g, _), u)| (g.clone(), u.last_ms)).collect();
    metrics.set_assessment(cluster, &report.grants, &a.findings, &last_used);
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
        .map_err(|e| format!("writing the report into {}: {e}", dir.display()))?;
    tracing::info!(cluster, files = ?written, "wrote the scheduled report");
    Ok(Some(now))
}
