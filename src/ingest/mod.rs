//! Records → normalized events → the store: what every source (see the sources module) hands its records to.
//!
//! Parsers (`audit`, `cloudtrail`) are pure functions from one record to items; the file layouts
//! (`input`: files, gzip, stdin; `records`: lines and layout detection; `document`: JSON documents
//! streamed record by record); the sinks (`sink`) store what one record means, in the caller's
//! transaction. Batching and checkpoints belong to the sources.

pub mod audit;
pub mod cloudtrail;
pub mod document;
pub mod input;
mod json;
pub mod record_error;
pub mod records;
pub mod sink;
#[cfg(test)]
mod sink_tests;

pub use input::InputPath;
pub use records::InputFormat;
pub use sink::{AuditSink, CloudTrailSink, Tally};
