//! The edge rules, one function each: given what an identity holds, the grant that opens one way of
//! acting as another identity (or of taking a capability), if any. The first holding in chain order
//! that allows the rule's request names the grant, as the authorizer chain would.

use super::{Capability, Identity, RBAC};
use crate::authz::holdings::Holding;
use crate::authz::rules::{api_group_matches, resource_matches, rules_allow, verb_matches};
use crate::authz::{Grant, Request};

/// A namespace no grant names: where a holding's rules are asked before its place decides.
const ANY_NAMESPACE: &str = "\u{1}any";

/// The grant of the first holding that allows the request.
fn first(holdings: &[Holding], req: &Request) -> Option<Grant> {
    holdings.iter().find(|h| h.allows(req)).map(|h| h.grant)
}

/// `holds`: the capability itself, asked as `kubectl auth can-i` would.
pub fn holds(holdings: &[Holding], capability: Capability) -> Option<Grant> {
    first(holdings, &capability.request())
}

/// Whether any holding names the verb `impersonate`: a cheap filter before asking per target.
pub fn may_impersonate(holdings: &[Holding]) -> bool {
    holdings.iter().any(|h| h.has_verb(&["impersonate"]))
}

/// `impersonate`: the user, group or service account named (nothing else can be impersonated).
pub fn impersonate(holdings: &[Holding], target: &Identity) -> Option<Grant> {
    let req = match target {
        Identity::User(u) => Request::resource("impersonate", "", "users", "", "", u),
        Identity::Group(g) => Request::resource("impersonate", "", "groups", "", "", g),
        Identity::ServiceAccount { namespace, name } => {
            Request::resource("impersonate", "", "serviceaccounts", "", namespace, name)
        }
        Identity::Principal(_) | Identity::AnyServiceAccount(_) => return None,
    };
    first(holdings, &req)
}

/// `bind`: `bind` on the cluster-admin ClusterRole waives escalation prevention, so with create
/// on clusterrolebindings the identity can bind itself to cluster-admin. Names the `bind` grant.
pub fn bind(holdings: &[Holding]) -> Option<Grant> {
    let bind = first(holdings, &Request::resource("bind", RBAC, "clusterroles", "", "", "cluster-admin"));
    bind.filter(|_| holds(holdings, Capability::RbacWrite).is_some())
}

/// `escalate`: `escalate` waives escalation prevention on roles the identity can update or patch,
/// so a ClusterRole it is bound to can be given anything. Names the `escalate` grant.
pub fn escalate(holdings: &[Holding]) -> Option<Grant> {
    let escalate = first(holdings, &Request::resource("escalate", RBAC, "clusterroles", "", "", ""));
    let edit_roles = ["update", "patch"]
        .iter()
        .any(|v| first(holdings, &Request::resource(v, RBAC, "clusterroles", "", "", "")).is_some());
    escalate.filter(|_| edit_roles)
}

/// `write-aws-auth`: update or patch of `kube-system/aws-auth` maps any principal to
/// `system:masters` (only where the cluster reads aws-auth: the caller asks only then).
pub fn write_aws_auth(holdings: &[Holding]) -> Option<Grant> {
    ["update", "patch"]
        .iter()
        .find_map(|v| first(holdings, &Request::resource(v, "", "configmaps", "", "kube-system", "aws-auth")))
}

/// `approve-csr`: approving a client certificate (update of `certificatesigningrequests/approval`,
/// with `approve` on the kube-apiserver-client signer) names any group, `system:masters` too.
/// Names the approval grant.
pub fn approve_csr(holdings: &[Holding]) -> Option<Grant> {
    let approve = first(
        holdings,
        &Request::resource("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", ""),
    );
    let sign = first(
        holdings,
        &Request::resource("approve", "certificates.k8s.io", "signers", "", "", "kubernetes.io/kube-apiserver-client"),
    );
    approve.filter(|_| sign.is_some())
}

/// `nodes-proxy`: get or create on `nodes/proxy` reaches the kubelet API, which runs commands in
/// any pod, so as any service account.
pub fn nodes_proxy(holdings: &[Holding]) -> Option<Grant> {
    ["get", "create"].iter().find_map(|v| first(holdings, &Request::resource(v, "", "nodes", "proxy", "", "")))
}

