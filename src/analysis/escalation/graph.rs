//! The graph: one node per identity of the state, its edges and capabilities found by the edge
//! `rules`.

use super::rules;
use super::{Capability, EdgeKind, Identity};
use crate::authz::holdings::Holding;
use crate::authz::{Authentication, Authorizer, Grant};
use crate::model::{AccessState, RequestShape, Subject};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(super) struct Node {
    pub id: Identity,
    /// Out edges: (kind, grant, target node); no grant for the membership of "any serviceaccount".
    pub edges: Vec<(EdgeKind, Option<Grant>, usize)>,
    /// Capabilities held or taken: (capability, how, grant).
    pub capabilities: Vec<(Capability, EdgeKind, Grant)>,
}

pub(super) struct Graph {
    pub nodes: Vec<Node>,
}

impl Graph {
    pub fn build(state: &AccessState, authz: &Authorizer) -> Graph {
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
                for cap in Capability::ALL {
                    if let Some(g) = rules::holds(&holdings, cap) {
                        node.capabilities.push((cap, EdgeKind::Holds, g));
                    }
                }
                if let Some(g) = rules::bind(&holdings) {
                    node.capabilities.push((Capability::ClusterAdmin, EdgeKind::Bind, g));
                }
                if let Some(g) = rules::escalate(&holdings) {
                    node.capabilities.push((Capability::ClusterAdmin, EdgeKind::Escalate, g));
                }
                // Edges in this order: the search takes the first that reaches a node.
                let mut edge = |kind, grant: Option<Grant>, to: usize| {
                    if grant.is_some() {
                        node.edges.push((kind, grant, to));
                    }
                };
                if rules::may_impersonate(&holdings) {
                    for (t, target) in ids.iter().enumerate().filter(|&(_, target)| target != id) {
                        edge(EdgeKind::Impersonate, rules::impersonate(&holdings, target), t);
                    }
                }
                if reads_aws_auth {
                    edge(EdgeKind::WriteAwsAuth, rules::write_aws_auth(&holdings), masters);
                }
                edge(EdgeKind::ApproveCsr, rules::approve_csr(&holdings), masters);
                edge(EdgeKind::NodesProxy, rules::nodes_proxy(&holdings), any_sa(None));
                let pods = rules::create_pods(&holdings, &namespaces);
                let secrets = rules::read_secrets(&holdings, &namespaces);
                for (i, ns) in namespaces.iter().enumerate() {
                    edge(EdgeKind::CreatePods, pods[i], any_sa(Some(ns)));
                    edge(EdgeKind::ReadSecrets, secrets[i], any_sa(Some(ns)));
                }
                let makers = rules::token_makers(&holdings);
                if !makers.is_empty() {
                    for (ns, members) in &by_namespace {
                        for &m in members {
                            if let Identity::ServiceAccount { name, .. } = &ids[m] {
                                edge(EdgeKind::CreateToken, rules::create_token(&makers, ns, name), m);
                            }
                        }
                    }
                }
                node
            })
            .collect();
        Graph { nodes }
    }
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
        unkept: crate::model::Unkept::NONE,
    }
}
