//! The application layer: what a command or the daemon asks for, done over the store, the state
//! loaders, the sources and the analysis. The CLI (`cli/`) and the daemon (`serve/`) both call it;
//! it never calls them.
//!
//! - [`state_versions`]: load state files, store a state as the next version, read one back;
//! - [`sync`]: read a cluster's state from the live APIs and store it;
//! - [`replay`]: decide the window's request shapes against the current state, and grant usage;
//! - [`agreement`]: replay's decisions against the state that held on each request's day;
//! - [`assess`]: replay, then every finding with the proof that the fixes break nothing;
//! - [`exceptions`]: read the exceptions file (accepted risk), and append to it;
//! - [`timeline`]: a cluster's access changes from CloudTrail and its state versions;
//! - [`clock`], [`shutdown`]: the one clock and the one stop signal.

pub mod agreement;
pub mod assess;
pub mod clock;
pub mod exceptions;
pub mod replay;
pub mod shutdown;
pub mod state_versions;
pub mod sync;
pub mod timeline;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unkept_tests;
