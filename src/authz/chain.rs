//! The authorizer chain as EKS runs it (DESIGN idea 3): Kubernetes' privileged-group check
//! (`system:masters`), then RBAC, then the EKS access-policy authorizer; all passing means deny.
//! Every allow names the grant that produced it (`by`, the first in chain order) and every other
//! grant that would also have allowed it (`shadowed`).

use super::authn::{Authentication, AuthnIndex, is_eks_internal};
use super::holdings::{EVERYTHING, Holding, Place};
use super::policies::{PolicyLookup, catalog, policy_name};
use super::rbac::RbacIndex;
use super::rules::rules_allow;
use super::scope::scope_matches;
use super::unkept::{HIGHEST, LOWEST, at_bound, names_subject, without_nul};
use super::{Grant, Request};
use crate::model::{AccessState, GrantId, PolicyRule, RequestShape};
use serde::Serialize;

/// Kubernetes' `user.SystemPrivilegedGroup`: allowed everything before RBAC runs (which is why EKS
/// audit events of its members carry an empty reason).
pub const SYSTEM_MASTERS: &str = "system:masters";

/// Why a decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Allowed,
    /// Authenticated, but no grant allows it.
    NoGrant,
    /// An IAM principal no access entry or aws-auth mapping admits.
    Unauthenticated,
    /// Decided by what grantscope does not model: the Node authorizer for a node, or EKS for one of
    /// its own identities (`eks:*`) that no grant in the state allows (EKS maintains their RBAC,
    /// which a state read from files may lack), so never reported as denied.
    NotEvaluated,
    /// Requests whose object name and session were not kept: allowed for some names or sessions
    /// they could have had, denied for others. Never counted as allowed or as denied.
    Undetermined,
}

impl Outcome {
    /// As stored and printed: the serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::NoGrant => "no-grant",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::NotEvaluated => "not-evaluated",
            Outcome::Undetermined => "undetermined",
        }
    }
}

/// The decision for one request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    /// `None` when not evaluated (nodes, EKS's own identities without a grant in the state).
    pub allowed: Option<bool>,
    pub authenticated: bool,
    pub authenticated_by: Option<Grant>,
    pub by: Option<Grant>,
    pub shadowed: Vec<Grant>,
    /// Associations in scope whose policy's rules are not documented: they might allow the request,
    /// so a deny here is uncertain and an allow might have more shadowed grants.
    pub undocumented: Vec<Grant>,
    /// For an undetermined decision: the grants that allow some of the names and sessions the
    /// requests could have had (the caller's way in among them).
    pub possibly: Vec<Grant>,
    pub outcome: Outcome,
}

/// A decision with its trace.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub decision: Decision,
    /// Who the caller was taken to be, when authenticated.
    pub username: Option<String>,
    pub groups: Vec<String>,
    /// Grants naming the caller that did not allow the request, and why.
    pub not_applied: Vec<(Grant, &'static str)>,
}

