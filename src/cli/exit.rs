//! Exit codes. 0 is success; 1 and 3 are answers a pipeline acts on (`explain` not allowed, `paths`
//! found some; `whatif` would break requests); 2 and 4 to 7 say what kind of failure ended the
//! command, read off the error's kind (never off its text), so a script can tell "fix the command"
//! from "try again later":
//!
//! | code | class | for example |
//! |---|---|---|
//! | 2 | usage | a bad flag, argument, config or input file; a `--db` that is not a grantscope database; a kubeconfig without the context asked for, `--in-cluster` outside a pod; also `state sync` keeping a part from the previous version |
//! | 4 | not found | an input file, the database, a kubeconfig, a cluster's stored state that does not exist |
//! | 5 | I/O | a file that cannot be read or written |
//! | 6 | remote | an AWS or Kubernetes API call that failed (after its retries) |
//! | 7 | data | a database written by a newer grantscope, an SQLite error, a stored state or a source's checkpoint that cannot be read |

use super::CommandError;
use crate::app::exceptions::ExceptionsError;
use crate::app::replay::ReplayError;
use crate::app::state_versions::StateVersionError;
use crate::app::sync::{PartError, SyncError};
use crate::ingest::sink::SinkError;
use crate::serve::config::ConfigError;
use crate::serve::{LockError, ServeError};
use crate::sources::files::IngestError;
use crate::sources::slices::SourceError;
use crate::sources::state_sync::kubernetes_error::KubernetesError;
use crate::state::StateError;
use crate::store::StoreError;
use std::io;

/// What kind of failure ended a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// The command as given cannot work: fix the flag, argument, config or input.
    Usage,
    /// Something it names does not exist.
    NotFound,
    /// A file could not be read or written.
    Io,
    /// An AWS or Kubernetes API call failed.
    Remote,
    /// The database, or what it stores, cannot be used.
    Data,
}

impl ExitClass {
    pub fn exit_code(self) -> u8 {
        match self {
            ExitClass::Usage => 2,
            ExitClass::NotFound => 4,
            ExitClass::Io => 5,
            ExitClass::Remote => 6,
            ExitClass::Data => 7,
        }
    }
}

impl CommandError {
    /// The kind of failure, and so the exit code.
    pub fn class(&self) -> ExitClass {
        match self {
            // An earlier report to compare with that is not one, or not of this cluster.
            CommandError::Usage(_) | CommandError::Remediate(_) | CommandError::PreviousReport { .. } => {
                ExitClass::Usage
            }
            CommandError::NoStoredState | CommandError::NoStateVersion { .. } => ExitClass::NotFound,
            CommandError::Io { source, .. } | CommandError::Runtime(source) => io_class(source),
            CommandError::Sql(_) => ExitClass::Data,
            CommandError::Config(e) => config_class(e),
            CommandError::Store(e) => store_class(e),
            CommandError::Ingest(e) => ingest_class(e),
            CommandError::State(e) => state_class(e),
            CommandError::Source(e) => source_class(e),
            CommandError::StoredState(e) => stored_state_class(e),
            CommandError::Replay(ReplayError::State(e)) => stored_state_class(e),
            CommandError::Replay(ReplayError::Sql(_)) => ExitClass::Data,
            CommandError::Sync(e) => sync_class(e),
            CommandError::Serve(e) => serve_class(e),
            CommandError::Exceptions(e) => exceptions_class(e),
        }
    }
}

/// A file that is not there is not found; a directory given for a file is a usage error; any other
/// failure to read or write is I/O.
fn io_class(e: &io::Error) -> ExitClass {
    match e.kind() {
        io::ErrorKind::NotFound => ExitClass::NotFound,
        io::ErrorKind::InvalidInput => ExitClass::Usage,
        _ => ExitClass::Io,
    }
}

