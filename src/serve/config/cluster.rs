//! `[[clusters]]`: one cluster `serve` watches, with one table per source it reads. A source is on
//! when its table is there, so options of a source that is off cannot be written:
//!
//! ```toml
//! [[clusters]]
//! name = "prod"
//! region = "eu-west-1"
//! [clusters.cloudwatch]          # the audit log, defaults for everything
//! [clusters.cloudtrail]
//! poll_seconds = 600
//! [clusters.state_sync]
//! kubernetes = "in-cluster"
//! ```
//!
//! The flat keys of earlier releases (`cloudwatch = true`, `log_group`, `since_days`,
//! `audit_files`, `poll_seconds`, ...) still read, each noted with the key that replaces it
//! ([`ClusterConfig::deprecated`]); written next to the table that replaces them they are an error.

use crate::sources::cloudtrail::CloudTrailConfig;
use crate::sources::cloudwatch::CloudWatchConfig;
use crate::sources::files::FilesConfig;
use crate::sources::state_sync::config::{KubernetesMode, StateSyncConfig, StateSyncToml, default_poll_seconds};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(try_from = "ClusterToml")]
pub struct ClusterConfig {
    pub name: String,
    /// The cluster's AWS region. Default: the credential chain's (`AWS_REGION`, profile, instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Files followed like `ingest` follows them; state files imported when they change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<FilesConfig>,
    /// The audit log in CloudWatch Logs (`FilterLogEvents`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudwatch: Option<CloudWatchConfig>,
    /// Access-relevant CloudTrail events (`LookupEvents`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudtrail: Option<CloudTrailConfig>,
    /// The access state from the EKS and Kubernetes APIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_sync: Option<StateSyncConfig>,
    /// The flat keys of earlier releases this cluster was written with: (old key, what replaces it).
    #[serde(skip)]
    pub deprecated: Vec<(&'static str, &'static str)>,
}

/// A `[[clusters]]` block as written: the tables, and the flat keys of earlier releases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterToml {
    name: String,
    region: Option<String>,
    files: Option<FilesConfig>,
    cloudwatch: Option<Switch<CloudWatchConfig>>,
    cloudtrail: Option<Switch<CloudTrailConfig>>,
    state_sync: Option<Switch<StateSyncConfig>>,
    log_group: Option<String>,
    since_days: Option<u32>,
    kubernetes: Option<KubernetesMode>,
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    audit_files: Option<Vec<String>>,
    cloudtrail_files: Option<Vec<String>>,
    state_files: Option<Vec<String>>,
    poll_seconds: Option<u64>,
    cloudtrail_poll_seconds: Option<u64>,
    state_sync_seconds: Option<u64>,
}

/// A source as written: its table, or the `true`/`false` of earlier releases.
enum Switch<T> {
    Flat(bool),
    Table(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Switch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SwitchVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SwitchVisitor<T> {
            type Value = Switch<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of the source's options")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Switch<T>, E> {
                Ok(Switch::Flat(on))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Switch<T>, A::Error> {
                // The table's own errors (an unknown key, a wrong type) pass through as they are.
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Switch::Table)
            }
        }
        d.deserialize_any(SwitchVisitor(PhantomData))
    }
}

/// The cluster's config, or a flat key written next to the table that replaces it.
impl TryFrom<ClusterToml> for ClusterConfig {
    type Error = String;

