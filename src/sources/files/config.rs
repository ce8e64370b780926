//! `[clusters.files]`: the files the daemon follows for a cluster, read exactly as `ingest` and
//! `state import` read them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    /// Kubernetes audit event files or `*` patterns, in any layout `ingest audit` reads. A pattern
    /// matching nothing yet is no error.
    #[serde(default)]
    pub audit: Vec<String>,
    /// CloudTrail files or patterns.
    #[serde(default)]
    pub cloudtrail: Vec<String>,
    /// Access state files (eksctl, kubectl YAML, aws-auth, snapshots), imported together as the
    /// cluster's next state version when their content changes.
    #[serde(default)]
    pub state: Vec<String>,
    /// Seconds between reads. Default 10.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

pub const fn default_poll_seconds() -> u64 {
    10
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            audit: Vec::new(),
            cloudtrail: Vec::new(),
            state: Vec::new(),
            poll_seconds: default_poll_seconds(),
        }
    }
}
