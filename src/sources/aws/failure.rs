//! Why an AWS call failed, in the terms an operator acts on: no credentials (and what the default
//! chain tried), a provider that is broken, no region, an endpoint that cannot be reached, an
//! expired session, a key AWS does not know, or what AWS answered. Read off the SDK's typed errors
//! (`CredentialsError` variants, `DispatchFailure::is_io`/`is_timeout`, the `io::Error` kind) and
//! AWS's error codes, never off Debug text. Each says in one line what was tried and what to set;
//! the SDK's full account is logged at debug level (`-v`) where the failure is made.

use crate::model::text::inline;
use crate::sources::connection;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_eks::config::http::HttpResponse;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use std::error::Error;

/// An AWS service grantscope calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The endpoint's first label (`logs` in `logs.us-east-1.amazonaws.com`).
    pub prefix: &'static str,
    /// The SDK's service id, which names the service's own endpoint override
    /// (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `endpoint_url` in the profile's `services` section).
    pub id: &'static str,
}

pub const LOGS: Service = Service { prefix: "logs", id: "CloudWatch Logs" };
pub const EKS: Service = Service { prefix: "eks", id: "EKS" };
pub const CLOUDTRAIL: Service = Service { prefix: "cloudtrail", id: "CloudTrail" };

/// Where a client's calls go, for the messages: the endpoint, whether it was set (rather than the
/// region's), and the profile the credential chain reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: String,
    /// Set by `AWS_ENDPOINT_URL`, its per-service form or the profile, not derived from the region.
    pub overridden: bool,
    pub region: Option<String>,
    /// `AWS_PROFILE`, when set.
    pub profile: Option<String>,
}

impl Target {
    /// The target of `service`'s client made from `config`, resolved as the SDK resolves it: the
    /// service's own override, then the general one, then the region's public endpoint.
    pub fn of(config: &aws_config::SdkConfig, service: Service) -> Target {
        let key = aws_types::service_config::ServiceConfigKey::builder()
            .service_id(service.id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .expect("service id, env and profile are set");
        let set = config
            .service_config()
            .and_then(|c| c.load_config(key))
            .or_else(|| config.endpoint_url().map(String::from));
        let region = config.region().map(|r| r.to_string());
        Target {
            overridden: set.is_some(),
            endpoint: set
                .unwrap_or_else(|| format!("https://{}", host(service.prefix, region.as_deref().unwrap_or("REGION")))),
            region,
            profile: profile(),
        }
    }
}

/// The profile the credential chain reads, when `AWS_PROFILE` names one.
pub fn profile() -> Option<String> {
    std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty())
}

