//! Request shapes: everything authorization depends on, and nothing it does not (DESIGN idea 1).
//!
//! Ingest folds events into shapes with per-day counts; replay evaluates each distinct shape once,
//! so its cost grows with distinct behaviour, not with log volume.

use std::borrow::Cow;

/// One distinct request, as authorization sees it. Borrowed from the event being ingested; only
/// shapes not seen before are copied into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestShape<'a> {
    pub cluster: Cow<'a, str>,
    /// The canonical IAM principal ARN, or the username for callers that are not IAM principals.
    pub principal: Cow<'a, str>,
    /// Whether `principal` is an IAM principal ARN (replay re-authenticates those).
    pub iam: bool,
    pub username: Cow<'a, str>,
    /// Groups as recorded, in the recorded order.
    pub groups: Vec<Cow<'a, str>>,
    /// STS session name: aws-auth username templates (`{{SessionName}}`) depend on it.
    pub session_name: Cow<'a, str>,
    pub verb: Cow<'a, str>,
    pub api_group: Cow<'a, str>,
    pub resource: Cow<'a, str>,
    pub subresource: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    /// Non-resource URL path (no query string); empty for resource requests.
    pub path: Cow<'a, str>,
    /// The STS access key id, for `{{AccessKeyID}}` templates. Not part of the shape's identity (it
    /// changes with every credential) and not stored: known only while an event is in hand.
    pub access_key_id: Cow<'a, str>,
}

impl RequestShape<'_> {
    /// A 128-bit key identifying the shape; equal shapes have equal keys.
    ///
    /// Fields are length-prefixed so no two different shapes serialize to the same bytes.
    pub fn key(&self) -> u128 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut field = |s: &str| {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        for s in [&self.cluster, &self.principal, &self.username, &self.session_name] {
            field(s);
        }
        field(if self.iam { "iam" } else { "k8s" });
        field(&self.groups.len().to_string());
        for g in &self.groups {
            field(g);
        }
        for s in
            [&self.verb, &self.api_group, &self.resource, &self.subresource, &self.namespace, &self.name, &self.path]
        {
            field(s);
        }
        h.digest128()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> RequestShape<'static> {
        RequestShape {
            cluster: "prod".into(),
            principal: "arn:aws:iam::111122223333:role/Admin".into(),
            iam: true,
            username: "admin".into(),
            groups: vec!["a".into(), "b".into()],
            session_name: "alice".into(),
            verb: "get".into(),
            api_group: "".into(),
            resource: "pods".into(),
            subresource: "".into(),
            namespace: "default".into(),
            name: "".into(),
            path: "".into(),
            access_key_id: "ASIAEXAMPLE".into(),
        }
    }

    #[test]
    fn key_changes_with_every_field_and_not_otherwise() {
        let base = shape();
        assert_eq!(base.key(), shape().key());
        let variants: Vec<(&str, RequestShape)> = vec![
            ("cluster", RequestShape { cluster: "dev".into(), ..shape() }),
            ("principal", RequestShape { principal: "x".into(), ..shape() }),
            ("iam flag", RequestShape { iam: false, ..shape() }),
            ("username", RequestShape { username: "x".into(), ..shape() }),
            ("groups", RequestShape { groups: vec!["a".into()], ..shape() }),
            ("session", RequestShape { session_name: "bob".into(), ..shape() }),
            ("verb", RequestShape { verb: "list".into(), ..shape() }),
            ("api group", RequestShape { api_group: "apps".into(), ..shape() }),
            ("resource", RequestShape { resource: "secrets".into(), ..shape() }),
            ("subresource", RequestShape { subresource: "log".into(), ..shape() }),
            ("namespace", RequestShape { namespace: "kube-system".into(), ..shape() }),
            ("name", RequestShape { name: "x".into(), ..shape() }),
            ("path", RequestShape { path: "/version".into(), ..shape() }),
            // Moving a character across a field boundary must not collide.
            ("boundary", RequestShape { groups: vec!["ab".into()], ..shape() }),
            ("split group", RequestShape { groups: vec!["a".into(), "".into(), "b".into()], ..shape() }),
        ];
        for (name, v) in variants {
            assert_ne!(v.key(), base.key(), "changing {name} must change the key");
        }
        let rotated = RequestShape { access_key_id: "ASIAOTHER".into(), ..shape() };
        assert_eq!(rotated.key(), base.key(), "a new credential is the same caller");
    }
}
