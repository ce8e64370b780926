//! The AWS SDK configuration every live source shares: the default credential chain (environment,
//! profile, web identity for IRSA, the ECS/Pod Identity container endpoint, IMDS) over one rustls
//! HTTP client, and retries that back off on throttling.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The shared SDK config; `region` overrides the chain's (`AWS_REGION`, the profile, IMDS).
pub async fn config(region: Option<&str>) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    loader.load().await
}
