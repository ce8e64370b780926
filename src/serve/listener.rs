//! Serving HTTP without letting clients hold the process: at most [`MAX_CONNECTIONS`] at once (the
//! rest wait in the kernel's backlog, so HTTP clients can never take the file descriptors the store
//! and the sources need), a client that sends no complete request head within
//! [`HEADER_READ_TIMEOUT`] is dropped (slowloris, idle sockets), and every connection is closed
//! gracefully after [`MAX_CONNECTION_AGE`], so keep-alive cannot hold a slot for ever.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Connections served at once. Prometheus needs one or two; the rest is room for people and probes.
pub const MAX_CONNECTIONS: usize = 128;

/// From accepting a connection (or the end of its last response) to a complete request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a connection is kept, however busy: then it is closed after its current response.
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// How long a response in flight gets to finish when its connection is closed.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` turns true, then lets the responses in flight finish
/// (at most [`CLOSE_GRACE`]).
pub async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        // Take a slot before accepting: over the limit, clients wait in the backlog, holding no
        // descriptor of ours.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = shutdown.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset before accept: wait a
                    // little instead of spinning, and go on.
                    tracing::warn!("accepting an HTTP connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let app = app.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            connection(stream, app, shutdown).await;
        });
    }
    // Responses in flight finish (each connection closes gracefully on shutdown): every slot back.
    let _ = tokio::time::timeout(CLOSE_GRACE, slots.acquire_many(MAX_CONNECTIONS as u32)).await;
}

async fn connection(stream: tokio::net::TcpStream, app: Router, mut shutdown: watch::Receiver<bool>) {
    // A client that never sends a byte: hyper's header timer may only start at the first one.
    tokio::select! {
        first = tokio::time::timeout(HEADER_READ_TIMEOUT, stream.readable()) => {
            if !matches!(first, Ok(Ok(()))) {
                return;
            }
        }
        _ = shutdown.wait_for(|stop| *stop) => return,
    }
    let service = TowerToHyperService::new(app);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = tokio::time::sleep(MAX_CONNECTION_AGE) => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(CLOSE_GRACE, conn).await;
}
