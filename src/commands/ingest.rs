//! `grantscope ingest audit|cloudtrail FILE...`

use super::{CommandError, gc};
use crate::ingest::{self, AuditSink, CloudTrailSink, FileOptions, InputFormat, InputPath, Tally, sink::Sink};
use crate::output::{Format, print_json};
use crate::store::{Horizons, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which parser reads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audit,
    CloudTrail,
}

pub struct IngestArgs {
    pub kind: Kind,
    pub cluster: Option<String>,
    pub input_format: InputFormat,
    pub batch_records: usize,
    pub files: Vec<PathBuf>,
    pub progress: bool,
    pub horizons: Horizons,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    ingested: u64,
    duplicates: u64,
    skipped: u64,
    errors: u64,
    skipped_by_reason: &'a std::collections::BTreeMap<&'static str, u64>,
    gc_events_deleted: u64,
}

/// Ingests the files; every path is checked before the database is opened, so a bad path writes nothing.
pub fn run(db: &Path, args: IngestArgs, format: Format) -> Result<Tally, CommandError> {
    let paths: Vec<InputPath> = args.files.iter().map(|p| InputPath::parse(p)).collect();
    if paths.iter().filter(|p| **p == InputPath::Stdin).count() > 1 {
        return Err(CommandError::Usage("`-` (stdin) may be given only once".into()));
    }
    ingest::check_inputs(&paths)?;
    let mut store = Store::open(db)?;
    let mut sink: Box<dyn Sink> = match args.kind {
        Kind::Audit => Box::new(AuditSink::new(args.cluster)),
        Kind::CloudTrail => Box::new(CloudTrailSink),
    };
    let opts = FileOptions {
        format: args.input_format,
        batch_records: args.batch_records,
        progress: args.progress,
        stop: None,
    };
    let tally = ingest::ingest_files(&mut store, &paths, sink.as_mut(), &opts)?;
    let gc = gc::collect(&store, args.horizons)?;
    match format {
        Format::Json => print_json(&Summary {
            files: paths.len(),
            ingested: tally.ingested,
            duplicates: tally.duplicates,
            skipped: tally.skipped_total(),
            errors: tally.errors,
            skipped_by_reason: &tally.skipped,
            gc_events_deleted: gc.events_deleted,
        }),
        Format::Text => {
            let mut line =
                format!("ingested {}, skipped {}, errors {}", tally.ingested, tally.skipped_total(), tally.errors);
            if tally.errors > 0 {
                line.push_str(" (see grantscope errors)");
            }
            if tally.duplicates > 0 {
                line.push_str(&format!("; {} already stored, not counted again", tally.duplicates));
            }
            crate::outln!("{line}");
        }
    }
    Ok(tally)
}
