//! Configuration: a TOML file, then `GRANTSCOPE_<SECTION>_<KEY>` environment variables, then flags.
//! Everything is validated up front; an error names the file, the field and what was expected.
//!
//! ```toml
//! [store]
//! path = "/var/lib/grantscope/grantscope.db"
//! retention_days = 2   # raw normalized events kept for drill-down
//! dedupe_days = 2      # event ids remembered for exactly-once ingestion
//! ```

mod cluster;

pub use cluster::ClusterConfig;

use crate::model::time::TimeOfDay;
use crate::report::ReportFormat;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub analysis: AnalysisConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
    /// The clusters `serve` watches.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
}

/// `[server]`: the daemon's HTTP endpoint (`/metrics`, `/healthz`, `/readyz`, `/api/v1/...`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port. Default `127.0.0.1:9464`; `0.0.0.0:9464` in a container.
    #[serde(default = "default_listen")]
    pub listen: std::net::SocketAddr,
}

fn default_listen() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 9464).into()
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { listen: default_listen() }
    }
}

/// `[analysis]`: what `serve` assesses, and how often.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Days of requests a grant's use is judged over. Default 90.
    #[serde(default = "default_window_days")]
    pub window_days: u32,
    /// With fewer observed days, nothing is called unused. Default 14.
    #[serde(default = "default_min_observed_days")]
    pub min_observed_days: u32,
    /// Seconds between assessments of a cluster (replay, findings, metrics, report). Default 300.
    #[serde(default = "default_interval_seconds")]
    pub interval_seconds: u64,
    /// Exceptions file (accepted risk), re-read before every assessment. None by default.
    #[serde(default)]
    pub exceptions: Option<PathBuf>,
}

const fn default_window_days() -> u32 {
    90
}

const fn default_min_observed_days() -> u32 {
    14
}

const fn default_interval_seconds() -> u64 {
    300
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            window_days: default_window_days(),
            min_observed_days: default_min_observed_days(),
            interval_seconds: default_interval_seconds(),
            exceptions: None,
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// At most this many `grantscope_grant_last_used_timestamp_seconds` series (one per grant);
    /// the rest are counted in `grantscope_metric_series_dropped_total`. Default 2000.
    #[serde(default = "default_max_grant_series")]
    pub max_grant_series: usize,
}

const fn default_max_grant_series() -> usize {
    2000
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { max_grant_series: default_max_grant_series() }
    }
}

/// `[reports]`: reports `serve` writes on a schedule, per cluster, into `dir/<cluster>/`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Where to write them; no scheduled reports without it.
    pub dir: Option<PathBuf>,
    /// Every this many seconds...
    pub interval_seconds: Option<u64>,
    /// ... or once a day at this UTC time, `HH:MM`. Default, with `dir` set: daily at 06:00.
    pub daily_at: Option<TimeOfDay>,
    /// Any of `html`, `md`, `json`. Default all three.
    #[serde(default = "default_report_formats")]
    pub formats: Vec<ReportFormat>,
    /// Reports kept per cluster and format; older ones are deleted. Default 30.
    #[serde(default = "default_keep")]
    pub keep: usize,
}

fn default_report_formats() -> Vec<ReportFormat> {
    ReportFormat::ALL.to_vec()
}

const fn default_keep() -> usize {
    30
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            dir: None,
            interval_seconds: None,
            daily_at: None,
            formats: default_report_formats(),
            keep: default_keep(),
        }
    }
}

