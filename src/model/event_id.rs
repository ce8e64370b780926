//! Stable event identities, stored compactly for exactly-once ingestion.

use std::fmt;

/// A 16-byte event identity: the UUID of an audit `auditID` or CloudTrail `eventID`.
///
/// Ids that are not UUIDs (hand-made or re-keyed logs) are hashed to 16 bytes, so every event still
/// has one stable key of the same size.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub [u8; 16]);

impl EventId {
    /// The identity of an id string, as it appears in an event.
    pub fn from_str_id(id: &str) -> EventId {
        parse_uuid(id).unwrap_or_else(|| EventId(xxhash_rust::xxh3::xxh3_128(id.as_bytes()).to_be_bytes()))
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// `8-4-4-4-12` hex, either case.
fn parse_uuid(s: &str) -> Option<EventId> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut out = [0u8; 16];
    let mut nibbles = b.iter().filter(|&&c| c != b'-');
    for byte in &mut out {
        let hi = hex(*nibbles.next()?)?;
        let lo = hex(*nibbles.next()?)?;
        *byte = hi << 4 | lo;
    }
    Some(EventId(out))
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stored_as_their_bytes_in_either_case() {
        let lower = EventId::from_str_id("fb5dba68-6262-4718-b45e-d293b03e434d");
        assert_eq!(format!("{lower:?}"), "fb5dba6862624718b45ed293b03e434d");
        assert_eq!(lower, EventId::from_str_id("FB5DBA68-6262-4718-B45E-D293B03E434D"));
    }

    #[test]
    fn non_uuid_ids_hash_stably_and_distinctly() {
        let a = EventId::from_str_id("not-a-uuid");
        assert_eq!(a, EventId::from_str_id("not-a-uuid"));
        assert_ne!(a, EventId::from_str_id("not-a-uuid2"));
        assert_ne!(
            a,
            EventId::from_str_id("fb5dba68-6262-4718-b45e-d293b03e434g"),
            "a bad hex digit is hashed, not half-parsed"
        );
    }
}