    fn try_from(t: ClusterToml) -> Result<ClusterConfig, String> {
        let mut deprecated = Vec::new();
        let mut note = |old: &'static str, new: &'static str, given: bool| {
            if given {
                deprecated.push((old, new));
            }
        };
        let both = |old: &str, new: &str| {
            format!("cluster {:?}: {old} is the old form of {new}; give it once, as {new}", t.name)
        };
        // Files: the table, or the flat lists of earlier releases.
        let flat_files = t.audit_files.is_some() || t.cloudtrail_files.is_some() || t.state_files.is_some();
        let files = match (t.files, flat_files) {
            (Some(_), true) => return Err(both("audit_files, cloudtrail_files, state_files", "[clusters.files]")),
            (Some(files), false) => Some(files),
            (None, true) => {
                note("audit_files", "files.audit", t.audit_files.is_some());
                note("cloudtrail_files", "files.cloudtrail", t.cloudtrail_files.is_some());
                note("state_files", "files.state", t.state_files.is_some());
                Some(FilesConfig {
                    audit: t.audit_files.unwrap_or_default(),
                    cloudtrail: t.cloudtrail_files.unwrap_or_default(),
                    state: t.state_files.unwrap_or_default(),
                    poll_seconds: t.poll_seconds.unwrap_or(crate::sources::files::config::default_poll_seconds()),
                })
            }
            (None, false) => None,
        };
        // The flat `poll_seconds` was the files' and CloudWatch's poll.
        let flat_poll_read = flat_files || matches!(t.cloudwatch, Some(Switch::Flat(true)));
        let poll = t.poll_seconds.is_some();
        note("poll_seconds", "files.poll_seconds and cloudwatch.poll_seconds", poll && flat_poll_read);
        note(
            "poll_seconds",
            "files.poll_seconds and cloudwatch.poll_seconds (ignored: neither is on)",
            poll && !flat_poll_read,
        );

        let cloudwatch = match t.cloudwatch {
            Some(Switch::Table(_)) if t.log_group.is_some() || t.since_days.is_some() => {
                return Err(both("log_group or since_days", "cloudwatch.log_group and cloudwatch.since_days"));
            }
            Some(Switch::Table(c)) => Some(c),
            Some(Switch::Flat(true)) => {
                note("cloudwatch = true", "[clusters.cloudwatch]", true);
                note("log_group", "cloudwatch.log_group", t.log_group.is_some());
                note("since_days", "cloudwatch.since_days", t.since_days.is_some());
                let defaults = CloudWatchConfig::default();
                Some(CloudWatchConfig {
                    log_group: t.log_group,
                    since_days: t.since_days.unwrap_or(defaults.since_days),
                    poll_seconds: t.poll_seconds.unwrap_or(defaults.poll_seconds),
                    ..defaults
                })
            }
            off => {
                note("cloudwatch = false", "no [clusters.cloudwatch] table", matches!(off, Some(Switch::Flat(false))));
                note("since_days", "cloudwatch.since_days (ignored: CloudWatch is off)", t.since_days.is_some());
                if t.log_group.is_some() {
                    return Err(format!(
                        "cluster {:?}: log_group is read only with CloudWatch on; write it as \
                         [clusters.cloudwatch] log_group = ...",
                        t.name
                    ));
                }
                None
            }
        };

        let cloudtrail = match t.cloudtrail {
            Some(Switch::Table(_)) if t.cloudtrail_poll_seconds.is_some() => {
                return Err(both("cloudtrail_poll_seconds", "cloudtrail.poll_seconds"));
            }
            Some(Switch::Table(c)) => Some(c),
            Some(Switch::Flat(true)) => {
                note("cloudtrail = true", "[clusters.cloudtrail]", true);
                note("cloudtrail_poll_seconds", "cloudtrail.poll_seconds", t.cloudtrail_poll_seconds.is_some());
                let defaults = CloudTrailConfig::default();
                Some(CloudTrailConfig {
                    poll_seconds: t.cloudtrail_poll_seconds.unwrap_or(defaults.poll_seconds),
                    ..defaults
                })
            }
            off => {
                note("cloudtrail = false", "no [clusters.cloudtrail] table", matches!(off, Some(Switch::Flat(false))));
                note(
                    "cloudtrail_poll_seconds",
                    "cloudtrail.poll_seconds (ignored: CloudTrail is off)",
                    t.cloudtrail_poll_seconds.is_some(),
                );
                None
            }
        };

        let flat_sync =
            t.kubernetes.is_some() || t.kubeconfig.is_some() || t.context.is_some() || t.state_sync_seconds.is_some();
        let state_sync = match t.state_sync {
            Some(Switch::Table(_)) if flat_sync => {
                return Err(both(
                    "kubernetes, kubeconfig, context or state_sync_seconds",
                    "state_sync.kubernetes, .kubeconfig, .context and .poll_seconds",
                ));
            }
            Some(Switch::Table(s)) => Some(s),
            Some(Switch::Flat(true)) => {
                note("state_sync = true", "[clusters.state_sync]", true);
                note("kubernetes", "state_sync.kubernetes", t.kubernetes.is_some());
                note("kubeconfig", "state_sync.kubeconfig", t.kubeconfig.is_some());
                note("context", "state_sync.context", t.context.is_some());
                note("state_sync_seconds", "state_sync.poll_seconds", t.state_sync_seconds.is_some());
                let table = StateSyncToml {
                    kubernetes: t.kubernetes.unwrap_or_default(),
                    kubeconfig: t.kubeconfig,
                    context: t.context,
                    poll_seconds: t.state_sync_seconds.unwrap_or(default_poll_seconds()),
                };
                Some(StateSyncConfig::try_from(table).map_err(|e| format!("cluster {:?}: {e}", t.name))?)
            }
            off => {
                note("state_sync = false", "no [clusters.state_sync] table", matches!(off, Some(Switch::Flat(false))));
                note(
                    "kubernetes, kubeconfig, context, state_sync_seconds",
                    "the state_sync table's keys (ignored: state sync is off)",
                    flat_sync,
                );
                None
            }
        };
        Ok(ClusterConfig { name: t.name, region: t.region, files, cloudwatch, cloudtrail, state_sync, deprecated })
    }
}
