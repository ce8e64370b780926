//! The "since the previous report" section: findings new and resolved, grants added and removed,
//! and the headline figures then and now (computed in change.rs).

use crate::model::GrantId;
use serde::{Deserialize, Serialize};

/// The changes since an earlier report.
#[derive(Debug, Clone, Serialize)]
pub struct SincePrevious {
    pub previous_generated_at: String,
    pub previous_state_version: i64,
    /// Findings of this report that the earlier one did not have, most severe first.
    pub new_findings: Vec<FindingRef>,
    /// Findings of the earlier report this one no longer has, open or accepted (fixed, or no
    /// longer true).
    pub resolved_findings: Vec<FindingRef>,
    /// Findings an exception accepts now that the earlier report did not list as accepted.
    pub newly_accepted: Vec<FindingRef>,
    /// Grant ids in this report's inventory and not in the earlier one's.
    pub grants_added: Vec<GrantId>,
    /// Grant ids in the earlier inventory and not in this one's.
    pub grants_removed: Vec<GrantId>,
    pub then: Figures,
    pub now: Figures,
}

/// A finding, by what identifies it to a reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub kind: String,
    pub severity: String,
    pub grant: GrantId,
}

/// The headline figures of one report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub grants_used: usize,
    pub grants_unused: usize,
    pub findings_high: usize,
    pub findings_medium: usize,
    pub findings_low: usize,
    /// Agreement with recorded decisions under the report's state; absent when none was recorded.
    pub agreement_ratio: Option<f64>,
}
