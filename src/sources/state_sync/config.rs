//! `[clusters.state_sync]`: how the daemon reaches a cluster's EKS and Kubernetes APIs, and how
//! often it reads the access state from them.
//!
//! ```toml
//! [clusters.state_sync]
//! kubernetes = "kubeconfig"     # or "in-cluster", "eks-token"
//! kubeconfig = "/etc/grantscope/kubeconfig"
//! context = "prod"
//! ```
//!
//! The table is written flat, as above, and read into [`KubernetesAccess`], whose kubeconfig
//! variant alone carries a path and a context: `kubeconfig` or `context` beside another mode does
//! not read.

use super::kubernetes::KubernetesAccess;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(try_from = "StateSyncToml", into = "StateSyncToml")]
pub struct StateSyncConfig {
    /// How the Kubernetes API is reached. Default a kubeconfig: `KUBECONFIG`, then
    /// `~/.kube/config`, in its current context.
    pub kubernetes: KubernetesAccess,
    /// Seconds between syncs. Default 300.
    pub poll_seconds: u64,
}

pub const fn default_poll_seconds() -> u64 {
    300
}

impl Default for StateSyncConfig {
    fn default() -> Self {
        StateSyncToml::default().try_into().expect("the defaults go together")
    }
}

/// `[clusters.state_sync]` as written (and as the flat keys of earlier releases gave it).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StateSyncToml {
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

impl Default for StateSyncToml {
    fn default() -> Self {
        StateSyncToml {
            kubernetes: KubernetesMode::default(),
            kubeconfig: None,
            context: None,
            poll_seconds: default_poll_seconds(),
        }
    }
}

/// How state sync reaches a cluster's Kubernetes API, as the table names it.
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

impl KubernetesMode {
    fn as_str(self) -> &'static str {
        match self {
            KubernetesMode::Kubeconfig => "kubeconfig",
            KubernetesMode::InCluster => "in-cluster",
            KubernetesMode::EksToken => "eks-token",
        }
    }
}

/// The table, or the kubeconfig key written beside a mode that reads no kubeconfig.
impl TryFrom<StateSyncToml> for StateSyncConfig {
    type Error = String;

    fn try_from(t: StateSyncToml) -> Result<StateSyncConfig, String> {
        let kubernetes = match t.kubernetes {
            KubernetesMode::Kubeconfig => KubernetesAccess::Kubeconfig { path: t.kubeconfig, context: t.context },
            mode if t.kubeconfig.is_some() || t.context.is_some() => {
                let key = if t.kubeconfig.is_some() { "kubeconfig" } else { "context" };
                return Err(format!(
                    "state_sync.{key} is read only with kubernetes = \"kubeconfig\", not \"{}\"; remove it, or \
                     set kubernetes = \"kubeconfig\"",
                    mode.as_str()
                ));
            }
            KubernetesMode::InCluster => KubernetesAccess::InCluster,
            KubernetesMode::EksToken => KubernetesAccess::EksToken,
        };
        Ok(StateSyncConfig { kubernetes, poll_seconds: t.poll_seconds })
    }
}

impl From<StateSyncConfig> for StateSyncToml {
    fn from(c: StateSyncConfig) -> StateSyncToml {
        let (kubernetes, kubeconfig, context) = match c.kubernetes {
            KubernetesAccess::Kubeconfig { path, context } => (KubernetesMode::Kubeconfig, path, context),
            KubernetesAccess::InCluster => (KubernetesMode::InCluster, None, None),
            KubernetesAccess::EksToken => (KubernetesMode::EksToken, None, None),
        };
        StateSyncToml { kubernetes, kubeconfig, context, poll_seconds: c.poll_seconds }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubeconfig_keys_read_only_with_the_kubeconfig_mode() {
        let cases = [
            (
                "nothing given is the default kubeconfig",
                "",
                Ok(KubernetesAccess::Kubeconfig { path: None, context: None }),
            ),
            (
                "a kubeconfig and a context with the kubeconfig mode",
                "kubeconfig = \"/k\"\ncontext = \"prod\"",
                Ok(KubernetesAccess::Kubeconfig { path: Some("/k".into()), context: Some("prod".into()) }),
            ),
            (
                "a context without a mode: the kubeconfig mode is the default",
                "context = \"prod\"",
                Ok(KubernetesAccess::Kubeconfig { path: None, context: Some("prod".into()) }),
            ),
            ("in-cluster alone", "kubernetes = \"in-cluster\"", Ok(KubernetesAccess::InCluster)),
            (
                "a context beside in-cluster does not read",
                "kubernetes = \"in-cluster\"\ncontext = \"prod\"",
                Err("state_sync.context is read only with kubernetes = \"kubeconfig\", not \"in-cluster\""),
            ),
            (
                "a kubeconfig beside eks-token does not read",
                "kubernetes = \"eks-token\"\nkubeconfig = \"/k\"",
                Err("state_sync.kubeconfig is read only with kubernetes = \"kubeconfig\", not \"eks-token\""),
            ),
        ];
        for (name, text, want) in cases {
            let read = toml::from_str::<StateSyncConfig>(text);
            match (read, want) {
                (Ok(config), Ok(access)) => {
                    assert_eq!(config.kubernetes, access, "{name}");
                    let written = toml::to_string(&config).unwrap();
                    assert_eq!(toml::from_str::<StateSyncConfig>(&written).unwrap(), config, "{name}: {written}");
                }
                (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }
}
