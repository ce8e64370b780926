//! Authentication at replay (DESIGN idea 2): an IAM principal's username and groups come from the
//! *current* access entries and aws-auth mappings, not from what the event recorded.
//!
//! - Mode `API` uses access entries, `CONFIG_MAP` aws-auth, `API_AND_CONFIG_MAP` both, and there an
//!   access entry wins over an aws-auth mapping for the same principal (EKS User Guide, "access
//!   entries").
//! - Access entries match on account, principal type and name: their ARN may carry an IAM path, the
//!   canonical ARN of an assumed role never does.
//! - aws-auth ARNs match the canonical ARN ignoring case (aws-iam-authenticator lowercases both);
//!   a `rolearn` with a path therefore never matches an assumed role. Duplicate ARNs: the last wins,
//!   as the authenticator builds a map. No mapping but a listed account: `mapAccounts` gives the
//!   canonical ARN as username and no groups.
//! - Every authenticated identity also has `system:authenticated`.
//! - Nodes (non-STANDARD entry types; mappings and recorded identities that Kubernetes' node
//!   identifier takes for a node: username `system:node:<name>` in group `system:nodes`) are decided
//!   by the Node authorizer, which grantscope does not model. Any other member of `system:nodes`
//!   (AKS's `nodeclient`, ...) is not a node to that authorizer, so RBAC decides it.
//! - EKS's own identities (`eks:addon-manager`, `eks:node-manager`, ...) are mapped by EKS, not by
//!   access entries or aws-auth (access-entry usernames may not start with `eks:`): an IAM caller
//!   recorded under an `eks:` username keeps the identity it was recorded with.

use super::Grant;
use super::templates::{TemplateInput, render};
use crate::model::{AccessEntry, AccessState, IdentityMapping, PrincipalKind, RequestShape};
use std::borrow::Cow;
use std::collections::HashMap;

pub use crate::model::{NODES_GROUP, is_node_identity};

pub const AUTHENTICATED_GROUP: &str = "system:authenticated";
/// The prefix of the identities EKS maps for itself; the EKS User Guide forbids it in access
/// entries' usernames ("Set a custom username for EKS access entries").
const EKS_USERNAME_PREFIX: &str = "eks:";

/// Whether an aws-auth mapping admits nodes (the Node authorizer decides for them).
pub fn is_node_mapping(m: &IdentityMapping) -> bool {
    is_node_identity(&m.username, &m.groups)
}

/// Whether a username is one of EKS's own identities, whose mapping and RBAC EKS maintains.
pub fn is_eks_internal(username: &str) -> bool {
    username.starts_with(EKS_USERNAME_PREFIX)
}

/// Who the API server would take the caller to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication<'a> {
    Authenticated {
        username: Cow<'a, str>,
        groups: Vec<Cow<'a, str>>,
        /// The access entry or aws-auth mapping; `None` for callers that are not IAM principals,
        /// which keep the identity the event recorded.
        via: Option<Grant>,
    },
    /// A node: the Node authorizer decides, and grantscope does not model it.
    Node { via: Option<Grant> },
    /// An IAM principal that no access entry or mapping admits any more.
    Unauthenticated,
}

/// An IAM principal ARN split into what matching uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Principal<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub kind: PrincipalKind,
    /// The last segment: the name without its IAM path.
    pub name: &'a str,
}

impl<'a> Principal<'a> {
    pub fn parse(arn: &'a str) -> Option<Principal<'a>> {
        let mut parts = arn.splitn(6, ':');
        let (_, partition, service, _, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let (kind, rest) = resource.split_once('/')?;
        let kind = PrincipalKind::parse(kind)?;
        let name = rest.rsplit('/').next()?;
        (service == "iam" && !name.is_empty() && !account.is_empty()).then_some(Principal {
            partition,
            account,
            kind,
            name,
        })
    }

    /// What access entries are matched on. IAM names are unique ignoring case, and EKS matches the
    /// principal itself, so case does not matter.
    fn key(&self) -> (&'a str, PrincipalKind, String) {
        (self.account, self.kind, self.name.to_lowercase())
    }
}

/// The state's authentication side, indexed by principal.
pub struct AuthnIndex<'s> {
    state: &'s AccessState,
    entries: HashMap<(&'s str, PrincipalKind, String), usize>,
    map_roles: HashMap<String, usize>,
    map_users: HashMap<String, usize>,
}

impl<'s> AuthnIndex<'s> {
    pub fn new(state: &'s AccessState) -> AuthnIndex<'s> {
        let entries = state
            .access_entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Principal::parse(&e.principal_arn).map(|p| (p.key(), i)))
            .collect();
        let lower = |list: &[IdentityMapping]| {
            list.iter().enumerate().map(|(i, m)| (m.arn.to_lowercase(), i)).collect::<HashMap<_, _>>()
        };
        AuthnIndex {
            state,
            entries,
            map_roles: lower(&state.aws_auth.map_roles),
            map_users: lower(&state.aws_auth.map_users),
        }
    }

    /// Authenticates the caller of a recorded request against the current state.
    pub fn authenticate<'a>(&'a self, shape: &'a RequestShape<'_>) -> Authentication<'a> {
        // Service accounts, OIDC users, certificates, anonymous: the recorded identity stands. So it
        // does for EKS's own identities: no access entry can carry an `eks:` username, so EKS's
        // internal mapping named this caller, and no row of the state can change that.
        if !shape.iam || is_eks_internal(&shape.username) {
            return recorded_identity(shape);
        }
        if let Some(found) = Principal::parse(&shape.principal).and_then(|p| self.admitted_by_state(shape, &p)) {
            return found;
        }
        // EKS maps the nodes of managed node groups and Fargate profiles by mappings no file shows.
        // Their recorded identity is the best evidence there is.
        if shape.groups.iter().any(|g| g == NODES_GROUP) {
            return recorded_identity(shape);
        }
        Authentication::Unauthenticated
    }

