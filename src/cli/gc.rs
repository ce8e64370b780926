//! `grantscope gc`: applies the retention and dedupe horizons.

use super::CommandError;
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::store::{GcOutcome, Horizons, Store};
use std::path::Path;

pub fn run(db: &Path, horizons: Horizons, format: Format) -> Result<GcOutcome, CommandError> {
    let store = Store::open_existing(db)?;
    let outcome = collect(&store, horizons)?;
    match format {
        Format::Json => print_json(&outcome),
        Format::Text => crate::outln!(
            "deleted {} per-event rows and {} bad-input rows outside the horizons",
            outcome.events_deleted,
            outcome.errors_deleted
        ),
    }
    Ok(outcome)
}

/// Deletes per-event rows outside the horizons, now.
pub fn collect(store: &Store, horizons: Horizons) -> Result<GcOutcome, CommandError> {
    Ok(store.collect_garbage(horizons, now_ms())?)
}