impl ReportsConfig {
    /// When the daily report is written: `daily_at`, by default 06:00 UTC.
    pub fn daily_time(&self) -> TimeOfDay {
        self.daily_at.unwrap_or(TimeOfDay::new(6, 0).expect("06:00 is a time of day"))
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Database file. Default `grantscope.db` in the working directory.
    #[serde(default = "default_db_path")]
    pub path: PathBuf,
    /// Days raw normalized events are kept for drill-down (by event time). Shapes and daily counts
    /// are kept regardless. Default 2.
    #[serde(default = "default_horizon_days")]
    pub retention_days: u32,
    /// Days event ids are remembered (by ingestion time) so re-ingested events count once. Raise it
    /// if you re-feed overlapping files further apart than this. Default 2.
    #[serde(default = "default_horizon_days")]
    pub dedupe_days: u32,
}

fn default_db_path() -> PathBuf {
    PathBuf::from("grantscope.db")
}

const fn default_horizon_days() -> u32 {
    2
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_db_path(),
            retention_days: default_horizon_days(),
            dedupe_days: default_horizon_days(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}={value:?}: expected {expected}")]
    Env { name: String, value: String, expected: &'static str },
    #[error("config field {field}: expected {expected}")]
    Invalid { field: String, expected: &'static str },
}

/// A TOML error as one line, `file:line:column: message`, as compilers write them (toml's own
/// rendering spans five lines with a snippet).
fn parse_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim_end().replace('\n', " ");
    let Some(span) = e.span() else { return ConfigError::Parse { path: path.into(), message } };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let located = PathBuf::from(format!("{}:{line}:{column}", path.display()));
    // The key of the line in error, under the table it sits in (`store.retention_days`).
    let key =
        text.lines().nth(line - 1).and_then(|l| l.split_once('=')).map(|(k, _)| k.trim()).filter(|k| !k.is_empty());
    let table = text.lines().take(line - 1).filter_map(|l| l.trim().strip_prefix('[')).last();
    let table = table.map(|t| t.trim_start_matches('[').trim_end_matches(']').trim());
    let message = match (table, key) {
        (Some(t), Some(k)) if !message.contains(k) => format!("{t}.{k}: {message}"),
        (None, Some(k)) if !message.contains(k) => format!("{k}: {message}"),
        _ => message,
    };
    ConfigError::Parse { path: located, message }
}

/// Every environment variable grantscope reads (besides AWS's own).
pub const ENVIRONMENT: [&str; 10] = [
    "GRANTSCOPE_DB",
    "GRANTSCOPE_STORE_PATH",
    "GRANTSCOPE_STORE_RETENTION_DAYS",
    "GRANTSCOPE_STORE_DEDUPE_DAYS",
    "GRANTSCOPE_ANALYSIS_WINDOW_DAYS",
    "GRANTSCOPE_ANALYSIS_MIN_OBSERVED_DAYS",
    "GRANTSCOPE_ANALYSIS_INTERVAL_SECONDS",
    "GRANTSCOPE_ANALYSIS_EXCEPTIONS",
    "GRANTSCOPE_METRICS_MAX_GRANT_SERIES",
    "GRANTSCOPE_SERVER_LISTEN",
];

/// The `GRANTSCOPE_*` variables among `names` that grantscope does not read (a misspelt one would
/// otherwise be ignored without a word), each with the known name closest to it.
pub fn unknown_environment<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<(String, &'static str)> {
    names
        .into_iter()
        .filter(|n| n.starts_with("GRANTSCOPE_") && !ENVIRONMENT.contains(n))
        .map(|n| {
            // A name that ends like a known one is most likely it with a section left out.
            let tail = &n[n.rfind('_').unwrap_or(0)..];
            let closest =
                ENVIRONMENT.iter().min_by_key(|k| (!k.ends_with(tail), edit_distance(n, k))).expect("not empty");
            (n.to_string(), *closest)
        })
        .collect()
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Replaces `field` with the environment variable `name`, when set.
fn override_with<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    field: &mut T,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if let Some(value) = env(name) {
        *field = value.parse().map_err(|_| ConfigError::Env { name: name.to_string(), value, expected })?;
    }
    Ok(())
}

impl Config {
    /// Reads `path` (if given), then applies environment overrides from `env`.
    pub fn load(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
                toml::from_str(&text).map_err(|e: toml::de::Error| parse_error(path, &text, &e))?
            }
            None => Config::default(),
        };
        // GRANTSCOPE_DB is the documented short form of GRANTSCOPE_STORE_PATH.
        for name in ["GRANTSCOPE_STORE_PATH", "GRANTSCOPE_DB"] {
            if let Some(v) = env(name).filter(|v| !v.is_empty()) {
                config.store.path = PathBuf::from(v);
            }
        }
        if let Some(v) = env("GRANTSCOPE_ANALYSIS_EXCEPTIONS").filter(|v| !v.is_empty()) {
            config.analysis.exceptions = Some(PathBuf::from(v));
        }
        for (name, field) in [
            ("GRANTSCOPE_STORE_RETENTION_DAYS", &mut config.store.retention_days),
            ("GRANTSCOPE_STORE_DEDUPE_DAYS", &mut config.store.dedupe_days),
            ("GRANTSCOPE_ANALYSIS_WINDOW_DAYS", &mut config.analysis.window_days),
            ("GRANTSCOPE_ANALYSIS_MIN_OBSERVED_DAYS", &mut config.analysis.min_observed_days),
        ] {
            override_with(&env, name, field, "a whole number of days (0 or more)")?;
        }
        override_with(
            &env,
            "GRANTSCOPE_ANALYSIS_INTERVAL_SECONDS",
            &mut config.analysis.interval_seconds,
            "a whole number of seconds",
        )?;
        override_with(
            &env,
            "GRANTSCOPE_METRICS_MAX_GRANT_SERIES",
            &mut config.metrics.max_grant_series,
            "a whole number",
        )?;
        override_with(
            &env,
            "GRANTSCOPE_SERVER_LISTEN",
            &mut config.server.listen,
            "an address and port, like 0.0.0.0:9464",
        )?;
        config.validate()?;
        for warning in config.deprecations() {
            tracing::warn!("{warning}");
        }
        Ok(config)
    }

