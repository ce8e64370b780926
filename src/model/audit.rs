//! A Kubernetes audit event, normalized to what grantscope keeps.

use super::{EventId, RequestShape};
use std::borrow::Cow;

/// The authorizer's decision as the API server recorded it (`authorization.k8s.io/decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedDecision {
    Allow,
    Forbid,
}

impl RecordedDecision {
    /// The annotation value; anything else is not a decision.
    pub fn from_annotation(value: &str) -> Option<RecordedDecision> {
        match value {
            "allow" => Some(RecordedDecision::Allow),
            "forbid" => Some(RecordedDecision::Forbid),
            _ => None,
        }
    }
}

/// One final-stage audit event (`ResponseComplete` or `Panic`).
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub id: EventId,
    /// The `auditID` as written, kept for examples and drill-down.
    pub audit_id: Cow<'a, str>,
    /// Unix ms of `requestReceivedTimestamp` (else `stageTimestamp`).
    pub time_ms: i64,
    pub shape: RequestShape<'a>,
    pub decision: Option<RecordedDecision>,
    /// `authorization.k8s.io/reason`, which names the grant that allowed the request.
    pub reason: Cow<'a, str>,
    pub response_code: Option<u16>,
    pub source_ip: Cow<'a, str>,
}
