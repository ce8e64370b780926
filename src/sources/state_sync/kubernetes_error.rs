//! Why the Kubernetes part of a state could not be read, in one line that says what was tried and
//! what to do: no kubeconfig where one was looked for, not in a pod, an API server that cannot be
//! reached, credentials it refused (an expired EKS token, an IAM identity it does not map), or what
//! it answered. Read off kube-rs's typed errors (the kubeconfig's `io::Error` kind, the API's
//! status code, the connection's `io::Error`), never off their text; the whole of each is logged
//! at debug level (`-v`).

use super::eks_token::TokenError;
use crate::model::text::inline;
use crate::sources::connection;
use kube::config::{InClusterError, KubeconfigError};
use std::path::Path;

/// Where the kubeconfig that is not there was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeconfigOrigin {
    /// `--kubeconfig` (`kubeconfig` in `[clusters.state_sync]`).
    Given,
    /// The `KUBECONFIG` variable.
    Environment,
    /// `~/.kube/config`, with `KUBECONFIG` unset.
    Default,
}

#[derive(Debug, thiserror::Error)]
pub enum KubernetesError {
    #[error("{}", no_kubeconfig(path, *origin))]
    NoKubeconfig { path: String, origin: KubeconfigOrigin },
    #[error(
        "not running in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set): use a kubeconfig or --eks-token instead of --in-cluster"
    )]
    NotInCluster,
    /// The kubeconfig, or a file it names (a CA, a client certificate), could not be read or used
    /// (bad YAML, no such context); `source` says which.
    #[error("Kubernetes API configuration: {message}")]
    Kubeconfig {
        message: String,
        #[source]
        source: KubeconfigError,
    },
    /// A client could not be configured otherwise (the in-cluster files, the endpoint and CA
    /// DescribeCluster gave).
    #[error("Kubernetes API configuration: {0}")]
    Config(String),
    #[error("--eks-token needs the endpoint and CA that DescribeCluster gives, and it gave none")]
    NoEndpoint,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "cannot reach the Kubernetes API at {url} ({cause}): check the network and the cluster's endpoint access (public, private)"
    )]
    Unreachable { url: String, cause: String },
    #[error(
        "the Kubernetes API at {url} refused the EKS token (401 Unauthorized): it expired, or the IAM identity has no access entry or aws-auth mapping"
    )]
    TokenRefused { url: String },
    #[error(
        "the Kubernetes API at {url} refused the kubeconfig's credentials (401 Unauthorized): refresh them (aws eks update-kubeconfig) or pick another --context"
    )]
    Unauthorized { url: String },
    #[error(
        "Kubernetes API {what}: {message} (needs get/list on roles, clusterroles, rolebindings, clusterrolebindings and get on configmap kube-system/aws-auth; the Helm chart's ClusterRole grants them)"
    )]
    Api { what: String, message: String },
}

/// Characters of kube-rs's own account kept in a line; `-v` logs all of it.
const LINE_CHARS: usize = 200;

fn no_kubeconfig(path: &str, origin: KubeconfigOrigin) -> String {
    let tried = match origin {
        KubeconfigOrigin::Given => format!("no kubeconfig at {path} (--kubeconfig)"),
        KubeconfigOrigin::Environment => format!("no kubeconfig at {path} (from KUBECONFIG)"),
        KubeconfigOrigin::Default => format!("no kubeconfig: KUBECONFIG is not set and {path} does not exist"),
    };
    format!(
        "{tried}; set KUBECONFIG or --kubeconfig (`aws eks update-kubeconfig --name CLUSTER` writes one), or use --eks-token or --in-cluster"
    )
}

impl KubernetesError {
    /// A client configuration that could not be made, as kube-rs says it.
    pub fn config(err: &(dyn std::error::Error + 'static)) -> KubernetesError {
        tracing::debug!(error = ?err, "Kubernetes client not configured");
        KubernetesError::said(err)
    }

    /// What kube-rs says, on one line.
    fn said(err: &(dyn std::error::Error + 'static)) -> KubernetesError {
        KubernetesError::Config(connection::one_line(err, LINE_CHARS))
    }

    /// A kubeconfig that could not be read; `given` is the path asked for, if one was.
    pub fn kubeconfig(err: KubeconfigError, given: Option<&Path>) -> KubernetesError {
        tracing::debug!(error = ?err, "kubeconfig not read");
        match err {
            KubeconfigError::ReadConfig(io, path) if io.kind() == std::io::ErrorKind::NotFound => {
                let origin = match (given, std::env::var_os("KUBECONFIG")) {
                    (Some(_), _) => KubeconfigOrigin::Given,
                    (None, Some(v)) if std::env::split_paths(&v).any(|p| !p.as_os_str().is_empty()) => {
                        KubeconfigOrigin::Environment
                    }
                    (None, _) => KubeconfigOrigin::Default,
                };
                KubernetesError::NoKubeconfig { path: shown(&path), origin }
            }
            other => KubernetesError::Kubeconfig { message: connection::one_line(&other, LINE_CHARS), source: other },
        }
    }

    /// The failure to read the kubeconfig or a file it names, if that is what this is: a local
    /// file, not the API, so it is classed as the file's failure.
    pub fn kubeconfig_io(&self) -> Option<&std::io::Error> {
        use kube::config::LoadDataError;
        let KubernetesError::Kubeconfig { source, .. } = self else { return None };
        match source {
            KubeconfigError::ReadConfig(io, _) => Some(io),
            KubeconfigError::LoadCertificateAuthority(LoadDataError::ReadFile(io, _))
            | KubeconfigError::LoadClientCertificate(LoadDataError::ReadFile(io, _))
            | KubeconfigError::LoadClientKey(LoadDataError::ReadFile(io, _)) => Some(io),
            _ => None,
        }
    }

    /// A failure a retry cannot mend: the kubeconfig (missing, unreadable, wrong) or the pod's
    /// environment. The rest are the API's, or the AWS credentials' that sign the EKS token.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            KubernetesError::NoKubeconfig { .. } | KubernetesError::Kubeconfig { .. } | KubernetesError::NotInCluster
        )
    }