#[derive(Default)]
struct Trace {
    username: Option<String>,
    groups: Vec<String>,
    not_applied: Vec<(Grant, &'static str)>,
}

/// A policy association with its catalog entry resolved once.
enum ResolvedPolicy {
    Rules(&'static [PolicyRule]),
    Undocumented,
}

/// An [`AccessState`] ready to decide requests.
pub struct Authorizer<'s> {
    state: &'s AccessState,
    authn: AuthnIndex<'s>,
    rbac: RbacIndex<'s>,
    /// Per access entry, per association.
    policies: Vec<Vec<ResolvedPolicy>>,
    /// Problems found while indexing: unknown policy ARNs, bindings to missing roles.
    pub warnings: Vec<String>,
}

impl<'s> Authorizer<'s> {
    pub fn new(state: &'s AccessState) -> Authorizer<'s> {
        let mut warnings = Vec::new();
        let policies = state
            .access_entries
            .iter()
            .map(|e| {
                e.policies
                    .iter()
                    .map(|a| match catalog().lookup(&a.policy_arn) {
                        PolicyLookup::Documented(p) => ResolvedPolicy::Rules(&p.rules),
                        PolicyLookup::Undocumented(_) => ResolvedPolicy::Undocumented,
                        PolicyLookup::Unknown => {
                            warnings.push(format!(
                                "access entry {}: unknown access policy {} (never allows; decisions it could affect say so)",
                                e.principal_arn, a.policy_arn
                            ));
                            ResolvedPolicy::Undocumented
                        }
                    })
                    .collect()
            })
            .collect();
        let templates = state
            .access_entries
            .iter()
            .filter(|e| !e.entry_type.is_node())
            .flat_map(|e| e.username.iter().chain(&e.kubernetes_groups).map(move |t| (e.principal_arn.as_str(), t)))
            .chain(
                state
                    .aws_auth
                    .map_roles
                    .iter()
                    .chain(&state.aws_auth.map_users)
                    .filter(|m| !super::is_node_mapping(m))
                    .flat_map(|m| std::iter::once(&m.username).chain(&m.groups).map(move |t| (m.arn.as_str(), t))),
            );
        for (arn, template) in templates {
            if !super::templates::is_renderable(template) {
                warnings.push(format!(
                    "{arn}: `{template}` uses a placeholder stored request shapes cannot fill ({}): replay decides with the text as written (evaluate and explain render {{{{AccessKeyID}}}} from the event)",
                    super::templates::UNRENDERABLE.join(", ")
                ));
            }
        }
        let rbac = RbacIndex::new(state);
        for &i in &rbac.unresolved {
            let b = &state.bindings[i];
            warnings.push(format!(
                "{}: its {:?} {} does not exist (grants nothing)",
                binding_name(state, i),
                b.role_kind,
                b.role_name
            ));
        }
        Authorizer { state, authn: AuthnIndex::new(state), rbac, policies, warnings }
    }

    /// Who the state takes the caller of a recorded request to be.
    pub fn authenticate<'a>(&'a self, shape: &'a RequestShape) -> Authentication<'a> {
        self.authn.authenticate(shape)
    }

    /// Decides a recorded request against this state, re-authenticating its caller. A shape's
    /// unkept requests are decided at both bounds of their names and sessions ([`super::unkept`]).
    pub fn authorize(&self, shape: &RequestShape) -> Decision {
        let shape = &*without_nul(shape);
        if !shape.unkept.any() {
            return self.evaluate(shape, None);
        }
        let lowest = self.evaluate(&at_bound(shape, LOWEST), None);
        // Unauthenticated: no name or session changes who the principal is.
        if lowest.outcome == Outcome::Unauthenticated {
            return lowest;
        }
        let highest = self.evaluate(&at_bound(shape, HIGHEST), None);
        // Allowed at the lowest bound: allowed for every name and session, and the grants only some
        // of them reach are possibly shadowed. Denied (or not evaluated) at the highest: the same
        // for every name and session.
        if lowest.allowed == Some(true) || highest.allowed != Some(true) {
            let known: Vec<Grant> = lowest.grants().collect();
            let possibly = highest.grants().filter(|g| !known.contains(g)).collect();
            return Decision { possibly, ..lowest };
        }
        Decision {
            allowed: None,
            by: None,
            shadowed: Vec::new(),
            possibly: highest.grants().collect(),
            outcome: Outcome::Undetermined,
            ..lowest
        }
    }

    /// Decides, and also says who the caller was taken to be and why every other grant naming the
    /// caller did not allow the request (`grantscope explain`).
    pub fn explain(&self, shape: &RequestShape) -> Explanation {
        let mut trace = Trace::default();
        let decision = self.evaluate(&without_nul(shape), Some(&mut trace));
        Explanation { decision, username: trace.username, groups: trace.groups, not_applied: trace.not_applied }
    }

    fn evaluate(&self, shape: &RequestShape, mut trace: Option<&mut Trace>) -> Decision {
        let (username, groups, via) = match self.authn.authenticate(shape) {
            Authentication::Authenticated { username, groups, via } => (username, groups, via),
            Authentication::Node { via } => return Decision::new(Outcome::NotEvaluated, None, true, via),
            Authentication::Unauthenticated => {
                return Decision::new(Outcome::Unauthenticated, Some(false), false, None);
            }
        };
        let req = Request::of_shape(shape);
        let mut allowing = Vec::new();
        if groups.iter().any(|g| names_subject(g, SYSTEM_MASTERS)) {
            allowing.push(Grant::SystemMasters);
        }
        for i in self.rbac.candidates(&username, &groups) {
            match self.rbac.why_not(i, &req) {
                None => allowing.push(Grant::Binding(i)),
                Some(why) => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.not_applied.push((Grant::Binding(i), why));
                    }
                }
            }
        }
        let mut undocumented = Vec::new();
        if let Some(Grant::AccessEntry(entry)) = via {
            for (association, a) in self.state.access_entries[entry].policies.iter().enumerate() {
                let grant = Grant::AccessPolicy { entry, association };
                let why = if !scope_matches(&a.scope, &req) {
                    Some("its access scope does not cover this request")
                } else {
                    match self.policies[entry][association] {
                        ResolvedPolicy::Rules(rules) if rules_allow(rules, &req) => None,
                        ResolvedPolicy::Rules(_) => Some("the policy's rules do not cover this request"),
                        ResolvedPolicy::Undocumented => {
                            undocumented.push(grant);
                            Some("the policy's rules are not documented: it might allow this, grantscope cannot tell")
                        }
                    }
                };
                match why {
                    None => allowing.push(grant),
                    Some(why) => {
                        if let Some(t) = trace.as_deref_mut() {
                            t.not_applied.push((grant, why));
                        }
                    }
                }
            }
        }
        // Nothing in the state grants one of EKS's own identities what it did: EKS maintains their
        // RBAC, which a state read from files may lack, so this is not a deny grantscope can claim.
        let eks_internal = via.is_none() && is_eks_internal(&username);
        if let Some(t) = trace {
            t.username = Some(username.into_owned());
            t.groups = groups.into_iter().map(|g| g.into_owned()).collect();
        }
        let mut allowing = allowing.into_iter();
        let by = allowing.next();
        let outcome = match by {
            Some(_) => Outcome::Allowed,
            None if eks_internal => Outcome::NotEvaluated,
            None => Outcome::NoGrant,
        };
        Decision {
            allowed: (outcome != Outcome::NotEvaluated).then_some(by.is_some()),
            authenticated: true,
            authenticated_by: via,
            by,
            shadowed: allowing.collect(),
            undocumented,
            possibly: Vec::new(),
            outcome,
        }
    }

