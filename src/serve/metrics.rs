//! The daemon's Prometheus metrics: one registry, `grantscope_` names in base units, labels drawn
//! from bounded sets (cluster names from the config, sources, kinds, severities, statuses; grant
//! ids only up to `[metrics] max_grant_series`).

use crate::analysis::inventory::{GrantRow, GrantStatus, GrantType};
use crate::analysis::timeline::{Change, ChangeKind};
use crate::analysis::{Finding, FindingKind, Severity};
use crate::ingest::Tally;
use crate::sources::aws::AttemptOutcome;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

pub struct Metrics {
    registry: Registry,
    pub events_ingested: IntCounterVec,
    pub events_skipped: IntCounterVec,
    pub ingest_errors: IntCounterVec,
    pub ingest_lag: GaugeVec,
    pub source_requests: IntCounterVec,
    pub state_sync_timestamp: GaugeVec,
    access_changes: IntCounterVec,
    /// Per cluster, the access changes already seen (the first assessment's are the baseline).
    seen_changes: Mutex<HashMap<String, HashSet<String>>>,
    pub state_version: IntGaugeVec,
    pub cluster_healthy: IntGaugeVec,
    grants: IntGaugeVec,
    findings: IntGaugeVec,
    pub agreement: GaugeVec,
    pub replay_duration: HistogramVec,
    grant_last_used: GaugeVec,
    series_dropped: IntCounter,
    max_grant_series: usize,
    /// Per cluster, the grants with a last-used series now.
    exported: Mutex<HashMap<String, Vec<String>>>,
}

impl Metrics {
    pub fn new(max_grant_series: usize) -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<IntCounterVec> {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<GaugeVec> {
            let g = GaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let int_gauge = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<IntGaugeVec> {
            let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let m = Metrics {
            events_ingested: counter(
                "grantscope_events_ingested_total",
                "Events stored (each counted once, however often its input is read).",
                &["cluster", "source"],
            )?,
            events_skipped: counter(
                "grantscope_events_skipped_total",
                "Valid records not kept, by reason.",
                &["cluster", "source", "reason"],
            )?,
            ingest_errors: counter(
                "grantscope_ingest_errors_total",
                "Bad records recorded and skipped (see `grantscope errors`).",
                &["cluster", "source", "reason"],
            )?,
            ingest_lag: gauge(
                "grantscope_ingest_lag_seconds",
                "Now minus the newest stored event's time.",
                &["cluster", "source"],
            )?,
            source_requests: counter(
                "grantscope_source_requests_total",
                "Requests to a source's API (file reads as audit, cloudtrail), by outcome (ok, throttled, retried, error).",
                &["cluster", "api", "outcome"],
            )?,
            access_changes: counter(
                "grantscope_access_changes_total",
                "Access changes seen since the daemon started (CloudTrail calls, state-version changes), by kind.",
                &["cluster", "kind"],
            )?,
            state_sync_timestamp: gauge(
                "grantscope_state_sync_timestamp_seconds",
                "When each part of the access state was last read successfully.",
                &["cluster", "part"],
            )?,
            state_version: int_gauge("grantscope_state_version", "The stored access-state version.", &["cluster"])?,
            cluster_healthy: int_gauge(
                "grantscope_cluster_healthy",
                "1 when every source's last read and the last assessment of the cluster succeeded.",
                &["cluster"],
            )?,
            grants: int_gauge(
                "grantscope_grants",
                "Grants by type and status over the window.",
                &["cluster", "grant_type", "status"],
            )?,
            findings: int_gauge(
                "grantscope_findings",
                "Findings by kind and severity; status open (alert on these) or accepted (by the exceptions file).",
                &["cluster", "kind", "severity", "status"],
            )?,
            agreement: gauge(
                "grantscope_replay_agreement_ratio",
                "Share of recorded decisions in the window that the current state reproduces.",
                &["cluster"],
            )?,
            replay_duration: {
                let opts = HistogramOpts::new(
                    "grantscope_replay_duration_seconds",
                    "Time to replay and assess a cluster (replay, findings, proofs, report).",
                )
                .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]);
                let h = HistogramVec::new(opts, &["cluster"])?;
                registry.register(Box::new(h.clone()))?;
                h
            },
            grant_last_used: gauge(
                "grantscope_grant_last_used_timestamp_seconds",
                "When a grant last allowed a request in the window (capped at metrics.max_grant_series series).",
                &["cluster", "grant"],
            )?,
            series_dropped: {
                let c = IntCounter::new(
                    "grantscope_metric_series_dropped_total",
                    "Series not exported because of metrics.max_grant_series.",
                )?;
                registry.register(Box::new(c.clone()))?;
                c
            },
            max_grant_series,
            exported: Mutex::new(HashMap::new()),
            seen_changes: Mutex::new(HashMap::new()),
            registry,
        };
        let build = Gauge::with_opts(
            Opts::new("grantscope_build_info", "Always 1; the version is a label.")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )?;
        build.set(1.0);
        m.registry.register(Box::new(build))?;
        Ok(m)
    }

    /// Creates a cluster's counters at 0, so rates and alerts have a series from the first scrape
    /// (a counter that appears only on its first increment hides that increment from `rate`).
    /// `apis` are the APIs its sources call (`audit` and `cloudtrail` stand for file reads).
    pub fn init_cluster(&self, cluster: &str, apis: &[&str]) {
        for source in ["audit", "cloudwatch", "cloudtrail"] {
            self.events_ingested.with_label_values(&[cluster, source]);
            self.ingest_errors.with_label_values(&[cluster, source, "bad-record"]);
        }
        for kind in ChangeKind::ALL {
            self.access_changes.with_label_values(&[cluster, kind.as_str()]);
        }
        for api in apis {
            for outcome in AttemptOutcome::ALL {
                self.source_requests.with_label_values(&[cluster, api, outcome.as_str()]);
            }
        }
    }

