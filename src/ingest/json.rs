//! Borrowed JSON strings for typed, zero-copy deserialization on the ingest hot path.

use serde::de::{Deserialize, Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON string borrowed from the input when it has no escapes, owned otherwise.
///
/// serde borrows `Cow<str>` only as a direct field; this wrapper also borrows inside `Option` and
/// `Vec`, where most audit fields sit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonStr<'a>(pub Cow<'a, str>);

impl<'a> JsonStr<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The first string of a one-element list, as Kubernetes writes `user.extra` values.
pub fn first<'l, 'a>(list: &'l Option<Vec<JsonStr<'a>>>) -> Option<&'l JsonStr<'a>> {
    list.as_ref().and_then(|l| l.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_owns_escaped_ones() {
        let plain: Option<JsonStr> = serde_json::from_str(r#""abc""#).unwrap();
        assert!(matches!(plain.unwrap().0, Cow::Borrowed("abc")));
        let escaped: Vec<JsonStr> = serde_json::from_str(r#"["a\"b"]"#).unwrap();
        assert!(matches!(&escaped[0].0, Cow::Owned(s) if s == "a\"b"));
    }
}