/// `create-pods`, per namespace: creating a pod (or creating or changing a workload that makes
/// pods) runs as any service account of the namespace, since a pod names the one it runs as.
pub fn create_pods(holdings: &[Holding], namespaces: &[&str]) -> Vec<Option<Grant>> {
    per_namespace(holdings, namespaces, &|ns| creates_pods_request(holdings, ns))
}

/// `read-secrets`, per namespace: get or list of secrets reads the legacy token secrets of the
/// namespace's service accounts.
pub fn read_secrets(holdings: &[Holding], namespaces: &[&str]) -> Vec<Option<Grant>> {
    per_namespace(holdings, namespaces, &|ns| {
        ["list", "get"]
            .into_iter()
            .map(|v| Request::resource(v, "", "secrets", "", ns, ""))
            .find(|r| holdings.iter().any(|h| rules_allow(h.rules, r)))
    })
}

/// The holdings that could create a service account token somewhere: a token names its service
/// account, so [`create_token`] is asked per account, of these only.
pub fn token_makers<'s>(holdings: &[Holding<'s>]) -> Vec<Holding<'s>> {
    holdings
        .iter()
        .filter(|h| {
            h.rules.iter().any(|r| {
                verb_matches(r, "create") && api_group_matches(r, "") && resource_matches(r, "serviceaccounts", "token")
            })
        })
        .copied()
        .collect()
}

/// `create-token`: create of `serviceaccounts/token` for the service account acts as it.
pub fn create_token(makers: &[Holding], namespace: &str, name: &str) -> Option<Grant> {
    first(makers, &Request::resource("create", "", "serviceaccounts", "token", namespace, name))
}

