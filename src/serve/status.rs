//! What the daemon knows about each cluster right now: health, the latest findings and report.
//! Written by the cluster loops, read by the HTTP handlers.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    /// The first poll (ingest and state import) and assessment both succeeded.
    pub ready: bool,
    /// A first poll was attempted, successful or not.
    pub attempted: bool,
    pub last_error: Option<String>,
    pub last_poll: Option<String>,
    pub last_assessment: Option<String>,
    pub state_version: Option<i64>,
    pub findings: usize,
    #[serde(skip)]
    pub findings_json: Option<String>,
    #[serde(skip)]
    pub report_html: Option<String>,
}

/// Every cluster's status, by name.
pub struct Status {
    clusters: Mutex<BTreeMap<String, ClusterStatus>>,
}

impl Status {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Status {
        let clusters = names.into_iter().map(|n| (n.to_string(), ClusterStatus::default())).collect();
        Status { clusters: Mutex::new(clusters) }
    }

    pub fn update(&self, cluster: &str, f: impl FnOnce(&mut ClusterStatus)) {
        let mut clusters = self.clusters.lock().expect("not poisoned");
        f(clusters.entry(cluster.to_string()).or_default());
    }

    pub fn snapshot(&self) -> BTreeMap<String, ClusterStatus> {
        self.clusters.lock().expect("not poisoned").clone()
    }
}
