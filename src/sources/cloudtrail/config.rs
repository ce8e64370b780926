//! `[clusters.cloudtrail]` and `ingest cloudtrail --live`: how far back the access-relevant
//! CloudTrail events are looked up, and how often.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CloudTrailConfig {
    /// How far back a first read starts, in days (LookupEvents keeps 90). Default 30.
    #[serde(default = "default_since_days")]
    pub since_days: u32,
    /// Seconds between lookups (a dozen requests at 2 per second). Default 300.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

pub const fn default_since_days() -> u32 {
    30
}

pub const fn default_poll_seconds() -> u64 {
    300
}

impl Default for CloudTrailConfig {
    fn default() -> Self {
        CloudTrailConfig { since_days: default_since_days(), poll_seconds: default_poll_seconds() }
    }
}
