//! The RBAC objects of a document taken out of its [`Tree`] by moving its strings, when every
//! field k8s-openapi reads has the type it expects (all but broken files): the very objects its
//! `Deserialize` gives, without the cost of serde's and path tracking's machinery (path tracking
//! alone was a third of loading 3,000 objects). Anything else (a wrong type, a null where a string
//! must be, an aggregation rule) is handed back, for serde to decode it and name the bad field.
//!
//! k8s-openapi reads every field of these objects as optional: absent or null gives the default.
//! It checks `apiVersion` and `kind` when they are given.

use super::field::{FieldError, typed};
use super::tree::Tree;
use k8s_openapi::Resource;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;
use std::borrow::Cow;

/// `T` from the document's tree, as [`typed`] gives it from its value.
pub(super) fn decode<T: Lean + serde::de::DeserializeOwned>(prefix: &str, doc: Tree) -> Result<T, FieldError> {
    T::lean(doc).or_else(|doc| typed(prefix, doc.into_value()))
}

/// An object k8s-openapi decodes, taken out of a document's tree when it fits.
pub(super) trait Lean: Resource + Sized {
    /// The object, or the tree back when it is not one that surely decodes.
    fn lean(doc: Tree) -> Result<Self, Tree>;
}

impl Lean for rbac::Role {
    fn lean(doc: Tree) -> Result<Self, Tree> {
        let (metadata, rules) = role::<Self>(doc, &["rules"])?;
        Ok(rbac::Role { metadata, rules })
    }
}

impl Lean for rbac::ClusterRole {
    fn lean(doc: Tree) -> Result<Self, Tree> {
        let (metadata, rules) = role::<Self>(doc, &["rules", "aggregationRule"])?;
        Ok(rbac::ClusterRole { aggregation_rule: None, metadata, rules })
    }
}

impl Lean for rbac::RoleBinding {
    fn lean(doc: Tree) -> Result<Self, Tree> {
        let (metadata, role_ref, subjects) = binding::<Self>(doc)?;
        Ok(rbac::RoleBinding { metadata, role_ref, subjects })
    }
}

impl Lean for rbac::ClusterRoleBinding {
    fn lean(doc: Tree) -> Result<Self, Tree> {
        let (metadata, role_ref, subjects) = binding::<Self>(doc)?;
        Ok(rbac::ClusterRoleBinding { metadata, role_ref, subjects })
    }
}

/// A Role's or ClusterRole's metadata and rules.
fn role<'de, T: Resource>(
    doc: Tree<'de>,
    fields: &[&str],
) -> Result<(ObjectMeta, Option<Vec<rbac::PolicyRule>>), Tree<'de>> {
    let (mut meta, mut rules) = (ObjectMeta::default(), None);
    for (key, v) in fitting::<T>(doc, fields)? {
        match &*key {
            "metadata" => meta = metadata(v),
            "rules" => rules = objects(v, rule),
            _ => {}
        }
    }
    Ok((meta, rules))
}

/// A RoleBinding's or ClusterRoleBinding's metadata, role and subjects.
fn binding<T: Resource>(doc: Tree) -> Result<(ObjectMeta, rbac::RoleRef, Option<Vec<rbac::Subject>>), Tree> {
    let (mut meta, mut reference, mut subjects) = (ObjectMeta::default(), rbac::RoleRef::default(), None);
    for (key, v) in fitting::<T>(doc, &["roleRef", "subjects"])? {
        match &*key {
            "metadata" => meta = metadata(v),
            "roleRef" => reference = role_ref(v),
            "subjects" => subjects = objects(v, subject),
            _ => {}
        }
    }
    Ok((meta, reference, subjects))
}

type Entries<'de> = Vec<(Cow<'de, str>, Tree<'de>)>;

/// The document's fields when those `T` reads (the header, metadata and `fields`) all fit. A key
/// given twice is checked each time (the last one counts, in the tree as in serde).
fn fitting<'de, T: Resource>(doc: Tree<'de>, fields: &[&str]) -> Result<Entries<'de>, Tree<'de>> {
    let Tree::Map(o) = doc else { return Err(doc) };
    let fits = o.iter().all(|(key, v)| match &**key {
        "apiVersion" => v.as_str() == Some(T::API_VERSION),
        "kind" => v.as_str() == Some(T::KIND),
        "metadata" => fits_object(v, |k, v| match k {
            "name" | "namespace" => fits_string(v),
            "labels" => absent(v) || matches!(v, Tree::Map(m) if m.iter().all(|(_, v)| is_string(v))),
            _ => true,
        }),
        k if !fields.contains(&k) => true,
        "rules" => fits_objects(v, |k, v| !RULE_FIELDS.contains(&k) || fits_strings(v)),
        // A field read as a string is checked as one: `roleRef` and `subjects` hold nothing else
        // that k8s-openapi reads.
        "roleRef" => fits_object(v, |_, v| fits_string(v)),
        "subjects" => fits_objects(v, |_, v| fits_string(v)),
        // Aggregation rules are few; serde decodes them.
        _ => absent(v),
    });
    if fits { Ok(o) } else { Err(Tree::Map(o)) }
}

