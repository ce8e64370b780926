//! `state sync`: the cluster's access state read from the live APIs — the EKS part (mode, access
//! entries, policies) and the Kubernetes part (RBAC, aws-auth) — stored as a new version only when
//! its content changed, with what changed.
//!
//! Failure isolation: a part that cannot be read is kept from the previous version and recorded as
//! failed in `state_parts`, so the other part still syncs and nothing stale passes for current. A
//! first sync needs both parts: there is nothing to keep yet.

use crate::app::state_versions::{StateVersionError, Stored, latest_state, store_state};
use crate::model::time::format_rfc3339;
use crate::sources::aws::{self, ApiError, Requests};
use crate::sources::error::{Classify, ErrorClass};
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
    /// Why it could not be read (as its one line in JSON).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "one_line")]
    pub error: Option<PartError>,
    /// When a kept part was last read (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_from: Option<String>,
}

fn one_line<S: serde::Serializer>(error: &Option<PartError>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(error.as_ref().expect("skipped when none"))
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

/// Why one part could not be read, as its reader said it: exit codes and the daemon's classes are
/// read off this kind (a kubeconfig that is not there, an AWS call refused), not off which part.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error(transparent)]
    Eks(Box<ApiError>),
    #[error(transparent)]
    Kubernetes(#[from] KubernetesError),
}

impl From<ApiError> for PartError {
    fn from(e: ApiError) -> PartError {
        PartError::Eks(Box::new(e))
    }
}

impl PartError {
    /// The part that failed ([`EKS_PART`], [`KUBERNETES_PART`]).
    pub fn part(&self) -> &'static str {
        match self {
            PartError::Eks(_) => EKS_PART,
            PartError::Kubernetes(_) => KUBERNETES_PART,
        }
    }

    /// A failure a retry cannot mend (the kubeconfig, the pod's environment): the one to act on
    /// first when both parts failed.
    pub fn is_local(&self) -> bool {
        match self {
            PartError::Eks(_) => false,
            PartError::Kubernetes(e) => e.is_local(),
        }
    }
}

impl Classify for PartError {
    fn class(&self) -> ErrorClass {
        match self {
            PartError::Eks(_) => ErrorClass::Aws,
            PartError::Kubernetes(e) => e.class(),
        }
    }
}

/// The parts that failed, in part order, each with why: one line, the first's then the second's.
/// Its source, and what the failure is classed by, is [`PartFailures::primary`].
#[derive(Debug)]
pub struct PartFailures {
    pub first: PartError,
    pub second: Option<PartError>,
}

impl PartFailures {
    /// The failures of the parts' reads (EKS, Kubernetes) when they leave nothing to store: any
    /// on a first sync, which has no version to keep a part from, else both; the reads otherwise.
    fn stopping(errors: [Option<PartError>; 2], first_sync: bool) -> Result<[Option<PartError>; 2], Box<PartFailures>> {
        match errors {
            [Some(first), second] if first_sync || second.is_some() => Err(Box::new(PartFailures { first, second })),
            [None, Some(first)] if first_sync => Err(Box::new(PartFailures { first, second: None })),
            errors => Ok(errors),
        }
    }

    /// The failure to act on: a local one (which no retry mends) before one of an API, else the
    /// first part's.
    pub fn primary(&self) -> &PartError {
        match &self.second {
            Some(second) if second.is_local() && !self.first.is_local() => second,
            _ => &self.first,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &PartError> {
        std::iter::once(&self.first).chain(&self.second)
    }
}

impl std::fmt::Display for PartFailures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first)?;
        match &self.second {
            Some(second) => write!(f, "; {second}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for PartFailures {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.primary())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Nothing could be stored: the parts that failed, each with why, in one line.
    #[error("state sync of {cluster} stored nothing: {failures}")]
    Failed {
        cluster: String,
        #[source]
        failures: Box<PartFailures>,
        requests: Requests,
    },
    #[error(transparent)]
    StoredState(#[from] StateVersionError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl Classify for SyncError {
    fn class(&self) -> ErrorClass {
        match self {
            // By what failed (a kubeconfig that is not there is a file's failure), not by which part.
            SyncError::Failed { failures, .. } => failures.primary().class(),
            SyncError::Sql(_) | SyncError::StoredState(StateVersionError::Sql(_)) => ErrorClass::Store,
            SyncError::StoredState(_) | SyncError::State(_) => ErrorClass::State,
        }
    }
}

/// Reads both parts, stores the state if it changed and records how each part fared.
pub async fn sync(store: &mut Store, opts: &SyncOptions, now_ms: i64) -> Result<SyncOutcome, SyncError> {
    let cluster = opts.cluster.as_str();
    let config = aws::config(opts.region.as_deref()).await;
    let mut requests = Requests::default();
    let (eks, eks_error) = split(eks::read(&eks::Eks::new(&config), cluster, &mut requests).await);
    let (kubernetes, kubernetes_error) =
        split(read_kubernetes(&opts.kubernetes, &config, cluster, eks.as_ref(), now_ms).await);

    let previous = latest_state(store, cluster)?.map(|(_, state)| state);
    let errors = match PartFailures::stopping([eks_error, kubernetes_error], previous.is_none()) {
        Ok(errors) => errors,
        Err(failures) => {
            // Only the failures are recorded: a part read but not stored was not synced.
            for e in failures.iter() {
                store.record_state_part(cluster, e.part(), now_ms, Some(&e.to_string()))?;
            }
            return Err(SyncError::Failed { cluster: cluster.to_string(), failures, requests });
        }
    };
    let mut warnings = Vec::new();
    let eks_part = eks.map(|e: EksAccess| {
        warnings.extend(e.warnings);
        (e.mode, e.entries)
    });
    let loaded = assemble(LiveParts { cluster, eks: eks_part, kubernetes, previous: previous.as_ref() })?;
    warnings.extend(loaded.warnings);
    let kept_from = store.state_parts(cluster)?;
    let parts: Vec<PartOutcome> = [EKS_PART, KUBERNETES_PART]
        .into_iter()
        .zip(errors)
        .map(|(part, error)| PartOutcome {
            part,
            fresh: error.is_none(),
            kept_from: kept_from
                .iter()
                .find(|p| p.part == part && error.is_some())
                .and_then(|p| p.synced_ms)
                .map(format_rfc3339),
            error,
        })
        .collect();
    let source = match parts.iter().find(|p| !p.fresh) {
        None => "eks-api + kubernetes-api".to_string(),
        Some(stale) => format!("eks-api + kubernetes-api ({} part kept from the previous version)", stale.part),
    };
    let mut stored = store_state(store, cluster, loaded.state, &source, now_ms)?;
    warnings.append(&mut stored.warnings);
    // Recorded once the state is stored: a part is synced when what was read is in the store.
    for p in &parts {
        store.record_state_part(cluster, p.part, now_ms, p.error.as_ref().map(ToString::to_string).as_deref())?;
    }
    Ok(SyncOutcome { cluster: cluster.to_string(), stored, parts, requests, warnings })
}

/// A part read, or why not.
fn split<T, E: Into<PartError>>(read: Result<T, E>) -> (Option<T>, Option<PartError>) {
    match read {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e.into())),
    }
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
