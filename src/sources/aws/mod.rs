//! What every AWS source shares: the SDK configuration (the default credential chain over one
//! rustls HTTP client, the SDK's own retries off), one error line per failed call ([`ApiError`]),
//! the retry policy that counts every attempt ([`retry`]) and the pace of a quota ([`pacer`]).

pub mod pacer;
pub mod retry;

pub use pacer::{Pacer, Pacers};
pub use retry::{AttemptOutcome, Requests, retrying};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_eks::config::http::HttpResponse;
use aws_sdk_eks::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use std::time::Duration;

/// The shared SDK config: the chain's credentials (environment, profile, web identity for IRSA,
/// the ECS/Pod Identity container endpoint, IMDS); `region` overrides the chain's.
pub async fn config(region: Option<&str>) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    // A read that stalls must not hold a cluster's loop: each attempt gets a minute.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(60))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts);
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    loader.load().await
}

/// A failed AWS call, as one line: the API, the resource, what AWS said and the permission the
/// call needs, so an operator can tell a missing IAM grant from a typo.
#[derive(Debug, thiserror::Error)]
#[error("{api} on {resource}: {detail} (needs {permission}{hint})")]
pub struct ApiError {
    /// `eks:DescribeCluster`: the IAM action, which is also the API's name.
    pub api: &'static str,
    pub resource: String,
    /// AWS's error code, when AWS answered (`AccessDeniedException`).
    pub code: Option<String>,
    detail: String,
    permission: &'static str,
    hint: String,
}

impl ApiError {
    /// `permission` is the IAM action and the resource it must be granted on.
    pub fn new<E>(
        api: &'static str,
        permission: &'static str,
        resource: &str,
        err: &SdkError<E, HttpResponse>,
    ) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().map(str::to_string);
        let detail = match (err.code(), err.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            _ => DisplayErrorContext(err).to_string(),
        };
        let hint = match code.as_deref() {
            Some("ResourceNotFoundException") if api.starts_with("logs:") => {
                "; is control-plane audit logging on for the cluster, in this region?".to_string()
            }
            Some("ResourceNotFoundException") if api.starts_with("eks:") => {
                "; does the cluster exist in this region?".to_string()
            }
            Some(c) if is_denied(c) => "; the credentials' IAM policy does not grant it".to_string(),
            _ => String::new(),
        };
        ApiError { api, resource: resource.to_string(), code, detail, permission, hint }
    }
}

fn is_denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" | "UnrecognizedClientException")
}
