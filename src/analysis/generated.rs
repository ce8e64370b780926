//! Generated RBAC for an over-broad association no smaller documented policy can replace
//! (audit2rbac's idea, applied to EKS): Roles that allow exactly the requests it was used for,
//! bound to a new group that the access entry gets in `kubernetesGroups`.
//!
//! Namespaced requests get a Role in each namespace they were made in; cluster-scoped and
//! non-resource requests one ClusterRole. A rule names objects (`resourceNames`) when every request
//! for that verb named one of a few; never for `create`, `list`, `watch` or `deletecollection`,
//! which RBAC cannot restrict by name, nor for objects whose names controllers generate (pods,
//! replica sets, jobs, events): tomorrow's have other names than the window's.

use crate::authz::Request;
use crate::model::{PolicyRule, Role, RoleBinding, RoleKind, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many names make a `resourceNames` list; more is a pattern, not a few objects.
const MAX_RESOURCE_NAMES: usize = 3;

/// Roles and their bindings to `group`, which the access entry is to carry.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedRbac {
    pub group: String,
    pub roles: Vec<Role>,
    pub bindings: Vec<RoleBinding>,
}

/// A Kubernetes object name (DNS subdomain: lowercase letters, digits, `-`, `.`) for a principal
/// ARN: its last path segment, made safe, and a hash of the whole ARN (two paths can end alike)
/// and of `qualifier` (the policy whose use the objects carry: one entry may have two).
pub fn object_name(principal_arn: &str, qualifier: &str) -> String {
    let last = principal_arn.rsplit(['/', ':']).next().unwrap_or(principal_arn);
    let mut name: String =
        last.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    name = name.trim_matches('-').to_string();
    name.truncate(40);
    let name = name.trim_end_matches('-');
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{principal_arn}\n{qualifier}").as_bytes()) & 0xff_ffff;
    format!("grantscope-{}-{hash:06x}", if name.is_empty() { "principal" } else { name })
}

/// `name` with only letters, digits, `-`, `_` and `.`: safe as a file name.
pub fn file_safe(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if safe.is_empty() || safe.starts_with('.') { format!("_{safe}") } else { safe }
}

/// The Kubernetes YAML file `grantscope remediate --format kubectl --out DIR` writes for a cluster.
pub fn manifest_file_name(cluster: &str) -> String {
    format!("{}.k8s.yaml", file_safe(cluster))
}

/// `resource` or `resource/subresource`, as RBAC rules name it.
fn rbac_resource(r: &Request) -> String {
    if r.subresource.is_empty() { r.resource.to_string() } else { format!("{}/{}", r.resource, r.subresource) }
}

/// Whether a rule for this verb and resource may name its objects.
fn names_allowed(verb: &str, resource: &str) -> bool {
    !matches!(verb, "create" | "list" | "watch" | "deletecollection")
        && !matches!(resource, "pods" | "replicasets" | "jobs" | "events")
}

type VerbsByResource<'a> = BTreeMap<String, BTreeSet<&'a str>>;

/// The rules allowing exactly `requests` (all in one namespace, or all cluster-scoped).
pub fn rules_for(requests: &[&Request]) -> Vec<PolicyRule> {
    // (apiGroup, resource, verb) → the names requested, or None once one request named none.
    let mut uses: BTreeMap<(&str, String, &str), Option<BTreeSet<&str>>> = BTreeMap::new();
    let mut paths: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in requests {
        if !r.is_resource() {
            paths.entry(r.path).or_default().insert(r.verb);
            continue;
        }
        let names = uses.entry((r.api_group, rbac_resource(r), r.verb)).or_insert_with(|| Some(BTreeSet::new()));
        // A name at a bound stands for requests whose names were not kept: more than a few.
        let unnamed = r.name.is_empty() || crate::authz::unkept::is_bounded(r.name);
        match (names.as_mut(), unnamed || !names_allowed(r.verb, r.resource)) {
            (Some(set), false) => {
                set.insert(r.name);
            }
            _ => *names = None,
        }
    }
    // (apiGroup, resourceNames) → resource → verbs, then resources with the same verbs share a rule.
    let mut by_target: BTreeMap<(&str, Vec<&str>), VerbsByResource> = BTreeMap::new();
    for ((group, resource, verb), names) in uses {
        let names: Vec<&str> = match names {
            Some(set) if set.len() <= MAX_RESOURCE_NAMES => set.into_iter().collect(),
            _ => Vec::new(),
        };
        by_target.entry((group, names)).or_default().entry(resource).or_default().insert(verb);
    }
    let mut rules = Vec::new();
    for ((group, names), resources) in by_target {
        let mut by_verbs: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
        for (resource, verbs) in resources {
            by_verbs.entry(verbs.into_iter().collect()).or_default().push(resource);
        }
        for (verbs, resources) in by_verbs {
            rules.push(PolicyRule {
                verbs: verbs.iter().map(|v| v.to_string()).collect(),
                api_groups: vec![group.to_string()],
                resources,
                resource_names: names.iter().map(|n| n.to_string()).collect(),
                non_resource_urls: Vec::new(),
            });
        }
    }
    let mut by_verbs: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
    for (path, verbs) in paths {
        by_verbs.entry(verbs.into_iter().collect()).or_default().push(path.to_string());
    }
    for (verbs, urls) in by_verbs {
        rules.push(PolicyRule {
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            api_groups: Vec::new(),
            resources: Vec::new(),
            resource_names: Vec::new(),
            non_resource_urls: urls,
        });
    }
    rules
}

