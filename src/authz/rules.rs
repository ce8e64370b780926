//! RBAC rule matching, one function per rule of the semantics, as Kubernetes'
//! `pkg/apis/rbac/v1/evaluation_helpers.go` (`VerbMatches`, `APIGroupMatches`, `ResourceMatches`,
//! `ResourceNameMatches`, `NonResourceURLMatches`) and `rbac.go` (`RuleAllows`).
//!
//! EKS access policies are RBAC rules too, so the same functions decide them.

use super::Request;
use crate::model::PolicyRule;

/// `*` matches every verb.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

/// `*` matches every API group; `""` is the core group.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `*` matches every resource and subresource; `resource/subresource` matches exactly;
/// `*/subresource` matches that subresource of every resource. `pods` does not match `pods/log`.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    let combined_len = resource.len() + if subresource.is_empty() { 0 } else { subresource.len() + 1 };
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        // `resource/subresource` compared without allocating.
        if r.len() == combined_len
            && r.starts_with(resource)
            && r.as_bytes()[resource.len()] == b'/'
            && r.ends_with(subresource)
        {
            return true;
        }
        // `*/subresource`: the rule names only the subresource.
        r.len() == subresource.len() + 2 && r.starts_with("*/") && r.ends_with(subresource)
    })
}

/// An empty list matches any name; a non-empty list matches only a listed name, so never a request
/// without one (`list`, `create` of a collection) unless it lists `""`, as Kubernetes compares.
/// (An unkept request's name is a bound: see [`super::unkept`].)
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| super::unkept::name_matches(name, n))
}

/// Exact path, `*`, or a trailing `*` as a prefix match (`/healthz/*` matches `/healthz/etcd`).
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    // Kubernetes trims every trailing `*` (strings.TrimRight) before the prefix test.
    rule.non_resource_urls
        .iter()
        .any(|u| u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*'))))
}

/// Whether the rule allows the request: only an AND of the helpers above.
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    if req.is_resource() {
        verb_matches(rule, req.verb)
            && api_group_matches(rule, req.api_group)
            && resource_matches(rule, req.resource, req.subresource)
            && resource_name_matches(rule, req.name)
    } else {
        verb_matches(rule, req.verb) && non_resource_url_matches(rule, req.path)
    }
}

