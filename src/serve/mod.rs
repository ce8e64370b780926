//! `grantscope serve`: the long-running service. One process watches every configured cluster —
//! a task per source of each cluster ([`sources`]) following it on its own interval, and one task
//! per cluster assessing it ([`assess`]) — and serves Prometheus metrics, health, findings and the
//! latest report over HTTP ([`http`]).
//!
//! One writer per database ([`lock`]). SIGTERM or SIGINT stops the polling: ingest commits the
//! batch it has read with its checkpoint, and the process exits within 10 s; a restart resumes
//! from the checkpoints, so nothing is lost or counted twice (also after `kill -9`).

mod assess;
mod cluster;
pub mod config;
mod error;
mod exceptions;
mod http;
mod listener;
mod lock;
mod metrics;
mod reports;
mod shared;
mod sources;
mod status;
#[cfg(test)]
mod tests;

pub use lock::LockError;

use crate::serve::config::Config;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the tasks get to finish after a stop signal: within the 10 s a container
/// runtime waits before SIGKILL, with room for the HTTP server to close.
const STOP_GRACE: Duration = Duration::from_secs(8);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Exceptions(#[from] crate::app::exceptions::ExceptionsError),
}

pub async fn run(config: Config, db: PathBuf) -> Result<(), ServeError> {
    let _lock = lock::acquire(&db)?;
    // Migrate (or refuse a foreign or newer file) before anything else touches it.
    drop(Store::open(&db)?);
    if config.clusters.is_empty() {
        tracing::warn!("no [[clusters]] configured: serving metrics only");
    }
    // A malformed exceptions file fails the start, naming the entry; later, the last good one stays.
    let exceptions = config.analysis.exceptions.clone().map(exceptions::ExceptionsFile::open).transpose()?;
    let metrics = Arc::new(metrics::Metrics::new(config.metrics.max_grant_series)?);
    let pacers = Arc::new(crate::sources::aws::Pacers::default());
    let names = config.clusters.iter().map(|c| (c.name.as_str(), cluster::source_names(c, &pacers)));
    let status = Arc::new(status::Status::new(names));
    let stop = crate::sources::stop::Stop::default();
    let shared = Arc::new(shared::Shared {
        db: db.clone(),
        analysis: config.analysis.clone(),
        reports: config.reports.clone(),
        exceptions,
        metrics: metrics.clone(),
        status: status.clone(),
        stop: stop.clone(),
        pacers,
        warned: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .map_err(|source| ServeError::Listen { addr: config.server.listen, source })?;
    tracing::info!(listen = %listener.local_addr()?, db = %db.display(), clusters = config.clusters.len(), "serving");
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let app = http::router(http::AppState { metrics, status });
    let server = tokio::spawn(listener::serve(listener, app, shutdown_rx));
    let tasks: Vec<_> = config.clusters.iter().flat_map(|c| cluster::spawn(c, &shared)).collect();
    crate::app::shutdown::shutdown_signal().await?;
    tracing::info!("stopping: finishing the batches in flight");
    stop.stop();
    let _ = shutdown_tx.send(true);
    let all = async {
        for t in tasks {
            let _ = t.await;
        }
    };
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        tracing::warn!("a task did not finish in time; what it committed is kept");
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    tracing::info!("stopped");
    Ok(())
}
