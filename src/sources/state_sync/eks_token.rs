//! An EKS bearer token for the Kubernetes API, as `aws eks get-token` makes it: `k8s-aws-v1.`
//! and the unpadded base64url of a presigned STS `GetCallerIdentity` URL whose signature covers
//! the `x-k8s-aws-id` header (the cluster name). The API server's authenticator calls that URL to
//! learn who the caller is; it accepts it for 15 minutes after signing. For a daemon with no
//! kubeconfig (ECS), with the endpoint and CA from DescribeCluster.

use crate::sources::aws::{self, Failure, failure::host};
use aws_credential_types::provider::{ProvideCredentials, error::CredentialsError};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;
use std::time::{Duration, SystemTime};

const PREFIX: &str = "k8s-aws-v1.";
/// The header whose signed value ties the token to one cluster.
const CLUSTER_HEADER: &str = "x-k8s-aws-id";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The credentials to sign it with could not be had.
    #[error("EKS token: {0}")]
    Credentials(Failure),
    #[error("no AWS region for the EKS token's STS endpoint")]
    NoRegion,
    #[error("signing the EKS token: {0}")]
    Signing(String),
}

/// A token for `cluster` from the SDK config's credentials and region, signed at `now_ms` (the
/// caller's clock: the API server accepts it for 15 minutes after).
pub async fn token(config: &aws_config::SdkConfig, cluster: &str, now_ms: i64) -> Result<String, TokenError> {
    let profile = aws::failure::profile();
    let provider = config.credentials_provider().ok_or_else(|| {
        TokenError::Credentials(Failure::of_credentials(&CredentialsError::not_loaded_no_source(), profile.as_deref()))
    })?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        tracing::debug!(error = %aws_sdk_eks::error::DisplayErrorContext(&e), "no credentials for the EKS token");
        TokenError::Credentials(Failure::of_credentials(&e, profile.as_deref()))
    })?;
    let region = config.region().ok_or(TokenError::NoRegion)?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(now_ms).unwrap_or(0));
    presigned_token(&credentials, region.as_ref(), cluster, at)
}

fn presigned_token(
    credentials: &aws_credential_types::Credentials,
    region: &str,
    cluster: &str,
    at: SystemTime,
) -> Result<String, TokenError> {
    let url = format!("https://{}/?Action=GetCallerIdentity&Version=2011-06-15", host("sts", region));
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    // As aws-iam-authenticator and `aws eks get-token` sign it.
    settings.expires_in = Some(Duration::from_secs(60));
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| TokenError::Signing(e.to_string()))?
        .into();
    let request =
        SignableRequest::new("GET", url.as_str(), [(CLUSTER_HEADER, cluster)].into_iter(), SignableBody::Bytes(&[]))
            .map_err(|e| TokenError::Signing(e.to_string()))?;
    let (instructions, _) = sign(request, &params).map_err(|e| TokenError::Signing(e.to_string()))?.into_parts();
    let mut signed = http::Request::get(&url).body(()).expect("a valid URL");
    instructions.apply_to_request_http1x(&mut signed);
    Ok(format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed.uri().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn query(token: &str) -> (String, HashMap<String, String>) {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX).unwrap()).unwrap();
        let url = String::from_utf8(url).unwrap();
        let (base, q) = url.split_once('?').unwrap();
        let params = q
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace("%2F", "/").replace("%3B", ";"))
            })
            .collect();
        (base.to_string(), params)
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_bound_to_the_cluster() {
        let creds =
            aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", Some("session".into()), None, "test");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_600_000);
        let token = presigned_token(&creds, "eu-west-1", "prod", at).unwrap();
        assert!(!token.contains('='), "unpadded");
        let (base, q) = query(&token);
        assert_eq!(base, "https://sts.eu-west-1.amazonaws.com/");
        assert_eq!(q["Action"], "GetCallerIdentity");
        assert_eq!(q["Version"], "2011-06-15");
        assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(q["X-Amz-Expires"], "60");
        assert_eq!(q["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
        assert!(q["X-Amz-Credential"].ends_with("/eu-west-1/sts/aws4_request"), "{}", q["X-Amz-Credential"]);
        assert!(q.contains_key("X-Amz-Security-Token"), "session credentials carry their token");
        assert_eq!(q["X-Amz-Signature"].len(), 64);
        let other = presigned_token(&creds, "eu-west-1", "staging", at).unwrap();
        assert_ne!(query(&other).1["X-Amz-Signature"], q["X-Amz-Signature"], "the cluster name is signed");
    }

    #[test]
    fn china_regions_use_their_partition_s_sts() {
        assert_eq!(host("sts", "cn-north-1"), "sts.cn-north-1.amazonaws.com.cn");
        assert_eq!(host("sts", "us-gov-west-1"), "sts.us-gov-west-1.amazonaws.com");
    }
}
