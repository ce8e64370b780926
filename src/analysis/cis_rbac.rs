//! CIS Amazon EKS Benchmark v1.8.0 recommendations on RBAC that are decided from the access state
//! alone, as findings (titles as kube-bench's `cfg/eks-1.8.0/policies.yaml` gives them):
//!
//! - 4.1.3 "Minimize wildcard use in Roles and ClusterRoles": a role the cluster's owners wrote
//!   with `*` among a rule's verbs, resources or API groups, bound by one of their bindings;
//! - 4.1.5 "Ensure that default service accounts are not actively used": a binding naming a
//!   namespace's `default` service account;
//! - 4.1.9 "Minimize access to create PersistentVolume objects", 4.1.10 "Minimize access to the
//!   proxy sub-resource of Node objects", 4.1.11 "Minimize access to webhook configuration
//!   objects" (create, update, patch or delete of mutating and validating webhook configurations):
//!   a binding or an access policy association that allows it.
//!
//! One finding per grant and recommendation, ranked by use like the others: a grant that did not
//! use what the recommendation is about in the days observed is high (it can go without breaking
//! anything), one that did is medium (review who needs it). Grants AWS or Kubernetes maintain are
//! left out, and so are grants of everything (`*` verbs on `*` resources of `*` groups, as
//! cluster-admin and AmazonEKSClusterAdminPolicy): 4.1.1 and the over-broad findings speak for those,
//! and three more findings on the same grant would say nothing new.

use super::aws_managed::{managed_binding, managed_entry};
use super::{Evidence, Finding, FindingKind, Recommendation, Severity, finding_id, observed_span};
use crate::authz::holdings::Holding;
use crate::authz::{Authorizer, Grant, Request};
use crate::model::{AccessState, GrantId, PolicyRule, RoleKind, Subject};
use crate::store::WindowShape;
use std::collections::HashMap;

/// What the findings are computed over.
pub struct CisContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
    /// Fewer observed days than this and no use does not make a finding high.
    pub min_observed_days: u32,
}