    /// In-cluster configuration that could not be had.
    pub fn in_cluster(err: InClusterError) -> KubernetesError {
        tracing::debug!(error = ?err, "in-cluster configuration not read");
        match err {
            InClusterError::ReadEnvironmentVariable(_) => KubernetesError::NotInCluster,
            other => KubernetesError::said(&other),
        }
    }

    /// A failed API call (`what`: `list roles.rbac.authorization.k8s.io`) to the server at `url`;
    /// `eks_token` says whether the client presented an EKS token.
    pub fn api(err: kube::Error, what: &str, url: &str, eks_token: bool) -> KubernetesError {
        tracing::debug!(what, error = ?err, "Kubernetes API call failed");
        let url = inline(url).into_owned();
        match &err {
            kube::Error::Api(status) if status.code == 401 && eks_token => KubernetesError::TokenRefused { url },
            kube::Error::Api(status) if status.code == 401 => KubernetesError::Unauthorized { url },
            kube::Error::Api(status) => KubernetesError::Api {
                what: what.to_string(),
                message: format!("{} {}: {}", status.code, inline(&status.reason), inline(&status.message)),
            },
            // The request never got an answer: the connection (TCP, TLS) failed.
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                KubernetesError::Unreachable { url, cause: connection::cause(&err) }
            }
            _ => KubernetesError::Api { what: what.to_string(), message: connection::one_line(&err, LINE_CHARS) },
        }
    }
}

/// A path for a one-line message.
fn shown(path: &Path) -> String {
    inline(&path.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn status(code: u16) -> kube::Error {
        kube::Error::Api(kube::core::ErrorResponse {
            status: "Failure".into(),
            message: "Unauthorized".into(),
            reason: "Unauthorized".into(),
            code,
        })
    }

    #[test]
    fn api_errors_are_read_off_the_status_code_and_the_mode() {
        let url = "https://127.0.0.1:6443";
        let cases = [
            ("a 401 to an EKS token: the token was refused", status(401), true, "refused the EKS token"),
            ("a 401 to kubeconfig credentials: refresh them", status(401), false, "refresh them"),
            (
                "a 403 names the permissions needed",
                status(403),
                false,
                "403 Unauthorized: Unauthorized (needs get/list",
            ),
            (
                "a refused connection is unreachable",
                kube::Error::Service(Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))),
                false,
                "cannot reach the Kubernetes API at https://127.0.0.1:6443 (connection refused)",
            ),
        ];
        for (name, err, eks_token, says) in cases {
            let line = KubernetesError::api(err, "list roles", url, eks_token).to_string();
            assert!(line.contains(says), "{name}: {line}");
            assert!(line.len() < 300 && !line.contains('\n'), "{name}: {line}");
        }
    }

    #[test]
    fn a_missing_kubeconfig_names_the_path_tried_and_what_to_set() {
        let missing =
            || KubeconfigError::ReadConfig(std::io::ErrorKind::NotFound.into(), PathBuf::from("/nope/con\u{1b}fig"));
        let e = KubernetesError::kubeconfig(missing(), Some(Path::new("/nope/config")));
        let line = e.to_string();
        assert!(line.starts_with("no kubeconfig at /nope/con\\u{1b}fig (--kubeconfig); set KUBECONFIG"), "{line}");
        assert!(line.contains("--eks-token"), "{line}");
        let unreadable = KubeconfigError::ReadConfig(std::io::ErrorKind::PermissionDenied.into(), "/k".into());
        let e = KubernetesError::kubeconfig(unreadable, None);
        assert!(e.to_string().starts_with("Kubernetes API configuration: failed to read kubeconfig"), "{e}");
        let kind = e.kubeconfig_io().map(std::io::Error::kind);
        assert_eq!(kind, Some(std::io::ErrorKind::PermissionDenied), "the I/O error is kept: {e:?}");
    }
}
