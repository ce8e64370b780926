//! Privilege-escalation paths: who can *become* more than they were granted.
//!
//! A graph over the access state. Its nodes are identities — IAM principals as they authenticate
//! (access entries, aws-auth), users, groups and service accounts named by bindings — and its
//! edges the ways Kubernetes lets one identity act as another (Kubernetes documentation, "RBAC
//! good practices", privilege-escalation risks; "Using RBAC authorization", privilege escalation
//! prevention):
//!
//! | edge | grant that creates it | reaches |
//! |---|---|---|
//! | `impersonate` | `impersonate` on users, groups, serviceaccounts (the EKS Edit and Admin access policies grant it on serviceaccounts in their scope) | the identity named, or any |
//! | `create-pods` | create pods, or create/patch a pod-creating workload, in a namespace | any service account of the namespace (a pod runs as the one it names) |
//! | `create-token` | create `serviceaccounts/token` | that service account |
//! | `read-secrets` | get or list secrets in a namespace | its service accounts (legacy token secrets) |
//! | `bind` | `bind` on clusterroles with create on clusterrolebindings | cluster-admin (escalation prevention is waived by `bind`) |
//! | `escalate` | `escalate` with update or patch on clusterroles | cluster-admin (a role one is bound to can be given anything) |
//! | `write-aws-auth` | update or patch of `kube-system/aws-auth` (when the cluster reads it) | `system:masters` through any mapping |
//! | `nodes-proxy` | get or create on `nodes/proxy` | every service account (the kubelet API runs commands in any pod) |
//! | `approve-csr` | update `certificatesigningrequests/approval` with approve on a signer | `system:masters` (a client certificate names its groups) |
//!
//! and each identity *holds* critical capabilities: cluster-admin (`*` on everything), secrets in
//! every namespace, aws-auth write, RBAC write (create clusterrolebindings). A path is an
//! escalation when it takes at least one edge; every step names its grant (the ids `evaluate`
//! uses). Paths are ranked by use: a grant on a path that was never used in the window is the
//! cheapest, safest cut.

use crate::authz::holdings::Holding;
use crate::authz::rules::{api_group_matches, resource_matches, rules_allow, verb_matches};
use crate::authz::{Authentication, Authorizer, Grant, Request};
use crate::model::{AccessState, RequestShape, Subject};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    Principal(String),
    User(String),
    Group(String),
    ServiceAccount {
        namespace: String,
        name: String,
    },
    /// Any service account of a namespace (`None`: of every namespace): what creating a pod gives.
    AnyServiceAccount(Option<String>),
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Principal(arn) => f.write_str(arn),
            Identity::User(u) => write!(f, "user:{u}"),
            Identity::Group(g) => write!(f, "group:{g}"),
            Identity::ServiceAccount { namespace, name } => write!(f, "serviceaccount:{namespace}/{name}"),
            Identity::AnyServiceAccount(Some(ns)) => write!(f, "any serviceaccount of {ns}"),
            Identity::AnyServiceAccount(None) => f.write_str("any serviceaccount"),
        }
    }
}

/// How one identity acts as another, or holds a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    Impersonate,
    CreatePods,
    CreateToken,
    ReadSecrets,
    Bind,
    Escalate,
    WriteAwsAuth,
    NodesProxy,
    ApproveCsr,
    /// The last step: the identity holds the capability itself.
    Holds,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Impersonate => "impersonate",
            EdgeKind::CreatePods => "create-pods",
            EdgeKind::CreateToken => "create-token",
            EdgeKind::ReadSecrets => "read-secrets",
            EdgeKind::Bind => "bind",
            EdgeKind::Escalate => "escalate",
            EdgeKind::WriteAwsAuth => "write-aws-auth",
            EdgeKind::NodesProxy => "nodes-proxy",
            EdgeKind::ApproveCsr => "approve-csr",
            EdgeKind::Holds => "holds",
        }
    }
}

/// A critical capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    ClusterAdmin,
    SecretsAllNamespaces,
    AwsAuthWrite,
    RbacWrite,
}

