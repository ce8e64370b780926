//! Live sources: AWS APIs read into the store exactly as files are, each owning its own config,
//! loop and checkpoint (vector's sources are the model), the checkpoint committed in the same
//! transaction as the events it covers.

pub mod aws;
pub mod checkpoint;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod error;
pub mod files;
pub mod follow;
pub mod live;
pub mod slices;
pub mod state_sync;
pub mod stop;
