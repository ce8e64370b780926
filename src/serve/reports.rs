//! Scheduled reports: after an assessment that falls due (`[reports] interval_seconds`, or daily
//! at `daily_at` UTC), the report is written to `dir/<cluster>/<time>.{html,md,json}`, and only the
//! newest `keep` of each format stay.

use crate::model::time::{MS_PER_DAY, format_rfc3339};
use crate::report::Report;
use crate::serve::config::ReportsConfig;
use std::path::{Path, PathBuf};

/// When the next report is due after one written (or none) at `last_ms`, in Unix ms.
pub fn next_due(cfg: &ReportsConfig, last_ms: Option<i64>, now_ms: i64) -> i64 {
    let Some(last) = last_ms else { return now_ms }; // the first assessment writes one
    if let Some(secs) = cfg.interval_seconds {
        return last + secs as i64 * 1000;
    }
    let day_start = last.div_euclid(MS_PER_DAY) * MS_PER_DAY;
    let today = day_start + cfg.daily_time().ms_after_midnight();
    if today > last { today } else { today + MS_PER_DAY }
}

/// Writes the report in every configured format and prunes old ones; returns the files written.
pub fn write(
    cfg: &ReportsConfig,
    dir: &Path,
    cluster: &str,
    report: &Report,
    now_ms: i64,
) -> std::io::Result<Vec<PathBuf>> {
    let folder = dir.join(crate::analysis::generated::file_safe(cluster));
    std::fs::create_dir_all(&folder)?;
    // Sortable, and no ':' (not allowed in file names everywhere).
    let stamp = format_rfc3339(now_ms).replace(':', "");
    let mut written = Vec::new();
    for format in &cfg.formats {
        let path = folder.join(format!("{stamp}.{}", format.as_str()));
        std::fs::write(&path, format.render(report))?;
        written.push(path);
        prune(&folder, format.as_str(), cfg.keep)?;
    }
    Ok(written)
}

/// Deletes all but the newest `keep` reports of a format (names sort by time).
fn prune(folder: &Path, format: &str, keep: usize) -> std::io::Result<()> {
    let suffix = format!(".{format}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(&suffix)))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for old in &files[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_fall_due_on_their_schedule() {
        let h = 3_600_000;
        let day = MS_PER_DAY;
        let every_hour = ReportsConfig { interval_seconds: Some(3600), ..ReportsConfig::default() };
        let daily_six = ReportsConfig { daily_at: Some("06:00".parse().unwrap()), ..ReportsConfig::default() };
        let cases = [
            ("the first assessment writes one", &every_hour, None, 5 * h, 5 * h),
            ("an hour after the last", &every_hour, Some(5 * h), 5 * h + 1, 6 * h),
            (
                "written before six: six the same day",
                &daily_six,
                Some(10 * day + 2 * h),
                10 * day + 3 * h,
                10 * day + 6 * h,
            ),
            (
                "written after six: six the next day",
                &daily_six,
                Some(10 * day + 7 * h),
                10 * day + 8 * h,
                11 * day + 6 * h,
            ),
        ];
        for (name, cfg, last, now, want) in cases {
            assert_eq!(next_due(cfg, last, now), want, "{name}");
        }
    }
}