    /// Counts one read of a source: events stored, skipped by reason, bad records.
    pub fn count_tally(&self, cluster: &str, source: &str, tally: &Tally) {
        self.events_ingested.with_label_values(&[cluster, source]).inc_by(tally.ingested);
        for (reason, n) in &tally.skipped {
            self.events_skipped.with_label_values(&[cluster, source, reason]).inc_by(*n);
        }
        self.ingest_errors.with_label_values(&[cluster, source, "bad-record"]).inc_by(tally.errors);
    }

    /// Counts the access changes not seen before. The first call per cluster only records what
    /// is there: changes from before the daemon started are history, not news.
    pub fn count_access_changes(&self, cluster: &str, changes: &[Change]) {
        let key = |c: &Change| match &c.event_id {
            Some(id) => id.clone(),
            None => format!("v{}|{}|{}", c.state_version.unwrap_or_default(), c.kind.as_str(), c.what),
        };
        let mut seen = self.seen_changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.get_mut(cluster) {
            None => {
                seen.insert(cluster.to_string(), changes.iter().map(key).collect());
            }
            Some(known) => {
                for c in changes.iter().filter(|c| known.insert(key(c))) {
                    self.access_changes.with_label_values(&[cluster, c.kind.as_str()]).inc();
                }
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("metrics encode");
        String::from_utf8(out).expect("the text format is UTF-8")
    }

    /// Replaces the cluster's assessment gauges: grants by type and status, findings by kind,
    /// severity and status, open or accepted (every combination, 0 where none, so a count that
    /// drops to nothing reads 0), and the last use of each grant (series of grants no longer
    /// there are removed).
    pub fn set_assessment(
        &self,
        cluster: &str,
        grants: &[GrantRow],
        findings: &[Finding],
        accepted: &[Finding],
        last_used: &BTreeMap<String, i64>,
    ) {
        for t in GrantType::ALL {
            for s in GrantStatus::ALL {
                let n = grants.iter().filter(|g| g.grant_type == t && g.status == s).count();
                self.grants.with_label_values(&[cluster, t.as_str(), s.as_str()]).set(n as i64);
            }
        }
        for (status, list) in [("open", findings), ("accepted", accepted)] {
            for kind in FindingKind::ALL {
                for severity in [Severity::Low, Severity::Medium, Severity::High] {
                    let n = list.iter().filter(|f| f.kind == kind && f.severity == severity).count();
                    let labels = [cluster, kind.as_str(), &severity.to_string(), status];
                    self.findings.with_label_values(&labels).set(n as i64);
                }
            }
        }
        let mut exported = self.exported.lock().expect("not poisoned");
        let previous = exported.remove(cluster).unwrap_or_default();
        let now: Vec<String> = last_used.keys().take(self.max_grant_series).cloned().collect();
        for gone in previous.iter().filter(|g| !last_used.contains_key(*g)) {
            let _ = self.grant_last_used.remove_label_values(&[cluster, gone]);
        }
        for grant in &now {
            self.grant_last_used.with_label_values(&[cluster, grant]).set(last_used[grant] as f64 / 1000.0);
        }
        let dropped = last_used.len().saturating_sub(now.len());
        if dropped > 0 {
            self.series_dropped.inc_by(dropped as u64);
        }
        exported.insert(cluster.to_string(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn change(id: &str) -> Change {
        Change {
            time: String::new(),
            time_ms: 0,
            kind: ChangeKind::EntryCreated,
            what: String::new(),
            who: None,
            session: None,
            event_id: Some(id.into()),
            state_version: None,
        }
    }

    #[test]
    fn access_changes_count_from_the_first_look_on_each_once() {
        let m = Metrics::new(10).unwrap();
        let count = || m.access_changes.with_label_values(&["c", "entry-created"]).get();
        m.count_access_changes("c", &[change("old")]);
        assert_eq!(count(), 0, "what was there at the start is the baseline");
        m.count_access_changes("c", &[change("old"), change("new")]);
        m.count_access_changes("c", &[change("old"), change("new")]);
        assert_eq!(count(), 1);
    }

    /// The README's metrics reference lists exactly what the daemon exports.
    #[test]
    fn the_readme_documents_every_metric() {
        let m = Metrics::new(1).unwrap();
        m.init_cluster("c", &["FilterLogEvents"]);
        let skipped = Tally { skipped: [("stage", 1)].into(), ..Tally::default() };
        m.count_tally("c", "cloudwatch", &skipped);
        m.ingest_lag.with_label_values(&["c", "cloudwatch"]).set(1.0);
        m.state_sync_timestamp.with_label_values(&["c", "eks"]).set(1.0);
        m.state_version.with_label_values(&["c"]).set(1);
        m.cluster_healthy.with_label_values(&["c"]).set(1);
        m.agreement.with_label_values(&["c"]).set(1.0);
        m.replay_duration.with_label_values(&["c"]).observe(0.1);
        m.set_assessment("c", &[], &[], &[], &[("g1".to_string(), 1), ("g2".to_string(), 2)].into());
        m.count_access_changes("c", &[]);
        let exported: BTreeSet<String> = m.registry.gather().iter().map(|f| f.name().to_string()).collect();
        let documented: BTreeSet<String> = include_str!("../../README.md")
            .lines()
            .filter_map(|l| l.strip_prefix("| `grantscope_"))
            .map(|rest| format!("grantscope_{}", rest.split('`').next().unwrap_or_default()))
            .collect();
        assert_eq!(exported, documented);
    }
}
