//! What the daemon knows about each cluster right now: each source's health, the assessment's,
//! the latest findings and report. Written by the cluster's tasks, read by the HTTP handlers.

use crate::sources::error::ErrorClass;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A daemon task's failed read or assessment: its class and what was said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskFailure {
    pub class: ErrorClass,
    pub message: String,
}

/// One source of a cluster (`files.audit`, `cloudwatch`, `state_sync`, ...).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceStatus {
    /// A first read was attempted, successful or not.
    pub attempted: bool,
    /// The last read succeeded.
    pub healthy: bool,
    /// It reads no more until the daemon restarts (a corrupt checkpoint: a person decides).
    pub stopped: bool,
    pub error: Option<TaskFailure>,
    pub last_read: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    /// Every source read once and an assessment after that succeeded, all healthy at the time.
    pub ready: bool,
    /// Every source read once and the cluster was assessed once, successful or not.
    pub attempted: bool,
    /// What is failing now, one `source (class): message` each, `; `-separated.
    pub last_error: Option<String>,
    pub last_poll: Option<String>,
    pub last_assessment: Option<String>,
    pub state_version: Option<i64>,
    pub findings: usize,
    pub sources: BTreeMap<&'static str, SourceStatus>,
    /// The last assessment's failure, if it failed.
    pub assessment_error: Option<TaskFailure>,
    /// Why `[analysis] exceptions` did not read at the last assessment (the last good file was
    /// used instead).
    pub exceptions_error: Option<TaskFailure>,
    /// Findings an exception accepts.
    pub accepted: usize,
    #[serde(skip)]
    pub assessed: bool,
    #[serde(skip)]
    pub findings_json: Option<String>,
    #[serde(skip)]
    pub report_html: Option<String>,
}

impl ClusterStatus {
    /// No source and no assessment failing.
    pub fn healthy(&self) -> bool {
        self.assessment_error.is_none()
            && self.exceptions_error.is_none()
            && self.sources.values().all(|s| s.error.is_none())
    }

    /// Every source attempted its first read.
    pub fn first_reads_done(&self) -> bool {
        self.sources.values().all(|s| s.attempted)
    }

    /// Records how a source's read ended.
    pub fn read(&mut self, source: &'static str, outcome: Option<TaskFailure>, stopped: bool, now: String) {
        let s = self.sources.entry(source).or_default();
        s.attempted = true;
        s.healthy = outcome.is_none();
        s.stopped |= stopped;
        s.error = outcome;
        s.last_read = Some(now.clone());
        self.last_poll = Some(now);
        self.settle();
    }

    /// Records how an assessment ended; `after_first_reads`: it started once every source had read.
    pub fn assessment(&mut self, outcome: Option<TaskFailure>, after_first_reads: bool) {
        self.assessed = true;
        let ok = outcome.is_none();
        self.assessment_error = outcome;
        self.ready |= ok && after_first_reads && self.healthy();
        self.settle();
    }

    /// Records whether the exceptions file read before this assessment (`None`: it did).
    pub fn exceptions(&mut self, outcome: Option<TaskFailure>) {
        self.exceptions_error = outcome;
        self.settle();
    }

    fn settle(&mut self) {
        self.attempted = self.assessed && self.first_reads_done();
        let mut failing: Vec<String> = self
            .sources
            .iter()
            .filter_map(|(name, s)| s.error.as_ref().map(|e| format!("{name} ({}): {}", e.class.as_str(), e.message)))
            .collect();
        for (what, error) in [("assessment", &self.assessment_error), ("exceptions", &self.exceptions_error)] {
            if let Some(e) = error {
                failing.push(format!("{what} ({}): {}", e.class.as_str(), e.message));
            }
        }
        self.last_error = (!failing.is_empty()).then(|| failing.join("; "));
    }
}

/// Every cluster's status, by name.
pub struct Status {
    clusters: Mutex<BTreeMap<String, ClusterStatus>>,
}

impl Status {
    /// `clusters`: each name with its sources' names.
    pub fn new<'a>(clusters: impl IntoIterator<Item = (&'a str, Vec<&'static str>)>) -> Status {
        let clusters = clusters
            .into_iter()
            .map(|(name, sources)| {
                let sources = sources.into_iter().map(|s| (s, SourceStatus::default())).collect();
                (name.to_string(), ClusterStatus { sources, ..ClusterStatus::default() })
            })
            .collect();
        Status { clusters: Mutex::new(clusters) }
    }

    /// Updates a cluster's status; returns what `f` returns.
    pub fn update<T>(&self, cluster: &str, f: impl FnOnce(&mut ClusterStatus) -> T) -> T {
        let mut clusters = self.clusters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(clusters.entry(cluster.to_string()).or_default())
    }

    pub fn snapshot(&self) -> BTreeMap<String, ClusterStatus> {
        self.clusters.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(class: ErrorClass) -> Option<TaskFailure> {
        Some(TaskFailure { class, message: "no".into() })
    }

    #[test]
    fn a_cluster_is_ready_once_every_source_read_and_an_assessment_after_that_passed() {
        let status = Status::new([("c", vec!["cloudwatch", "cloudtrail"])]);
        let now = || "2026-01-01T00:00:00Z".to_string();
        status.update("c", |c| c.read("cloudwatch", None, false, now()));
        status.update("c", |c| c.assessment(None, false));
        assert!(!status.snapshot()["c"].ready, "an assessment before every first read");
        assert!(!status.snapshot()["c"].attempted);
        status.update("c", |c| c.read("cloudtrail", failure(ErrorClass::Aws), false, now()));
        status.update("c", |c| c.assessment(None, true));
        let c = &status.snapshot()["c"];
        assert!(c.attempted && !c.ready, "a failing source");
        assert_eq!(c.last_error.as_deref(), Some("cloudtrail (aws): no"));
        status.update("c", |c| c.read("cloudtrail", None, false, now()));
        status.update("c", |c| c.assessment(None, true));
        assert!(status.snapshot()["c"].ready && status.snapshot()["c"].healthy());
        status.update("c", |c| c.read("cloudwatch", failure(ErrorClass::CorruptCheckpoint), true, now()));
        let c = &status.snapshot()["c"];
        assert!(c.ready, "ready stays: one failing source must not take the others off the air");
        assert!(!c.healthy() && c.sources["cloudwatch"].stopped);
        assert_eq!(c.last_error.as_deref(), Some("cloudwatch (corrupt-checkpoint): no"));
    }
}
