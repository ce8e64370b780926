//! `state sync`: the cluster's access state read from the live APIs — the EKS part (mode, access
//! entries, policies) and the Kubernetes part (RBAC, aws-auth) — stored as a new version only when
//! its content changed, with what changed.
//!
//! Failure isolation: a part that cannot be read is kept from the previous version and recorded as
//! failed in `state_parts`, so the other part still syncs and nothing stale passes for current. A
//! first sync needs both parts: there is nothing to keep yet.

use crate::app::state_versions::{StateVersionError, Stored, latest_state, store_state};
use crate::model::time::format_rfc3339;
use crate::sources::aws::{self, Requests};
use crate::sources::state_sync::eks::{self, EksAccess};
use crate::sources::state_sync::kubernetes::{self, EksEndpoint, KubernetesAccess, KubernetesError};
use crate::state::{LiveParts, assemble};
use crate::store::Store;
use serde::Serialize;

/// The parts of a synced state, as `state_parts` and the metrics name them.
pub const EKS_PART: &str = "eks";
pub const KUBERNETES_PART: &str = "kubernetes";

pub struct SyncOptions {
    pub cluster: String,
    pub region: Option<String>,
    pub kubernetes: KubernetesAccess,
}

/// How one part fared.
#[derive(Debug, Serialize)]
pub struct PartOutcome {
    pub part: &'static str,
    /// Read from its API just now.
    pub fresh: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When a kept part was last read (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_from: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SyncOutcome {
    pub cluster: String,
    #[serde(flatten)]
    pub stored: Stored,
    pub parts: Vec<PartOutcome>,
    pub requests: Requests,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl SyncOutcome {
    /// Whether every part was read just now.
    pub fn complete(&self) -> bool {
        self.parts.iter().all(|p| p.fresh)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Nothing could be stored: the failing parts ([`EKS_PART`], [`KUBERNETES_PART`]), each with
    /// what went wrong, in one line.
    #[error("state sync of {cluster} stored nothing: {}", failures.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>().join("; "))]
    Failed { cluster: String, failures: Vec<(&'static str, String)>, requests: Requests },
    #[error(transparent)]
    StoredState(#[from] StateVersionError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Reads both parts, stores the state if it changed and records how each part fared.
pub async fn sync(store: &mut Store, opts: &SyncOptions, now_ms: i64) -> Result<SyncOutcome, SyncError> {
    let cluster = opts.cluster.as_str();
    let config = aws::config(opts.region.as_deref()).await;
    let mut requests = Requests::default();
    let eks = eks::read(&eks::Eks::new(&config), cluster, &mut requests).await.map_err(|e| e.to_string());
    let kubernetes =
        read_kubernetes(&opts.kubernetes, &config, cluster, eks.as_ref().ok(), now_ms).await.map_err(|e| e.to_string());

    let previous = latest_state(store, cluster)?.map(|(_, state)| state);
    let results = [(EKS_PART, eks.as_ref().err()), (KUBERNETES_PART, kubernetes.as_ref().err())];
    let failures: Vec<(&'static str, String)> =
        results.iter().filter_map(|(part, e)| e.map(|e| (*part, e.clone()))).collect();
    if previous.is_none() && !failures.is_empty() || failures.len() == 2 {
        // Only the failures are recorded: a part read but not stored was not synced.
        for (part, error) in results.iter().filter(|(_, e)| e.is_some()) {
            store.record_state_part(cluster, part, now_ms, error.map(String::as_str))?;
        }
        return Err(SyncError::Failed { cluster: cluster.to_string(), failures, requests });
    }
    let mut warnings = Vec::new();
    let eks_part = eks.as_ref().ok().map(|e: &EksAccess| {
        warnings.extend(e.warnings.iter().cloned());
        (e.mode, e.entries.clone())
    });
    let loaded = assemble(LiveParts {
        cluster,
        eks: eks_part,
        kubernetes: kubernetes.as_ref().ok().cloned(),
        previous: previous.as_ref(),
    })?;
    warnings.extend(loaded.warnings);
    let kept_from = store.state_parts(cluster)?;
    let parts: Vec<PartOutcome> = results
        .iter()
        .map(|&(part, error)| PartOutcome {
            part,
            fresh: error.is_none(),
            kept_from: kept_from
                .iter()
                .find(|p| p.part == part && error.is_some())
                .and_then(|p| p.synced_ms)
                .map(format_rfc3339),
            error: error.cloned(),
        })
        .collect();
    let source = match parts.iter().find(|p| !p.fresh) {
        None => "eks-api + kubernetes-api".to_string(),
        Some(stale) => format!("eks-api + kubernetes-api ({} part kept from the previous version)", stale.part),
    };
    let mut stored = store_state(store, cluster, loaded.state, &source, now_ms)?;
    warnings.append(&mut stored.warnings);
    // Recorded once the state is stored: a part is synced when what was read is in the store.
    for (part, error) in results {
        store.record_state_part(cluster, part, now_ms, error.map(String::as_str))?;
    }
    Ok(SyncOutcome { cluster: cluster.to_string(), stored, parts, requests, warnings })
}

/// The Kubernetes part, or why it could not be read.
async fn read_kubernetes(
    access: &KubernetesAccess,
    config: &aws_config::SdkConfig,
    cluster: &str,
    eks: Option<&EksAccess>,
    now_ms: i64,
) -> Result<Vec<serde_json::Value>, KubernetesError> {
    let endpoint = match (access, eks) {
        (KubernetesAccess::EksToken, Some(EksAccess { endpoint: Some(url), certificate_authority: Some(ca), .. })) => {
            let token = crate::sources::state_sync::eks_token::token(config, cluster, now_ms).await?;
            Some(EksEndpoint { url, certificate_authority: ca, token })
        }
        (KubernetesAccess::EksToken, _) => return Err(KubernetesError::NoEndpoint),
        _ => None,
    };
    kubernetes::read(&kubernetes::client(access, endpoint).await?).await
}
