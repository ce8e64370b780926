//! The EKS API's part of a cluster's access state: the authentication mode (DescribeCluster's
//! `accessConfig`), every access entry (ListAccessEntries, DescribeAccessEntry) and its access
//! policy associations with their scopes (ListAssociatedAccessPolicies), all pages of each. Also
//! the cluster's endpoint and CA, which the Kubernetes API part needs in EKS-token mode.

use crate::model::{AccessEntry, AccessEntryType, AccessScope, AuthenticationMode, PolicyAssociation};
use crate::sources::aws::{self, ApiError, Requests, Target, retrying};
use aws_sdk_eks::types::AccessScopeType;

/// What the EKS API says about who may access the cluster.
#[derive(Debug, Clone)]
pub struct EksAccess {
    pub mode: AuthenticationMode,
    pub entries: Vec<AccessEntry>,
    /// The API server's URL.
    pub endpoint: Option<String>,
    /// The cluster CA, base64 of PEM (as kubeconfig's `certificate-authority-data`).
    pub certificate_authority: Option<String>,
    /// Values this version of grantscope does not know, read as the nearest it does.
    pub warnings: Vec<String>,
}

/// An EKS client and where it sends its calls.
pub struct Eks {
    client: aws_sdk_eks::Client,
    target: Target,
}

impl Eks {
    pub fn new(config: &aws_config::SdkConfig) -> Eks {
        Eks { client: aws_sdk_eks::Client::new(config), target: Target::of(config, aws::failure::EKS) }
    }
}

/// Reads the cluster's access configuration; every request is counted in `requests`.
pub async fn read(eks: &Eks, cluster: &str, requests: &mut Requests) -> Result<EksAccess, ApiError> {
    let described =
        retrying(requests, "DescribeCluster", || eks.client.describe_cluster().name(cluster).send()).await.map_err(
            |e| ApiError::new("eks:DescribeCluster", "eks:DescribeCluster on the cluster", cluster, &eks.target, &e),
        )?;
    let c = described.cluster();
    let mut warnings = Vec::new();
    // Clusters made before access entries existed have no accessConfig: they are CONFIG_MAP.
    let mode = match c.and_then(|c| c.access_config()).and_then(|a| a.authentication_mode()).map(|m| m.as_str()) {
        None | Some("CONFIG_MAP") => AuthenticationMode::ConfigMap,
        Some("API_AND_CONFIG_MAP") => AuthenticationMode::ApiAndConfigMap,
        Some("API") => AuthenticationMode::Api,
        Some(other) => {
            warnings.push(format!("unknown authentication mode {other}; read as API_AND_CONFIG_MAP"));
            AuthenticationMode::ApiAndConfigMap
        }
    };
    let mut access = EksAccess {
        mode,
        entries: Vec::new(),
        endpoint: c.and_then(|c| c.endpoint()).map(String::from),
        certificate_authority: c.and_then(|c| c.certificate_authority()).and_then(|ca| ca.data()).map(String::from),
        warnings,
    };
    // EKS refuses access-entry calls on a CONFIG_MAP cluster: there are none to read.
    if mode == AuthenticationMode::ConfigMap {
        return Ok(access);
    }
    for arn in list_access_entries(eks, cluster, requests).await? {
        let entry = describe_entry(eks, cluster, &arn, requests, &mut access.warnings).await?;
        access.entries.push(entry);
    }
    Ok(access)
}

async fn list_access_entries(eks: &Eks, cluster: &str, requests: &mut Requests) -> Result<Vec<String>, ApiError> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = retrying(requests, "ListAccessEntries", || {
            eks.client.list_access_entries().cluster_name(cluster).max_results(100).set_next_token(token.clone()).send()
        })
        .await
        .map_err(|e| {
            ApiError::new("eks:ListAccessEntries", "eks:ListAccessEntries on the cluster", cluster, &eks.target, &e)
        })?;
        arns.extend(page.access_entries().iter().cloned());
        token = page.next_token().map(String::from);
        if token.is_none() {
            return Ok(arns);
        }
    }
}

async fn describe_entry(
    eks: &Eks,
    cluster: &str,
    arn: &str,
    requests: &mut Requests,
    warnings: &mut Vec<String>,
) -> Result<AccessEntry, ApiError> {
    let resource = format!("{cluster} access entry {arn}");
    let described = retrying(requests, "DescribeAccessEntry", || {
        eks.client.describe_access_entry().cluster_name(cluster).principal_arn(arn).send()
    })
    .await
    .map_err(|e| {
        ApiError::new(
            "eks:DescribeAccessEntry",
            "eks:DescribeAccessEntry on the access entry",
            &resource,
            &eks.target,
            &e,
        )
    })?;
    let e = described.access_entry();
    let entry_type = match e.and_then(|e| e.r#type()) {
        None => AccessEntryType::Standard,
        Some(t) => serde_json::from_value(serde_json::Value::String(t.to_string())).unwrap_or_else(|_| {
            warnings.push(format!("access entry {arn}: unknown type {t}; read as STANDARD"));
            AccessEntryType::Standard
        }),
    };
    // EKS fills in its default username; the state keeps `None` for it, as an eksctl config would.
    let default = crate::authz::Principal::parse(arn).map(|p| crate::authz::default_username(&p, arn));
    let username = e.and_then(|e| e.username()).filter(|u| Some(*u) != default.as_deref()).map(String::from);
    Ok(AccessEntry {
        principal_arn: arn.to_string(),
        entry_type,
        username,
        kubernetes_groups: e.map(|e| e.kubernetes_groups().to_vec()).unwrap_or_default(),
        policies: associated_policies(eks, cluster, arn, requests, &resource).await?,
        created_at_ms: e.and_then(|e| e.created_at()).and_then(|t| t.to_millis().ok()),
    })
}

async fn associated_policies(
    eks: &Eks,
    cluster: &str,
    arn: &str,
    requests: &mut Requests,
    resource: &str,
) -> Result<Vec<PolicyAssociation>, ApiError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = retrying(requests, "ListAssociatedAccessPolicies", || {
            eks.client
                .list_associated_access_policies()
                .cluster_name(cluster)
                .principal_arn(arn)
                .max_results(100)
                .set_next_token(token.clone())
                .send()
        })
        .await
        .map_err(|e| {
            ApiError::new(
                "eks:ListAssociatedAccessPolicies",
                "eks:ListAssociatedAccessPolicies on the access entry",
                resource,
                &eks.target,
                &e,
            )
        })?;
        for p in page.associated_access_policies() {
            let Some(policy_arn) = p.policy_arn() else { continue };
            let scope = match p.access_scope() {
                Some(s) if s.r#type() == Some(&AccessScopeType::Namespace) => {
                    AccessScope::Namespace { namespaces: s.namespaces().to_vec() }
                }
                _ => AccessScope::Cluster,
            };
            out.push(PolicyAssociation {
                policy_arn: policy_arn.to_string(),
                scope,
                associated_at_ms: p.associated_at().and_then(|t| t.to_millis().ok()),
            });
        }
        token = page.next_token().map(String::from);
        if token.is_none() {
            return Ok(out);
        }
    }
}