/// The public endpoint host of a service in a region, in the region's partition.
pub fn host(prefix: &str, region: &str) -> String {
    if region.starts_with("cn-") {
        format!("{prefix}.{region}.amazonaws.com.cn")
    } else {
        format!("{prefix}.{region}.amazonaws.com")
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No provider of the default chain had credentials.
    NoCredentials {
        profile: Option<String>,
    },
    /// A provider is configured but failed, which ends the chain there (a profile that does not
    /// parse, an unreadable web identity token, instance metadata refusing): what it said.
    BrokenCredentials {
        reason: String,
    },
    /// The chain did not answer in time (instance metadata or the container endpoint is silent).
    CredentialsTimedOut {
        seconds: u64,
    },
    /// No region from the command, the config, `AWS_REGION`, the profile or the instance.
    NoRegion,
    /// The endpoint set in the environment or the profile is no URL.
    BadEndpoint {
        endpoint: String,
    },
    Unreachable {
        endpoint: String,
        overridden: bool,
        cause: String,
    },
    /// Session credentials past their expiry (`ExpiredToken`, `ExpiredTokenException`).
    Expired {
        code: String,
    },
    /// AWS knows no such access key, or the signature does not match its secret.
    Unrecognized {
        code: String,
    },
    /// AWS answered with another error code (denied, not found, invalid), and its message.
    Answered {
        code: String,
        message: Option<String>,
    },
    /// Anything else, as the SDK says it, on one line.
    Other(String),
}

const EXPIRED: &[&str] = &["ExpiredToken", "ExpiredTokenException"];
const UNRECOGNIZED: &[&str] =
    &["UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch"];

impl Failure {
    /// What `err`, from a call to `target`, comes to.
    pub fn of<E>(err: &SdkError<E, HttpResponse>, target: &Target) -> Failure
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        if let Some(code) = err.code() {
            return match code {
                c if EXPIRED.contains(&c) => Failure::Expired { code: c.to_string() },
                c if UNRECOGNIZED.contains(&c) => Failure::Unrecognized { code: c.to_string() },
                c => Failure::Answered { code: c.to_string(), message: err.message().map(|m| inline(m).into_owned()) },
            };
        }
        if let Some(credentials) = connection::chain(err).find_map(|e| e.downcast_ref::<CredentialsError>()) {
            return Failure::of_credentials(credentials, target.profile.as_deref());
        }
        let unreachable = match err {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
            _ => false,
        };
        if unreachable {
            return Failure::Unreachable {
                endpoint: inline(&target.endpoint).into_owned(),
                overridden: target.overridden,
                cause: connection::cause(err),
            };
        }
        // An endpoint that is no URL, or no region to pick one by: the SDK says so only in words.
        let url = target.endpoint.parse::<http::Uri>();
        if target.overridden && url.map_or(true, |u| u.scheme().is_none() || u.host().is_none()) {
            return Failure::BadEndpoint { endpoint: inline(&target.endpoint).into_owned() };
        }
        if target.region.is_none() && !matches!(err, SdkError::ServiceError(_) | SdkError::ResponseError(_)) {
            return Failure::NoRegion;
        }
        Failure::Other(connection::one_line(err, OTHER_CHARS))
    }

    /// What a credentials provider's error comes to; `profile` is `AWS_PROFILE`.
    pub fn of_credentials(err: &CredentialsError, profile: Option<&str>) -> Failure {
        match err {
            CredentialsError::CredentialsNotLoaded(_) => {
                Failure::NoCredentials { profile: profile.map(|p| inline(p).into_owned()) }
            }
            CredentialsError::ProviderTimedOut(t) => {
                Failure::CredentialsTimedOut { seconds: t.timeout_duration().as_secs() }
            }
            // The provider's own words are under the variant's generic ones.
            _ => Failure::BrokenCredentials {
                reason: err.source().map_or_else(String::new, |e| connection::one_line(e, REASON_CHARS)),
            },
        }
    }

    /// Whether the failure is the caller's or the network's rather than the call's: its message
    /// stands alone, without the API and resource.
    pub fn stands_alone(&self) -> bool {
        !matches!(self, Failure::Answered { .. } | Failure::Other(_))
    }
}