const RULE_FIELDS: [&str; 5] = ["apiGroups", "nonResourceURLs", "resourceNames", "resources", "verbs"];

fn absent(v: &Tree) -> bool {
    matches!(v, Tree::Leaf(Value::Null))
}

fn is_string(v: &Tree) -> bool {
    matches!(v, Tree::Leaf(Value::String(_)))
}

fn fits_string(v: &Tree) -> bool {
    absent(v) || is_string(v)
}

fn fits_strings(v: &Tree) -> bool {
    absent(v) || matches!(v, Tree::Seq(a) if a.iter().all(is_string))
}

fn fits_object(v: &Tree, fits: impl Fn(&str, &Tree) -> bool) -> bool {
    absent(v) || matches!(v, Tree::Map(o) if o.iter().all(|(k, v)| fits(k, v)))
}

fn fits_objects(v: &Tree, fits: impl Fn(&str, &Tree) -> bool) -> bool {
    absent(v) || matches!(v, Tree::Seq(a) if a.iter().all(|i| fits_object(i, &fits) && !absent(i)))
}

// What follows takes out what `fitting` checked: a field that is not there is the default.

fn string(v: Tree) -> Option<String> {
    if let Tree::Leaf(Value::String(s)) = v { Some(s) } else { None }
}

// Lists are built at their length, as serde builds them: collecting in place would keep the
// tree's larger allocation for the life of the state.

fn strings(v: Tree) -> Option<Vec<String>> {
    let Tree::Seq(a) = v else { return None };
    let mut strings = Vec::with_capacity(a.len());
    strings.extend(a.into_iter().filter_map(string));
    Some(strings)
}

fn objects<T>(v: Tree, each: fn(Entries) -> T) -> Option<Vec<T>> {
    let Tree::Seq(a) = v else { return None };
    let mut objects = Vec::with_capacity(a.len());
    objects.extend(a.into_iter().filter_map(|v| if let Tree::Map(o) = v { Some(each(o)) } else { None }));
    Some(objects)
}

fn metadata(v: Tree) -> ObjectMeta {
    let mut meta = ObjectMeta::default();
    let Tree::Map(m) = v else { return meta };
    for (key, v) in m {
        match &*key {
            "name" => meta.name = string(v),
            "namespace" => meta.namespace = string(v),
            "labels" => {
                meta.labels = match v {
                    Tree::Map(labels) => {
                        Some(labels.into_iter().filter_map(|(k, v)| string(v).map(|v| (k.into_owned(), v))).collect())
                    }
                    _ => None,
                }
            }
            _ => {}
        }
    }
    meta
}

fn rule(r: Entries) -> rbac::PolicyRule {
    let mut rule = rbac::PolicyRule::default();
    for (key, v) in r {
        match &*key {
            "apiGroups" => rule.api_groups = strings(v),
            "nonResourceURLs" => rule.non_resource_urls = strings(v),
            "resourceNames" => rule.resource_names = strings(v),
            "resources" => rule.resources = strings(v),
            "verbs" => rule.verbs = strings(v).unwrap_or_default(),
            _ => {}
        }
    }
    rule
}

fn role_ref(v: Tree) -> rbac::RoleRef {
    let mut role_ref = rbac::RoleRef::default();
    let Tree::Map(r) = v else { return role_ref };
    for (key, v) in r {
        match &*key {
            "apiGroup" => role_ref.api_group = string(v).unwrap_or_default(),
            "kind" => role_ref.kind = string(v).unwrap_or_default(),
            "name" => role_ref.name = string(v).unwrap_or_default(),
            _ => {}
        }
    }
    role_ref
}