/// Whether any rule allows the request.
pub fn rules_allow(rules: &[PolicyRule], req: &Request) -> bool {
    rules.iter().any(|r| rule_allows(r, req))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str], urls: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: v(urls),
        }
    }

    // Cases from Kubernetes' pkg/apis/rbac/helpers_test.go (TestResourceMatches) and the
    // evaluation helpers' documented behaviour.
    #[test]
    fn resource_matches_follows_kubernetes() {
        let cases = [
            ("all matches 01", &["*"][..], "foo", "", true),
            ("checks all rules", &["doe", "foo"][..], "foo", "", true),
            ("matches exact rule", &["foo/bar"][..], "foo", "bar", true),
            ("matches exact rule 02", &["foo/bar"][..], "foo", "", false),
            ("matches subresource", &["*/bar"][..], "foo", "bar", true),
            ("doesn't match partial subresource hit", &["foo/bar", "*/other"][..], "foo", "other/segment", false),
            ("matches subresource with multiple slashes", &["*/other/segment"][..], "foo", "other/segment", true),
            ("doesn't fail on empty", &[""][..], "foo", "other/segment", false),
            ("doesn't fail on slash", &["/"][..], "foo", "other/segment", false),
            ("doesn't fail on missing subresource", &["*/"][..], "foo", "other/segment", false),
            ("doesn't match on not star", &["*something/other/segment"][..], "foo", "other/segment", false),
            ("pods does not match pods/log", &["pods"][..], "pods", "log", false),
            ("pods/log does not match pods", &["pods/log"][..], "pods", "", false),
            ("star matches a subresource", &["*"][..], "pods", "exec", true),
            ("*/subresource does not match the parent", &["*/log"][..], "pods", "", false),
            ("prefix of the resource is not a match", &["pod/log"][..], "pods", "log", false),
        ];
        for (name, resources, resource, sub, want) in cases {
            assert_eq!(resource_matches(&rule(&[], &[], resources, &[], &[]), resource, sub), want, "{name}");
        }
    }

    #[test]
    fn verb_and_api_group_match_exactly_or_by_star() {
        let cases = [
            ("exact verb", &["get", "list"][..], "list", true),
            ("star verb", &["*"][..], "escalate", true),
            ("verbs are case-sensitive", &["GET"][..], "get", false),
            ("no verbs, no match", &[][..], "get", false),
        ];
        for (name, verbs, verb, want) in cases {
            assert_eq!(verb_matches(&rule(verbs, &[], &[], &[], &[]), verb), want, "{name}");
        }
        let cases = [
            ("core group is the empty string", &[""][..], "", true),
            ("core rule does not match apps", &[""][..], "apps", false),
            ("star group matches core", &["*"][..], "", true),
            ("named group", &["apps", "batch"][..], "batch", true),
        ];
        for (name, groups, group, want) in cases {
            assert_eq!(api_group_matches(&rule(&[], groups, &[], &[], &[]), group), want, "{name}");
        }
    }

    #[test]
    fn resource_names_restrict_only_named_requests() {
        let cases = [
            ("empty list allows any name", &[][..], "anything", true),
            ("empty list allows unnamed", &[][..], "", true),
            ("listed name", &["a", "b"][..], "b", true),
            ("unlisted name", &["a"][..], "c", false),
            ("names never match a request without a name", &["a"][..], "", false),
            (
                "an empty string listed matches an unnamed request (Kubernetes compares strings)",
                &["", "a"][..],
                "",
                true,
            ),
        ];
        for (name, names, requested, want) in cases {
            assert_eq!(resource_name_matches(&rule(&[], &[], &[], names, &[]), requested), want, "{name}");
        }
    }

    #[test]
    fn non_resource_urls_match_exactly_star_or_by_prefix() {
        let cases = [
            ("exact", &["/version"][..], "/version", true),
            ("exact does not prefix", &["/version"][..], "/version/x", false),
            ("star", &["*"][..], "/anything", true),
            ("trailing star is a prefix", &["/healthz/*"][..], "/healthz/etcd", true),
            ("trailing star needs its prefix", &["/healthz/*"][..], "/healthz", false),
            ("star inside is literal", &["/a*/b"][..], "/ax/b", false),
            ("root", &["/"][..], "/", true),
            ("all trailing stars are trimmed", &["/api**"][..], "/apis", true),
        ];
        for (name, urls, path, want) in cases {
            assert_eq!(non_resource_url_matches(&rule(&[], &[], &[], &[], urls), path), want, "{name}");
        }
    }

    #[test]
    fn rule_allows_is_the_and_of_the_helpers() {
        let pods_reader = rule(&["get", "list"], &[""], &["pods"], &[], &[]);
        let version = rule(&["get"], &[], &[], &[], &["/version"]);
        let cases = [
            ("all match", &pods_reader, Request::resource("get", "", "pods", "", "ns", "p"), true),
            ("verb differs", &pods_reader, Request::resource("delete", "", "pods", "", "ns", "p"), false),
            ("group differs", &pods_reader, Request::resource("get", "apps", "pods", "", "ns", "p"), false),
            ("subresource not granted", &pods_reader, Request::resource("get", "", "pods", "log", "ns", "p"), false),
            ("resource rule does not allow a path", &pods_reader, Request::non_resource("get", "/version"), false),
            ("URL rule allows its path", &version, Request::non_resource("get", "/version"), true),
            ("URL rule does not allow resources", &version, Request::resource("get", "", "pods", "", "", ""), false),
        ];
        for (name, rule, req, want) in cases {
            assert_eq!(rule_allows(rule, &req), want, "{name}");
        }
    }
}
