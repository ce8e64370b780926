//! Pure authorization: what an EKS cluster would decide for a recorded request under a given
//! [`crate::model::AccessState`], and which grant decided it. No I/O (DESIGN idea 6).
//!
//! One function per rule of the semantics (`rules`, `scope`, `templates`), composed by the
//! authenticator (`authn`), the RBAC authorizer (`rbac`) and the chain (`chain`).

mod authn;
mod chain;
pub mod changes;
mod grant;
pub mod holdings;
pub mod policies;
mod rbac;
pub mod reason;
mod request;
pub mod rules;
pub mod scope;
pub mod templates;
pub mod unkept;

pub use authn::{
    AUTHENTICATED_GROUP, Authentication, AuthnIndex, NODES_GROUP, Principal, default_username, is_eks_internal,
    is_node_identity, is_node_mapping,
};
pub use chain::{Authorizer, Decision, Explanation, Outcome, SYSTEM_MASTERS};
pub use grant::Grant;
pub use rbac::RbacIndex;
pub use request::Request;
