//! Report history: each assessment's counts (the trend chart) and the last scheduled report of
//! each cluster (what the next one compares with).

use super::Store;
use rusqlite::{OptionalExtension, params};

const MS_PER_HOUR: i64 = 3_600_000;

/// One assessment's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessmentCounts {
    pub at_ms: i64,
    pub state_version: i64,
    pub grants_used: i64,
    pub grants_unused: i64,
    pub findings_high: i64,
    pub findings_medium: i64,
    pub findings_low: i64,
}

impl Store {
    /// Records an assessment's counts as its hour's (a later assessment of the same hour replaces it).
    pub fn record_assessment(&self, cluster: &str, c: &AssessmentCounts) -> rusqlite::Result<()> {
        self.conn.prepare_cached(
            "INSERT OR REPLACE INTO assessment_history (cluster, hour, at_ms, state_version, grants_used, grants_unused,
                                                        findings_high, findings_medium, findings_low)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            cluster,
            c.at_ms.div_euclid(MS_PER_HOUR),
            c.at_ms,
            c.state_version,
            c.grants_used,
            c.grants_unused,
            c.findings_high,
            c.findings_medium,
            c.findings_low
        ])?;
        Ok(())
    }

    /// The cluster's recorded assessments from `from_ms` on, oldest first.
    pub fn assessment_history(&self, cluster: &str, from_ms: i64) -> rusqlite::Result<Vec<AssessmentCounts>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at_ms, state_version, grants_used, grants_unused, findings_high, findings_medium, findings_low
             FROM assessment_history WHERE cluster = ?1 AND hour >= ?2 ORDER BY hour",
        )?;
        stmt.query_map(params![cluster, from_ms.div_euclid(MS_PER_HOUR)], |r| {
            Ok(AssessmentCounts {
                at_ms: r.get(0)?,
                state_version: r.get(1)?,
                grants_used: r.get(2)?,
                grants_unused: r.get(3)?,
                findings_high: r.get(4)?,
                findings_medium: r.get(5)?,
                findings_low: r.get(6)?,
            })
        })?
        .collect()
    }

    /// The JSON of the cluster's last scheduled report, if one was written.
    pub fn last_report(&self, cluster: &str) -> rusqlite::Result<Option<String>> {
        self.conn.query_row("SELECT report FROM last_reports WHERE cluster = ?1", [cluster], |r| r.get(0)).optional()
    }

    /// Keeps `json` as the cluster's last scheduled report.
    pub fn set_last_report(&self, cluster: &str, json: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("INSERT OR REPLACE INTO last_reports (cluster, report) VALUES (?1, ?2)", params![cluster, json])?;
        Ok(())
    }
}
