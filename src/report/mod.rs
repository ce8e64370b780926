//! The least-privilege report: what a security lead wants first (grants used and unused, the top
//! risks, the biggest privilege reductions, agreement with recorded decisions, data coverage),
//! then every finding and grant. One [`Report`] value, written as JSON (schema:
//! `schemas/report.schema.json`), Markdown or one self-contained HTML file.

mod change;
mod charts;
mod contents;
mod format;
mod html;
mod markdown;
mod since_previous;

pub use change::PreviousReportError;
pub use contents::{
    Agreement, AgreementAtTheTime, Charts, ComplianceRow, Coverage, DayPoint, Gap, GrantCounts, PrincipalCount,
    REPORT_FORMAT, Reduction, Report, ReportInputs, SeverityCounts, Summary, TrendPoint, WindowSpan,
};
pub use format::ReportFormat;
pub use since_previous::{Figures, FindingRef, SincePrevious};

/// The report as one self-contained HTML page. Markup in names is escaped by the template; control
/// characters are shown, so `cat report.html` cannot drive a terminal.
pub fn html(r: &Report) -> String {
    crate::model::text::printable(&html::render(r)).into_owned()
}

/// The report as Markdown, every name escaped and its control characters shown.
pub fn markdown(r: &Report) -> String {
    crate::model::text::printable(&markdown::render(r)).into_owned()
}
