//! Decoding one document, YAML or JSON alike (any serde deserializer), into the fields grantscope
//! reads and nothing else (a [`Tree`] of them). What kubectl adds to every object it prints (`managedFields`, the
//! last-applied-configuration annotation, `status`) is skipped as it is read, never built; the
//! items of a `List` go to the builder one at a time, so a 100,000-item List never exists in memory
//! as a whole.

use super::builder::Builder;
use super::field::{FieldError, join};
use super::objects::{is_list, load_object};
use super::tree::{Key, Only, Tree};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The top-level fields of an object that any loader reads (eksctl's included).
const OBJECT_FIELDS: [&str; 10] = [
    "apiVersion",
    "kind",
    "rules",
    "aggregationRule",
    "roleRef",
    "subjects",
    "data",
    "accessConfig",
    "iamIdentityMappings",
    "status",
];
/// The `metadata` fields read: identity, the labels aggregation and bootstrapping need, and
/// eksctl's region.
const METADATA_FIELDS: [&str; 4] = ["name", "namespace", "labels", "region"];

/// Where a document's objects go, and the first invalid value met in a List item (serde's own
/// errors cannot carry it).
pub(super) struct ObjectSink<'b> {
    pub builder: &'b mut Builder,
    pub error: Option<FieldError>,
}

/// A document: loads its object (and its List items) into the sink.
pub(super) struct DocumentSeed<'s, 'b> {
    pub sink: &'s mut ObjectSink<'b>,
    pub prefix: String,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or an eksctl ClusterConfig")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut object = Vec::new();
        // How many items a List had; `None` when `items` was not a list.
        let mut items = Some(0);
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "metadata" => {
                    let metadata = map.next_value_seed(Only(&METADATA_FIELDS))?;
                    object.push((key, metadata));
                }
                "items" => {
                    let prefix = join(&self.prefix, "items");
                    items = map.next_value_seed(Items { sink: &mut *self.sink, prefix })?;
                }
                k if OBJECT_FIELDS.contains(&k) => {
                    let value = map.next_value::<Tree>()?;
                    object.push((key, value));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let object = Tree::Map(object);
        if is_list(&object) {
            return match items {
                None => {
                    let path = join(&self.prefix, "items");
                    Err(self.fail(FieldError::new(path, "expected a list")))
                }
                // Its items are in already; an empty List still says something (see `load_object`).
                Some(n) => {
                    if n == 0 {
                        self.sink.builder.read += 1;
                    }
                    Ok(())
                }
            };
        }
        load_object(self.sink.builder, object, &self.prefix).map_err(|e| self.fail(e))
    }

    // A document that is not a mapping is nothing grantscope reads: the file-level check says so.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

impl DocumentSeed<'_, '_> {
    /// Keeps the invalid value for the caller; serde only carries a message.
    fn fail<E: de::Error>(self, e: FieldError) -> E {
        let message = format!("{}: {}", e.path, e.message);
        self.sink.error.get_or_insert(e);
        E::custom(message)
    }
}

/// A List's `items`, each loaded as it is read. Its value is how many, `None` when `items` is not a list.
struct Items<'s, 'b> {
    sink: &'s mut ObjectSink<'b>,
    prefix: String,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<usize>, A::Error> {
        let mut i = 0;
        loop {
            let prefix = format!("{}[{i}]", self.prefix);
            if seq.next_element_seed(DocumentSeed { sink: &mut *self.sink, prefix })?.is_none() {
                return Ok(Some(i));
            }
            i += 1;
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<usize>, E> {
        Ok(Some(0))
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<usize>, E> {
        Ok(Some(0))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<usize>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<usize>, E> {
        Ok(None)
    }
}
