//! The one retry policy of every AWS call: back off with jitter on throttling and on transient
//! failures, each with its own budget, and count every attempt by API and outcome.
//!
//! The SDK's own retries are off ([`super::config`]): a throttled request retried inside the SDK
//! would be invisible, and users watch `grantscope_source_requests_total{outcome="throttled"}` to
//! size their quotas. The back-off itself is `backon`'s (what kube-runtime uses); what is ours is
//! which failures are worth another attempt, how many, and the counting.

use aws_sdk_eks::config::http::HttpResponse;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How one attempt at a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Ok,
    /// AWS asked to slow down; the request was retried after a back-off.
    Throttled,
    /// A transient failure (5xx, timeout, connection) retried after a back-off.
    Retried,
    Error,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 4] =
        [AttemptOutcome::Ok, AttemptOutcome::Throttled, AttemptOutcome::Retried, AttemptOutcome::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::Throttled => "throttled",
            AttemptOutcome::Retried => "retried",
            AttemptOutcome::Error => "error",
        }
    }
}

/// Requests made, by API (`FilterLogEvents`) and outcome: `ingest` prints them, `serve` adds them
/// to `grantscope_source_requests_total`.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Requests(pub BTreeMap<&'static str, BTreeMap<AttemptOutcome, u64>>);

impl Requests {
    pub fn count(&mut self, api: &'static str, outcome: AttemptOutcome) {
        *self.0.entry(api).or_default().entry(outcome).or_default() += 1;
    }

