//! The files a report is written as.

use super::contents::Report;
use serde::{Deserialize, Serialize};

/// A report's file format: `[reports] formats` in the daemon's config, `--format` of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// One self-contained HTML page.
    Html,
    /// Markdown.
    Md,
    /// JSON, as `schemas/report.schema.json` describes it.
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Html, ReportFormat::Md, ReportFormat::Json];

    /// The name, as configured and as the file's extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Md => "md",
            ReportFormat::Json => "json",
        }
    }

    /// The report in this format.
    pub fn render(self, report: &Report) -> String {
        match self {
            ReportFormat::Html => super::html(report),
            ReportFormat::Md => super::markdown(report),
            ReportFormat::Json => crate::model::text::to_json(report, true) + "\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_formats_are_configured_by_their_extension() {
        for format in ReportFormat::ALL {
            let json = serde_json::to_value(format).unwrap();
            assert_eq!(json, serde_json::json!(format.as_str()));
            assert_eq!(serde_json::from_value::<ReportFormat>(json).unwrap(), format);
        }
        let err = serde_json::from_str::<ReportFormat>("\"pdf\"").unwrap_err().to_string();
        assert!(err.contains("`pdf`") && err.contains("`html`, `md`, `json`"), "{err}");
    }
}
