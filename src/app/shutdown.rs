//! The stop signal every long-running command obeys: SIGTERM (what Kubernetes and ECS send) or
//! SIGINT (Ctrl-C).

/// Waits for SIGTERM (what Kubernetes and ECS send) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r?,
    }
    Ok(())
}
