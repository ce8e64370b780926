//! The attributes of a request that authorization decides on, borrowed from a request shape.

use crate::model::RequestShape;

/// A resource request (`resource` set) or a non-resource request (`path` set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub verb: &'a str,
    pub api_group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    /// Empty for cluster-scoped resources and non-resource requests.
    pub namespace: &'a str,
    pub name: &'a str,
    pub path: &'a str,
}

impl<'a> Request<'a> {
    pub fn resource(
        verb: &'a str,
        api_group: &'a str,
        resource: &'a str,
        subresource: &'a str,
        namespace: &'a str,
        name: &'a str,
    ) -> Request<'a> {
        Request { verb, api_group, resource, subresource, namespace, name, path: "" }
    }

    pub fn non_resource(verb: &'a str, path: &'a str) -> Request<'a> {
        Request { verb, api_group: "", resource: "", subresource: "", namespace: "", name: "", path }
    }

    /// The request a shape records. A shape's unkept requests name their object by its lowest
    /// bound (see [`super::unkept`]): what any rule allows them, it allows whatever their name.
    pub fn of_shape(s: &'a RequestShape<'_>) -> Request<'a> {
        let name = if s.unkept.name && s.names_an_object() { super::unkept::LOWEST } else { s.authorized_name() };
        Request {
            verb: &s.verb,
            api_group: &s.api_group,
            resource: &s.resource,
            subresource: &s.subresource,
            namespace: &s.namespace,
            name,
            path: &s.path,
        }
    }

    /// A non-resource request has a path and no resource.
    pub fn is_resource(&self) -> bool {
        self.path.is_empty()
    }

    /// Namespaced resource requests; cluster-scoped and non-resource requests are not.
    pub fn is_namespaced(&self) -> bool {
        self.is_resource() && !self.namespace.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_is_authorized_without_the_name_the_audit_log_shows() {
        let shape = |verb: &'static str, sub: &'static str| RequestShape {
            cluster: "c".into(),
            principal: "u".into(),
            iam: false,
            username: "u".into(),
            groups: vec![],
            session_name: "".into(),
            verb: verb.into(),
            api_group: "".into(),
            resource: "pods".into(),
            subresource: sub.into(),
            namespace: "dev".into(),
            name: "web-1".into(),
            path: "".into(),
            access_key_id: "".into(),
            unkept: crate::model::Unkept::NONE,
        };
        let cases = [
            ("create of a collection has no name (Kubernetes' RequestInfo)", "create", "", ""),
            ("create of a subresource keeps its parent's name", "create", "eviction", "web-1"),
            ("other verbs keep the name", "delete", "", "web-1"),
        ];
        for (name, verb, sub, want) in cases {
            let s = shape(verb, sub);
            assert_eq!(Request::of_shape(&s).name, want, "{name}");
        }
    }
}