    pub fn total(&self, outcome: AttemptOutcome) -> u64 {
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

/// Attempts a throttled request gets (about a minute of back-off) before it is given up.
const THROTTLED_ATTEMPTS: u32 = 10;
/// Attempts a request failing transiently gets.
const TRANSIENT_ATTEMPTS: u32 = 3;

/// The back-off between attempts: 0.3 s, 0.6 s, 1.2 s, ... capped at 10 s, each stretched by up
/// to as much again at random, so clusters throttled together do not retry together.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(300))
        .with_factor(2.0)
        .with_max_delay(Duration::from_secs(10))
        .with_jitter()
        // Each kind of failure has its own budget (`retrying`); this only bounds their sum.
        .with_max_times((THROTTLED_ATTEMPTS + TRANSIENT_ATTEMPTS) as usize)
}

/// Runs `call` until it succeeds, backing off on throttling and transient failures; every
/// attempt is counted in `requests` under `api` (the operation's name, e.g. `FilterLogEvents`).
pub async fn retrying<T, E, F, Fut>(
    requests: &mut Requests,
    api: &'static str,
    call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata,
{
    // Attempts failed so far, by kind (atomics only so the future stays `Send`).
    let (throttled, transient) = (AtomicU32::new(0), AtomicU32::new(0));
    // Whether another attempt is in the budget of the failure's kind.
    let worth_retrying = |err: &SdkError<E, HttpResponse>| match retry_outcome(err) {
        Some(AttemptOutcome::Throttled) => throttled.fetch_add(1, Ordering::Relaxed) + 1 < THROTTLED_ATTEMPTS,
        Some(_) => transient.fetch_add(1, Ordering::Relaxed) + 1 < TRANSIENT_ATTEMPTS,
        None => false,
    };
    let result = call
        .retry(backoff().build())
        .when(worth_retrying)
        .notify(|err: &SdkError<E, HttpResponse>, pause: Duration| {
            let outcome = retry_outcome(err).expect("only retried failures are notified");
            requests.count(api, outcome);
            tracing::debug!(api, outcome = outcome.as_str(), ?pause, "backing off before retrying");
        })
        .await;
    requests.count(api, if result.is_ok() { AttemptOutcome::Ok } else { AttemptOutcome::Error });
    result
}

/// How a failed attempt counts when it is retried: throttled, retried (transient) or, for a
/// failure another attempt does not fix, not at all.
fn retry_outcome<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<AttemptOutcome> {
    let status = match err {
        SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    };
    if is_throttling(err.code(), status) {
        Some(AttemptOutcome::Throttled)
    } else if is_transient(err) {
        Some(AttemptOutcome::Retried)
    } else {
        None
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eks::error::ErrorMetadata;
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterError;
    use std::cell::Cell;

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
    fn the_back_off_grows_and_stays_capped() {
        let pauses: Vec<Duration> = backoff().build().collect();
        assert_eq!(pauses.len(), (THROTTLED_ATTEMPTS + TRANSIENT_ATTEMPTS) as usize);
        for (i, pause) in pauses.iter().enumerate() {
            let base = Duration::from_millis(300 * (1 << i.min(6))).min(Duration::from_secs(10));
            assert!(*pause >= base && *pause < base * 2, "attempt {i}: {pause:?}");
        }
    }

    #[test]
    fn requests_add_up_by_api_and_outcome() {
        let mut a = Requests::default();
        a.count("FilterLogEvents", AttemptOutcome::Throttled);
        a.count("FilterLogEvents", AttemptOutcome::Ok);
        let mut b = Requests::default();
        b.count("FilterLogEvents", AttemptOutcome::Throttled);
        b.count("LookupEvents", AttemptOutcome::Ok);
        a.add(&b);
        assert_eq!(a.total(AttemptOutcome::Throttled), 2);
        assert_eq!(a.total(AttemptOutcome::Ok), 2);
        assert_eq!(serde_json::to_value(&a).unwrap()["FilterLogEvents"]["throttled"], 2);
    }

    /// AWS's answer with this status and error code, as the SDK hands it over.
    fn answer(status: u16, code: &str) -> SdkError<DescribeClusterError, HttpResponse> {
        let err = DescribeClusterError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(status.try_into().unwrap(), "".into());
        SdkError::service_error(err, raw)
    }

    /// Runs `retrying` over calls that fail with `failures` (status, code) in turn and then
    /// succeed; returns whether it succeeded and the counted outcomes.
    async fn run(failures: &[(u16, &str)]) -> (bool, Vec<(AttemptOutcome, u64)>, usize) {
        let mut requests = Requests::default();
        let calls = Cell::new(0);
        let result = retrying(&mut requests, "DescribeCluster", || {
            let n = calls.get();
            calls.set(n + 1);
            let failure = failures.get(n).map(|(status, code)| answer(*status, code));
            async move { failure.map_or(Ok(()), Err) }
        })
        .await;
        let counted = requests.0.get("DescribeCluster").into_iter().flatten().map(|(o, n)| (*o, *n)).collect();
        (result.is_ok(), counted, calls.get())
    }

    struct Case {
        name: &'static str,
        /// AWS's answers (status, code) before it answers with success.
        failures: Vec<(u16, &'static str)>,
        ok: bool,
        counted: Vec<(AttemptOutcome, u64)>,
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_is_counted_by_outcome() {
        use AttemptOutcome::*;
        let throttled = (400, "ThrottlingException");
        let unavailable = (503, "ServiceUnavailableException");
        let denied = (403, "AccessDeniedException");
        let cases = [
            Case { name: "a first answer is one ok request", failures: vec![], ok: true, counted: vec![(Ok, 1)] },
            Case {
                name: "throttling is retried until it passes",
                failures: vec![throttled; 2],
                ok: true,
                counted: vec![(Ok, 1), (Throttled, 2)],
            },
            Case {
                name: "a 5xx is retried",
                failures: vec![unavailable],
                ok: true,
                counted: vec![(Ok, 1), (Retried, 1)],
            },
            Case { name: "access denied is not retried", failures: vec![denied], ok: false, counted: vec![(Error, 1)] },
            Case {
                name: "throttling is given up after ten attempts",
                failures: vec![throttled; 12],
                ok: false,
                counted: vec![(Throttled, 9), (Error, 1)],
            },
        ];
        for Case { name, failures, ok, counted } in cases {
            let (got_ok, got, calls) = run(&failures).await;
            assert_eq!((got_ok, &got), (ok, &counted), "{name}");
            assert_eq!(calls as u64, got.iter().map(|(_, n)| n).sum::<u64>(), "{name}: every call counted once");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_kind_of_failure_has_its_own_budget() {
        use AttemptOutcome::*;
        // Two transient failures (the budget is three attempts), then throttling, then an answer.
        let failures = [(500, "InternalFailure"), (500, "InternalFailure"), (400, "ThrottlingException")];
        let (ok, counted, _) = run(&failures).await;
        assert!(ok);
        assert_eq!(counted, [(Ok, 1), (Throttled, 1), (Retried, 2)]);
        let failures = [(500, "InternalFailure"); 3];
        let (ok, counted, _) = run(&failures).await;
        assert!(!ok, "a third transient failure is the last");
        assert_eq!(counted, [(Retried, 2), (Error, 1)]);
    }
}
