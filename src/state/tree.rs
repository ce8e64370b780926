//! A document's kept fields as read: serde_json's `Value`, but with mappings as lists of (key,
//! node) whose keys are borrowed from the text where the parser can. Reading one costs no
//! allocation per key and no sorted map (3,000 objects load a tenth faster); the RBAC objects are
//! then taken out of it by moving their strings (`lean`), and anything else becomes the `Value`
//! the same input gives, for serde to decode.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// A node: a `Leaf` is null, a boolean, a number or a string, as `Value` holds them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree<'de> {
    Leaf(Value),
    Seq(Vec<Tree<'de>>),
    /// In the order read; a key given twice means its last value, as in `Value`.
    Map(Vec<(Cow<'de, str>, Tree<'de>)>),
}

impl<'de> Tree<'de> {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Tree<'de>> {
        match self {
            Tree::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Takes the value of `key` out of a mapping.
    pub fn take(self, key: &str) -> Option<Tree<'de>> {
        match self {
            Tree::Map(entries) => entries.into_iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::Leaf(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The `Value` serde_json would have read from the same input.
    pub fn into_value(self) -> Value {
        match self {
            Tree::Leaf(v) => v,
            Tree::Seq(items) => Value::Array(items.into_iter().map(Tree::into_value).collect()),
            Tree::Map(entries) => {
                Value::Object(entries.into_iter().map(|(k, v)| (k.into_owned(), v.into_value())).collect::<Map<_, _>>())
            }
        }
    }
}

impl From<Value> for Tree<'_> {
    fn from(v: Value) -> Self {
        match v {
            Value::Array(items) => Tree::Seq(items.into_iter().map(Tree::from).collect()),
            Value::Object(o) => Tree::Map(o.into_iter().map(|(k, v)| (Cow::Owned(k), Tree::from(v))).collect()),
            leaf => Tree::Leaf(leaf),
        }
    }
}

impl<'de> Deserialize<'de> for Tree<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor(None))
    }
}

/// A seed reading a [`Tree`] whose mapping keeps the given keys only: the others are skipped as
/// they are read, never built. Anything but a mapping is read whole.
pub(crate) struct Only(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Only {
    type Value = Tree<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Tree<'de>, D::Error> {
        d.deserialize_any(TreeVisitor(Some(self.0)))
    }
}

/// Reads what serde_json's `Value` reads, each scalar as it makes it; a mapping's keys other than
/// the given ones are skipped.
struct TreeVisitor(Option<&'static [&'static str]>);

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    /// A float that is not finite is null, as in `Value`.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(v.into()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree<'de>, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Tree<'de>, E> {
        Ok(Tree::Leaf(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(Key(key)) = map.next_key()? {
            if self.0.is_some_and(|keep| !keep.contains(&&*key)) {
                map.next_value::<IgnoredAny>()?;
            } else {
                entries.push((key, map.next_value()?));
            }
        }
        Ok(Tree::Map(entries))
    }
}

/// A mapping's key, borrowed from the text where the parser can.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    // As `String` says it, so an error reads the same.
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}
