//! What a replay did and found: how many request shapes it decided or carried over, how they were
//! decided, and how its decisions agree with those the API server recorded.

use serde::Serialize;

/// What a replay did and found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplaySummary {
    pub cluster: String,
    pub state_version: i64,
    pub window_days: u32,
    /// Shapes decided in this run: new ones, and those a state change can affect.
    pub shapes_evaluated: u64,
    /// Shapes whose decision under the previous state version carried over unchanged.
    pub shapes_carried: u64,
    pub allowed: u64,
    pub denied: u64,
    pub unauthenticated: u64,
    pub not_evaluated: u64,
    /// Unkept shapes (requests whose names and sessions were not kept) that some names or sessions
    /// would be allowed and others denied: counted neither as allowed nor as denied.
    pub undetermined: u64,
    /// Requests in the window with a recorded decision that replay decided too, and how many of
    /// them replay decides the same way under the current state.
    pub recorded_requests_compared: i64,
    pub recorded_requests_agreeing: i64,
    /// The same comparison against the state that held on each request's day.
    pub at_the_time: AtTheTime,
}

/// Requests with a recorded decision, against the state of their day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AtTheTime {
    pub compared: i64,
    pub agreeing: i64,
    /// On days the state changed, or from principals whose grants were deleted since.
    pub excluded: i64,
}
