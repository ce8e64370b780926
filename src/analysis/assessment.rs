//! An assessment: the findings over a window, what they were computed from, and the proof that
//! all recommendations together break nothing. Built by `app::assess`; read by the report, the
//! CLI and the daemon.

use crate::analysis::{Finding, Together};
use crate::model::{AccessState, ReplaySummary};
use crate::store::{UsageByGrant, WindowShape};

/// What to assess.
#[derive(Debug, Clone, Copy)]
pub struct AssessOptions {
    pub window_days: u32,
    /// Fewer observed days than this make "unused" `insufficient-evidence`.
    pub min_observed_days: u32,
    pub now_ms: i64,
}

/// The findings over the window and what they were computed from.
pub struct Assessment {
    pub replay: ReplaySummary,
    pub state: AccessState,
    /// Most severe first; without the accepted ones.
    pub findings: Vec<Finding>,
    /// Findings an exception accepts, most severe first: counted, remediated and alerted on apart.
    pub accepted: Vec<Finding>,
    /// Exceptions of this cluster that match no finding.
    pub unmatched_exceptions: Vec<crate::analysis::exceptions::Unmatched>,
    /// All recommendations applied together and replayed.
    pub together: Together,
    pub usage: UsageByGrant,
    /// The window's shapes allowed today.
    pub shapes: Vec<WindowShape>,
    pub observed_days: i64,
    pub from_day: i64,
    pub options: AssessOptions,
}

impl Assessment {
    /// The sentence that states the proof.
    pub fn proof(&self) -> String {
        format!(
            "all {} recommendations applied together: {} of {} requests allowed {} would be denied",
            self.together.changes,
            self.together.denied_requests,
            self.together.allowed_requests,
            crate::analysis::observed_span(self.observed_days, self.options.window_days)
        )
    }
}