    /// What the configuration says in the words of an earlier release, one line per key, each
    /// naming the key that replaces it.
    pub fn deprecations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in self.clusters.iter().enumerate() {
            for (old, new) in &c.deprecated {
                out.push(format!("config: clusters[{i}] ({}): {old} is the old form of {new}; it still reads", c.name));
            }
        }
        out
    }

    /// What serde cannot say: values in range, names unique.
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: String, expected: &'static str| Err(ConfigError::Invalid { field, expected });
        if self.analysis.window_days == 0 {
            return invalid("analysis.window_days".into(), "at least 1 day");
        }
        if self.analysis.interval_seconds == 0 {
            return invalid("analysis.interval_seconds".into(), "at least 1 second");
        }
        let r = &self.reports;
        if r.interval_seconds.is_some() && r.daily_at.is_some() {
            return invalid("reports.daily_at".into(), "either reports.interval_seconds or reports.daily_at, not both");
        }
        if r.interval_seconds == Some(0) {
            return invalid("reports.interval_seconds".into(), "at least 1 second");
        }
        if r.keep == 0 {
            return invalid("reports.keep".into(), "at least 1");
        }
        let mut names = std::collections::HashSet::new();
        for (i, c) in self.clusters.iter().enumerate() {
            if c.name.is_empty() {
                return invalid(format!("clusters[{i}].name"), "a cluster name");
            }
            if !names.insert(c.name.as_str()) {
                return invalid(format!("clusters[{i}].name"), "a name no other cluster has");
            }
            let at = |key: &str| format!("clusters[{i}].{key}");
            let polls = [
                ("files.poll_seconds", c.files.as_ref().map(|f| f.poll_seconds)),
                ("cloudwatch.poll_seconds", c.cloudwatch.as_ref().map(|w| w.poll_seconds)),
                ("cloudtrail.poll_seconds", c.cloudtrail.as_ref().map(|t| t.poll_seconds)),
                ("state_sync.poll_seconds", c.state_sync.as_ref().map(|s| s.poll_seconds)),
            ];
            for (key, seconds) in polls {
                if seconds == Some(0) {
                    return invalid(at(key), "at least 1 second");
                }
            }
            // Checked here, not by a type: the two are keys of two sources' tables (files.state
            // beside the audit files it is polled with), and the example file, read as a whole,
            // shows both. (A kubeconfig beside another mode of state sync cannot be read at all:
            // StateSyncConfig holds a KubernetesAccess.)
            if c.state_sync.is_some() && c.files.as_ref().is_some_and(|f| !f.state.is_empty()) {
                return invalid(at("files.state"), "either [clusters.state_sync] or files.state, not both");
            }
            if c.cloudwatch.as_ref().is_some_and(|w| w.log_group.as_deref() == Some("")) {
                return invalid(at("cloudwatch.log_group"), "a log group name, like /aws/eks/NAME/cluster");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grantscope.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path), |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn a_toml_error_is_one_line_with_its_position() {
        let err = load_str("[server]\nlisten = \"127.0.0.1:9464\"\n\n[analysis]\nwindow_dayz = 3\n", &[])
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("grantscope.toml:5:1: unknown field `window_dayz`"), "{err}");
    }

    #[test]
    fn a_misspelt_variable_is_named_with_the_one_meant() {
        let got = unknown_environment([
            "PATH",
            "GRANTSCOPE_DB",
            "GRANTSCOPE_STORE_RETENTON_DAYS",
            "GRANTSCOPE_LISTEN",
            "GRANTSCOPE_ANALYSIS_WINDOW_DAY",
        ]);
        assert_eq!(
            got,
            [
                ("GRANTSCOPE_STORE_RETENTON_DAYS".to_string(), "GRANTSCOPE_STORE_RETENTION_DAYS"),
                ("GRANTSCOPE_LISTEN".to_string(), "GRANTSCOPE_SERVER_LISTEN"),
                ("GRANTSCOPE_ANALYSIS_WINDOW_DAY".to_string(), "GRANTSCOPE_ANALYSIS_WINDOW_DAYS"),
            ]
        );
    }

    #[test]
    fn every_variable_load_reads_is_known() {
        for name in ENVIRONMENT {
            let value = if name.ends_with("LISTEN") { "nowhere" } else { "not-a-number" };
            let read = load_str("", &[(name, value)]);
            // Any text is a path: one is read when it changes the configuration.
            let path_like =
                matches!(name, "GRANTSCOPE_DB" | "GRANTSCOPE_STORE_PATH" | "GRANTSCOPE_ANALYSIS_EXCEPTIONS");
            let is_read = if path_like { read.is_ok_and(|c| c != Config::default()) } else { read.is_err() };
            assert!(is_read, "{name} is read by load");
        }
    }

    #[test]
    fn load_applies_file_then_environment() {
        let c = load_str("[store]\npath = \"/data/g.db\"\nretention_days = 7\n", &[]).unwrap();
        assert_eq!((c.store.path, c.store.retention_days, c.store.dedupe_days), (PathBuf::from("/data/g.db"), 7, 2));
        let c = load_str(
            "[store]\npath = \"/data/g.db\"\n",
            &[("GRANTSCOPE_DB", "/env.db"), ("GRANTSCOPE_STORE_DEDUPE_DAYS", "9")],
        )
        .unwrap();
        assert_eq!((c.store.path, c.store.dedupe_days), (PathBuf::from("/env.db"), 9));
        let c = load_str(
            "[analysis]\nexceptions = \"/etc/a.yaml\"\n",
            &[("GRANTSCOPE_ANALYSIS_EXCEPTIONS", "/gitops/b.yaml")],
        )
        .unwrap();
        assert_eq!(c.analysis.exceptions, Some(PathBuf::from("/gitops/b.yaml")));
    }

    #[test]
    fn bad_config_names_the_field_and_what_was_expected() {
        let cases = [
            ("wrong type", "[store]\nretention_days = \"two\"\n", "retention_days"),
            ("unknown field", "[store]\nretension_days = 2\n", "retension_days"),
            ("negative", "[store]\ndedupe_days = -1\n", "dedupe_days"),
        ];
        for (name, text, field) in cases {
            let err = load_str(text, &[]).unwrap_err().to_string();
            assert!(err.contains(field), "{name}: {err}");
        }
        let err = load_str("", &[("GRANTSCOPE_STORE_RETENTION_DAYS", "soon")]).unwrap_err().to_string();
        assert!(err.contains("GRANTSCOPE_STORE_RETENTION_DAYS") && err.contains("whole number"), "{err}");
        let daemon = [
            ("a bad listen address", "[server]\nlisten = \"everywhere\"\n", "listen"),
            ("an empty window", "[analysis]\nwindow_days = 0\n", "analysis.window_days"),
            ("a cluster twice", "[[clusters]]\nname = \"a\"\n[[clusters]]\nname = \"a\"\n", "clusters[1].name"),
            ("a cluster without a name", "[[clusters]]\naudit_files = []\n", "name"),
            ("a misspelt cluster key", "[[clusters]]\nname = \"a\"\naudit_file = []\n", "audit_file"),
            (
                "a misspelt key of a source",
                "[[clusters]]\nname = \"a\"\n[clusters.cloudwatch]\npoll_secnds = 1\n",
                "grantscope.toml:4:1: unknown field `poll_secnds`, expected one of `log_group`",
            ),
            (
                "a source's poll of zero",
                "[[clusters]]\nname = \"a\"\n[clusters.cloudtrail]\npoll_seconds = 0\n",
                "clusters[0].cloudtrail.poll_seconds: expected at least 1 second",
            ),
            (
                "state from two sources",
                "[[clusters]]\nname = \"a\"\nfiles = { state = [\"s.yaml\"] }\n[clusters.state_sync]\n",
                "clusters[0].files.state: expected either [clusters.state_sync] or files.state",
            ),
            (
                "a kubeconfig where none is read",
                "[[clusters]]\nname = \"a\"\n[clusters.state_sync]\nkubernetes = \"in-cluster\"\ncontext = \"x\"\n",
                "grantscope.toml:3:1: state_sync.context is read only with kubernetes = \"kubeconfig\", not \"in-cluster\"",
            ),
            (
                "a flat kubeconfig where none is read",
                "[[clusters]]\nname = \"a\"\nstate_sync = true\nkubernetes = \"eks-token\"\nkubeconfig = \"/k\"\n",
                "cluster \"a\": state_sync.kubeconfig is read only with kubernetes = \"kubeconfig\", not \"eks-token\"",
            ),
            (
                "an old flat key next to its table",
                "[[clusters]]\nname = \"a\"\nlog_group = \"g\"\n[clusters.cloudwatch]\n",
                "log_group or since_days is the old form of cloudwatch.log_group",
            ),
            (
                "a log group with CloudWatch off",
                "[[clusters]]\nname = \"a\"\nlog_group = \"g\"\n",
                "log_group is read only with CloudWatch on; write it as [clusters.cloudwatch] log_group",
            ),
            ("a bad report time", "[reports]\ndir = \"r\"\ndaily_at = \"25:00\"\n", "reports.daily_at"),
            ("a bad report format", "[reports]\ndir = \"r\"\nformats = [\"pdf\"]\n", "reports.formats"),
        ];
        for (name, text, field) in daemon {
            let err = load_str(text, &[]).unwrap_err().to_string();
            assert!(err.contains(field), "{name}: {err}");
        }
        let err = load_str("", &[("GRANTSCOPE_SERVER_LISTEN", "nowhere")]).unwrap_err().to_string();
        assert!(err.contains("GRANTSCOPE_SERVER_LISTEN") && err.contains("address and port"), "{err}");
    }

    #[test]
    fn report_times_and_formats_are_typed_at_load() {
        let c = load_str("[reports]\ndir = \"r\"\ndaily_at = \"7:30\"\nformats = [\"md\", \"json\"]\n", &[]).unwrap();
        assert_eq!(c.reports.daily_time().ms_after_midnight(), (7 * 60 + 30) * 60_000);
        assert_eq!(c.reports.formats, [ReportFormat::Md, ReportFormat::Json]);
        assert_eq!(ReportsConfig::default().daily_time().to_string(), "06:00", "daily at six by default");
        let cases = [
            ("a time past midnight", "daily_at = \"25:00\"", "reports.daily_at", "`25:00` is not a UTC time of day"),
            ("a time without minutes", "daily_at = \"6\"", "reports.daily_at", "expected HH:MM"),
            (
                "a format never written",
                "formats = [\"pdf\"]",
                "reports.formats",
                "expected one of `html`, `md`, `json`",
            ),
        ];
        for (name, line, field, why) in cases {
            let err = load_str(&format!("[reports]\ndir = \"r\"\n{line}\n"), &[]).unwrap_err().to_string();
            assert!(err.contains(field) && err.contains(why), "{name}: {err}");
        }
    }

    /// A cluster written with the flat keys of earlier releases reads as the tables that replace
    /// them, each old key noted with its new one.
    #[test]
    fn the_flat_keys_of_earlier_releases_still_read() {
        let flat = "[[clusters]]\nname = \"prod\"\ncloudwatch = true\nlog_group = \"/g\"\ncloudtrail = true\n\
                    cloudtrail_poll_seconds = 60\nstate_sync = false\nkubernetes = \"in-cluster\"\n\
                    audit_files = [\"a.jsonl\"]\npoll_seconds = 5\n";
        let nested = "[[clusters]]\nname = \"prod\"\n[clusters.files]\naudit = [\"a.jsonl\"]\npoll_seconds = 5\n\
                      [clusters.cloudwatch]\nlog_group = \"/g\"\npoll_seconds = 5\n[clusters.cloudtrail]\npoll_seconds = 60\n";
        let (old, new) = (load_str(flat, &[]).unwrap(), load_str(nested, &[]).unwrap());
        let effective = |c: &Config| serde_json::to_value(c).unwrap();
        assert_eq!(effective(&old), effective(&new));
        assert!(new.deprecations().is_empty());
        let said = old.deprecations().join("\n");
        for (old_key, new_key) in [
            ("cloudwatch = true", "[clusters.cloudwatch]"),
            ("log_group", "cloudwatch.log_group"),
            ("cloudtrail_poll_seconds", "cloudtrail.poll_seconds"),
            ("audit_files", "files.audit"),
            ("poll_seconds", "files.poll_seconds and cloudwatch.poll_seconds"),
            ("state_sync = false", "no [clusters.state_sync] table"),
        ] {
            let line = format!("clusters[0] (prod): {old_key} is the old form of {new_key}");
            assert!(said.contains(&line), "{line}\nin:\n{said}");
        }
        // A poll interval of sources that are off was read and ignored: it still is.
        let idle = load_str("[[clusters]]\nname = \"a\"\nstate_sync = true\npoll_seconds = 30\n", &[]).unwrap();
        assert!(idle.deprecations().iter().any(|d| d.contains("poll_seconds") && d.contains("ignored")));
        assert_eq!((idle.clusters[0].files.as_ref(), idle.clusters[0].cloudwatch.as_ref()), (None, None));
    }

    /// The README's configuration table, the example file and the configuration types name the
    /// same keys: every key of the example (all uncommented) is a field, every field is in the
    /// example, and the table lists exactly them.
    #[test]
    fn the_readme_example_and_types_agree_on_every_key() {
        let key = |l: &str| {
            let l = l.trim();
            (l.starts_with('[') && l.ends_with(']'))
                || l.split_once(" = ").is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        };
        let example: String = include_str!("../../../grantscope.example.toml")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if key(rest) => rest,
                _ => l,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let config: Config = toml::from_str(&example).expect("every key of the example is a configuration field");
        fn flatten(prefix: &str, v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        flatten(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
                    }
                }
                serde_json::Value::Array(items)
                    if items.iter().all(serde_json::Value::is_object) && !items.is_empty() =>
                {
                    for item in items {
                        flatten(&format!("{prefix}[]"), item, out);
                    }
                }
                _ => {
                    out.insert(prefix.to_string());
                }
            }
        }
        let mut fields = std::collections::BTreeSet::new();
        flatten("", &serde_json::to_value(&config).unwrap(), &mut fields);
        // The table of the README's "Configuration" section, up to the next section.
        let readme = include_str!("../../../README.md");
        let section = readme.split("\n## Configuration\n").nth(1).expect("a Configuration section");
        let section = section.split("\n## ").next().unwrap_or_default();
        let documented: std::collections::BTreeSet<String> = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once("` | ").map(|(k, _)| k.to_string()))
            .collect();
        assert_eq!(fields, documented, "README configuration table vs the example's keys");
    }
}
