//! The stop every source obeys: set once (SIGTERM, SIGINT), seen by a reader at its next batch or
//! page boundary (it commits what it read and returns) and by a loop waiting for its next poll.

use std::sync::Arc;
use tokio::sync::watch;

/// A stop signal, cheap to clone; every clone sees the same stop.
#[derive(Debug, Clone)]
pub struct Stop(Arc<watch::Sender<bool>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::Sender::new(false)))
    }
}

impl Stop {
    /// Stops everything holding a clone.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once stopped (at once if already).
    pub async fn wait(&self) {
        let mut seen = self.0.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = seen.wait_for(|stopped| *stopped).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_reaches_every_clone_even_one_that_waits_later() {
        let stop = Stop::default();
        let other = stop.clone();
        assert!(!other.is_set());
        let waiting = tokio::spawn({
            let other = other.clone();
            async move { other.wait().await }
        });
        stop.stop();
        waiting.await.unwrap();
        assert!(other.is_set());
        other.wait().await; // already stopped: returns at once
    }
}
