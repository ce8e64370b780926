//! The Kubernetes API's part of a cluster's access state: every Role, ClusterRole, RoleBinding and
//! ClusterRoleBinding (all pages), and the `kube-system/aws-auth` ConfigMap, read through kube-rs
//! as typed objects and handed to the state loader in the JSON form kubectl prints.
//!
//! Three ways in: a kubeconfig context (exec plugins such as `aws eks get-token` work), the pod's
//! service account (in-cluster), or — for a daemon with no kubeconfig, as in ECS — the endpoint
//! and CA from DescribeCluster with an EKS bearer token signed from the AWS credentials.

pub use super::kubernetes_error::KubernetesError;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Value, json};
use std::path::PathBuf;

/// How to reach the cluster's API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubernetesAccess {
    /// A kubeconfig (`None`: `KUBECONFIG` or `~/.kube/config`) and context (`None`: its current one).
    Kubeconfig { path: Option<PathBuf>, context: Option<String> },
    /// The pod's service account token and CA.
    InCluster,
    /// DescribeCluster's endpoint and CA, and a token signed from the AWS credentials.
    EksToken,
}

/// The endpoint and credentials for [`KubernetesAccess::EksToken`].
pub struct EksEndpoint<'a> {
    pub url: &'a str,
    /// base64 of the PEM CA, as DescribeCluster gives it.
    pub certificate_authority: &'a str,
    pub token: String,
}

/// A client for the cluster's API server, and what its failures are said with.
pub struct Connection {
    client: kube::Client,
    /// The API server's URL.
    url: String,
    /// Whether the client presents an EKS token (a 401 then means the token was refused).
    eks_token: bool,
}

/// Builds a client for `access`; `eks` is needed (and used) only for [`KubernetesAccess::EksToken`].
pub async fn client(access: &KubernetesAccess, eks: Option<EksEndpoint<'_>>) -> Result<Connection, KubernetesError> {
    let config = match access {
        KubernetesAccess::Kubeconfig { path, context } => {
            let kubeconfig = match path {
                Some(p) => Kubeconfig::read_from(p),
                None => Kubeconfig::read(),
            }
            .map_err(|e| KubernetesError::kubeconfig(e, path.as_deref()))?;
            let options = KubeConfigOptions { context: context.clone(), ..KubeConfigOptions::default() };
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| KubernetesError::kubeconfig(e, path.as_deref()))?
        }
        KubernetesAccess::InCluster => kube::Config::incluster().map_err(KubernetesError::in_cluster)?,
        KubernetesAccess::EksToken => {
            let eks = eks.ok_or(KubernetesError::NoEndpoint)?;
            // A one-context kubeconfig: kube-rs then checks the CA exactly as for a file.
            let kubeconfig = json!({
                "apiVersion": "v1", "kind": "Config", "current-context": "eks",
                "clusters": [{"name": "eks", "cluster": {"server": eks.url, "certificate-authority-data": eks.certificate_authority}}],
                "users": [{"name": "grantscope", "user": {"token": eks.token}}],
                "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "grantscope"}}],
            });
            let kubeconfig = Kubeconfig::from_yaml(&kubeconfig.to_string()).map_err(|e| KubernetesError::config(&e))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|e| KubernetesError::config(&e))?
        }
    };
    let url = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(|e| KubernetesError::config(&e))?;
    Ok(Connection { client, url, eks_token: *access == KubernetesAccess::EksToken })
}

/// Every RBAC object and the aws-auth ConfigMap (if there is one), as kubectl-style JSON objects.
pub async fn read(conn: &Connection) -> Result<Vec<Value>, KubernetesError> {
    let client = &conn.client;
    let mut objects = Vec::new();
    list_all::<ClusterRole>(conn, Api::all(client.clone()), "clusterroles", &mut objects).await?;
    list_all::<Role>(conn, Api::all(client.clone()), "roles", &mut objects).await?;
    list_all::<ClusterRoleBinding>(conn, Api::all(client.clone()), "clusterrolebindings", &mut objects).await?;
    list_all::<RoleBinding>(conn, Api::all(client.clone()), "rolebindings", &mut objects).await?;
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let aws_auth = configmaps
        .get_opt("aws-auth")
        .await
        .map_err(|e| KubernetesError::api(e, "get configmap kube-system/aws-auth", &conn.url, conn.eks_token))?;
    objects.extend(aws_auth.map(|cm| to_json(&cm)));
    Ok(objects)
}

/// Pages through a list 500 objects at a time, as kubectl does.
async fn list_all<K>(
    conn: &Connection,
    api: Api<K>,
    resource: &str,
    out: &mut Vec<Value>,
) -> Result<(), KubernetesError>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
{
    let mut params = ListParams::default().limit(500);
    loop {
        let page = api.list(&params).await.map_err(|e| {
            let what = format!("list {resource}.rbac.authorization.k8s.io");
            KubernetesError::api(e, &what, &conn.url, conn.eks_token)
        })?;
        out.extend(page.items.iter().map(to_json));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(()),
        }
    }
}

/// The object with its `apiVersion` and `kind` (k8s-openapi writes them; list items lack them).
fn to_json<K: serde::Serialize>(object: &K) -> Value {
    serde_json::to_value(object).expect("Kubernetes objects serialize")
}
