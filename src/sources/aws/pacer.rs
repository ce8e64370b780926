//! Pacing calls to an API with a per-second quota (CloudTrail LookupEvents: 2 per second per
//! account and region), one pace per region for the whole process, as the quota is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Each call takes the next free slot, `interval` after the one before.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    last: Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    /// `calls` per second, with a tenth of margin: the quota is counted where requests arrive, and
    /// the network does not keep them evenly spaced.
    pub fn per_second(calls: u32) -> Pacer {
        Pacer { interval: Duration::from_secs(1) * 11 / 10 / calls.max(1), last: Mutex::new(None) }
    }

    /// Reserves the next slot now; the returned sleep ends when it comes.
    pub fn wait(&self) -> tokio::time::Sleep {
        let now = tokio::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = last.map_or(now, |l| (l + self.interval).max(now));
        *last = Some(slot);
        tokio::time::sleep_until(slot)
    }
}

/// One pace per region: every cluster's lookups in a region share CloudTrail's quota.
#[derive(Default)]
pub struct Pacers(Mutex<HashMap<String, Arc<Pacer>>>);

impl Pacers {
    pub fn for_region(&self, region: &str) -> Arc<Pacer> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(region.to_string()).or_insert_with(|| Arc::new(Pacer::per_second(2))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pacer_keeps_calls_apart() {
        let p = Pacer::per_second(2);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(2200),
            "5 calls at 2/s take 2 s of (paused) time, plus margin"
        );
    }

    #[test]
    fn clusters_in_one_region_share_its_pace() {
        let pacers = Pacers::default();
        assert!(Arc::ptr_eq(&pacers.for_region("eu-west-1"), &pacers.for_region("eu-west-1")));
        assert!(!Arc::ptr_eq(&pacers.for_region("eu-west-1"), &pacers.for_region("us-east-1")));
    }
}
