//! The state-sync source: a cluster's access state read from the live APIs — the EKS API's part
//! ([`eks`]: authentication mode, access entries, policies) and the Kubernetes API's part
//! ([`kubernetes`]: RBAC, aws-auth), reached with a kubeconfig, in-cluster or with an EKS token
//! ([`eks_token`]).

pub mod eks;
pub mod eks_token;
pub mod kubernetes;
