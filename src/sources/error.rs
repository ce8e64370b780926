//! What kind of failure stopped a read, in a few words an operator can act on and a metric can
//! count: the `reason` label of `grantscope_ingest_errors_total` and the `class` of a failing
//! source in the daemon's `/readyz`. A small fixed set, so label cardinality stays bounded.

use serde::Serialize;

/// The class of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// An AWS call failed (denied, throttled past its budget, not found, unreachable).
    Aws,
    /// The Kubernetes API could not be configured or read.
    Kubernetes,
    /// A file could not be opened or read, or a file pattern is bad.
    Io,
    /// A stored checkpoint does not read: the source stopped rather than guess.
    CorruptCheckpoint,
    /// The database failed (locked past the busy timeout, full disk, corrupt file).
    Store,
    /// An access state could not be read or stored (a bad state file, a shrink held back).
    State,
    /// The input cannot be read as configured (audit events naming no cluster).
    Input,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 7] = [
        ErrorClass::Aws,
        ErrorClass::Kubernetes,
        ErrorClass::Io,
        ErrorClass::CorruptCheckpoint,
        ErrorClass::Store,
        ErrorClass::State,
        ErrorClass::Input,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Aws => "aws",
            ErrorClass::Kubernetes => "kubernetes",
            ErrorClass::Io => "io",
            ErrorClass::CorruptCheckpoint => "corrupt-checkpoint",
            ErrorClass::Store => "store",
            ErrorClass::State => "state",
            ErrorClass::Input => "input",
        }
    }
}

/// An error that knows its class.
pub trait Classify {
    fn class(&self) -> ErrorClass;
}

impl Classify for crate::ingest::sink::SinkError {
    fn class(&self) -> ErrorClass {
        match self {
            crate::ingest::sink::SinkError::NoCluster { .. } => ErrorClass::Input,
            crate::ingest::sink::SinkError::Sql(_) => ErrorClass::Store,
        }
    }
}

impl Classify for super::slices::SourceError {
    fn class(&self) -> ErrorClass {
        use super::slices::SourceError;
        match self {
            SourceError::Api(_) | SourceError::Stuck { .. } => ErrorClass::Aws,
            SourceError::Checkpoint(_) => ErrorClass::CorruptCheckpoint,
            SourceError::Sink(e) => e.class(),
            SourceError::Sql(_) => ErrorClass::Store,
        }
    }
}

impl Classify for super::files::IngestError {
    fn class(&self) -> ErrorClass {
        use super::files::IngestError;
        match self {
            IngestError::Open(_) | IngestError::Read { .. } => ErrorClass::Io,
            IngestError::Sink(e) => e.class(),
            IngestError::Checkpoint(_) => ErrorClass::CorruptCheckpoint,
        }
    }
}

impl Classify for super::state_sync::kubernetes_error::KubernetesError {
    fn class(&self) -> ErrorClass {
        use super::state_sync::kubernetes_error::KubernetesError;
        match self {
            // A kubeconfig (or a file it names) that is not there or does not read: a local file.
            KubernetesError::NoKubeconfig { .. } => ErrorClass::Io,
            e @ KubernetesError::Kubeconfig { .. } if e.kubeconfig_io().is_some() => ErrorClass::Io,
            // The AWS side of the EKS token mode: the credentials that sign the token, or the
            // endpoint DescribeCluster did not give.
            KubernetesError::Token(_) | KubernetesError::NoEndpoint => ErrorClass::Aws,
            KubernetesError::Kubeconfig { .. }
            | KubernetesError::NotInCluster
            | KubernetesError::Config(_)
            | KubernetesError::Unreachable { .. }
            | KubernetesError::TokenRefused { .. }
            | KubernetesError::Unauthorized { .. }
            | KubernetesError::Api { .. } => ErrorClass::Kubernetes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_label() {
        let labels: std::collections::BTreeSet<&str> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(labels.len(), ErrorClass::ALL.len());
        for class in ErrorClass::ALL {
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str(), "serialized as labelled");
        }
    }
}
