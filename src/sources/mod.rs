//! Sources: where events and access state come from, each in its own folder as vector has them —
//! [`files`], [`cloudwatch`], [`cloudtrail`], [`state_sync`] — with its config type (defaults as
//! named functions, unknown keys rejected) and its read. The event sources keep a typed, versioned
//! checkpoint, stored ([`checkpoint`]) in the same transaction as the events it covers: the files'
//! own (`files/checkpoint.rs`), and for CloudWatch and CloudTrail the sliced reader's they share
//! (`slices/checkpoint.rs`, under a key of each source's). A checkpoint that does not read is an
//! error that stops the source, never a guess. State sync has none: every sync reads the whole
//! state, and the latest stored version is what it is compared with.
//!
//! What they share: the one loop of a source that follows ([`follow`]: `ingest --follow` and every
//! task of the daemon), the stop they obey ([`stop`]), the sliced reader of the AWS log APIs
//! ([`slices`]: fetching pages apart from committing them), the AWS client, retry policy and pace
//! ([`aws`]), why a connection failed ([`connection`]), and the classes of failure the daemon
//! reports ([`error`]). Records go to the parsers
//! and sinks of [`crate::ingest`]; storing a synced state is orchestration (`app::sync`).

pub mod aws;
pub mod checkpoint;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod connection;
pub mod error;
pub mod files;
pub mod follow;
pub mod live;
pub mod slices;
pub mod state_sync;
pub mod stop;
