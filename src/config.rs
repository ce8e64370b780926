//! Configuration: a TOML file, then `GRANTSCOPE_<SECTION>_<KEY>` environment variables, then flags.
//! Everything is validated up front; an error names the file, the field and what was expected.
//!
//! ```toml
//! [store]
//! path = "/var/lib/grantscope/grantscope.db"
//! retention_days = 2   # raw normalized events kept for drill-down
//! dedupe_days = 2      # event ids remembered for exactly-once ingestion
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub store: StoreConfig,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
}

impl Config {
    /// Reads `path` (if given), then applies environment overrides from `env`.
    pub fn load(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
                toml::from_str(&text)
                    .map_err(|e: toml::de::Error| ConfigError::Parse { path: path.into(), message: e.to_string() })?
            }
            None => Config::default(),
        };
        // GRANTSCOPE_DB is the documented short form of GRANTSCOPE_STORE_PATH.
        for name in ["GRANTSCOPE_STORE_PATH", "GRANTSCOPE_DB"] {
            if let Some(v) = env(name).filter(|v| !v.is_empty()) {
                config.store.path = PathBuf::from(v);
            }
        }
        for (name, field) in [
            ("GRANTSCOPE_STORE_RETENTION_DAYS", &mut config.store.retention_days),
            ("GRANTSCOPE_STORE_DEDUPE_DAYS", &mut config.store.dedupe_days),
        ] {
            if let Some(value) = env(name) {
                *field = value.parse().map_err(|_| ConfigError::Env {
                    name: name.to_string(),
                    value,
                    expected: "a whole number of days (0 or more)",
                })?;
            }
        }
        Ok(config)
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
    fn load_applies_file_then_environment() {
        let c = load_str("[store]\npath = \"/data/g.db\"\nretention_days = 7\n", &[]).unwrap();
        assert_eq!((c.store.path, c.store.retention_days, c.store.dedupe_days), (PathBuf::from("/data/g.db"), 7, 2));
        let c = load_str(
            "[store]\npath = \"/data/g.db\"\n",
            &[("GRANTSCOPE_DB", "/env.db"), ("GRANTSCOPE_STORE_DEDUPE_DAYS", "9")],
        )
        .unwrap();
        assert_eq!((c.store.path, c.store.dedupe_days), (PathBuf::from("/env.db"), 9));
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
    }
}
