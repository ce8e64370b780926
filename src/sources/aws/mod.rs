//! What every AWS source shares: the SDK configuration (the default credential chain over one
//! rustls HTTP client, the SDK's own retries off), one error line per failed call ([`ApiError`],
//! which says what to do about it: [`failure`]), the retry policy that counts every attempt ([`retry`]) and the pace of a quota ([`pacer`]).

pub mod failure;
pub mod pacer;
pub mod retry;

pub use failure::{Failure, Target};
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

/// A failed AWS call, as one line. What AWS answered names the API, the resource, AWS's error and
/// the permission the call needs, so an operator can tell a missing IAM grant from a typo; a
/// failure that is not the call's (credentials, region, network) says what was tried and what to
/// set ([`Failure`]).
#[derive(Debug, thiserror::Error)]
pub struct ApiError {
    /// `eks:DescribeCluster`: the IAM action, which is also the API's name.
    pub api: &'static str,
    pub resource: String,
    pub failure: Failure,
    permission: &'static str,
}

impl ApiError {
    /// `permission` is the IAM action and the resource it must be granted on; `target`, where the
    /// client sends its calls. The SDK's full account of `err` is logged at debug level.
    pub fn new<E>(
        api: &'static str,
        permission: &'static str,
        resource: &str,
        target: &Target,
        err: &SdkError<E, HttpResponse>,
    ) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        tracing::debug!(api, resource, error = %DisplayErrorContext(err), "AWS call failed");
        ApiError { api, resource: resource.to_string(), failure: Failure::of(err, target), permission }
    }
}

#[cfg(test)]
impl ApiError {
    /// `api` answered `status` with AWS error `code`, from its public endpoint in us-east-1.
    pub fn answered(api: &'static str, code: &str, status: u16) -> ApiError {
        use aws_sdk_eks::error::ErrorMetadata;
        use aws_sdk_eks::operation::describe_cluster::DescribeClusterError;
        let err = DescribeClusterError::generic(ErrorMetadata::builder().code(code).build());
        let err = SdkError::service_error(err, HttpResponse::new(status.try_into().unwrap(), "".into()));
        let target = Target {
            endpoint: "https://eks.us-east-1.amazonaws.com".into(),
            overridden: false,
            region: Some("us-east-1".into()),
            profile: None,
        };
        ApiError::new(api, api, "fake", &target, &err)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.failure.stands_alone() {
            return write!(f, "{}", self.failure);
        }
        let hint = match &self.failure {
            Failure::Answered { code, .. } if code == "ResourceNotFoundException" && self.api.starts_with("logs:") => {
                "; is control-plane audit logging on for the cluster, in this region?"
            }
            Failure::Answered { code, .. } if code == "ResourceNotFoundException" && self.api.starts_with("eks:") => {
                "; does the cluster exist in this region?"
            }
            Failure::Answered { code, .. } if is_denied(code) => "; the credentials' IAM policy does not grant it",
            _ => "",
        };
        write!(f, "{} on {}: {} (needs {}{hint})", self.api, self.resource, self.failure, self.permission)
    }
}

fn is_denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation")
}
