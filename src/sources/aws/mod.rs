//! What every live source shares: the SDK configuration (the default credential chain over one
//! rustls HTTP client), one error line per failed call, and a retry loop that backs off on
//! throttling and counts every request by outcome.
//!
//! The SDK's own retries are off: a throttled request retried inside the SDK would be invisible,
//! and users watch `grantscope_source_requests_total{outcome="throttled"}` to size their quotas.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_eks::config::http::HttpResponse;
use aws_sdk_eks::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
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

/// The error codes AWS services use for throttling (the AWS SDKs' list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

fn is_throttling(code: Option<&str>, status: Option<u16>) -> bool {
    status == Some(429) || code.is_some_and(|c| THROTTLING_CODES.contains(&c))
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// AWS asked to slow down; the request was retried after a back-off.
    Throttled,
    /// A transient failure (5xx, timeout, connection) retried after a back-off.
    Retried,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Throttled => "throttled",
            Outcome::Retried => "retried",
            Outcome::Error => "error",
        }
    }
}

/// Requests made, by API (`FilterLogEvents`) and outcome: `ingest` prints them, `serve` adds them
/// to `grantscope_source_requests_total`.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Requests(pub BTreeMap<&'static str, BTreeMap<Outcome, u64>>);

impl Requests {
    pub fn count(&mut self, api: &'static str, outcome: Outcome) {
        *self.0.entry(api).or_default().entry(outcome).or_default() += 1;
    }

    pub fn total(&self, outcome: Outcome) -> u64 {
        self.0.values().filter_map(|m| m.get(&outcome)).sum()
    }

    pub fn add(&mut self, other: &Requests) {
        for (api, outcomes) in &other.0 {
            for (o, n) in outcomes {
                *self.0.entry(api).or_default().entry(*o).or_default() += n;
            }
        }
    }
}

/// Throttling is retried this many times (about a minute of back-off) before giving up.
const THROTTLED_ATTEMPTS: u32 = 10;
/// Transient failures are retried this many times.
const TRANSIENT_ATTEMPTS: u32 = 3;

/// Runs `call` until it succeeds, backing off with jitter on throttling and transient failures;
/// every attempt is counted under `api` (the operation's name, e.g. `FilterLogEvents`).
pub async fn retrying<T, E, F, Fut>(
    requests: &mut Requests,
    api: &'static str,
    mut call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata,
{
    let (mut throttled, mut transient) = (0, 0);
    loop {
        let err = match call().await {
            Ok(v) => {
                requests.count(api, Outcome::Ok);
                return Ok(v);
            }
            Err(e) => e,
        };
        let status = match &err {
            SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
            _ => None,
        };
        let retry = if is_throttling(err.code(), status) {
            throttled += 1;
            (throttled < THROTTLED_ATTEMPTS).then_some((Outcome::Throttled, throttled))
        } else if is_transient(&err) {
            transient += 1;
            (transient < TRANSIENT_ATTEMPTS).then_some((Outcome::Retried, transient))
        } else {
            None
        };
        let Some((outcome, attempt)) = retry else {
            requests.count(api, Outcome::Error);
            return Err(err);
        };
        requests.count(api, outcome);
        tracing::debug!(api, attempt, outcome = outcome.as_str(), "backing off before retrying");
        tokio::time::sleep(backoff(attempt)).await;
    }
}

/// A failure worth retrying: the service's 5xx or request timeout, a connection that failed or
/// timed out. Not: missing credentials or an endpoint that cannot be resolved, which a retry
/// does not fix.
fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    use aws_config::retry::ErrorKind;
    match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout() || d.as_other() == Some(ErrorKind::TransientError),
        SdkError::ServiceError(e) => {
            e.raw().status().is_server_error()
                || matches!(err.code(), Some("RequestTimeout" | "RequestTimeoutException"))
        }
        _ => false,
    }
}

/// Exponential back-off with jitter, capped at 20 s: about 0.5 s, 1 s, 2 s, ... each ±50 %.
pub fn backoff(attempt: u32) -> Duration {
    let base = 500u64.saturating_mul(1 << attempt.min(6)).min(20_000) / 2;
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    Duration::from_millis(base / 2 + u64::from(clock) % base.max(1))
}

/// Paces calls to an API with a per-second quota (CloudTrail LookupEvents: 2 per second per
/// account and region): each call takes the next free slot, `interval` after the one before.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    last: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    /// `calls` per second, with a tenth of margin: the quota is counted where requests arrive, and
    /// the network does not keep them evenly spaced.
    pub fn per_second(calls: u32) -> Pacer {
        Pacer { interval: Duration::from_secs(1) * 11 / 10 / calls.max(1), last: std::sync::Mutex::new(None) }
    }

    /// Reserves the next slot now; the returned sleep ends when it comes.
    pub fn wait(&self) -> tokio::time::Sleep {
        let now = tokio::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = last.map_or(now, |l| (l + self.interval).max(now));
        *last = Some(slot);
        tokio::time::sleep_until(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_of_every_service_are_recognised() {
        let cases = [
            ("logs and cloudtrail", Some("ThrottlingException"), Some(400), true),
            ("query protocol", Some("Throttling"), Some(400), true),
            ("eks", Some("TooManyRequestsException"), Some(429), true),
            ("a bare 429", None, Some(429), true),
            ("denied is no throttling", Some("AccessDeniedException"), Some(403), false),
            ("no answer", None, None, false),
        ];
        for (name, code, status, want) in cases {
            assert_eq!(is_throttling(code, status), want, "{name}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt).as_millis() as u64;
            let base = 500u64.saturating_mul(1 << attempt.min(6)).min(20_000) / 2;
            assert!(d >= base / 2 && d < base / 2 + base, "attempt {attempt}: {d} ms");
        }
        assert!(backoff(30) <= Duration::from_secs(15));
    }

    #[test]
    fn requests_add_up_by_api_and_outcome() {
        let mut a = Requests::default();
        a.count("FilterLogEvents", Outcome::Throttled);
        a.count("FilterLogEvents", Outcome::Ok);
        let mut b = Requests::default();
        b.count("FilterLogEvents", Outcome::Throttled);
        b.count("LookupEvents", Outcome::Ok);
        a.add(&b);
        assert_eq!(a.total(Outcome::Throttled), 2);
        assert_eq!(a.total(Outcome::Ok), 2);
        assert_eq!(serde_json::to_value(&a).unwrap()["FilterLogEvents"]["throttled"], 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_keeps_calls_apart() {
        let p = Pacer::per_second(2);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(2200),
            "5 calls at 2/s take 2 s of (paused) time, plus margin"
        );
    }
}