/// A permission a recommendation asks to minimize, as the requests that exercise it:
/// (verb, API group, resource, subresource), all cluster-scoped.
struct Sensitive {
    kind: FindingKind,
    what: &'static str,
    requests: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

const WEBHOOKS: &str = "admissionregistration.k8s.io";

static SENSITIVE: [Sensitive; 3] = [
    Sensitive {
        kind: FindingKind::CreatePersistentvolumes,
        what: "create PersistentVolumes (a hostPath volume mounts any node directory into a pod)",
        requests: &[("create", "", "persistentvolumes", "")],
    },
    Sensitive {
        kind: FindingKind::NodesProxyAccess,
        what: "use the proxy sub-resource of Nodes (the kubelet API: commands in any pod of the node)",
        requests: &[
            ("get", "", "nodes", "proxy"),
            ("create", "", "nodes", "proxy"),
            ("update", "", "nodes", "proxy"),
            ("patch", "", "nodes", "proxy"),
            ("delete", "", "nodes", "proxy"),
        ],
    },
    Sensitive {
        kind: FindingKind::WebhookConfigurationWrite,
        what: "write mutating or validating webhook configurations (see or change every object admitted)",
        requests: &[
            ("create", WEBHOOKS, "mutatingwebhookconfigurations", ""),
            ("update", WEBHOOKS, "mutatingwebhookconfigurations", ""),
            ("patch", WEBHOOKS, "mutatingwebhookconfigurations", ""),
            ("delete", WEBHOOKS, "mutatingwebhookconfigurations", ""),
            ("create", WEBHOOKS, "validatingwebhookconfigurations", ""),
            ("update", WEBHOOKS, "validatingwebhookconfigurations", ""),
            ("patch", WEBHOOKS, "validatingwebhookconfigurations", ""),
            ("delete", WEBHOOKS, "validatingwebhookconfigurations", ""),
        ],
    },
];

/// Whether Kubernetes defines the role (the bootstrap policy: `system:*`, the user-facing
/// cluster-admin, admin, edit and view, kube-system's extension-apiserver-authentication-reader),
/// or EKS does (`eks:*`): not the cluster owners' to rewrite.
pub fn is_default_role(kind: RoleKind, name: &str) -> bool {
    name.starts_with("system:")
        || name.starts_with("eks:")
        || match kind {
            RoleKind::ClusterRole => matches!(name, "cluster-admin" | "admin" | "edit" | "view"),
            RoleKind::Role => name == "extension-apiserver-authentication-reader",
        }
}

/// Whether a rule allows every verb on every resource of every API group.
fn grants_everything(rule: &PolicyRule) -> bool {
    [&rule.verbs, &rule.resources, &rule.api_groups].iter().all(|list| list.iter().any(|v| v == "*"))
}

/// Whether a rule uses `*` for its verbs, resources or API groups.
pub fn has_wildcard(rule: &PolicyRule) -> bool {
    [&rule.verbs, &rule.resources, &rule.api_groups].iter().any(|list| list.iter().any(|v| v == "*"))
}

pub fn cis_findings(state: &AccessState, shapes: &[WindowShape], ctx: &CisContext) -> Vec<Finding> {
    let authz = Authorizer::new(state);
    let mut by_grant: HashMap<&GrantId, Vec<&WindowShape>> = HashMap::new();
    for s in shapes {
        if let Some(g) = s.by() {
            by_grant.entry(g).or_default().push(s);
        }
    }
    let used = |grant: &GrantId| by_grant.get(grant).map_or(&[][..], Vec::as_slice);
    let holdings = authz.every_holding();
    // Each binding's role rules as the RBAC index resolved them: no search of the roles per binding.
    let role_rules: HashMap<usize, &[PolicyRule]> = holdings
        .iter()
        .filter_map(|h| match h.grant {
            Grant::Binding(i) => Some((i, h.rules)),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for h in holdings.iter().filter(|h| !managed(state, h.grant) && !h.rules.iter().any(grants_everything)) {
        let grant = authz.grant_id(h.grant);
        let principal = principal_of(state, h.grant);
        for s in SENSITIVE.iter().filter(|s| allows_any(h, s)) {
            let uses: Vec<&WindowShape> = used(&grant).iter().copied().filter(|w| exercises(w, s)).collect();
            let summary = if uses.is_empty() {
                format!(
                    "{grant} lets its subjects {}, and none did {}: take it out of the grant's role or policy.",
                    s.what,
                    observed_span(ctx.observed_days, ctx.window_days)
                )
            } else {
                format!(
                    "{grant} lets its subjects {}, and it was used {}: keep it only for the identities that need it.",
                    s.what,
                    observed_span(ctx.observed_days, ctx.window_days)
                )
            };
            out.push(finding(s.kind, ctx, &grant, principal, &uses, summary));
        }
    }
    for (i, b) in state.bindings.iter().enumerate().filter(|(_, b)| managed_binding(b).is_none()) {
        let grant = authz.grant_id(Grant::Binding(i));
        let rules = role_rules.get(&i).copied().unwrap_or_default();
        if !is_default_role(b.role_kind, &b.role_name) && rules.iter().any(has_wildcard) {
            let uses = used(&grant);
            let summary = format!(
                "{} {} uses `*` in {} of its rules: replace them with the verbs, resources and API groups its \
                 bindings need ({} distinct requests allowed through {} {}).",
                b.role_kind.as_str(),
                b.role_name,
                rules.iter().filter(|r| has_wildcard(r)).count(),
                uses.len(),
                b.name,
                observed_span(ctx.observed_days, ctx.window_days)
            );
            out.push(finding(FindingKind::WildcardRule, ctx, &grant, None, uses, summary));
        }
        for sa in b.subjects.iter().filter_map(|s| match s {
            Subject::ServiceAccount { namespace, name } if name == "default" => Some(namespace),
            _ => None,
        }) {
            let username = format!("system:serviceaccount:{sa}:default");
            let uses: Vec<&WindowShape> =
                used(&grant).iter().copied().filter(|w| w.stored.shape.username == username).collect();
            let summary = format!(
                "{} binds the default service account of namespace {sa}, which every pod there runs as unless \
                 it names another: give the workloads that need {} a service account of their own, bind that \
                 instead, and take {username} out of the binding's subjects.",
                b.name, b.role_name
            );
            out.push(finding(FindingKind::DefaultServiceAccountBound, ctx, &grant, None, &uses, summary));
        }
    }
    out
}

fn managed(state: &AccessState, grant: Grant) -> bool {
    match grant {
        Grant::Binding(i) => managed_binding(&state.bindings[i]).is_some(),
        Grant::AccessPolicy { entry, .. } => managed_entry(&state.access_entries[entry]).is_some(),
        _ => false,
    }
}

fn principal_of(state: &AccessState, grant: Grant) -> Option<&str> {
    match grant {
        Grant::AccessPolicy { entry, .. } => Some(state.access_entries[entry].principal_arn.as_str()),
        _ => None,
    }
}

/// Whether the grant alone allows one of the permission's requests where it applies.
fn allows_any(h: &Holding, s: &Sensitive) -> bool {
    s.requests
        .iter()
        .any(|&(verb, group, resource, sub)| h.allows(&Request::resource(verb, group, resource, sub, "", "")))
}

/// Whether a recorded request exercised the permission.
fn exercises(w: &WindowShape, s: &Sensitive) -> bool {
    let r = &w.stored.shape;
    s.requests.iter().any(|&(verb, group, resource, sub)| {
        r.verb == verb && r.api_group == group && r.resource == resource && r.subresource == sub
    })
}

fn finding(
    kind: FindingKind,
    ctx: &CisContext,
    grant: &GrantId,
    principal: Option<&str>,
    uses: &[&WindowShape],
    summary: String,
) -> Finding {
    let enough_days = ctx.observed_days >= i64::from(ctx.min_observed_days);
    let severity = if uses.is_empty() && enough_days { Severity::High } else { Severity::Medium };
    let evidence = Evidence::of_uses(uses, ctx.observed_days, ctx.window_days);
    Finding {
        id: finding_id(kind, ctx.cluster, grant.as_str()),
        kind,
        would_be: None,
        severity,
        cluster: ctx.cluster.to_string(),
        principal: principal.map(String::from),
        grant: grant.clone(),
        evidence,
        recommendation: Recommendation { summary, commands: Vec::new() },
        // Advice about a role's rules or a binding's subjects: no change to prove by replay.
        change: None,
        controls: Vec::new(),
        accepted: None,
        lapsed_exception: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoredDecision, StoredShape};
    use std::sync::Arc;

    const STATE: &str = r#"
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: c, region: eu-west-1}
accessConfig:
  authenticationMode: API_AND_CONFIG_MAP
  bootstrapClusterCreatorAdminPermissions: false
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/admin
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
          accessScope: {type: cluster}
    - principalARN: arn:aws:iam::111122223333:role/viewer
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
          accessScope: {type: cluster}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: pv-maker},
     rules: [{apiGroups: [""], resources: [persistentvolumes], verbs: [create, get]}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: debugger},
     rules: [{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: webhook-admin},
     rules: [{apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [patch]}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: anything-in-apps},
     rules: [{apiGroups: [apps], resources: ["*"], verbs: [get]}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: pv},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pv-maker},
     subjects: [{kind: Group, name: storage}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: pv-in-ns, namespace: app},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pv-maker},
     subjects: [{kind: Group, name: storage}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: debug},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger},
     subjects: [{kind: Group, name: sre}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: webhooks},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: webhook-admin},
     subjects: [{kind: ServiceAccount, name: policy-controller, namespace: policy}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: apps-reader},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: anything-in-apps},
     subjects: [{kind: Group, name: readers}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: app-default, namespace: app},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit},
     subjects: [{kind: ServiceAccount, name: default, namespace: app}]}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ops-admin},
     roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin},
     subjects: [{kind: Group, name: ops}]}
