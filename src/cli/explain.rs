//! `grantscope explain`: like `kubectl auth can-i`, for an IAM principal or a Kubernetes identity,
//! with the authentication result and the authorizer chain's trace. Exit 0 allowed, 1 not.

use super::CommandError;
use crate::authz::{AUTHENTICATED_GROUP, Authorizer, Outcome};
use crate::cli::output::{Format, print_json};
use crate::model::{RequestShape, canonical_principal_arn, session_name_of};
use crate::outln;
use std::borrow::Cow;
use std::path::PathBuf;

/// Who is asking.
pub enum Requester {
    /// An IAM principal: re-authenticated through access entries and aws-auth.
    Iam { arn: String, session: Option<String> },
    /// A Kubernetes identity as-is (service account, OIDC user, ...).
    Kubernetes { user: String, groups: Vec<String> },
}

pub struct ExplainArgs {
    pub state: Vec<PathBuf>,
    pub cluster: Option<String>,
    pub caller: Requester,
    pub verb: String,
    /// `pods`, `pods/log`, or `deployments.apps`.
    pub resource: Option<String>,
    pub api_group: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub path: Option<String>,
    /// For `{{AccessKeyID}}` templates.
    pub access_key_id: Option<String>,
}

/// Explains and returns whether the request is allowed.
pub fn run(args: ExplainArgs, format: Format) -> Result<bool, CommandError> {
    let state = crate::app::state_versions::load(&args.state, args.cluster.as_deref())?;
    let authz = Authorizer::new(&state);
    for w in &authz.warnings {
        tracing::warn!("{w}");
    }
    let (principal, iam, username, groups, session) = match &args.caller {
        Requester::Iam { arn, session } => {
            let principal = canonical_principal_arn(arn).ok_or_else(|| {
                CommandError::Usage(format!("--arn {arn}: not an IAM role, user or assumed-role ARN"))
            })?;
            let session = session.clone().or_else(|| session_name_of(arn).map(String::from)).unwrap_or_default();
            (principal, true, String::new(), Vec::new(), session)
        }
        Requester::Kubernetes { user, groups } => {
            let mut groups = groups.clone();
            // The API server adds system:authenticated to every authenticated user, as it does for
            // impersonated ones; the anonymous user is not one.
            let anonymous = user == "system:anonymous" || groups.iter().any(|g| g == "system:unauthenticated");
            let mut implied = Vec::new();
            if let Some((ns, _)) = user.strip_prefix("system:serviceaccount:").and_then(|sa| sa.split_once(':')) {
                // The groups every service account token carries.
                implied.push("system:serviceaccounts".to_string());
                implied.push(format!("system:serviceaccounts:{ns}"));
            }
            if !anonymous {
                implied.push(AUTHENTICATED_GROUP.to_string());
            }
            for g in implied {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            (user.clone(), false, user.clone(), groups, String::new())
        }
    };
    let (resource, subresource, api_group) = match (&args.path, &args.resource) {
        (Some(_), _) => (String::new(), String::new(), String::new()),
        (None, None) => return Err(CommandError::Usage("name a RESOURCE (or --path for a non-resource URL)".into())),
        (None, Some(r)) => {
            let (r, sub) = r.split_once('/').map_or((r.as_str(), None), |(r, s)| (r, Some(s)));
            let (r, group) = r.split_once('.').map_or((r, None), |(r, g)| (r, Some(g)));
            (
                r.to_string(),
                args.subresource.clone().or(sub.map(String::from)).unwrap_or_default(),
                args.api_group.clone().or(group.map(String::from)).unwrap_or_default(),
            )
        }
    };
    let shape = RequestShape {
        cluster: Cow::Borrowed(&state.cluster),
        principal: Cow::Owned(principal.clone()),
        iam,
        username: Cow::Owned(username),
        groups: groups.into_iter().map(Cow::Owned).collect(),
        session_name: Cow::Owned(session),
        verb: Cow::Owned(args.verb.clone()),
        api_group: Cow::Owned(api_group),
        resource: Cow::Owned(resource),
        subresource: Cow::Owned(subresource),
        namespace: Cow::Owned(args.namespace.clone().unwrap_or_default()),
        name: Cow::Owned(args.name.clone().unwrap_or_default()),
        path: Cow::Owned(args.path.clone().unwrap_or_default()),
        access_key_id: Cow::Owned(args.access_key_id.clone().unwrap_or_default()),
        unkept: crate::model::Unkept::NONE,
    };
    let x = authz.explain(&shape);
    let d = &x.decision;
    let id = |g| authz.grant_id(g);
    let allowed = d.allowed == Some(true);
    if format == Format::Json {
        print_json(&serde_json::json!({
            "allowed": d.allowed,
            "outcome": d.outcome,
            "authenticated": d.authenticated,
            "authenticated_by": d.authenticated_by.map(id),
            "username": x.username,
            "groups": x.groups,
            "by": d.by.map(id),
            "shadowed": d.shadowed.iter().map(|&g| id(g)).collect::<Vec<_>>(),
            "undocumented": d.undocumented.iter().map(|&g| id(g)).collect::<Vec<_>>(),
            "not_applied": x.not_applied.iter().map(|&(g, why)| serde_json::json!({"grant": id(g), "why": why})).collect::<Vec<_>>(),
        }));
        return Ok(allowed);
    }
    let what = if shape.path.is_empty() {
        let mut r = shape.resource.to_string();
        if !shape.subresource.is_empty() {
            r = format!("{r}/{}", shape.subresource);
        }
        if !shape.api_group.is_empty() {
            r = format!("{r} (group {})", shape.api_group);
        }
        let ns = if shape.namespace.is_empty() {
            "cluster-wide".to_string()
        } else {
            format!("in namespace {}", shape.namespace)
        };
        let name = if shape.name.is_empty() { String::new() } else { format!(" named {}", shape.name) };
        format!("{} {r}{name} {ns}", shape.verb)
    } else {
        format!("{} {}", shape.verb, shape.path)
    };
    outln!("request:        {what}");
    outln!(
        "caller:         {principal}{}",
        if shape.session_name.is_empty() { String::new() } else { format!(" (session {})", shape.session_name) }
    );
    match d.outcome {
        Outcome::Unauthenticated => {
            outln!(
                "authentication: FAILED: no access entry or aws-auth mapping admits this principal under mode {:?}",
                state.authentication_mode
            );
        }
        _ => {
            let via = d.authenticated_by.map_or_else(|| "as given".to_string(), |g| format!("through {}", id(g)));
            if let Some(u) = &x.username {
                outln!("authenticated:  {via}, as {u} in groups {}", x.groups.join(", "));
            } else {
                outln!("authenticated:  {via}");
            }
        }
    }
    match d.outcome {
        Outcome::Allowed => {
            outln!("decision:       ALLOWED by {}", d.by.map(id).map(|g| g.to_string()).unwrap_or_default())
        }
        Outcome::NoGrant => outln!("decision:       DENIED: no grant allows it"),
        Outcome::Unauthenticated => outln!("decision:       DENIED (unauthenticated)"),
        Outcome::NotEvaluated => match x.username.as_deref() {
            Some(u) if crate::authz::is_eks_internal(u) => outln!(
                "decision:       NOT EVALUATED: one of EKS's own identities, and no grant in this state allows it; EKS maintains its mapping and RBAC, which a state read from files may lack"
            ),
            _ => outln!(
                "decision:       NOT EVALUATED: a node, decided by the Node authorizer, which grantscope does not model"
            ),
        },
        Outcome::Undetermined => {
            outln!("decision:       UNDETERMINED: allowed for some object names or sessions, denied for others")
        }
    }
    for &g in &d.shadowed {
        outln!("also allowed by {} (shadowed)", id(g));
    }
    if !x.not_applied.is_empty() {
        outln!("did not apply:");
        for &(g, why) in &x.not_applied {
            outln!("  {}: {why}", id(g));
        }
    }
    Ok(allowed)
}
