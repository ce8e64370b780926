//! Pure domain types. No I/O: no tokio, no SQLite, no AWS SDK (DESIGN idea 6).

mod access;
mod access_change;
mod audit;
mod event_id;
mod grant_id;
mod grant_times;
mod identity;
mod replay_summary;
mod shape;
mod state_diff;
pub mod text;
pub mod time;

pub use access::{
    AccessEntry, AccessEntryType, AccessScope, AccessState, AuthenticationMode, AwsAuth, IdentityMapping,
    PolicyAssociation, PolicyRule, Role, RoleBinding, RoleKind, Subject, is_system_binding,
};
pub use access_change::{ACCESS_EVENTS, AccessChange, is_access_event};
pub use audit::{AuditEvent, RecordedDecision};
pub use event_id::EventId;
pub use grant_id::{GrantId, GrantKind, RecordedGrant, UsageRole};
pub use grant_times::GrantTimes;
pub use identity::{NODES_GROUP, PrincipalKind, canonical_principal_arn, is_node_identity, session_name_of};
pub use replay_summary::{AtTheTime, ReplaySummary};
pub use shape::{KEPT_PARTICULARS, RequestShape, SESSION_RAW_TOKEN, SESSION_TOKEN, Unkept, with_session_token};
pub use state_diff::{Changes, StateDiff};
