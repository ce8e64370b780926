//! The search: per IAM principal, the shortest path to each critical capability, per way out of
//! the principal; then the grants most paths go through, and what each principal can reach.

use super::graph::Graph;
use super::{BlastRadius, Capability, ChokePoint, EdgeKind, Escalations, Identity, Path, Step};
use crate::authz::{Authorizer, Grant};
use crate::model::{AccessState, GrantId};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Every escalation path of the state's IAM principals. `used` holds the ids of grants that
/// allowed a request in the window.
pub fn escalations(state: &AccessState, used: &HashSet<GrantId>) -> Escalations {
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
                let unused_grants: Vec<GrantId> =
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
    let mut counts: BTreeMap<&GrantId, usize> = BTreeMap::new();
    for p in &paths {
        let grants: BTreeSet<&GrantId> = p.steps.iter().map(|s| &s.grant).collect();
        for g in grants {
            *counts.entry(g).or_default() += 1;
        }
    }
    let mut choke_points: Vec<ChokePoint> =
        counts.into_iter().map(|(g, n)| ChokePoint { grant: g.clone(), paths: n, used: used.contains(g) }).collect();
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
/// How each node was first reached, by node: (from, edge, grant).
type Prev = Vec<Option<(usize, EdgeKind, Option<Grant>)>>;

impl Graph {
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
            assert_eq!(p.steps[0].grant.as_str(), format!("eks:{P}:AmazonEKSEditPolicy@ns:apps"));
            assert_eq!(p.steps[0].to, "serviceaccount:apps/deployer");
            assert_eq!(p.steps[1].grant.as_str(), "rbac:ClusterRoleBinding/deployer-admin:ClusterRole/cluster-admin");
        }
        assert!(e.blast_radius[P].capabilities.contains(&Capability::ClusterAdmin));
        let radius = &e.blast_radius[P];
        assert!(radius.reachable.contains(&"serviceaccount:apps/deployer".to_string()), "{radius:?}");
        assert_eq!(radius.identities, radius.reachable.len());
        assert_eq!(e.choke_points[0].grant.as_str(), format!("eks:{P}:AmazonEKSEditPolicy@ns:apps"), "on every path");
    }

    #[test]
    fn a_path_through_an_unused_grant_is_the_cheapest_cut() {
        let s = state(None, "API", &granting("Role", "[{apiGroups: [''], resources: [pods], verbs: [create]}]"));
        let role_binding = GrantId::parse("rbac:RoleBinding/apps/rb:Role/r");
        let admin_binding = GrantId::parse("rbac:ClusterRoleBinding/deployer-admin:ClusterRole/cluster-admin");
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
