//! `[clusters.state_sync]`: how the daemon reaches a cluster's EKS and Kubernetes APIs, and how
//! often it reads the access state from them.

use super::kubernetes::KubernetesAccess;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateSyncConfig {
    /// How the Kubernetes API is reached. Default `kubeconfig`.
    #[serde(default)]
    pub kubernetes: KubernetesMode,
    /// With `kubernetes = "kubeconfig"`: the file. Default `KUBECONFIG`, then `~/.kube/config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// With `kubernetes = "kubeconfig"`: the context. Default its current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Seconds between syncs. Default 300.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

pub const fn default_poll_seconds() -> u64 {
    300
}

impl Default for StateSyncConfig {
    fn default() -> Self {
        StateSyncConfig {
            kubernetes: KubernetesMode::default(),
            kubeconfig: None,
            context: None,
            poll_seconds: default_poll_seconds(),
        }
    }
}

/// How state sync reaches a cluster's Kubernetes API.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum KubernetesMode {
    /// A kubeconfig context (exec plugins such as `aws eks get-token` work).
    #[default]
    Kubeconfig,
    /// The pod's service account: the daemon runs in the cluster it watches.
    InCluster,
    /// DescribeCluster's endpoint and CA with an EKS token signed by the AWS credentials (ECS).
    EksToken,
}

impl StateSyncConfig {
    /// The Kubernetes access a sync uses.
    pub fn access(&self) -> KubernetesAccess {
        match self.kubernetes {
            KubernetesMode::Kubeconfig => {
                KubernetesAccess::Kubeconfig { path: self.kubeconfig.clone(), context: self.context.clone() }
            }
            KubernetesMode::InCluster => KubernetesAccess::InCluster,
            KubernetesMode::EksToken => KubernetesAccess::EksToken,
        }
    }
}
