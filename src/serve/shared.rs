//! What every task of the daemon shares.

use super::metrics::Metrics;
use super::status::Status;
use crate::app::state_versions::Stored;
use crate::serve::config::{AnalysisConfig, ReportsConfig};
use crate::sources::aws::{Pacers, Requests};
use crate::sources::stop::Stop;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

pub struct Shared {
    pub db: PathBuf,
    pub analysis: AnalysisConfig,
    pub reports: ReportsConfig,
    /// `[analysis] exceptions`, re-read before each assessment.
    pub exceptions: Option<super::exceptions::ExceptionsFile>,
    pub metrics: Arc<Metrics>,
    pub status: Arc<Status>,
    /// Set on SIGTERM/SIGINT: a read stops at its next batch or page, committed.
    pub stop: Stop,
    /// CloudTrail's quota is per region: every cluster's lookups share one pace per region.
    pub pacers: Arc<Pacers>,
    /// Per cluster and topic, the warnings logged last (a hash): the same state and exceptions are
    /// read at every poll, and their warnings are logged once, when they change.
    pub warned: Mutex<HashMap<String, u64>>,
}

impl Shared {
    /// Logs what was noticed about a cluster's access state, unless it is what was logged last.
    pub fn warn_once(&self, cluster: &str, warnings: &[String]) {
        self.warn_once_about(cluster, "state", warnings)
    }

    /// Logs what was noticed about one topic of a cluster (its state, its exceptions), unless it
    /// is what was logged last about it.
    pub fn warn_once_about(&self, cluster: &str, topic: &str, warnings: &[String]) {
        let hash = xxhash_rust::xxh3::xxh3_64(warnings.join("\n").as_bytes());
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.insert(format!("{cluster}\n{topic}"), hash) != Some(hash) {
            for w in warnings {
                tracing::warn!(cluster, "{w}");
            }
        }
    }

    /// Publishes the cluster's state version once a source stored its state (the
    /// `grantscope_state_version` gauge and the status), logging a version that is new with what
    /// changed in it.
    pub fn state_stored(&self, cluster: &str, stored: &Stored) {
        if stored.created {
            let changes = stored.diff.as_ref().map(|d| d.lines());
            tracing::info!(cluster, version = stored.version, ?changes, "stored a new access-state version");
        }
        self.metrics.state_version.with_label_values(&[cluster]).set(stored.version);
        self.status.update(cluster, |st| st.state_version = Some(stored.version));
    }

    /// Adds a read's requests to `grantscope_source_requests_total`.
    pub fn count_requests(&self, cluster: &str, requests: &Requests) {
        for (api, outcomes) in &requests.0 {
            for (outcome, n) in outcomes {
                self.metrics.source_requests.with_label_values(&[cluster, api, outcome.as_str()]).inc_by(*n);
            }
        }
    }
}