/// A malformed exceptions file, or one that cannot be appended to as text, is the user's to fix.
fn exceptions_class(e: &ExceptionsError) -> ExitClass {
    match e {
        ExceptionsError::Read { source, .. } | ExceptionsError::Write { source, .. } => io_class(source),
        ExceptionsError::Invalid { .. } | ExceptionsError::Append { .. } => ExitClass::Usage,
    }
}

fn config_class(e: &ConfigError) -> ExitClass {
    match e {
        ConfigError::Read { source, .. } => io_class(source),
        ConfigError::Parse { .. } | ConfigError::Env { .. } | ConfigError::Invalid { .. } => ExitClass::Usage,
    }
}

fn store_class(e: &StoreError) -> ExitClass {
    match e {
        // A --db path that holds something else: the command named the wrong file.
        StoreError::NotSqlite { .. } | StoreError::Foreign { .. } => ExitClass::Usage,
        StoreError::Missing { .. } => ExitClass::NotFound,
        StoreError::Read { source, .. } => io_class(source),
        // SQLite could not open the file (a missing directory, no permission).
        StoreError::Open { .. } => ExitClass::Io,
        StoreError::NeedsUpgrade { .. }
        | StoreError::TooNew { .. }
        | StoreError::Migrate { .. }
        | StoreError::Sql(_) => ExitClass::Data,
    }
}

fn ingest_class(e: &IngestError) -> ExitClass {
    match e {
        IngestError::Open(e) => io_class(&e.source),
        IngestError::Read { source, .. } => io_class(source),
        IngestError::Sink(e) => sink_class(e),
        IngestError::Checkpoint(_) => ExitClass::Data,
    }
}

fn sink_class(e: &SinkError) -> ExitClass {
    match e {
        SinkError::NoCluster { .. } => ExitClass::Usage,
        SinkError::Sql(_) => ExitClass::Data,
    }
}

fn state_class(e: &StateError) -> ExitClass {
    match e {
        StateError::Read { source, .. } => io_class(source),
        // A state file that says nothing grantscope can use: the input is wrong.
        StateError::Syntax { .. } | StateError::Invalid { .. } | StateError::NothingRead { .. } => ExitClass::Usage,
    }
}

fn source_class(e: &SourceError) -> ExitClass {
    match e {
        SourceError::Api(_) | SourceError::Stuck { .. } => ExitClass::Remote,
        SourceError::Sink(e) => sink_class(e),
        // A checkpoint this program wrote that cannot be read: stored data, not the command.
        SourceError::Sql(_) | SourceError::Checkpoint(_) => ExitClass::Data,
    }
}

fn stored_state_class(e: &StateVersionError) -> ExitClass {
    match e {
        StateVersionError::NoState { .. } => ExitClass::NotFound,
        StateVersionError::Unreadable { .. } | StateVersionError::Sql(_) => ExitClass::Data,
    }
}

fn sync_class(e: &SyncError) -> ExitClass {
    match e {
        SyncError::Failed { failures, .. } => part_class(failures.primary()),
        // What the APIs returned could not be read as a state.
        SyncError::State(_) => ExitClass::Remote,
        SyncError::StoredState(e) => stored_state_class(e),
        SyncError::Sql(_) => ExitClass::Data,
    }
}

/// A part of a state sync that could not be read, by what failed: an AWS call is remote; a
/// kubeconfig is a file (not there, unreadable) or the user's to fix (bad YAML, no such context),
/// as `--in-cluster` outside a pod is.
fn part_class(e: &PartError) -> ExitClass {
    match e {
        PartError::Eks(_) => ExitClass::Remote,
        PartError::Kubernetes(e) => kubernetes_class(e),
    }
}

fn kubernetes_class(e: &KubernetesError) -> ExitClass {
    if let Some(io) = e.kubeconfig_io() {
        return io_class(io);
    }
    match e {
        KubernetesError::NoKubeconfig { .. } => ExitClass::NotFound,
        KubernetesError::Kubeconfig { .. } | KubernetesError::NotInCluster => ExitClass::Usage,
        KubernetesError::Token(_)
        | KubernetesError::NoEndpoint
        | KubernetesError::Config(_)
        | KubernetesError::Unreachable { .. }
        | KubernetesError::TokenRefused { .. }
        | KubernetesError::Unauthorized { .. }
        | KubernetesError::Api { .. } => ExitClass::Remote,
    }
}