/// Roles named `name` allowing exactly `requests`, bound to `group`.
pub fn rbac_for(name: &str, group: &str, requests: &[Request]) -> GeneratedRbac {
    let mut by_namespace: BTreeMap<Option<&str>, Vec<&Request>> = BTreeMap::new();
    for r in requests {
        by_namespace.entry(r.is_namespaced().then_some(r.namespace)).or_default().push(r);
    }
    let mut rbac = GeneratedRbac { group: group.to_string(), roles: Vec::new(), bindings: Vec::new() };
    for (namespace, requests) in by_namespace {
        let namespace = namespace.map(str::to_string);
        rbac.roles.push(Role { namespace: namespace.clone(), name: name.to_string(), rules: rules_for(&requests) });
        rbac.bindings.push(RoleBinding {
            role_kind: if namespace.is_some() { RoleKind::Role } else { RoleKind::ClusterRole },
            namespace,
            name: name.to_string(),
            role_name: name.to_string(),
            subjects: vec![Subject::Group { name: group.to_string() }],
            system: false,
        });
    }
    rbac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(verb: &'a str, group: &'a str, resource: &'a str, ns: &'a str, name: &'a str) -> Request<'a> {
        Request { verb, api_group: group, resource, subresource: "", namespace: ns, name, path: "" }
    }

    fn rule(verbs: &[&str], group: &str, resources: &[&str], names: &[&str]) -> PolicyRule {
        let own = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: own(verbs),
            api_groups: vec![group.to_string()],
            resources: own(resources),
            resource_names: own(names),
            non_resource_urls: Vec::new(),
        }
    }

    #[test]
    fn rules_cover_exactly_the_requests() {
        let cases: Vec<(&str, Vec<Request>, Vec<PolicyRule>)> = vec![
            (
                "verbs of one resource share a rule; a few named objects become resourceNames",
                vec![req("get", "", "configmaps", "a", "cfg"), req("update", "", "configmaps", "a", "cfg")],
                vec![rule(&["get", "update"], "", &["configmaps"], &["cfg"])],
            ),
            (
                "a request without a name drops the names for its verb",
                vec![req("get", "", "services", "a", "s1"), req("get", "", "services", "a", "")],
                vec![rule(&["get"], "", &["services"], &[])],
            ),
            (
                "pods are never named: controllers generate their names",
                vec![req("get", "", "pods", "a", "api-7d9f8b6c5-x2lqp")],
                vec![rule(&["get"], "", &["pods"], &[])],
            ),
            (
                "list is never restricted by name",
                vec![req("list", "", "secrets", "a", "s1")],
                vec![rule(&["list"], "", &["secrets"], &[])],
            ),
            (
                "more than three names is a pattern, not a few objects",
                vec![
                    req("get", "", "secrets", "a", "s1"),
                    req("get", "", "secrets", "a", "s2"),
                    req("get", "", "secrets", "a", "s3"),
                    req("get", "", "secrets", "a", "s4"),
                ],
                vec![rule(&["get"], "", &["secrets"], &[])],
            ),
            (
                "resources with the same verbs in one group share a rule",
                vec![req("list", "apps", "deployments", "a", ""), req("list", "apps", "replicasets", "a", "")],
                vec![rule(&["list"], "apps", &["deployments", "replicasets"], &[])],
            ),
            (
                "a subresource is named resource/subresource",
                vec![Request { subresource: "log", ..req("get", "", "pods", "a", "") }],
                vec![rule(&["get"], "", &["pods/log"], &[])],
            ),
        ];
        for (name, requests, want) in cases {
            let refs: Vec<&Request> = requests.iter().collect();
            assert_eq!(rules_for(&refs), want, "{name}");
        }
    }

    #[test]
    fn namespaced_requests_get_a_role_per_namespace_and_the_rest_a_cluster_role() {
        let requests = [
            req("get", "", "pods", "a", ""),
            req("create", "rbac.authorization.k8s.io", "rolebindings", "b", "rb"),
            req("list", "", "nodes", "", ""),
            Request { path: "/healthz", ..req("get", "", "", "", "") },
        ];
        let rbac = rbac_for("grantscope-ci", "grantscope-ci", &requests);
        let roles: Vec<(Option<&str>, usize)> =
            rbac.roles.iter().map(|r| (r.namespace.as_deref(), r.rules.len())).collect();
        assert_eq!(roles, [(None, 2), (Some("a"), 1), (Some("b"), 1)]);
        assert_eq!(rbac.roles[2].rules[0].resource_names, Vec::<String>::new(), "create is not restricted by name");
        let kinds: Vec<RoleKind> = rbac.bindings.iter().map(|b| b.role_kind).collect();
        assert_eq!(kinds, [RoleKind::ClusterRole, RoleKind::Role, RoleKind::Role]);
        assert!(rbac.bindings.iter().all(|b| b.subjects == [Subject::Group { name: "grantscope-ci".into() }]));
    }

    #[test]
    fn object_names_are_dns_subdomains() {
        let cases = [
            ("arn:aws:iam::1:role/team/CI_Deployer", "grantscope-ci-deployer-"),
            ("arn:aws:iam::1:user/alice@example.com", "grantscope-alice-example-com-"),
            ("arn:aws:iam::1:role/---", "grantscope-principal-"),
        ];
        for (arn, want) in cases {
            let name = object_name(arn, "");
            assert!(name.starts_with(want) && name.len() == want.len() + 6, "{arn}: {name}");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        }
        assert_ne!(object_name("arn:aws:iam::1:role/a/dev", ""), object_name("arn:aws:iam::1:role/b/dev", ""));
        assert_ne!(object_name("arn:aws:iam::1:role/dev", "p1"), object_name("arn:aws:iam::1:role/dev", "p2"));
    }
}