    /// Every grant naming a subject, with its rules and where they apply, in the chain's order.
    /// `via` is how an IAM principal authenticated (its access entry brings its access policies).
    pub fn holdings(&self, username: &str, groups: &[impl AsRef<str>], via: Option<Grant>) -> Vec<Holding<'s>> {
        let mut out = Vec::new();
        if groups.iter().any(|g| g.as_ref() == SYSTEM_MASTERS) {
            out.push(Holding { grant: Grant::SystemMasters, rules: &EVERYTHING, place: Place::Everywhere });
        }
        out.extend(self.rbac.candidates(username, groups).into_iter().filter_map(|i| self.binding_holding(i)));
        if let Some(Grant::AccessEntry(entry)) = via {
            out.extend(self.association_holdings(entry));
        }
        out
    }

    /// Every grant of the state with rules, whoever it names: each binding whose role exists, then
    /// each access policy association whose rules are documented.
    pub fn every_holding(&self) -> Vec<Holding<'s>> {
        let bindings = (0..self.state.bindings.len()).filter_map(|i| self.binding_holding(i));
        let associations = (0..self.state.access_entries.len()).flat_map(|e| self.association_holdings(e));
        bindings.chain(associations).collect()
    }

    /// A binding with its role's rules, where they apply; none if its role does not exist.
    fn binding_holding(&self, i: usize) -> Option<Holding<'s>> {
        let rules = self.rbac.binding_rules(i)?;
        let place = match self.state.bindings[i].namespace.as_deref() {
            Some(ns) => Place::Namespace(ns),
            None => Place::Everywhere,
        };
        Some(Holding { grant: Grant::Binding(i), rules, place })
    }

    /// An access entry's policy associations whose rules are documented, each within its scope.
    fn association_holdings(&self, entry: usize) -> impl Iterator<Item = Holding<'s>> + '_ {
        let policies = &self.state.access_entries[entry].policies;
        policies.iter().enumerate().filter_map(move |(association, a)| match self.policies[entry][association] {
            ResolvedPolicy::Rules(rules) => Some(Holding {
                grant: Grant::AccessPolicy { entry, association },
                rules,
                place: Place::Scope(&a.scope),
            }),
            _ => None,
        })
    }

    /// The stable, human-readable id of a grant ([`GrantId`] says how each kind is written).
    pub fn grant_id(&self, grant: Grant) -> GrantId {
        let s = self.state;
        match grant {
            Grant::SystemMasters => GrantId::privileged_group(SYSTEM_MASTERS),
            Grant::Binding(i) => {
                let b = &s.bindings[i];
                GrantId::binding(b.namespace.as_deref(), &b.name, b.role_kind, &b.role_name)
            }
            Grant::AccessPolicy { entry, association } => {
                let e = &s.access_entries[entry];
                let a = &e.policies[association];
                let policy = policy_name(&a.policy_arn).unwrap_or(&a.policy_arn);
                GrantId::access_policy(&e.principal_arn, policy, &a.scope)
            }
            Grant::AccessEntry(i) => GrantId::access_entry(&s.access_entries[i].principal_arn),
            Grant::AwsAuthRole(i) => GrantId::aws_auth_role(&s.aws_auth.map_roles[i].arn),
            Grant::AwsAuthUser(i) => GrantId::aws_auth_user(&s.aws_auth.map_users[i].arn),
            Grant::AwsAuthAccount(i) => GrantId::aws_auth_account(&s.aws_auth.map_accounts[i]),
        }
    }
}

/// `ClusterRoleBinding/<name>` or `RoleBinding/<ns>/<name>`, for warnings.
fn binding_name(s: &AccessState, i: usize) -> String {
    let b = &s.bindings[i];
    match &b.namespace {
        None => format!("ClusterRoleBinding/{}", b.name),
        Some(ns) => format!("RoleBinding/{ns}/{}", b.name),
    }
}

