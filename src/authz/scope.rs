//! EKS access scopes: where an access policy association applies.
//!
//! From the EKS User Guide (access policies, "access scope"): `cluster` scope applies to the whole
//! cluster; `namespace` scope applies to the listed namespaces, where a name ending in `*` matches
//! every namespace starting with what precedes it (`dev-*` matches `dev-a`, not `dev`). How a
//! namespace scope treats cluster-scoped resources and non-resource URLs is not documented;
//! grantscope follows the one reading that never over-grants: it applies to namespaced requests only.

use super::Request;
use crate::model::AccessScope;

/// Whether one scope namespace pattern matches a namespace.
pub fn namespace_matches(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.len() > prefix.len() && namespace.starts_with(prefix),
        None => pattern == namespace,
    }
}

/// Whether an association with this scope applies to the request.
pub fn scope_matches(scope: &AccessScope, req: &Request) -> bool {
    match scope {
        AccessScope::Cluster => true,
        AccessScope::Namespace { namespaces } => {
            req.is_namespaced() && namespaces.iter().any(|p| namespace_matches(p, req.namespace))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_matches_names_and_trailing_star_prefixes() {
        let cases = [
            ("exact name", "dev", "dev", true),
            ("other name", "dev", "prod", false),
            ("prefix wildcard matches a longer name (EKS docs: dev-* matches dev-a)", "dev-*", "dev-a", true),
            ("prefix wildcard does not match the bare prefix", "dev-*", "dev-", false),
            ("prefix wildcard does not match a shorter name", "dev-*", "dev", false),
            ("prefix is case-sensitive", "dev-*", "Dev-a", false),
            ("a star elsewhere is literal", "d*v", "dev", false),
        ];
        for (name, pattern, ns, want) in cases {
            assert_eq!(namespace_matches(pattern, ns), want, "{name}");
        }
    }

    #[test]
    fn scope_matches_cluster_everywhere_and_namespaces_only_inside() {
        let ns = |list: &[&str]| AccessScope::Namespace { namespaces: list.iter().map(|s| s.to_string()).collect() };
        let in_dev = Request::resource("get", "", "pods", "", "dev-a", "p");
        let nodes = Request::resource("list", "", "nodes", "", "", "");
        let version = Request::non_resource("get", "/version");
        let cases = [
            ("cluster scope: namespaced request", AccessScope::Cluster, in_dev, true),
            ("cluster scope: cluster-scoped resource", AccessScope::Cluster, nodes, true),
            ("cluster scope: non-resource URL", AccessScope::Cluster, version, true),
            ("namespace scope: listed by wildcard", ns(&["prod", "dev-*"]), in_dev, true),
            ("namespace scope: not listed", ns(&["prod"]), in_dev, false),
            ("namespace scope never covers cluster-scoped resources", ns(&["dev-a"]), nodes, false),
            ("namespace scope never covers non-resource URLs", ns(&["dev-a"]), version, false),
            ("an empty namespace list covers nothing", ns(&[]), in_dev, false),
        ];
        for (name, scope, req, want) in cases {
            assert_eq!(scope_matches(&scope, &req), want, "{name}");
        }
    }
}