fn subject(s: Entries) -> rbac::Subject {
    let mut subject = rbac::Subject::default();
    for (key, v) in s {
        match &*key {
            "apiGroup" => subject.api_group = string(v),
            "kind" => subject.kind = string(v).unwrap_or_default(),
            "name" => subject.name = string(v).unwrap_or_default(),
            "namespace" => subject.namespace = string(v),
            _ => {}
        }
    }
    subject
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    /// `lean` gives what serde gives, or leaves the value to serde.
    fn same<T: Lean + DeserializeOwned + PartialEq + std::fmt::Debug>(doc: Value) -> bool {
        let by_serde = T::deserialize(&doc).ok();
        match T::lean(Tree::from(doc.clone())) {
            Ok(t) => {
                assert_eq!(Some(t), by_serde, "{doc}");
                true
            }
            Err(back) => {
                assert_eq!(back.into_value(), doc, "handed back whole");
                false
            }
        }
    }

    #[test]
    fn lean_objects_are_what_serde_gives_and_the_rest_is_left_to_it() {
        struct Case {
            name: &'static str,
            doc: Value,
            lean: bool,
        }
        let role = |extra: Value| {
            let mut doc = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "r", "namespace": "n", "labels": {"a": "b"}},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": ["x"]},
                          {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
            doc.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            doc
        };
        let cases = [
            Case { name: "a whole Role", doc: role(json!({})), lean: true },
            Case {
                name: "null and absent fields are the defaults",
                doc: role(json!({"rules": null, "metadata": {"name": "r", "labels": null}})),
                lean: true,
            },
            Case {
                name: "a rule's null list is the default",
                doc: role(json!({"rules": [{"verbs": null, "resources": null}]})),
                lean: true,
            },
            Case {
                name: "no apiVersion is not checked",
                doc: json!({"kind": "Role", "metadata": {"name": "r"}}),
                lean: true,
            },
            Case {
                name: "fields k8s-openapi does not read are ignored",
                doc: role(json!({"roleRef": 5, "status": {}})),
                lean: true,
            },
            Case {
                name: "another apiVersion is left to serde (which refuses it)",
                doc: role(json!({"apiVersion": "rbac.authorization.k8s.io/v1beta1"})),
                lean: false,
            },
            Case {
                name: "a number where a string must be is left to serde",
                doc: role(json!({"metadata": {"name": 5}})),
                lean: false,
            },
            Case {
                name: "a label that is not a string is left to serde",
                doc: role(json!({"metadata": {"name": "r", "labels": {"a": 1}}})),
                lean: false,
            },
            Case {
                name: "a rule that is not a mapping is left to serde",
                doc: role(json!({"rules": ["get"]})),
                lean: false,
            },
            Case {
                name: "a null verb is left to serde",
                doc: role(json!({"rules": [{"verbs": [null]}]})),
                lean: false,
            },
            Case {
                name: "metadata that is not a mapping is left to serde",
                doc: role(json!({"metadata": "r"})),
                lean: false,
            },
            Case { name: "a document that is not a mapping is left to serde", doc: json!(["Role"]), lean: false },
        ];
        for c in cases {
            assert_eq!(same::<rbac::Role>(c.doc), c.lean, "{}", c.name);
        }
        let binding = |extra: Value| {
            let mut doc = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "b", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "ServiceAccount", "name": "s", "namespace": "n"},
                             {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "g"}]});
            doc.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            doc
        };
        let cases = [
            Case { name: "a whole ClusterRoleBinding", doc: binding(json!({})), lean: true },
            Case {
                name: "no roleRef and no subjects are the defaults",
                doc: binding(json!({"roleRef": null, "subjects": null})),
                lean: true,
            },
            Case {
                name: "a roleRef without a name is the default name",
                doc: binding(json!({"roleRef": {"kind": "ClusterRole"}})),
                lean: true,
            },
            Case {
                name: "a subject with a number is left to serde",
                doc: binding(json!({"subjects": [{"kind": "User", "name": 1}]})),
                lean: false,
            },
            Case {
                name: "a roleRef that is a string is left to serde",
                doc: binding(json!({"roleRef": "view"})),
                lean: false,
            },
            Case {
                name: "a kind that is another is left to serde",
                doc: binding(json!({"kind": "RoleBinding"})),
                lean: false,
            },
        ];
        for c in cases {
            assert_eq!(same::<rbac::ClusterRoleBinding>(c.doc), c.lean, "{}", c.name);
        }
        let mut rb = binding(json!({"kind": "RoleBinding"}));
        rb["metadata"]["namespace"] = "n".into();
        assert!(same::<rbac::RoleBinding>(rb), "a whole RoleBinding");
        let cr = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "c"}, "rules": []});
        assert!(same::<rbac::ClusterRole>(cr.clone()), "a whole ClusterRole");
        let mut aggregated = cr;
        aggregated["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]});
        assert!(!same::<rbac::ClusterRole>(aggregated), "an aggregation rule is left to serde");
    }
}