    /// The identity the state's access entries and aws-auth give a principal, if any.
    fn admitted_by_state<'a>(
        &'a self,
        shape: &'a RequestShape<'_>,
        principal: &Principal<'a>,
    ) -> Option<Authentication<'a>> {
        let input = TemplateInput {
            account_id: principal.account,
            session_name: &shape.session_name,
            access_key_id: &shape.access_key_id,
        };
        let mode = self.state.authentication_mode;
        if mode.uses_access_entries()
            && let Some(&i) = self.entries.get(&principal.key())
        {
            let entry = &self.state.access_entries[i];
            if entry.entry_type.is_node() {
                return Some(Authentication::Node { via: Some(Grant::AccessEntry(i)) });
            }
            let username = entry_username(entry, principal, input);
            let groups = with_authenticated(entry.kubernetes_groups.iter().map(|g| render_cow(g, input)));
            return Some(Authentication::Authenticated { username, groups, via: Some(Grant::AccessEntry(i)) });
        }
        if mode.uses_aws_auth() {
            // The authenticator tries mapRoles, then mapUsers, whatever kind of ARN it is.
            let arn = shape.principal.to_lowercase();
            let a = &self.state.aws_auth;
            let mapping = self
                .map_roles
                .get(&arn)
                .map(|&i| (&a.map_roles[i], Grant::AwsAuthRole(i)))
                .or_else(|| self.map_users.get(&arn).map(|&i| (&a.map_users[i], Grant::AwsAuthUser(i))));
            if let Some((m, via)) = mapping {
                if is_node_mapping(m) {
                    return Some(Authentication::Node { via: Some(via) });
                }
                let groups = with_authenticated(m.groups.iter().map(|g| render_cow(g, input)));
                return Some(Authentication::Authenticated {
                    username: render_cow(&m.username, input),
                    groups,
                    via: Some(via),
                });
            }
            if let Some(i) = a.map_accounts.iter().position(|acct| acct == principal.account) {
                return Some(Authentication::Authenticated {
                    username: Cow::Borrowed(&shape.principal),
                    groups: vec![Cow::Borrowed(AUTHENTICATED_GROUP)],
                    via: Some(Grant::AwsAuthAccount(i)),
                });
            }
        }
        None
    }
}

/// The identity an event recorded; nodes go to the Node authorizer.
fn recorded_identity<'a>(shape: &'a RequestShape<'_>) -> Authentication<'a> {
    if is_node_identity(&shape.username, &shape.groups) {
        return Authentication::Node { via: None };
    }
    let groups: Vec<Cow<str>> = shape.groups.iter().map(|g| Cow::Borrowed(g.as_ref())).collect();
    Authentication::Authenticated { username: Cow::Borrowed(&shape.username), groups, via: None }
}

fn render_cow<'t>(template: &'t str, input: TemplateInput) -> Cow<'t, str> {
    if template.contains("{{") { Cow::Owned(render(template, input)) } else { Cow::Borrowed(template) }
}

fn with_authenticated<'t>(groups: impl Iterator<Item = Cow<'t, str>>) -> Vec<Cow<'t, str>> {
    let mut out: Vec<Cow<str>> = groups.collect();
    if !out.iter().any(|g| g == AUTHENTICATED_GROUP) {
        out.push(Cow::Borrowed(AUTHENTICATED_GROUP));
    }
    out
}

/// EKS's default username when an entry names none, as a template: the user ARN for IAM users,
/// the assumed-role session ARN for roles (`arn:aws:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}`).
pub fn default_username(p: &Principal, principal_arn: &str) -> String {
    if p.kind == PrincipalKind::User {
        principal_arn.to_string()
    } else {
        format!("arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}", p.partition, p.account, p.name)
    }
}

fn entry_username<'e>(entry: &'e AccessEntry, p: &Principal, input: TemplateInput) -> Cow<'e, str> {
    match &entry.username {
        Some(u) => render_cow(u, input),
        None if p.kind == PrincipalKind::User => Cow::Borrowed(&entry.principal_arn),
        None => Cow::Owned(render(&default_username(p, &entry.principal_arn), input)),
    }
}
