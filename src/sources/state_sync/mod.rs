//! The state-sync source: a cluster's access state read from the live APIs — the EKS API's part
//! ([`eks`]: authentication mode, access entries, policies) and the Kubernetes API's part
//! ([`kubernetes`]: RBAC, aws-auth), reached with a kubeconfig, in-cluster or with an EKS token
//! ([`eks_token`]), and why it could not be ([`kubernetes_error`]); its config ([`StateSyncConfig`]).
//!
//! Storing what was read is orchestration (`app::sync`, the one "sync once" the CLI and the
//! daemon share); the daemon repeats it with the follow loop ([`super::follow`]). It has no
//! checkpoint: every sync reads the whole state, and the stored state version is what the next
//! one is compared with.

pub mod config;
pub mod eks;
pub mod eks_token;
pub mod kubernetes;
pub mod kubernetes_error;

pub use config::StateSyncConfig;
