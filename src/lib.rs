//! grantscope finds the Amazon EKS cluster access nobody uses, and the access broader than what is used.
//!
//! # Example
//!
//! ```no_run
//! use grantscope::ingest::{AuditSink, InputFormat, InputPath};
//! use grantscope::sources::files::{self, FileOptions};
//! use grantscope::store::Store;
//!
//! let mut store = Store::open("grantscope.db".as_ref())?;
//! let mut sink = AuditSink::new(Some("prod".to_string()));
//! let opts = FileOptions {
//!     format: InputFormat::Auto,
//!     batch_records: 20_000,
//!     progress: false,
//!     stop: None,
//!     clock: grantscope::app::clock::now_ms,
//! };
//! let tally = files::ingest_files(&mut store, &[InputPath::parse("audit.jsonl".as_ref())], &mut sink, &opts)?;
//! println!("ingested {}", tally.ingested);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The layout follows the data flow: [`sources`] read files and the live APIs, [`ingest`] turns their
//! records into normalized events, [`store`] folds them into request shapes in SQLite, [`model`]
//! holds the pure domain types; [`app`] orchestrates for the CLI ([`cli`]) and the daemon ([`serve`]).

pub mod analysis;
pub mod app;
pub mod authz;
pub mod cli;
pub mod generate;
pub mod ingest;
pub mod model;
pub mod remediate;
pub mod report;
pub mod serve;
pub mod sources;
pub mod state;
pub mod store;