fn serve_class(e: &ServeError) -> ExitClass {
    match e {
        // One writer per database: a second `serve` on it is a mistake in how it was started.
        ServeError::Lock(LockError::Held { .. }) => ExitClass::Usage,
        ServeError::Lock(LockError::Io { source, .. }) => io_class(source),
        ServeError::Store(e) => store_class(e),
        ServeError::Listen { source, .. } | ServeError::Io(source) => io_class(source),
        ServeError::Metrics(_) => ExitClass::Data,
        ServeError::Exceptions(e) => exceptions_class(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_has_its_own_code_apart_from_the_answers() {
        let all = [ExitClass::Usage, ExitClass::NotFound, ExitClass::Io, ExitClass::Remote, ExitClass::Data];
        let codes: Vec<u8> = all.iter().map(|c| c.exit_code()).collect();
        assert_eq!(codes, [2, 4, 5, 6, 7]);
        for answer in [0, 1, 3] {
            assert!(!codes.contains(&answer), "{answer} is an answer, not a failure");
        }
    }

    #[test]
    fn errors_are_classed_by_their_kind_not_their_text() {
        let missing = || io::Error::new(io::ErrorKind::NotFound, "gone");
        let path = std::path::PathBuf::from("g.db");
        let sql = || rusqlite::Error::InvalidQuery;
        let cases: Vec<(&str, CommandError, ExitClass)> = vec![
            ("a bad argument", CommandError::Usage("--to x".into()), ExitClass::Usage),
            ("no stored state", CommandError::NoStoredState, ExitClass::NotFound),
            ("a missing file", CommandError::Io { path: "f".into(), source: missing() }, ExitClass::NotFound),
            (
                "a file that cannot be written",
                CommandError::Io { path: "f".into(), source: io::Error::other("disk full") },
                ExitClass::Io,
            ),
            ("an SQL error is data, not usage", CommandError::Sql(sql()), ExitClass::Data),
            ("a missing database", StoreError::Missing { path: path.clone() }.into(), ExitClass::NotFound),
            (
                "a newer database",
                StoreError::TooNew { path: path.clone(), found: 99, known: 1 }.into(),
                ExitClass::Data,
            ),
            ("a file that is no database", StoreError::NotSqlite { path }.into(), ExitClass::Usage),
            (
                "an unreadable stored state",
                StateVersionError::Unreadable {
                    cluster: "c".into(),
                    version: 1,
                    source: serde_json::from_str::<u8>("x").unwrap_err(),
                }
                .into(),
                ExitClass::Data,
            ),
            (
                "replay without a state",
                CommandError::Replay(ReplayError::State(StateVersionError::NoState { cluster: "c".into() })),
                ExitClass::NotFound,
            ),
            (
                "a state file that is not YAML",
                StateError::Syntax { file: "f".into(), document: 1, line: 1, message: "x".into() }.into(),
                ExitClass::Usage,
            ),
            (
                "audit events without a cluster",
                IngestError::Sink(SinkError::NoCluster { file: "f".into() }).into(),
                ExitClass::Usage,
            ),
            ("a second writer", ServeError::Lock(LockError::Held { path: "g.db".into() }).into(), ExitClass::Usage),
        ];
        for (name, error, want) in cases {
            assert_eq!(error.class(), want, "{name}: {error}");
        }
    }

    /// A state sync's failure is classed by what failed, in the CLI's exit code and the daemon's
    /// `/readyz` class alike, whether it stored nothing or kept the part from the previous version.
    #[test]
    fn a_sync_is_classed_by_the_kind_of_its_failure_not_by_its_part() {
        use crate::app::sync::PartFailures;
        use crate::sources::aws::ApiError;
        use crate::sources::error::{Classify, ErrorClass};
        use crate::sources::state_sync::eks_token::TokenError;
        use crate::sources::state_sync::kubernetes_error::KubeconfigOrigin;
        use kube::config::KubeconfigError;
        fn missing() -> KubernetesError {
            KubernetesError::NoKubeconfig { path: "/nope/config".into(), origin: KubeconfigOrigin::Environment }
        }
        fn kubeconfig(source: KubeconfigError) -> KubernetesError {
            KubernetesError::Kubeconfig { message: "x".into(), source }
        }
        fn unreadable() -> KubernetesError {
            kubeconfig(KubeconfigError::ReadConfig(io::ErrorKind::PermissionDenied.into(), "/k".into()))
        }
        fn denied() -> PartError {
            ApiError::answered("eks:DescribeCluster", "AccessDeniedException", 403).into()
        }
        fn unreachable() -> KubernetesError {
            KubernetesError::Unreachable { url: "https://k".into(), cause: "refused".into() }
        }
        type Parts = fn() -> Vec<PartError>;
        let cases: Vec<(&str, Parts, ExitClass, ErrorClass)> = vec![
            (
                "a kubeconfig that is not there is not found",
                || vec![missing().into()],
                ExitClass::NotFound,
                ErrorClass::Io,
            ),
            ("a kubeconfig that cannot be read is I/O", || vec![unreadable().into()], ExitClass::Io, ErrorClass::Io),
            (
                "a kubeconfig without the context asked for is the user's to fix",
                || vec![kubeconfig(KubeconfigError::LoadContext("dev".into())).into()],
                ExitClass::Usage,
                ErrorClass::Kubernetes,
            ),
            (
                "--in-cluster outside a pod is the user's to fix",
                || vec![KubernetesError::NotInCluster.into()],
                ExitClass::Usage,
                ErrorClass::Kubernetes,
            ),
            (
                "an API server that cannot be reached is remote",
                || vec![unreachable().into()],
                ExitClass::Remote,
                ErrorClass::Kubernetes,
            ),
            (
                "an EKS token without AWS credentials or region is AWS's",
                || vec![KubernetesError::Token(TokenError::NoRegion).into()],
                ExitClass::Remote,
                ErrorClass::Aws,
            ),
            ("an AWS call refused is remote", || vec![denied()], ExitClass::Remote, ErrorClass::Aws),
            (
                "both parts failed: the local failure decides, which no retry mends",
                || vec![denied(), missing().into()],
                ExitClass::NotFound,
                ErrorClass::Io,
            ),
            (
                "both parts failed remotely: the first part's decides",
                || vec![denied(), KubernetesError::NoEndpoint.into()],
                ExitClass::Remote,
                ErrorClass::Aws,
            ),
        ];
        for (name, parts, exit, readyz) in cases {
            let failed = || {
                let mut parts = parts().into_iter();
                let failures = Box::new(PartFailures { first: parts.next().unwrap(), second: parts.next() });
                SyncError::Failed { cluster: "c".into(), failures, requests: Default::default() }
            };
            assert_eq!(failed().class(), readyz, "{name}: /readyz");
            let e: CommandError = failed().into();
            assert_eq!(e.class(), exit, "{name}: {e}");
            if let [kept] = &parts()[..] {
                assert_eq!(kept.class(), readyz, "{name}: a part kept from the previous version");
            }
        }
    }

    #[test]
    fn a_wrapped_error_keeps_its_source() {
        use std::error::Error;
        let e = CommandError::Io { path: "f".into(), source: io::Error::other("disk full") };
        assert_eq!(e.source().map(|s| s.to_string()).as_deref(), Some("disk full"));
        let e: CommandError = StoreError::Sql(rusqlite::Error::InvalidQuery).into();
        assert!(e.source().is_some(), "transparent errors keep the chain: {e}");
    }
}
