//! One cluster in the daemon: a task per source it reads and one that assesses it, each on its
//! own schedule, so a long read (30 days of CloudTrail at 2 requests a second) holds up neither
//! CloudWatch's ingest nor the assessment. A failed read is logged, counted by class and shown in
//! `/readyz`, and tried again at the source's next poll; a corrupt checkpoint stops that source
//! only. Every task ends at the stop (SIGTERM, SIGINT), after the batch or page in flight.

use super::error::TaskError;
use super::shared::Shared;
use super::sources::{self, DaemonSource};
use super::status::TaskFailure;
use crate::app::clock::now_ms;
use crate::model::time::format_rfc3339;
use crate::serve::config::ClusterConfig;
use crate::sources::aws::Pacers;
use crate::sources::error::Classify;
use crate::sources::follow::{ReadFailure, Reads, follow};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The names of the sources `cluster` reads, for its status.
pub fn source_names(cluster: &ClusterConfig, pacers: &Arc<Pacers>) -> Vec<&'static str> {
    sources::of(cluster, pacers).iter().map(|s| s.name()).collect()
}

/// Starts the cluster's tasks.
pub fn spawn(cluster: &ClusterConfig, shared: &Arc<Shared>) -> Vec<JoinHandle<()>> {
    shared.metrics.init_cluster(&cluster.name, &sources::apis(cluster));
    let sources = sources::of(cluster, &shared.pacers);
    // How many sources finished a first read: the first assessment waits for them.
    let (first_reads, read_once) = watch::channel(0usize);
    let count = sources.len();
    let mut tasks: Vec<JoinHandle<()>> = sources
        .into_iter()
        .map(|s| tokio::spawn(run_source(cluster.name.clone(), s, shared.clone(), first_reads.clone())))
        .collect();
    tasks.push(tokio::spawn(super::assess::run(cluster.name.clone(), shared.clone(), read_once, count)));
    tasks
}

/// One source's reads in the daemon: each on a blocking thread, reported as it ends.
struct SourceTask {
    cluster: String,
    source: Arc<Mutex<Box<dyn DaemonSource>>>,
    name: &'static str,
    label: &'static str,
    shared: Arc<Shared>,
    /// Counts this source's first read, once.
    first_reads: Option<watch::Sender<usize>>,
}

impl Reads for SourceTask {
    type Error = TaskError;

    async fn read(&mut self) -> Result<(), TaskError> {
        let (s, shared, runtime) = (self.source.clone(), self.shared.clone(), tokio::runtime::Handle::current());
        let result = tokio::task::spawn_blocking(move || {
            s.lock().unwrap_or_else(PoisonError::into_inner).read(&shared, &runtime)
        })
        .await
        .unwrap_or_else(|e| Err(TaskError::Aborted(e)));
        report(&self.shared, &self.cluster, self.name, self.label, result.as_ref().err());
        if let Some(first_reads) = self.first_reads.take() {
            first_reads.send_modify(|n| *n += 1);
        }
        result
    }
}

/// Follows one source until the stop, or until its checkpoint turns out corrupt.
async fn run_source(
    cluster: String,
    source: Box<dyn DaemonSource>,
    shared: Arc<Shared>,
    first_reads: watch::Sender<usize>,
) {
    let (name, label, every) = (source.name(), source.label(), source.every());
    let what = format!("{cluster} {name}");
    let stop = shared.stop.clone();
    let source = Arc::new(Mutex::new(source));
    let mut task = SourceTask { cluster, source, name, label, shared, first_reads: Some(first_reads) };
    match follow(&what, Some(every), &stop, &mut task).await {
        Ok(()) => tracing::debug!(source = what, "stopped"),
        Err(e) => tracing::error!(
            source = what,
            error = %e,
            "this source stops until the daemon restarts; the cluster's other sources go on"
        ),
    }
}

/// Publishes how a read ended: the source's status, the cluster's health, the error's class.
fn report(shared: &Shared, cluster: &str, name: &'static str, label: &'static str, error: Option<&TaskError>) {
    let failure = error.map(|e| {
        shared.metrics.ingest_errors.with_label_values(&[cluster, label, e.class().as_str()]).inc();
        TaskFailure { class: e.class(), message: e.to_string() }
    });
    let stopped = error.is_some_and(ReadFailure::is_fatal);
    let healthy = shared.status.update(cluster, |st| {
        st.read(name, failure, stopped, format_rfc3339(now_ms()));
        st.healthy()
    });
    shared.metrics.cluster_healthy.with_label_values(&[cluster]).set(i64::from(healthy));
}
