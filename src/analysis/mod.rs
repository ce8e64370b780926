//! Findings: what replay's grant usage says about the access configuration.

mod narrower;
mod risky;
mod unused;
pub mod whatif;

pub use narrower::{NarrowerContext, compress, narrower_findings};
pub use risky::{RiskyContext, risky_findings};
pub use unused::{UnusedContext, unused_findings};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// What the data says about a grant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Allowed requests attributed to the grant in the window (0 for unused grants).
    pub requests: i64,
    pub shapes: i64,
    pub first_used: Option<String>,
    pub last_used: Option<String>,
    /// Requests the grant would also have allowed, had nothing earlier in the chain.
    pub shadowed_requests: i64,
    /// Days with any event in the window, and the window.
    pub observed_days: i64,
    pub window_days: u32,
}

impl Evidence {
    /// No use at all: the evidence of an unused or risky grant.
    pub fn unused(observed_days: i64, window_days: u32) -> Evidence {
        Evidence {
            requests: 0,
            shapes: 0,
            first_used: None,
            last_used: None,
            shadowed_requests: 0,
            observed_days,
            window_days,
        }
    }
}

/// What to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub summary: String,
    /// Commands that carry it out (AWS CLI, kubectl, eksctl).
    pub commands: Vec<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable across runs for the same kind, cluster and grant.
    pub id: String,
    pub kind: &'static str,
    /// For `insufficient-evidence`: the kind the grant would have been reported as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_be: Option<&'static str>,
    pub severity: Severity,
    pub cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub grant: String,
    pub evidence: Evidence,
    pub recommendation: Recommendation,
}

/// `GS-` and 12 hex digits of a hash of what identifies the finding.
pub fn finding_id(kind: &str, cluster: &str, grant: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(format!("{kind}\n{cluster}\n{grant}").as_bytes());
    format!("GS-{:012x}", h & 0xffff_ffff_ffff)
}
