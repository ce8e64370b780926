//! grantscope's own snapshot: a whole [`AccessState`] as versioned JSON, what `state export` writes
//! and live sync stores.

use super::builder::{Builder, validate_entry};
use super::field::FieldError;
use crate::model::AccessState;
use serde::{Deserialize, Serialize};

/// The snapshot format version this binary writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A snapshot file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub grantscope_snapshot: u32,
    pub state: AccessState,
}

impl Snapshot {
    pub fn new(state: AccessState) -> Snapshot {
        Snapshot { grantscope_snapshot: SNAPSHOT_VERSION, state }
    }
}

/// Snapshots are JSON objects whose first key names the format.
pub(super) fn is_snapshot(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(256)];
    text.trim_start().starts_with('{') && memchr::memmem::find(head, b"\"grantscope_snapshot\"").is_some()
}

pub(super) fn load(b: &mut Builder, text: &str) -> Result<(), FieldError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let snapshot: Snapshot = serde_path_to_error::deserialize(&mut de).map_err(|e| FieldError::from_serde("", e))?;
    de.end().map_err(|e| FieldError::new("(document)", e.to_string()))?;
    if snapshot.grantscope_snapshot != SNAPSHOT_VERSION {
        return Err(FieldError::new(
            "grantscope_snapshot",
            format!(
                "version {} is not one this grantscope reads ({SNAPSHOT_VERSION}); upgrade grantscope",
                snapshot.grantscope_snapshot
            ),
        ));
    }
    let s = snapshot.state;
    if !s.cluster.is_empty() {
        b.set_cluster(&s.cluster);
    }
    b.set_mode(s.authentication_mode);
    for (i, e) in s.access_entries.into_iter().enumerate() {
        validate_entry(&e, &format!("state.access_entries[{i}]"))?;
        b.add_entry(e);
    }
    b.set_aws_auth(s.aws_auth);
    for r in s.roles {
        // A snapshot's roles are already aggregated: filling them again from the selectors of the
        // bootstrap roles would drop what other roles contributed.
        if r.namespace.is_none()
            && let Some(meta) = b.cluster_role_meta.get_mut(&r.name)
        {
            meta.selectors.clear();
        }
        b.add_role(r);
    }
    for binding in s.bindings {
        b.add_binding(binding);
    }
    Ok(())
}
