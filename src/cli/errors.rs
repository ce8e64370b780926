//! `grantscope errors`: the bad records ingest skipped, with where they were.

use super::CommandError;
use crate::cli::output::{Format, print_json};
use crate::model::time;
use crate::store::{IngestErrorRow, Store};
use std::path::Path;

pub fn run(db: &Path, limit: u64, format: Format) -> Result<Vec<IngestErrorRow>, CommandError> {
    let store = Store::open_read_only(db)?;
    let rows = store.list_ingest_errors(limit)?;
    match format {
        Format::Json => print_json(&rows),
        Format::Text => {
            if rows.is_empty() {
                crate::outln!("no ingest errors");
            }
            for r in &rows {
                let at = match (r.line, r.record) {
                    (Some(l), Some(i)) => format!("line {l}, item {i}"),
                    (Some(l), None) => format!("line {l}"),
                    (None, Some(i)) => format!("record {i}"),
                    (None, None) => "whole input".to_string(),
                };
                crate::outln!("{} {}: {at}: [{}] {}", time::format_rfc3339(r.ingested_ms), r.file, r.kind, r.reason);
                crate::outln!("    {}", r.excerpt);
            }
        }
    }
    Ok(rows)
}