impl Decision {
    /// The grants it names: the one that allowed, those shadowed, and the caller's way in.
    fn grants(&self) -> impl Iterator<Item = Grant> + '_ {
        self.by.into_iter().chain(self.shadowed.iter().copied()).chain(self.authenticated_by)
    }

    fn new(outcome: Outcome, allowed: Option<bool>, authenticated: bool, via: Option<Grant>) -> Decision {
        Decision {
            allowed,
            authenticated,
            authenticated_by: via,
            by: None,
            shadowed: Vec::new(),
            undocumented: Vec::new(),
            possibly: Vec::new(),
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AccessEntry, AccessEntryType, AccessScope, AuthenticationMode, AwsAuth, IdentityMapping, PolicyAssociation,
        Role, RoleBinding, RoleKind, Subject,
    };
    use std::borrow::Cow;

    const ACCT: &str = "111122223333";
    const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
    const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
    const ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    const AUTO_NODE: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy";

    fn assoc(policy: &str, namespaces: &[&str]) -> PolicyAssociation {
        let scope = if namespaces.is_empty() {
            AccessScope::Cluster
        } else {
            AccessScope::Namespace { namespaces: namespaces.iter().map(|s| s.to_string()).collect() }
        };
        PolicyAssociation { policy_arn: policy.into(), scope, associated_at_ms: None }
    }

    fn entry(arn: &str, groups: &[&str], policies: Vec<PolicyAssociation>) -> AccessEntry {
        AccessEntry {
            principal_arn: arn.into(),
            entry_type: AccessEntryType::Standard,
            username: None,
            kubernetes_groups: groups.iter().map(|s| s.to_string()).collect(),
            policies,
            created_at_ms: None,
        }
    }

    fn mapping(arn: &str, username: &str, groups: &[&str]) -> IdentityMapping {
        IdentityMapping {
            arn: arn.into(),
            username: username.into(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn crb(name: &str, role: &str, subject: Subject) -> RoleBinding {
        RoleBinding {
            namespace: None,
            name: name.into(),
            role_kind: RoleKind::ClusterRole,
            role_name: role.into(),
            subjects: vec![subject],
            system: false,
        }
    }

    fn state(mode: AuthenticationMode) -> AccessState {
        let reader = PolicyRule {
            verbs: vec!["get".into(), "list".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into()],
            ..PolicyRule::default()
        };
        AccessState {
            cluster: "prod".into(),
            authentication_mode: mode,
            access_entries: vec![
                // 0: path in the entry's ARN; canonical ARNs carry none.
                entry(&format!("arn:aws:iam::{ACCT}:role/teams/viewer"), &[], vec![assoc(VIEW, &["dev-*"])]),
                // 1: also mapped in aws-auth: the entry must win in API_AND_CONFIG_MAP.
                entry(&format!("arn:aws:iam::{ACCT}:role/both"), &["readers"], vec![]),
                // 2: two policies that both allow reads: the second is shadowed.
                entry(&format!("arn:aws:iam::{ACCT}:role/admin"), &[], vec![assoc(ADMIN, &[]), assoc(EDIT, &[])]),
                // 3: a prose-only policy: never allows, but says it might.
                entry(&format!("arn:aws:iam::{ACCT}:role/auto"), &[], vec![assoc(AUTO_NODE, &[])]),
                // 5: an IAM user.
                entry(&format!("arn:aws:iam::{ACCT}:user/carol"), &[], vec![]),
                // 4: a node role.
                AccessEntry {
                    entry_type: AccessEntryType::Ec2Linux,
                    ..entry(&format!("arn:aws:iam::{ACCT}:role/node"), &[], vec![])
                },
            ],
            aws_auth: AwsAuth {
                map_roles: vec![
                    mapping(&format!("arn:aws:iam::{ACCT}:role/both"), "both-user", &["system:masters"]),
                    mapping(&format!("ARN:AWS:IAM::{ACCT}:ROLE/SHOUTY"), "admin:{{SessionName}}", &["readers"]),
                    // A path in a mapRoles ARN never matches an assumed role.
                    mapping(&format!("arn:aws:iam::{ACCT}:role/teams/pathed"), "pathed", &["readers"]),
                    mapping(&format!("arn:aws:iam::{ACCT}:role/masters"), "m", &["system:masters"]),
                    // A user ARN under mapRoles: the authenticator looks ARNs up in both lists.
                    mapping(&format!("arn:aws:iam::{ACCT}:user/mallory"), "mallory", &["readers"]),
                    mapping(
                        &format!("arn:aws:iam::{ACCT}:role/legacy-node"),
                        "system:node:{{EC2PrivateDNSName}}",
                        &["system:bootstrappers", "system:nodes"],
                    ),
                ],
                map_users: vec![mapping(&format!("arn:aws:iam::{ACCT}:user/bob"), "bob", &[])],
                map_accounts: vec!["444455556666".into()],
            },
            roles: vec![
                Role { namespace: None, name: "pod-reader".into(), rules: vec![reader.clone()] },
                Role {
                    namespace: None,
                    name: "cluster-admin".into(),
                    rules: vec![PolicyRule {
                        verbs: vec!["*".into()],
                        api_groups: vec!["*".into()],
                        resources: vec!["*".into()],
                        ..PolicyRule::default()
                    }],
                },
            ],
            bindings: vec![
                crb("readers", "pod-reader", Subject::Group { name: "readers".into() }),
                crb("alice-by-name", "pod-reader", Subject::User { name: "admin:alice-example.com".into() }),
                crb("cluster-admin", "cluster-admin", Subject::Group { name: SYSTEM_MASTERS.into() }),
                crb("bob", "pod-reader", Subject::User { name: "bob".into() }),
                crb("everyone", "pod-reader", Subject::Group { name: "system:authenticated".into() }),
                crb("carol-by-arn", "cluster-admin", Subject::User { name: format!("arn:aws:iam::{ACCT}:user/carol") }),
                crb(
                    "dave-session",
                    "cluster-admin",
                    Subject::User { name: format!("arn:aws:sts::{ACCT}:assumed-role/admin/dave-example.com") },
                ),
            ],
        }
    }

    fn iam_shape<'a>(role_or_user: &'a str, session: &'a str, verb: &'a str, ns: &'a str) -> RequestShape<'a> {
        RequestShape {
            cluster: "prod".into(),
            principal: Cow::Owned(format!("arn:aws:iam::{role_or_user}")),
            iam: true,
            username: "as-recorded".into(),
            groups: vec!["recorded-group".into()],
            session_name: session.into(),
            verb: verb.into(),
            api_group: "".into(),
            resource: "pods".into(),
            subresource: "".into(),
            namespace: ns.into(),
            name: "".into(),
            path: "".into(),
            access_key_id: "".into(),
            unkept: crate::model::Unkept::NONE,
        }
    }

    /// What a case expects: outcome, `by`, `shadowed`, `authenticated_by` (as grant ids).
    type Want = (Outcome, Option<&'static str>, Vec<&'static str>, Option<&'static str>);

    /// (case, mode, principal "ACCOUNT:kind/name", session, verb, namespace, want)
    type Case = (&'static str, AuthenticationMode, String, &'static str, &'static str, &'static str, Want);

    #[test]
    fn authorize_follows_the_eks_chain() {
        use AuthenticationMode::*;
        let cases: Vec<Case> = vec![
            (
                "an entry with an IAM path matches the canonical ARN; namespace wildcard scope applies",
                Api,
                format!("{ACCT}:role/viewer"),
                "s",
                "watch",
                "dev-a",
                (
                    Outcome::Allowed,
                    Some("eks:arn:aws:iam::111122223333:role/teams/viewer:AmazonEKSViewPolicy@ns:dev-*"),
                    vec![],
                    Some("eks-entry:arn:aws:iam::111122223333:role/teams/viewer"),
                ),
            ),
            (
                "outside its namespace scope the policy does not apply (system:authenticated still reads via RBAC)",
                Api,
                format!("{ACCT}:role/viewer"),
                "s",
                "delete",
                "prod",
                (Outcome::NoGrant, None, vec![], Some("eks-entry:arn:aws:iam::111122223333:role/teams/viewer")),
            ),
            (
                "API_AND_CONFIG_MAP: the access entry wins over aws-auth (no system:masters from the mapping)",
                ApiAndConfigMap,
                format!("{ACCT}:role/both"),
                "s",
                "delete",
                "dev",
                (Outcome::NoGrant, None, vec![], Some("eks-entry:arn:aws:iam::111122223333:role/both")),
            ),
            (
                "CONFIG_MAP ignores access entries: the mapping's system:masters applies",
                ConfigMap,
                format!("{ACCT}:role/both"),
                "s",
                "delete",
                "dev",
                (
                    Outcome::Allowed,
                    Some("k8s:group/system:masters"),
                    vec!["rbac:ClusterRoleBinding/cluster-admin:ClusterRole/cluster-admin"],
                    Some("aws-auth:mapRoles/arn:aws:iam::111122223333:role/both"),
                ),
            ),
            (
                "API ignores aws-auth: a principal only mapped there is unauthenticated",
                Api,
                format!("{ACCT}:role/masters"),
                "s",
                "get",
                "dev",
                (Outcome::Unauthenticated, None, vec![], None),
            ),
            (
                "aws-auth ARNs match ignoring case; {{SessionName}} turns @ into -",
                ConfigMap,
                format!("{ACCT}:role/shouty"),
                "alice@example.com",
                "get",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/readers:ClusterRole/pod-reader"),
                    vec![
                        "rbac:ClusterRoleBinding/alice-by-name:ClusterRole/pod-reader",
                        "rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader",
                    ],
                    Some("aws-auth:mapRoles/ARN:AWS:IAM::111122223333:ROLE/SHOUTY"),
                ),
            ),
            (
                "a mapRoles ARN with a path never matches an assumed role",
                ConfigMap,
                format!("{ACCT}:role/pathed"),
                "s",
                "get",
                "dev",
                (Outcome::Unauthenticated, None, vec![], None),
            ),
            (
                "mapUsers",
                ConfigMap,
                format!("{ACCT}:user/bob"),
                "",
                "get",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/bob:ClusterRole/pod-reader"),
                    vec!["rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader"],
                    Some("aws-auth:mapUsers/arn:aws:iam::111122223333:user/bob"),
                ),
            ),
            (
                "mapAccounts admits any principal of the account, with only system:authenticated",
                ApiAndConfigMap,
                "444455556666:role/anyone".to_string(),
                "s",
                "get",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader"),
                    vec![],
                    Some("aws-auth:mapAccounts/444455556666"),
                ),
            ),
            (
                "every policy that allows is recorded; the first is `by`",
                Api,
                format!("{ACCT}:role/admin"),
                "s",
                "delete",
                "dev",
                (
                    Outcome::Allowed,
                    Some("eks:arn:aws:iam::111122223333:role/admin:AmazonEKSClusterAdminPolicy@cluster"),
                    vec!["eks:arn:aws:iam::111122223333:role/admin:AmazonEKSEditPolicy@cluster"],
                    Some("eks-entry:arn:aws:iam::111122223333:role/admin"),
                ),
            ),
            (
                "RBAC comes before access policies",
                Api,
                format!("{ACCT}:role/admin"),
                "s",
                "get",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader"),
                    vec![
                        "eks:arn:aws:iam::111122223333:role/admin:AmazonEKSClusterAdminPolicy@cluster",
                        "eks:arn:aws:iam::111122223333:role/admin:AmazonEKSEditPolicy@cluster",
                    ],
                    Some("eks-entry:arn:aws:iam::111122223333:role/admin"),
                ),
            ),
            (
                "node entry types are not evaluated",
                Api,
                format!("{ACCT}:role/node"),
                "i-0abc",
                "get",
                "",
                (Outcome::NotEvaluated, None, vec![], Some("eks-entry:arn:aws:iam::111122223333:role/node")),
            ),
            (
                "aws-auth mappings into system:nodes are not evaluated",
                ConfigMap,
                format!("{ACCT}:role/legacy-node"),
                "i-0abc",
                "get",
                "",
                (
                    Outcome::NotEvaluated,
                    None,
                    vec![],
                    Some("aws-auth:mapRoles/arn:aws:iam::111122223333:role/legacy-node"),
                ),
            ),
            (
                "a principal nobody maps is unauthenticated",
                ApiAndConfigMap,
                format!("{ACCT}:role/stranger"),
                "s",
                "get",
                "dev",
                (Outcome::Unauthenticated, None, vec![], None),
            ),
            (
                "a user ARN listed under mapRoles still authenticates",
                ConfigMap,
                format!("{ACCT}:user/mallory"),
                "",
                "get",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/readers:ClusterRole/pod-reader"),
                    vec!["rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader"],
                    Some("aws-auth:mapRoles/arn:aws:iam::111122223333:user/mallory"),
                ),
            ),
            (
                "access entries match the principal's name ignoring case, as IAM names are unique so",
                Api,
                format!("{ACCT}:role/VIEWER"),
                "s",
                "watch",
                "dev-a",
                (
                    Outcome::Allowed,
                    Some("eks:arn:aws:iam::111122223333:role/teams/viewer:AmazonEKSViewPolicy@ns:dev-*"),
                    vec![],
                    Some("eks-entry:arn:aws:iam::111122223333:role/teams/viewer"),
                ),
            ),
            (
                "an IAM user's entry without a username authenticates as the user ARN",
                Api,
                format!("{ACCT}:user/carol"),
                "",
                "delete",
                "dev",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/carol-by-arn:ClusterRole/cluster-admin"),
                    vec![],
                    Some("eks-entry:arn:aws:iam::111122223333:user/carol"),
                ),
            ),
            (
                "a role's entry without a username authenticates as its assumed-role session ARN",
                Api,
                format!("{ACCT}:role/admin"),
                "dave@example.com",
                "escalate",
                "",
                (
                    Outcome::Allowed,
                    Some("rbac:ClusterRoleBinding/dave-session:ClusterRole/cluster-admin"),
                    vec!["eks:arn:aws:iam::111122223333:role/admin:AmazonEKSClusterAdminPolicy@cluster"],
                    Some("eks-entry:arn:aws:iam::111122223333:role/admin"),
                ),
            ),
        ];
        for (name, mode, principal, session, verb, ns, want) in cases {
            let st = state(mode);
            let authz = Authorizer::new(&st);
            let d = authz.authorize(&iam_shape(&principal, session, verb, ns));
            let got = (
                d.outcome,
                d.by.map(|g| authz.grant_id(g).to_string()),
                d.shadowed.iter().map(|&g| authz.grant_id(g).to_string()).collect::<Vec<_>>(),
                d.authenticated_by.map(|g| authz.grant_id(g).to_string()),
            );
            let want = (
                want.0,
                want.1.map(String::from),
                want.2.iter().map(|s| s.to_string()).collect(),
                want.3.map(String::from),
            );
            assert_eq!(got, want, "{name}");
            assert_eq!(
                d.allowed,
                match d.outcome {
                    Outcome::Allowed => Some(true),
                    Outcome::NotEvaluated => None,
                    _ => Some(false),
                },
                "{name}"
            );
        }
    }

    /// Identities no access entry or aws-auth row of the state decides: EKS's own (`eks:*`), which
    /// keep their recorded identity and are never denied, and nodes, which only Kubernetes' node
    /// identifier's `system:node:<name>` in `system:nodes` sends to the Node authorizer.
    #[test]
    fn eks_identities_and_nodes_are_decided_as_eks_and_kubernetes_decide_them() {
        let mut st = state(AuthenticationMode::ApiAndConfigMap);
        st.roles.push(Role {
            namespace: Some("kube-system".into()),
            name: "eks:addon-manager".into(),
            rules: vec![PolicyRule {
                verbs: vec!["get".into()],
                api_groups: vec!["apps".into()],
                resources: vec!["deployments".into()],
                ..PolicyRule::default()
            }],
        });
        st.bindings.push(RoleBinding {
            namespace: Some("kube-system".into()),
            name: "eks:addon-manager".into(),
            role_kind: RoleKind::Role,
            role_name: "eks:addon-manager".into(),
            subjects: vec![Subject::User { name: "eks:addon-manager".into() }],
            system: true,
        });
        st.aws_auth.map_roles.push(mapping("arn:aws:iam::111122223333:role/odd-node", "odd", &["system:nodes"]));
        let authz = Authorizer::new(&st);
        // An AWS-owned role EKS maps internally (public sample 07): no file shows its mapping.
        const ADDON_ROLE: &str = "123412341234:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-G332QAM69HWF";
        // (case, IAM principal or None, username, groups, "verb group/resource namespace") and (outcome, by)
        type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a [&'a str], &'a str);
        let cases: Vec<(Case, (Outcome, Option<&str>))> = vec![
            (
                (
                    "an eks:* IAM caller keeps its recorded identity, and the state's RBAC decides",
                    Some(ADDON_ROLE),
                    "eks:addon-manager",
                    &["system:authenticated"],
                    "get apps/deployments kube-system",
                ),
                (Outcome::Allowed, Some("rbac:RoleBinding/kube-system/eks:addon-manager:Role/eks:addon-manager")),
            ),
            (
                (
                    "an eks:* IAM caller that no grant in the state allows is not evaluated, never denied",
                    Some(ADDON_ROLE),
                    "eks:addon-manager",
                    &["system:authenticated"],
                    "delete apps/deployments kube-system",
                ),
                (Outcome::NotEvaluated, None),
            ),
            (
                (
                    "an eks:* IAM caller keeps its recorded identity even where aws-auth's mapAccounts admits its account",
                    Some("444455556666:role/eks-internal"),
                    "eks:addon-manager",
                    &["system:authenticated"],
                    "get apps/deployments kube-system",
                ),
                (Outcome::Allowed, Some("rbac:RoleBinding/kube-system/eks:addon-manager:Role/eks:addon-manager")),
            ),
            (
                (
                    "an eks:* user that is not an IAM principal is not evaluated either when nothing allows it",
                    None,
                    "eks:certificate-controller",
                    &["system:authenticated"],
                    "delete secrets kube-system",
                ),
                (Outcome::NotEvaluated, None),
            ),
            (
                (
                    "a managed node group's node, mapped by EKS, goes to the Node authorizer",
                    Some("111122223333:role/mng-node"),
                    "system:node:ip-10-0-1-23.ec2.internal",
                    &["system:nodes", "system:authenticated"],
                    "get pods ",
                ),
                (Outcome::NotEvaluated, None),
            ),
            (
                (
                    "a system:nodes member not named system:node:<name> (AKS nodeclient) is decided by RBAC",
                    None,
                    "nodeclient",
                    &["system:nodes", "system:authenticated"],
                    "get pods dev",
                ),
                (Outcome::Allowed, Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader")),
            ),
            (
                (
                    "RBAC denies such a member what it does not grant",
                    None,
                    "nodeclient",
                    &["system:nodes", "system:authenticated"],
                    "delete pods dev",
                ),
                (Outcome::NoGrant, None),
            ),
            (
                (
                    "a system:node:<name> username outside system:nodes is no node: RBAC decides",
                    None,
                    "system:node:n1",
                    &["system:authenticated"],
                    "get pods dev",
                ),
                (Outcome::Allowed, Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader")),
            ),
            (
                (
                    "an aws-auth mapping into system:nodes without a node username is decided by RBAC",
                    Some("111122223333:role/odd-node"),
                    "",
                    &[],
                    "get pods dev",
                ),
                (Outcome::Allowed, Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader")),
            ),
        ];
        for ((name, principal, username, groups, request), want) in cases {
            let mut parts = request.split(' ');
            let (verb, what, ns) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(""));
            let (api_group, resource) = what.split_once('/').unwrap_or(("", what));
            let mut shape = iam_shape(principal.unwrap_or("unused"), "1", verb, ns);
            shape.iam = principal.is_some();
            if !shape.iam {
                shape.principal = username.into();
            }
            shape.username = username.into();
            shape.groups = groups.iter().map(|&g| g.into()).collect();
            shape.api_group = api_group.into();
            shape.resource = resource.into();
            let d = authz.authorize(&shape);
            assert_eq!(
                (d.outcome, d.by.map(|g| authz.grant_id(g).to_string())),
                (want.0, want.1.map(String::from)),
                "{name}"
            );
            assert_eq!(d.allowed.is_none(), want.0 == Outcome::NotEvaluated, "{name}");
        }
    }

    #[test]
    fn access_key_id_templates_render_from_the_event_in_hand() {
        let mut st = state(AuthenticationMode::ConfigMap);
        st.aws_auth.map_roles.push(mapping(&format!("arn:aws:iam::{ACCT}:role/keyed"), "key-{{AccessKeyID}}", &[]));
        st.bindings.push(crb("by-key", "cluster-admin", Subject::User { name: "key-ASIAKEY".into() }));
        let authz = Authorizer::new(&st);
        assert!(authz.warnings.iter().any(|w| w.contains("AccessKeyID")), "{:?}", authz.warnings);
        let principal = format!("{ACCT}:role/keyed");
        let mut shape = iam_shape(&principal, "s", "delete", "dev");
        shape.access_key_id = "ASIAKEY".into();
        assert_eq!(
            authz.authorize(&shape).by.map(|g| authz.grant_id(g).to_string()).as_deref(),
            Some("rbac:ClusterRoleBinding/by-key:ClusterRole/cluster-admin")
        );
        shape.access_key_id = "".into();
        assert_eq!(authz.authorize(&shape).outcome, Outcome::NoGrant, "a stored shape has no key: the token stays");
    }

    #[test]
    fn undocumented_policies_never_allow_but_are_reported() {
        let st = state(AuthenticationMode::Api);
        let authz = Authorizer::new(&st);
        let d = authz.authorize(&iam_shape(&format!("{ACCT}:role/auto"), "s", "delete", "dev"));
        assert_eq!(d.outcome, Outcome::NoGrant);
        assert_eq!(
            d.undocumented.iter().map(|&g| authz.grant_id(g).to_string()).collect::<Vec<_>>(),
            ["eks:arn:aws:iam::111122223333:role/auto:AmazonEKSAutoNodePolicy@cluster"]
        );
    }

    #[test]
    fn callers_that_are_not_iam_principals_keep_their_recorded_identity() {
        let st = state(AuthenticationMode::Api);
        let authz = Authorizer::new(&st);
        let mut shape = iam_shape("unused", "", "get", "dev");
        shape.iam = false;
        shape.principal = "system:serviceaccount:dev:app".into();
        shape.username = "system:serviceaccount:dev:app".into();
        shape.groups = vec!["system:serviceaccounts".into(), "system:authenticated".into()];
        let d = authz.authorize(&shape);
        assert_eq!(
            (d.outcome, d.by.map(|g| authz.grant_id(g).to_string())),
            (Outcome::Allowed, Some("rbac:ClusterRoleBinding/everyone:ClusterRole/pod-reader".into()))
        );
        shape.groups = vec!["system:masters".into()];
        assert_eq!(authz.authorize(&shape).by, Some(Grant::SystemMasters), "recorded system:masters is all-powerful");
    }

    #[test]
    fn unknown_policies_and_missing_roles_are_warnings() {
        let mut st = state(AuthenticationMode::Api);
        st.access_entries[0].policies.push(assoc("arn:aws:eks::aws:cluster-access-policy/AmazonEKSMadeUp", &[]));
        st.bindings.push(crb("dangling", "no-such-role", Subject::User { name: "x".into() }));
        let w = Authorizer::new(&st).warnings;
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("AmazonEKSMadeUp") && w[1].contains("no-such-role"), "{w:?}");
    }
}
