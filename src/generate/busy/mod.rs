//! The busy profile: a 300-node EKS cluster whose audit log has the cardinality of a real busy one.
//!
//! A request shape keys on the object name and the STS session name, so on a real cluster shapes
//! grow with objects and sessions: event objects carry unique names (`<object>.<unix nanos hex>`),
//! pods random suffixes under a ReplicaSet hash that changes with each rollout, nodes are replaced
//! (new name, new instance id as session), CI jobs sign in as `botocore-session-<epoch>`. This
//! profile writes that: most events name something no earlier event named, while kubelets renewing
//! their leases, add-ons watching and people with stable sessions repeat themselves.
//!
//! Events are written in time order, spread evenly over the days. Each slot either writes an event
//! an earlier activity planned for it (a pod's scheduling and start after its creation, a CI job's
//! later calls) or starts a new activity drawn from the mix. Memory stays constant: the pod pool,
//! the planned events (a few activities' worth) and a ring of recent event objects.

mod activities;
mod actors;
mod cluster;
mod generator;
mod mix;
mod planned;

pub use generator::write_audit;

use super::cloudtrail::EntrySetup;
use super::record::AllowedBy;

/// The busy cluster's access configuration, written by hand from actors.rs (as state.yaml is for
/// the small profile).
pub const STATE_TEMPLATE: &str = include_str!("state.yaml");

/// The roles' access entries as the CloudTrail records create them.
pub fn access_entries() -> Vec<EntrySetup<'static>> {
    actors::ROLES
        .iter()
        .map(|role| EntrySetup {
            role: role.name,
            groups: role.groups,
            policy: match role.grant {
                AllowedBy::AccessPolicy(policy) => Some((policy, role.scope)),
                AllowedBy::Rbac(..) => None,
            },
        })
        .collect()
}
