//! What to generate: the profile and the options every writer reads, and when each event was
//! received.

use crate::model::time;

/// Which cluster the data describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// A handful of IAM roles, an IAM user, add-ons, nodes and probes asking about a few dozen
    /// fixed objects with a few sessions: any volume folds into a few hundred request shapes
    #[default]
    Small,
    /// A 300-node cluster: a third of the nodes replaced each day (new names, new instance-id
    /// sessions), ~2,800 pods with ReplicaSet-hash and random suffixes replaced all day, event
    /// objects with unique names, controllers, the scheduler, kubelet leases, add-ons watching, CI
    /// jobs each with its own botocore-session-<epoch>, people with stable e-mail sessions: two
    /// thirds of 300,000 events would be request shapes of their own if every name and session
    /// were kept
    Busy,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub profile: Profile,
    pub seed: u64,
    /// Audit events in total, spread evenly over the days.
    pub events: u64,
    pub days: u32,
    /// The last day (UTC day number) the data covers.
    pub end_day: i64,
    pub cluster: String,
    pub account: String,
}

/// When event `i` was received: evenly spread over the days, in order.
pub(super) fn received_ms(opts: &GenerateOptions, i: u64) -> i64 {
    let start_ms = (opts.end_day - i64::from(opts.days) + 1) * time::MS_PER_DAY;
    let span_ms = i64::from(opts.days) * time::MS_PER_DAY;
    start_ms + (i128::from(i) * i128::from(span_ms) / i128::from(opts.events.max(1))) as i64
}
