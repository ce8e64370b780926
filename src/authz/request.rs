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

    pub fn of_shape(s: &'a RequestShape<'_>) -> Request<'a> {
        Request {
            verb: &s.verb,
            api_group: &s.api_group,
            resource: &s.resource,
            subresource: &s.subresource,
            namespace: &s.namespace,
            name: &s.name,
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