impl Capability {
    pub const ALL: [Capability; 4] =
        [Capability::ClusterAdmin, Capability::SecretsAllNamespaces, Capability::AwsAuthWrite, Capability::RbacWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::ClusterAdmin => "cluster-admin",
            Capability::SecretsAllNamespaces => "secrets-all-namespaces",
            Capability::AwsAuthWrite => "aws-auth-write",
            Capability::RbacWrite => "rbac-write",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The request that shows it: what `kubectl auth can-i` would ask.
    fn request(self) -> Request<'static> {
        match self {
            Capability::ClusterAdmin => Request::resource("*", "*", "*", "", "", ""),
            Capability::SecretsAllNamespaces => Request::resource("list", "", "secrets", "", "", ""),
            Capability::AwsAuthWrite => Request::resource("update", "", "configmaps", "", "kube-system", "aws-auth"),
            Capability::RbacWrite => Request::resource("create", RBAC, "clusterrolebindings", "", "", ""),
        }
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// A namespace no grant names: where a holding's rules are asked before its place decides.
const ANY_NAMESPACE: &str = "\u{1}any";

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub edge: EdgeKind,
    /// The grant that creates the edge (as `evaluate` names grants).
    pub grant: String,
    /// The identity reached, or the capability held.
    pub to: String,
}

/// The shortest escalation from a principal to a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    pub from: String,
    pub to: Capability,
    pub steps: Vec<Step>,
    /// Grants on the path that allowed nothing in the window.
    pub unused_grants: Vec<String>,
    /// The grant to remove or narrow: the first unused one on the path, else the first step's.
    pub cut: String,
}

/// A grant many paths go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChokePoint {
    pub grant: String,
    pub paths: usize,
    pub used: bool,
}

/// What a principal can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    /// How many identities it can act as.
    pub identities: usize,
    /// Which: users, groups, service accounts (and principals) it can become.
    pub reachable: Vec<String>,
    /// The critical capabilities it holds or can reach.
    pub capabilities: Vec<Capability>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalations {
    pub paths: Vec<Path>,
    /// Grants by how many paths they are on, most first.
    pub choke_points: Vec<ChokePoint>,
    pub blast_radius: BTreeMap<String, BlastRadius>,
}

struct Node {
    id: Identity,
    /// Out edges: (kind, grant, target node); no grant for the membership of "any serviceaccount".
    edges: Vec<(EdgeKind, Option<Grant>, usize)>,
    /// Capabilities held or taken: (capability, how, grant).
    capabilities: Vec<(Capability, EdgeKind, Grant)>,
}