/// The first grant allowing `question`'s request in each namespace. Rules do not depend on the
/// namespace, so each holding's rules are asked once and its place decides where.
fn per_namespace(
    holdings: &[Holding],
    namespaces: &[&str],
    question: &dyn Fn(&'static str) -> Option<Request<'static>>,
) -> Vec<Option<Grant>> {
    let mut found = vec![None; namespaces.len()];
    for h in holdings {
        let Some(req) = question(ANY_NAMESPACE).filter(|r| rules_allow(h.rules, r)) else { continue };
        for (slot, ns) in found.iter_mut().zip(namespaces) {
            if slot.is_none() && h.applies(&Request { namespace: ns, ..req }) {
                *slot = Some(h.grant);
            }
        }
    }
    found
}

/// A request for creating pods in `ns`, directly or through a workload, that the holdings' rules
/// allow (wherever they apply), if any.
fn creates_pods_request<'a>(holdings: &[Holding], ns: &'a str) -> Option<Request<'a>> {
    const WORKLOADS: [(&str, &str); 7] = [
        ("", "pods"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    ];
    WORKLOADS.iter().find_map(|&(group, resource)| {
        let verbs: &[&str] = if resource == "pods" { &["create"] } else { &["create", "patch", "update"] };
        verbs
            .iter()
            .map(|v| Request::resource(v, group, resource, "", ns, ""))
            .find(|r| holdings.iter().any(|h| rules_allow(h.rules, r)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::holdings::Place;
    use crate::model::PolicyRule;

    /// `verbs` on `resources` (`resource/subresource`) of `group`, limited to `names` if any.
    fn rule(group: &str, resources: &[&str], verbs: &[&str], names: &[&str]) -> PolicyRule {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: strings(verbs),
            api_groups: vec![group.to_string()],
            resources: strings(resources),
            resource_names: strings(names),
            ..PolicyRule::default()
        }
    }

    /// Binding 0 holds `rules` where `place` says; binding 1 holds them everywhere (a second grant
    /// that would also open the edge: the first in chain order must be named).
    fn held<'r>(rules: &'r [PolicyRule], place: Place<'r>) -> Vec<Holding<'r>> {
        vec![
            Holding { grant: Grant::Binding(0), rules, place },
            Holding { grant: Grant::Binding(1), rules, place: Place::Everywhere },
        ]
    }

    type Rule = fn(&[Holding]) -> Option<Grant>;

    #[test]
    fn each_cluster_wide_rule_names_the_grant_that_opens_it() {
        let cr = "clusterroles";
        let crb = "clusterrolebindings";
        let csr = "certificatesigningrequests/approval";
        let cases: Vec<(&str, Rule, Vec<PolicyRule>, bool)> = vec![
            (
                "bind on cluster-admin with create clusterrolebindings",
                bind,
                vec![rule(RBAC, &[cr], &["bind"], &["cluster-admin"]), rule(RBAC, &[crb], &["create"], &[])],
                true,
            ),
            (
                "bind without create clusterrolebindings binds nothing",
                bind,
                vec![rule(RBAC, &[cr], &["bind"], &[])],
                false,
            ),
            (
                "bind limited to another role is not cluster-admin",
                bind,
                vec![rule(RBAC, &[cr], &["bind"], &["view"]), rule(RBAC, &[crb], &["create"], &[])],
                false,
            ),
            (
                "escalate with update clusterroles",
                escalate,
                vec![rule(RBAC, &[cr], &["escalate", "update"], &[])],
                true,
            ),
            ("escalate with patch clusterroles", escalate, vec![rule(RBAC, &[cr], &["escalate", "patch"], &[])], true),
            (
                "escalate without a way to edit roles changes nothing",
                escalate,
                vec![rule(RBAC, &[cr], &["escalate"], &[])],
                false,
            ),
            ("patch of aws-auth", write_aws_auth, vec![rule("", &["configmaps"], &["patch"], &["aws-auth"])], true),
            (
                "update of any configmap includes aws-auth",
                write_aws_auth,
                vec![rule("", &["configmaps"], &["update"], &[])],
                true,
            ),
            (
                "reading aws-auth writes nothing",
                write_aws_auth,
                vec![rule("", &["configmaps"], &["get"], &["aws-auth"])],
                false,
            ),
            ("get nodes/proxy", nodes_proxy, vec![rule("", &["nodes/proxy"], &["get"], &[])], true),
            ("create nodes/proxy", nodes_proxy, vec![rule("", &["nodes/proxy"], &["create"], &[])], true),
            ("get nodes is not the proxy", nodes_proxy, vec![rule("", &["nodes"], &["get"], &[])], false),
            (
                "approval with the client signer",
                approve_csr,
                vec![
                    rule("certificates.k8s.io", &[csr], &["update"], &[]),
                    rule("certificates.k8s.io", &["signers"], &["approve"], &["kubernetes.io/kube-apiserver-client"]),
                ],
                true,
            ),
            (
                "approval without a signer",
                approve_csr,
                vec![rule("certificates.k8s.io", &[csr], &["update"], &[])],
                false,
            ),
            (
                "approval with the kubelet signer only",
                approve_csr,
                vec![
                    rule("certificates.k8s.io", &[csr], &["update"], &[]),
                    rule("certificates.k8s.io", &["signers"], &["approve"], &["kubernetes.io/kubelet-serving"]),
                ],
                false,
            ),
        ];
        for (name, rule_fn, rules, opens) in cases {
            let holdings = held(&rules, Place::Everywhere);
            assert_eq!(rule_fn(&holdings), opens.then_some(Grant::Binding(0)), "{name}");
            assert_eq!(rule_fn(&holdings[..0]), None, "{name}: nothing held opens nothing");
        }
    }

    #[test]
    fn impersonate_reaches_only_the_identities_named() {
        let rules = [rule("", &["users", "groups"], &["impersonate"], &["alice", "ops"])];
        let sa = [rule("", &["serviceaccounts"], &["impersonate"], &[])];
        let sa_id = |ns: &str| Identity::ServiceAccount { namespace: ns.into(), name: "deployer".into() };
        let cases = [
            ("a user named", &rules[..], Place::Everywhere, Identity::User("alice".into()), true),
            ("a group named", &rules[..], Place::Everywhere, Identity::Group("ops".into()), true),
            ("a user not named", &rules[..], Place::Everywhere, Identity::User("bob".into()), false),
            ("a service account in the binding's namespace", &sa[..], Place::Namespace("apps"), sa_id("apps"), true),
            ("a service account elsewhere", &sa[..], Place::Namespace("apps"), sa_id("prod"), false),
            (
                "a principal is not impersonated",
                &rules[..],
                Place::Everywhere,
                Identity::Principal("alice".into()),
                false,
            ),
            ("nor any service account", &sa[..], Place::Everywhere, Identity::AnyServiceAccount(None), false),
        ];
        for (name, rules, place, target, opens) in cases {
            let holdings = [Holding { grant: Grant::Binding(0), rules, place }];
            assert!(may_impersonate(&holdings), "{name}");
            assert_eq!(impersonate(&holdings, &target), opens.then_some(Grant::Binding(0)), "{name}");
        }
        let view = [rule("", &["pods"], &["get"], &[])];
        assert!(!may_impersonate(&[Holding { grant: Grant::Binding(0), rules: &view, place: Place::Everywhere }]));
    }

    #[test]
    fn namespaced_rules_open_where_the_grant_applies() {
        let namespaces = ["apps", "prod"];
        type PerNamespace = fn(&[Holding], &[&str]) -> Vec<Option<Grant>>;
        /// (name, rule, what is held, where, the grant per namespace).
        type Case<'a> = (&'a str, PerNamespace, PolicyRule, Place<'a>, [Option<Grant>; 2]);
        let b0 = Some(Grant::Binding(0));
        let b1 = Some(Grant::Binding(1));
        let cases: Vec<Case> = vec![
            (
                "create pods in the binding's namespace",
                create_pods,
                rule("", &["pods"], &["create"], &[]),
                Place::Namespace("apps"),
                [b0, b1],
            ),
            (
                "patch a deployment makes pods",
                create_pods,
                rule("apps", &["deployments"], &["patch"], &[]),
                Place::Everywhere,
                [b0, b0],
            ),
            (
                "create a cronjob makes pods",
                create_pods,
                rule("batch", &["cronjobs"], &["create"], &[]),
                Place::Everywhere,
                [b0, b0],
            ),
            (
                "patch pods makes none",
                create_pods,
                rule("", &["pods"], &["patch"], &[]),
                Place::Everywhere,
                [None, None],
            ),
            ("list secrets", read_secrets, rule("", &["secrets"], &["list"], &[]), Place::Namespace("prod"), [b1, b0]),
            ("get secrets", read_secrets, rule("", &["secrets"], &["get"], &[]), Place::Everywhere, [b0, b0]),
            (
                "watch secrets alone reads no token",
                read_secrets,
                rule("", &["secrets"], &["watch"], &[]),
                Place::Everywhere,
                [None, None],
            ),
        ];
        for (name, rule_fn, rule, place, want) in cases {
            let rules = [rule];
            assert_eq!(rule_fn(&held(&rules, place), &namespaces), want, "{name}");
        }
    }

    #[test]
    fn create_token_acts_as_the_service_account_named() {
        let rules = [rule("", &["serviceaccounts/token"], &["create"], &["deployer"])];
        let other = [rule("", &["serviceaccounts"], &["create"], &[])];
        let holdings = [
            Holding { grant: Grant::Binding(0), rules: &other, place: Place::Everywhere },
            Holding { grant: Grant::Binding(1), rules: &rules, place: Place::Namespace("apps") },
        ];
        let makers = token_makers(&holdings);
        assert_eq!(makers.iter().map(|h| h.grant).collect::<Vec<_>>(), [Grant::Binding(1)], "only token creators");
        let cases = [
            ("the account named, in the binding's namespace", "apps", "deployer", Some(Grant::Binding(1))),
            ("another account", "apps", "builder", None),
            ("another namespace", "prod", "deployer", None),
        ];
        for (name, ns, account, want) in cases {
            assert_eq!(create_token(&makers, ns, account), want, "{name}");
        }
    }

    #[test]
    fn holds_asks_what_kubectl_auth_can_i_would() {
        let all = [rule("*", &["*"], &["*"], &[])];
        let secrets = [rule("", &["secrets"], &["list"], &[])];
        let cases = [
            ("* on everything is cluster-admin", &all[..], Place::Everywhere, Capability::ClusterAdmin, true),
            ("* in one namespace is not", &all[..], Place::Namespace("apps"), Capability::ClusterAdmin, false),
            ("list secrets everywhere", &secrets[..], Place::Everywhere, Capability::SecretsAllNamespaces, true),
            (
                "list secrets in one namespace",
                &secrets[..],
                Place::Namespace("apps"),
                Capability::SecretsAllNamespaces,
                false,
            ),
            ("cluster-admin writes RBAC", &all[..], Place::Everywhere, Capability::RbacWrite, true),
        ];
        for (name, rules, place, capability, want) in cases {
            let holdings = [Holding { grant: Grant::Binding(0), rules, place }];
            assert_eq!(holds(&holdings, capability), want.then_some(Grant::Binding(0)), "{name}");
        }
    }
}