/// Characters of a provider's reason, and of what the SDK says of another failure, kept in the
/// line; `-v` logs all of it.
const REASON_CHARS: usize = 110;
const OTHER_CHARS: usize = 200;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoCredentials { profile } => {
                let profile = match profile {
                    Some(p) => format!("profile {p} (~/.aws/credentials)"),
                    None => "profile (AWS_PROFILE, ~/.aws/credentials)".to_string(),
                };
                write!(
                    f,
                    "no AWS credentials: tried environment (AWS_ACCESS_KEY_ID), {profile}, web identity (IRSA), \
                     Pod Identity/ECS, instance metadata; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                     or use an IAM role"
                )
            }
            Failure::BrokenCredentials { reason } => write!(
                f,
                "AWS credentials could not be loaded: {reason}; fix that provider, or set AWS_PROFILE or \
                     AWS_ACCESS_KEY_ID (off EC2: AWS_EC2_METADATA_DISABLED=true)"
            ),
            Failure::CredentialsTimedOut { seconds } => write!(
                f,
                "AWS credentials: the provider chain gave none within {seconds} s (instance metadata or the \
                 Pod Identity/ECS endpoint does not answer); set AWS_PROFILE or AWS_ACCESS_KEY_ID, or \
                 AWS_EC2_METADATA_DISABLED=true off EC2"
            ),
            Failure::BadEndpoint { endpoint } => write!(
                f,
                "the AWS endpoint {endpoint} (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a URL like \
                 https://host:port; fix it or unset it"
            ),
            Failure::NoRegion => write!(f, "no AWS region: pass --region (region in [[clusters]]) or set AWS_REGION"),
            Failure::Unreachable { endpoint, overridden, cause } => {
                let check = if *overridden {
                    "check AWS_ENDPOINT_URL and that the endpoint is up"
                } else {
                    "check the region and the network (DNS, proxy, VPC endpoint)"
                };
                write!(f, "cannot reach {endpoint} ({cause}): {check}")
            }
            Failure::Expired { code } => write!(
                f,
                "the AWS session token has expired ({code}): refresh the credentials (aws sso login, a new \
                 assume-role session, or a new AWS_SESSION_TOKEN)"
            ),
            Failure::Unrecognized { code } => write!(
                f,
                "AWS refused the credentials ({code}): the access key is unknown, deleted or of another \
                 partition, or its secret is wrong; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile"
            ),
            Failure::Answered { code, message: Some(m) } => write!(f, "{code}: {m}"),
            Failure::Answered { code, message: None } => write!(f, "{code}"),
            Failure::Other(said) => write!(f, "{said}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eks::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterError;

    type Err = SdkError<DescribeClusterError, HttpResponse>;

    fn target() -> Target {
        Target {
            endpoint: "https://eks.eu-west-1.amazonaws.com".into(),
            overridden: false,
            region: Some("eu-west-1".into()),
            profile: None,
        }
    }

    fn answered(status: u16, code: &str) -> Err {
        let err = DescribeClusterError::generic(ErrorMetadata::builder().code(code).message("said").build());
        SdkError::service_error(err, HttpResponse::new(status.try_into().unwrap(), "".into()))
    }

    fn credentials(err: CredentialsError) -> Err {
        SdkError::dispatch_failure(ConnectorError::other(err.into(), None))
    }

    fn io(kind: std::io::ErrorKind) -> Err {
        SdkError::dispatch_failure(ConnectorError::io(std::io::Error::from(kind).into()))
    }

    struct Case {
        name: &'static str,
        err: Err,
        target: Target,
        want: Failure,
    }

    #[test]
    fn failure_of_reads_the_typed_error_and_the_code() {
        let unreachable = |cause: &str| Failure::Unreachable {
            endpoint: "https://eks.eu-west-1.amazonaws.com".into(),
            overridden: false,
            cause: cause.into(),
        };
        let cases = vec![
            Case {
                name: "a chain that found nothing is no credentials",
                err: credentials(CredentialsError::not_loaded("no providers in chain provided credentials")),
                target: target(),
                want: Failure::NoCredentials { profile: None },
            },
            Case {
                name: "the profile named by AWS_PROFILE is said, its control characters shown",
                err: credentials(CredentialsError::not_loaded_no_source()),
                target: Target { profile: Some("dev\u{1b}[2J".into()), ..target() },
                want: Failure::NoCredentials { profile: Some("dev\\u{1b}[2J".into()) },
            },
            Case {
                name: "a provider that fails is broken, with its reason",
                err: credentials(CredentialsError::provider_error("the web identity token file cannot be read")),
                target: target(),
                want: Failure::BrokenCredentials { reason: "the web identity token file cannot be read".into() },
            },
            Case {
                name: "a misconfigured provider is broken too",
                err: credentials(CredentialsError::invalid_configuration("profile dev: no region")),
                target: target(),
                want: Failure::BrokenCredentials { reason: "profile dev: no region".into() },
            },
            Case {
                name: "a chain that does not answer timed out",
                err: credentials(CredentialsError::provider_timed_out(std::time::Duration::from_secs(5))),
                target: target(),
                want: Failure::CredentialsTimedOut { seconds: 5 },
            },
            Case {
                name: "a refused connection is unreachable",
                err: io(std::io::ErrorKind::ConnectionRefused),
                target: target(),
                want: unreachable("connection refused"),
            },
            Case {
                name: "a connect timeout is unreachable",
                err: SdkError::dispatch_failure(ConnectorError::timeout(
                    std::io::Error::from(std::io::ErrorKind::TimedOut).into(),
                )),
                target: target(),
                want: unreachable("timed out"),
            },
            Case {
                name: "an attempt that timed out is unreachable",
                err: SdkError::timeout_error(std::io::Error::from(std::io::ErrorKind::TimedOut)),
                target: target(),
                want: unreachable("timed out"),
            },
            Case {
                name: "an endpoint from the environment is shown inert",
                err: io(std::io::ErrorKind::ConnectionRefused),
                target: Target { endpoint: "http://x\n\u{1b}]0;t".into(), overridden: true, ..target() },
                want: Failure::Unreachable {
                    endpoint: "http://x\\u{a}\\u{1b}]0;t".into(),
                    overridden: true,
                    cause: "connection refused".into(),
                },
            },
            Case {
                name: "ExpiredTokenException is an expired session",
                err: answered(403, "ExpiredTokenException"),
                target: target(),
                want: Failure::Expired { code: "ExpiredTokenException".into() },
            },
            Case {
                name: "ExpiredToken (query protocol) is an expired session",
                err: answered(403, "ExpiredToken"),
                target: target(),
                want: Failure::Expired { code: "ExpiredToken".into() },
            },
            Case {
                name: "an unknown access key is unrecognized",
                err: answered(403, "UnrecognizedClientException"),
                target: target(),
                want: Failure::Unrecognized { code: "UnrecognizedClientException".into() },
            },
            Case {
                name: "InvalidClientTokenId is unrecognized",
                err: answered(403, "InvalidClientTokenId"),
                target: target(),
                want: Failure::Unrecognized { code: "InvalidClientTokenId".into() },
            },
            Case {
                name: "access denied is what AWS answered",
                err: answered(403, "AccessDeniedException"),
                target: target(),
                want: Failure::Answered { code: "AccessDeniedException".into(), message: Some("said".into()) },
            },
            Case {
                name: "an endpoint set to no URL is said to be so, inert",
                err: SdkError::dispatch_failure(ConnectorError::other("failed to apply endpoint".into(), None)),
                target: Target { endpoint: "http://x/\u{1b}[2J".into(), overridden: true, ..target() },
                want: Failure::BadEndpoint { endpoint: "http://x/\\u{1b}[2J".into() },
            },
            Case {
                name: "no region and no endpoint is no region",
                err: SdkError::dispatch_failure(ConnectorError::other(
                    "Invalid Configuration: Missing Region".into(),
                    None,
                )),
                target: Target { region: None, ..target() },
                want: Failure::NoRegion,
            },
        ];
        for case in cases {
            assert_eq!(Failure::of(&case.err, &case.target), case.want, "{}", case.name);
        }
    }

    #[test]
    fn every_message_is_one_short_line_saying_what_to_do() {
        let failures = [
            (Failure::NoCredentials { profile: Some("prod-admin".into()) }, "set AWS_PROFILE"),
            (Failure::of_credentials(&CredentialsError::provider_error("x".repeat(1_000)), None), "fix that provider"),
            (Failure::CredentialsTimedOut { seconds: 5 }, "AWS_EC2_METADATA_DISABLED"),
            (Failure::NoRegion, "AWS_REGION"),
            (Failure::BadEndpoint { endpoint: "localhost:4566".into() }, "fix it or unset it"),
            (
                Failure::Unreachable {
                    endpoint: "https://logs.ap-southeast-4.amazonaws.com".into(),
                    overridden: false,
                    cause: "failed to lookup address information: Name or service not known".into(),
                },
                "check the region",
            ),
            (Failure::Expired { code: "ExpiredTokenException".into() }, "aws sso login"),
            (Failure::Unrecognized { code: "UnrecognizedClientException".into() }, "AWS_ACCESS_KEY_ID"),
        ];
        for (failure, says) in failures {
            let line = failure.to_string();
            assert!(line.contains(says), "{line}");
            assert!(!line.contains('\n'), "{line}");
            assert!(line.chars().count() <= 250, "{} characters: {line}", line.chars().count());
            assert!(failure.stands_alone(), "{line}");
        }
    }
}
