//! Sources → normalized events → the store.
//!
//! Parsers (`audit`, `cloudtrail`) are pure functions from one record to items; the file source
//! (`file`) reads inputs, batches, and commits each batch with its checkpoint.

pub mod audit;
pub mod cloudtrail;
mod document;
pub mod file;
pub mod input;
mod json;
mod progress;
pub mod record_error;
pub mod records;
pub mod sink;

pub use file::{FileOptions, IngestError, check_inputs, ingest_files, ingest_files_into};
pub use input::InputPath;
pub use records::InputFormat;
pub use sink::{AuditSink, CloudTrailSink, Tally};
