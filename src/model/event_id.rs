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
    // Byte i of the id is the hex pair at HI[i], HI[i] + 1 (the dashes sit between the groups).
    const HI: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut out = [0u8; 16];
    for (byte, &at) in out.iter_mut().zip(&HI) {
        *byte = hex(b[at])? << 4 | hex(b[at + 1])?;
    }
    Some(EventId(out))
}

fn hex(c: u8) -> Option<u8> {
    // A table, because this runs for every event ingested.
    const INVALID: u8 = 0xff;
    const TABLE: [u8; 256] = {
        let mut t = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let v = TABLE[c as usize];
    (v != INVALID).then_some(v)
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
