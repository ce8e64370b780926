//! `[clusters.cloudwatch]` and `ingest cloudwatch`: where a cluster's audit log is and how it is
//! followed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchConfig {
    /// The audit log group. Default `/aws/eks/NAME/cluster`, where EKS writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// Only streams whose name starts with this. Default `kube-apiserver-audit`.
    #[serde(default = "default_stream_prefix")]
    pub stream_prefix: String,
    /// How far back a first read starts, in days. Default 7.
    #[serde(default = "default_since_days")]
    pub since_days: u32,
    /// Seconds between reads. Default 10.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

pub fn default_stream_prefix() -> String {
    "kube-apiserver-audit".to_string()
}

pub const fn default_since_days() -> u32 {
    7
}

pub const fn default_poll_seconds() -> u64 {
    10
}

impl Default for CloudWatchConfig {
    fn default() -> Self {
        CloudWatchConfig {
            log_group: None,
            stream_prefix: default_stream_prefix(),
            since_days: default_since_days(),
            poll_seconds: default_poll_seconds(),
        }
    }
}

impl CloudWatchConfig {
    /// The log group to read for `cluster`.
    pub fn log_group(&self, cluster: &str) -> String {
        self.log_group.clone().unwrap_or_else(|| format!("/aws/eks/{cluster}/cluster"))
    }
}