/// Every escalation path of the state's IAM principals. `used` holds the ids of grants that
/// allowed a request in the window.
pub fn escalations(state: &AccessState, used: &HashSet<String>) -> Escalations {
    let authz = Authorizer::new(state);
    let graph = Graph::build(state, &authz);
    let mut paths = Vec::new();
    let mut blast_radius = BTreeMap::new();
    let principals = graph.nodes.iter().enumerate().filter(|(_, n)| matches!(n.id, Identity::Principal(_)));
    for (start, node) in principals {
        let from = node.id.to_string();
        // The shortest path to each capability per way out of the principal, so that a cut of one
        // way does not hide another.
        let ways: BTreeSet<Option<EdgeKind>> =
            std::iter::once(None).chain(node.edges.iter().map(|&(k, _, _)| Some(k))).collect();
        let mut reached_any = vec![false; graph.nodes.len()];
        let mut capabilities: BTreeSet<Capability> = BTreeSet::new();
        for way in ways {
            let (reached, prev) = graph.reach(start, way);
            let mut best: BTreeMap<Capability, (usize, EdgeKind, Grant)> = BTreeMap::new();
            for &n in &reached {
                for &(cap, how, grant) in &graph.nodes[n].capabilities {
                    best.entry(cap).or_insert((n, how, grant));
                }
            }
            for &n in &reached {
                reached_any[n] |= n != start && !matches!(graph.nodes[n].id, Identity::AnyServiceAccount(_));
            }
            capabilities.extend(best.keys());
            for (cap, (at, how, grant)) in best {
                let mut steps = graph.steps_to(at, &prev, &authz);
                if steps.is_empty() && how == EdgeKind::Holds || (way.is_some() && steps.is_empty()) {
                    continue; // held directly: no escalation (and found once, without a way out)
                }
                steps.push(Step { edge: how, grant: authz.grant_id(grant), to: cap.as_str().to_string() });
                let unused_grants: Vec<String> =
                    steps.iter().map(|s| s.grant.clone()).filter(|g| !used.contains(g)).collect();
                let cut = unused_grants.first().cloned().unwrap_or_else(|| steps[0].grant.clone());
                paths.push(Path { from: from.clone(), to: cap, steps, unused_grants, cut });
            }
        }
        // Held directly, nothing is an escalation to it.
        let direct: BTreeSet<Capability> =
            node.capabilities.iter().filter(|c| c.1 == EdgeKind::Holds).map(|c| c.0).collect();
        paths.retain(|p| p.from != from || !direct.contains(&p.to));
        let reachable: Vec<String> =
            (0..graph.nodes.len()).filter(|&n| reached_any[n]).map(|n| graph.nodes[n].id.to_string()).collect();
        blast_radius.insert(
            from,
            BlastRadius { identities: reachable.len(), reachable, capabilities: capabilities.into_iter().collect() },
        );
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &paths {
        let grants: BTreeSet<&str> = p.steps.iter().map(|s| s.grant.as_str()).collect();
        for g in grants {
            *counts.entry(g).or_default() += 1;
        }
    }
    let mut choke_points: Vec<ChokePoint> = counts
        .into_iter()
        .map(|(g, n)| ChokePoint { grant: g.to_string(), paths: n, used: used.contains(g) })
        .collect();
    choke_points.sort_by(|a, b| b.paths.cmp(&a.paths).then(a.used.cmp(&b.used)).then(a.grant.cmp(&b.grant)));
    // Cheapest cuts first: paths through a never-used grant, then the most critical capability.
    paths.sort_by(|a, b| {
        (a.unused_grants.is_empty(), a.to, &a.from, a.steps.len()).cmp(&(
            b.unused_grants.is_empty(),
            b.to,
            &b.from,
            b.steps.len(),
        ))
    });
    Escalations { paths, choke_points, blast_radius }
}

struct Graph {
    nodes: Vec<Node>,
}

/// How each node was first reached, by node: (from, edge, grant).
type Prev = Vec<Option<(usize, EdgeKind, Option<Grant>)>>;

impl Graph {
    fn build(state: &AccessState, authz: &Authorizer) -> Graph {
        let ids = identities(state);
        let index: HashMap<&Identity, usize> = ids.iter().enumerate().map(|(i, id)| (id, i)).collect();
        let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            if let Identity::ServiceAccount { namespace, .. } = id {
                by_namespace.entry(namespace).or_default().push(i);
            }
        }
        let any_sa = |ns: Option<&str>| index[&Identity::AnyServiceAccount(ns.map(String::from))];
        let masters = index[&Identity::Group(crate::authz::SYSTEM_MASTERS.to_string())];
        let reads_aws_auth = state.authentication_mode.uses_aws_auth();
        let namespaces: Vec<&str> = by_namespace.keys().copied().collect();
        let nodes = ids
            .iter()
            .map(|id| {
                let mut node = Node { id: id.clone(), edges: Vec::new(), capabilities: Vec::new() };
                if let Identity::AnyServiceAccount(ns) = id {
                    // Membership: free, and merged into the step that reached it.
                    let members = match ns {
                        Some(ns) => by_namespace.get(ns.as_str()).cloned().unwrap_or_default(),
                        None => by_namespace.values().flatten().copied().collect(),
                    };
                    node.edges = members.into_iter().map(|m| (EdgeKind::Holds, None, m)).collect();
                    return node;
                }
                let Some(holdings) = holdings_of(id, state, authz) else { return node };
                let first = |req: &Request| holdings.iter().find(|h| h.allows(req)).map(|h| h.grant);
                for cap in Capability::ALL {
                    if let Some(g) = first(&cap.request()) {
                        node.capabilities.push((cap, EdgeKind::Holds, g));
                    }
                }
                let bind = first(&Request::resource("bind", RBAC, "clusterroles", "", "", "cluster-admin"));
                if let (Some(g), Some(_)) = (bind, first(&Capability::RbacWrite.request())) {
                    node.capabilities.push((Capability::ClusterAdmin, EdgeKind::Bind, g));
                }
                let escalate = first(&Request::resource("escalate", RBAC, "clusterroles", "", "", ""));
                let edit_roles = ["update", "patch"]
                    .iter()
                    .find_map(|v| first(&Request::resource(v, RBAC, "clusterroles", "", "", "")));
                if let (Some(g), Some(_)) = (escalate, edit_roles) {
                    node.capabilities.push((Capability::ClusterAdmin, EdgeKind::Escalate, g));
                }
                let mut edge = |kind, grant: Option<Grant>, to: usize| {
                    if grant.is_some() {
                        node.edges.push((kind, grant, to));
                    }
                };
                // Impersonation, of each known user, group and service account, or of any.
                if holdings.iter().any(|h| h.has_verb(&["impersonate"])) {
                    for (t, target) in ids.iter().enumerate() {
                        let req = match target {
                            Identity::User(u) => Request::resource("impersonate", "", "users", "", "", u),
                            Identity::Group(g) => Request::resource("impersonate", "", "groups", "", "", g),
                            Identity::ServiceAccount { namespace, name } => {
                                Request::resource("impersonate", "", "serviceaccounts", "", namespace, name)
                            }
                            _ => continue,
                        };
                        if target != id {
                            edge(EdgeKind::Impersonate, first(&req), t);
                        }
                    }
                }
                if reads_aws_auth {
                    let write = ["update", "patch"]
                        .iter()
                        .find_map(|v| first(&Request::resource(v, "", "configmaps", "", "kube-system", "aws-auth")));
                    edge(EdgeKind::WriteAwsAuth, write, masters);
                }
                let approve = first(&Request::resource(
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                    "",
                    "",
                ));
                let sign = first(&Request::resource(
                    "approve",
                    "certificates.k8s.io",
                    "signers",
                    "",
                    "",
                    "kubernetes.io/kube-apiserver-client",
                ));
                edge(EdgeKind::ApproveCsr, approve.filter(|_| sign.is_some()), masters);
                let proxy =
                    ["get", "create"].iter().find_map(|v| first(&Request::resource(v, "", "nodes", "proxy", "", "")));
                edge(EdgeKind::NodesProxy, proxy, any_sa(None));
                // Per namespace: pods (or what makes pods), secrets, tokens. Rules do not depend on
                // the namespace, so each holding's rules are asked once and its place decides where.
                let namespaced = |question: &dyn Fn(&'static str) -> Option<Request<'static>>| -> Vec<Option<Grant>> {
                    let mut found = vec![None; namespaces.len()];
                    for h in &holdings {
                        let Some(req) = question(ANY_NAMESPACE).filter(|r| rules_allow(h.rules, r)) else { continue };
                        for (slot, ns) in found.iter_mut().zip(&namespaces) {
                            if slot.is_none() && h.applies(&Request { namespace: ns, ..req }) {
                                *slot = Some(h.grant);
                            }
                        }
                    }
                    found
                };
                let pods = namespaced(&|ns| creates_pods_request(&holdings, ns));
                let secrets = namespaced(&|ns| {
                    ["list", "get"]
                        .into_iter()
                        .map(|v| Request::resource(v, "", "secrets", "", ns, ""))
                        .find(|r| holdings.iter().any(|h| rules_allow(h.rules, r)))
                });
                for (i, ns) in namespaces.iter().enumerate() {
                    edge(EdgeKind::CreatePods, pods[i], any_sa(Some(ns)));
                    edge(EdgeKind::ReadSecrets, secrets[i], any_sa(Some(ns)));
                }
                // Tokens name their service account: only holdings that could create one are asked.
                let token_makers: Vec<&Holding> = holdings
                    .iter()
                    .filter(|h| {
                        h.rules.iter().any(|r| {
                            verb_matches(r, "create")
                                && api_group_matches(r, "")
                                && resource_matches(r, "serviceaccounts", "token")
                        })
                    })
                    .collect();
                if !token_makers.is_empty() {
                    for (ns, members) in &by_namespace {
                        for &m in members {
                            if let Identity::ServiceAccount { name, .. } = &ids[m] {
                                let req = Request::resource("create", "", "serviceaccounts", "token", ns, name);
                                let grant = token_makers.iter().find(|h| h.allows(&req)).map(|h| h.grant);
                                edge(EdgeKind::CreateToken, grant, m);
                            }
                        }
                    }
                }
                node
            })
            .collect();
        Graph { nodes }
    }

    /// Breadth-first from `start`, its first hop restricted to edges of `first` (`None`: stay):
    /// the nodes reached (in order) and how each was first reached.
    fn reach(&self, start: usize, first: Option<EdgeKind>) -> (Vec<usize>, Prev) {
        let mut prev: Prev = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        seen[start] = true;
        let mut order = vec![start];
        let mut next = 0;
        while let Some(&n) = order.get(next) {
            next += 1;
            for &(kind, grant, t) in &self.nodes[n].edges {
                if n == start && Some(kind) != first {
                    continue;
                }
                if !seen[t] {
                    seen[t] = true;
                    prev[t] = Some((n, kind, grant));
                    order.push(t);
                }
            }
        }
        (order, prev)
    }

    /// The steps from the start to `at`; a hop into "any serviceaccount" and out to one of them
    /// is one step.
    fn steps_to(&self, at: usize, prev: &Prev, authz: &Authorizer) -> Vec<Step> {
        let mut hops = Vec::new();
        let mut n = at;
        while let Some((p, kind, grant)) = prev[n] {
            hops.push((kind, grant, n));
            n = p;
        }
        hops.reverse();
        let mut steps: Vec<Step> = Vec::new();
        for (kind, grant, to) in hops {
            let to_name = self.nodes[to].id.to_string();
            match (grant, steps.last_mut()) {
                (Some(g), _) => steps.push(Step { edge: kind, grant: authz.grant_id(g), to: to_name }),
                (None, Some(last)) => last.to = to_name, // a member of "any serviceaccount"
                (None, None) => {}
            }
        }
        steps
    }
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

/// The nodes: the state's IAM principals, and the users, groups and service accounts its bindings
/// name; `system:masters`; "any serviceaccount" of each namespace and of all.
fn identities(state: &AccessState) -> Vec<Identity> {
    let mut ids: BTreeSet<Identity> = BTreeSet::new();
    if state.authentication_mode.uses_access_entries() {
        ids.extend(
            state
                .access_entries
                .iter()
                .filter(|e| !e.entry_type.is_node())
                .map(|e| Identity::Principal(e.principal_arn.clone())),
        );
    }
    if state.authentication_mode.uses_aws_auth() {
        let a = &state.aws_auth;
        ids.extend(
            a.map_roles
                .iter()
                .chain(&a.map_users)
                .filter(|m| !crate::authz::is_node_mapping(m))
                .map(|m| Identity::Principal(m.arn.clone())),
        );
    }
    ids.insert(Identity::Group(crate::authz::SYSTEM_MASTERS.to_string()));
    ids.insert(Identity::AnyServiceAccount(None));
    for b in &state.bindings {
        for s in &b.subjects {
            match s {
                Subject::User { name } => {
                    ids.insert(Identity::User(name.clone()));
                }
                Subject::Group { name } => {
                    ids.insert(Identity::Group(name.clone()));
                }
                Subject::ServiceAccount { namespace, name } => {
                    let ns =
                        if namespace.is_empty() { b.namespace.clone().unwrap_or_default() } else { namespace.clone() };
                    if !ns.is_empty() {
                        ids.insert(Identity::AnyServiceAccount(Some(ns.clone())));
                        ids.insert(Identity::ServiceAccount { namespace: ns, name: name.clone() });
                    }
                }
            }
        }
    }
    ids.into_iter().collect()
}

/// What an identity holds: an IAM principal as the state authenticates it (nodes and principals
/// nobody admits hold nothing here), the others as Kubernetes names them.
fn holdings_of<'s>(id: &Identity, state: &'s AccessState, authz: &Authorizer<'s>) -> Option<Vec<Holding<'s>>> {
    const AUTHENTICATED: &str = crate::authz::AUTHENTICATED_GROUP;
    let (username, groups, via): (String, Vec<String>, Option<Grant>) = match id {
        Identity::Principal(arn) => {
            let shape = principal_shape(&state.cluster, arn);
            match authz.authenticate(&shape) {
                Authentication::Authenticated { username, groups, via } => {
                    (username.into_owned(), groups.into_iter().map(Cow::into_owned).collect(), via)
                }
                _ => return None,
            }
        }
        Identity::User(u) => (u.clone(), vec![AUTHENTICATED.into()], None),
        Identity::Group(g) => ("grantscope:impersonated".into(), vec![g.clone(), AUTHENTICATED.into()], None),
        Identity::ServiceAccount { namespace, name } => (
            format!("system:serviceaccount:{namespace}:{name}"),
            vec!["system:serviceaccounts".into(), format!("system:serviceaccounts:{namespace}"), AUTHENTICATED.into()],
            None,
        ),
        Identity::AnyServiceAccount(_) => return None,
    };
    Some(authz.holdings(&username, &groups, via))
}

fn principal_shape<'a>(cluster: &'a str, arn: &'a str) -> RequestShape<'a> {
    let empty = || Cow::Borrowed("");
    RequestShape {
        cluster: Cow::Borrowed(cluster),
        principal: Cow::Borrowed(arn),
        iam: true,
        username: empty(),
        groups: Vec::new(),
        session_name: Cow::Borrowed("grantscope"),
        verb: empty(),
        api_group: empty(),
        resource: empty(),
        subresource: empty(),
        namespace: empty(),
        name: empty(),
        path: empty(),
        access_key_id: empty(),
    }
}

/// What the findings of kind `escalation-path` need to know.
pub struct EscalationContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
}

/// One finding per principal that can escalate: its most critical capability's path (paths are
/// cheapest-cut first, so the one through a never-used grant). Advice, not a change the proofs
/// apply: the cut is usually another finding's grant (an unused binding, an over-broad policy).
pub fn escalation_findings(e: &Escalations, ctx: &EscalationContext) -> Vec<super::Finding> {
    use super::{Evidence, Finding, Recommendation, Severity, finding_id};
    let mut seen = HashSet::new();
    let mut by_capability: Vec<&Path> = e.paths.iter().collect();
    by_capability.sort_by_key(|p| p.to);
    by_capability
        .into_iter()
        .filter(|p| seen.insert(p.from.clone()))
        .map(|p| {
            let severity = match p.to {
                Capability::ClusterAdmin | Capability::AwsAuthWrite => Severity::High,
                Capability::SecretsAllNamespaces | Capability::RbacWrite => Severity::Medium,
            };
            let route: Vec<String> = p.steps.iter().map(|s| format!("{} {}", s.edge.as_str(), s.to)).collect();
            let mut evidence = Evidence::unused(ctx.observed_days, ctx.window_days);
            let why = if p.unused_grants.first() == Some(&p.cut) {
                format!("it allowed nothing {}, so removing it is the cheapest, safest cut", evidence.observed_span())
            } else {
                "every grant on the path is in use: narrow it rather than remove it".to_string()
            };
            evidence.examples = p.steps.iter().map(|s| format!("{} {} by {}", s.edge.as_str(), s.to, s.grant)).collect();
            // Evidence carries five examples: a longer path keeps its first four steps and its last.
            if evidence.examples.len() > 5 {
                evidence.examples.drain(4..evidence.examples.len() - 1);
            }
            Finding {
                id: finding_id("escalation-path", ctx.cluster, &format!("{}\n{}", p.from, p.to.as_str())),
                kind: "escalation-path",
                would_be: None,
                severity,
                cluster: ctx.cluster.to_string(),
                principal: Some(p.from.clone()),
                grant: p.cut.clone(),
                evidence,
                recommendation: Recommendation {
                    summary: format!(
                        "{} can become {}: {}. Cut the path at {}: {why} (grantscope paths --from {} shows every path).",
                        p.from,
                        p.to.as_str(),
                        route.join(" -> "),
                        p.cut,
                        p.from
                    ),
                    commands: Vec::new(),
                },
                change: None,
                controls: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "arn:aws:iam::111122223333:role/p";

    /// An access entry for P in group `p` (and `policy` if given), the YAML `rbac`, and a service
    /// account `apps/deployer` bound to cluster-admin.
    fn state(policy: Option<(&str, &str)>, mode: &str, rbac: &str) -> AccessState {
        let policies = match policy {
            Some((name, scope)) => format!(
                "\n    accessPolicies: [{{policyARN: arn:aws:eks::aws:cluster-access-policy/{name}, accessScope: {scope}}}]"
            ),
            None => String::new(),
        };
        let eksctl = format!(
            "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {{name: c}}\naccessConfig:\n  authenticationMode: {mode}\n  accessEntries:\n  - principalARN: {P}\n    kubernetesGroups: [p]{policies}\n"
        );
        let deployer = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: deployer-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: deployer, namespace: apps}]\n";
        crate::state::from_texts(&[&eksctl, deployer, rbac])
    }

    /// A ClusterRole (or a Role in apps) with `rules`, bound to group p.
    fn granting(kind: &str, rules: &str) -> String {
        let (ns, binding) = match kind {
            "Role" => ("\n  namespace: apps", "RoleBinding"),
            _ => ("", "ClusterRoleBinding"),
        };
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: r{ns}\nrules: {rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {binding}\nmetadata:\n  name: rb{ns}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: r}}\nsubjects: [{{kind: Group, name: p}}]\n"
        )
    }

    /// P's paths as `capability: edge edge ...`.
    fn paths_of(s: &AccessState) -> Vec<String> {
        let e = escalations(s, &HashSet::new());
        e.paths
            .iter()
            .filter(|p| p.from == P)
            .map(|p| {
                format!("{}: {}", p.to.as_str(), p.steps.iter().map(|s| s.edge.as_str()).collect::<Vec<_>>().join(" "))
            })
            .collect()
    }

    #[test]
    fn each_edge_kind_reaches_what_kubernetes_lets_it() {
        let ns = "{type: namespace, namespaces: [apps]}";
        let cases: Vec<(&str, AccessState, &str)> = vec![
            (
                "impersonating any group is system:masters",
                state(
                    None,
                    "API",
                    &granting("ClusterRole", "[{apiGroups: [''], resources: [groups], verbs: [impersonate]}]"),
                ),
                "cluster-admin: impersonate holds",
            ),
            (
                "creating pods runs as any service account of the namespace",
                state(None, "API", &granting("Role", "[{apiGroups: [''], resources: [pods], verbs: [create]}]")),
                "cluster-admin: create-pods holds",
            ),
            (
                "patching a deployment creates pods too",
                state(
                    None,
                    "API",
                    &granting("Role", "[{apiGroups: [apps], resources: [deployments], verbs: [patch]}]"),
                ),
                "cluster-admin: create-pods holds",
            ),
            (
                "a token for the service account",
                state(
                    None,
                    "API",
                    &granting(
                        "Role",
                        "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [deployer]}]",
                    ),
                ),
                "cluster-admin: create-token holds",
            ),
            (
                "secrets hold legacy service account tokens",
                state(None, "API", &granting("Role", "[{apiGroups: [''], resources: [secrets], verbs: [list]}]")),
                "cluster-admin: read-secrets holds",
            ),
            (
                "bind with create clusterrolebindings",
                state(
                    None,
                    "API",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}]",
                    ),
                ),
                "cluster-admin: bind",
            ),
            (
                "escalate with update clusterroles",
                state(
                    None,
                    "API",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}]",
                    ),
                ),
                "cluster-admin: escalate",
            ),
            (
                "writing aws-auth maps anyone to system:masters",
                state(
                    None,
                    "API_AND_CONFIG_MAP",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [''], resources: [configmaps], verbs: [patch], resourceNames: [aws-auth]}]",
                    ),
                ),
                "cluster-admin: write-aws-auth holds",
            ),
            (
                "aws-auth is not read in API mode",
                state(
                    None,
                    "API",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [''], resources: [configmaps], verbs: [patch], resourceNames: [aws-auth]}]",
                    ),
                ),
                "",
            ),
            (
                "nodes/proxy runs commands in any pod",
                state(
                    None,
                    "API",
                    &granting("ClusterRole", "[{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]"),
                ),
                "cluster-admin: nodes-proxy holds",
            ),
            (
                "approving client certificates names any group",
                state(
                    None,
                    "API",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}]",
                    ),
                ),
                "cluster-admin: approve-csr holds",
            ),
            (
                "approval without a signer is nothing",
                state(
                    None,
                    "API",
                    &granting(
                        "ClusterRole",
                        "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}]",
                    ),
                ),
                "",
            ),
            ("a View association reaches nothing", state(Some(("AmazonEKSViewPolicy", ns)), "API", ""), ""),
        ];
        for (name, s, want) in cases {
            let got: Vec<String> = paths_of(&s).into_iter().filter(|p| p.starts_with("cluster-admin")).collect();
            let want: Vec<String> = if want.is_empty() { vec![] } else { vec![want.to_string()] };
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn an_eks_edit_association_in_one_namespace_reaches_cluster_admin_every_way() {
        let s = state(Some(("AmazonEKSEditPolicy", "{type: namespace, namespaces: [apps]}")), "API", "");
        let e = escalations(&s, &HashSet::new());
        let admin: Vec<&Path> = e.paths.iter().filter(|p| p.from == P && p.to == Capability::ClusterAdmin).collect();
        let ways: BTreeSet<EdgeKind> = admin.iter().map(|p| p.steps[0].edge).collect();
        // Edit also reads the namespace's secrets: a third way, through a legacy token.
        assert_eq!(
            ways,
            BTreeSet::from([EdgeKind::Impersonate, EdgeKind::CreatePods, EdgeKind::ReadSecrets]),
            "{admin:#?}"
        );
        for p in &admin {
            assert_eq!(p.steps[0].grant, format!("eks:{P}:AmazonEKSEditPolicy@ns:apps"));
            assert_eq!(p.steps[0].to, "serviceaccount:apps/deployer");
            assert_eq!(p.steps[1].grant, "rbac:ClusterRoleBinding/deployer-admin:ClusterRole/cluster-admin");
        }
        assert!(e.blast_radius[P].capabilities.contains(&Capability::ClusterAdmin));
        let radius = &e.blast_radius[P];
        assert!(radius.reachable.contains(&"serviceaccount:apps/deployer".to_string()), "{radius:?}");
        assert_eq!(radius.identities, radius.reachable.len());
        assert_eq!(e.choke_points[0].grant, format!("eks:{P}:AmazonEKSEditPolicy@ns:apps"), "on every path");
    }

    #[test]
    fn a_path_through_an_unused_grant_is_the_cheapest_cut() {
        let s = state(None, "API", &granting("Role", "[{apiGroups: [''], resources: [pods], verbs: [create]}]"));
        let role_binding = "rbac:RoleBinding/apps/rb:Role/r".to_string();
        let admin_binding = "rbac:ClusterRoleBinding/deployer-admin:ClusterRole/cluster-admin".to_string();
        let cases = [
            ("neither used: cut where it starts", HashSet::new(), Some(role_binding.clone()), role_binding.clone()),
            (
                "the pod creation used: cut the unused binding",
                HashSet::from([role_binding.clone()]),
                Some(admin_binding.clone()),
                admin_binding.clone(),
            ),
            (
                "both used: cut where it starts",
                HashSet::from([role_binding.clone(), admin_binding.clone()]),
                None,
                role_binding.clone(),
            ),
        ];
        for (name, used, first_unused, cut) in cases {
            let e = escalations(&s, &used);
            let p = e.paths.iter().find(|p| p.from == P && p.to == Capability::ClusterAdmin).unwrap();
            assert_eq!(p.unused_grants.first(), first_unused.as_ref(), "{name}");
            assert_eq!(p.cut, cut, "{name}");
        }
    }

    #[test]
    fn capabilities_held_directly_are_no_escalation() {
        let s = state(Some(("AmazonEKSClusterAdminPolicy", "{type: cluster}")), "API", "");
        assert!(paths_of(&s).is_empty(), "{:?}", paths_of(&s));
    }
}