"#;

    fn ctx() -> CisContext<'static> {
        CisContext { cluster: "c", observed_days: 30, window_days: 90, min_observed_days: 14 }
    }

    /// One allowed request of the window, by `grant`.
    fn used(verb: &str, group: &str, resource: &str, sub: &str, grant: &str) -> WindowShape {
        let shape = crate::model::RequestShape {
            cluster: "c".into(),
            principal: "system:serviceaccount:policy:policy-controller".into(),
            iam: false,
            username: "system:serviceaccount:policy:policy-controller".into(),
            groups: vec![],
            session_name: "".into(),
            verb: verb.to_string().into(),
            api_group: group.to_string().into(),
            resource: resource.to_string().into(),
            subresource: sub.to_string().into(),
            namespace: "".into(),
            name: "".into(),
            path: "".into(),
            access_key_id: "".into(),
            unkept: crate::model::Unkept::NONE,
        };
        let decision = StoredDecision {
            outcome: "allowed".into(),
            allowed: Some(true),
            by: Some(GrantId::parse(grant)),
            shadowed: vec![],
            authenticated_by: None,
            undocumented: vec![],
            possibly: vec![],
        };
        WindowShape {
            stored: StoredShape { id: 1, caller_id: 1, shape },
            decision: Arc::new(decision),
            requests: 7,
            last_ms: 0,
        }
    }

    #[test]
    fn each_recommendation_is_a_finding_on_the_grants_that_give_it_ranked_by_use() {
        let state = crate::state::from_texts(&[STATE]);
        let webhooks = "rbac:ClusterRoleBinding/webhooks:ClusterRole/webhook-admin";
        let shapes = [used("patch", WEBHOOKS, "validatingwebhookconfigurations", "", webhooks)];
        let found = cis_findings(&state, &shapes, &ctx());
        let got: Vec<(FindingKind, &str, Severity)> =
            found.iter().map(|f| (f.kind, f.grant.as_str(), f.severity)).collect();
        let cases: [(&str, FindingKind, &str, Option<Severity>); 9] = [
            (
                "a ClusterRoleBinding that creates PersistentVolumes, unused: high",
                FindingKind::CreatePersistentvolumes,
                "rbac:ClusterRoleBinding/pv:ClusterRole/pv-maker",
                Some(Severity::High),
            ),
            (
                "a RoleBinding cannot give a cluster-scoped resource",
                FindingKind::CreatePersistentvolumes,
                "rbac:RoleBinding/app/pv-in-ns:ClusterRole/pv-maker",
                None,
            ),
            (
                "get on nodes/proxy reaches the kubelet API",
                FindingKind::NodesProxyAccess,
                "rbac:ClusterRoleBinding/debug:ClusterRole/debugger",
                Some(Severity::High),
            ),
            (
                "webhook configuration writes that were used: medium",
                FindingKind::WebhookConfigurationWrite,
                webhooks,
                Some(Severity::Medium),
            ),
            (
                "a role the owners wrote with a wildcard resource",
                FindingKind::WildcardRule,
                "rbac:ClusterRoleBinding/apps-reader:ClusterRole/anything-in-apps",
                Some(Severity::High),
            ),
            (
                "a binding of a namespace's default service account",
                FindingKind::DefaultServiceAccountBound,
                "rbac:RoleBinding/app/app-default:ClusterRole/edit",
                Some(Severity::High),
            ),
            (
                "Kubernetes' own roles are not the owners' wildcards",
                FindingKind::WildcardRule,
                "rbac:ClusterRoleBinding/ops-admin:ClusterRole/cluster-admin",
                None,
            ),
            (
                "a grant of everything is left to 4.1.1 and the over-broad findings",
                FindingKind::CreatePersistentvolumes,
                "eks:arn:aws:iam::111122223333:role/admin:AmazonEKSClusterAdminPolicy@cluster",
                None,
            ),
            (
                "the View policy writes nothing",
                FindingKind::WebhookConfigurationWrite,
                "eks:arn:aws:iam::111122223333:role/viewer:AmazonEKSViewPolicy@cluster",
                None,
            ),
        ];
        for (name, kind, grant, want) in cases {
            let hit = got.iter().find(|(k, g, _)| *k == kind && *g == grant).map(|(_, _, s)| *s);
            assert_eq!(hit, want, "{name}: {got:#?}");
        }
        assert!(
            got.iter().all(|(_, g, _)| !g.contains("system:") && !g.contains("eks:addon")),
            "bootstrap bindings are never findings: {got:#?}"
        );
        let webhook = found.iter().find(|f| f.grant.as_str() == webhooks).unwrap();
        assert_eq!(webhook.evidence.requests, 7, "the use is the evidence");
    }

    #[test]
    fn every_bootstrap_role_is_a_default_role_and_wildcards_are_found_where_they_are() {
        let bootstrap = crate::state::from_texts(&[]);
        for r in &bootstrap.roles {
            let kind = if r.namespace.is_some() { RoleKind::Role } else { RoleKind::ClusterRole };
            assert!(is_default_role(kind, &r.name), "{kind:?} {}", r.name);
        }
        assert!(!is_default_role(RoleKind::ClusterRole, "pv-maker"));
        let rule = |verbs: &[&str], groups: &[&str], resources: &[&str]| PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        };
        let cases = [
            ("a verb wildcard", rule(&["*"], &[""], &["pods"]), true),
            ("a group wildcard", rule(&["get"], &["*"], &["pods"]), true),
            ("a resource wildcard", rule(&["get"], &[""], &["*"]), true),
            ("a resource/subresource wildcard is not `*`", rule(&["get"], &[""], &["pods/*"]), false),
            ("no wildcard", rule(&["get"], &[""], &["pods"]), false),
        ];
        for (name, r, want) in cases {
            assert_eq!(has_wildcard(&r), want, "{name}");
        }
    }
}
