//! The small profile's events: a fixed population (population.rs) drawing its requests from a few
//! dozen objects and sessions, so any volume folds into a few hundred request shapes.

use super::cloudtrail::EntrySetup;
use super::options::{GenerateOptions, received_ms};
use super::population::{ACTORS, APP_NS, Action, Actor, ActorIdentity};
use super::record::{
    AllowedBy, BoundPod, GeneratedEvent, GeneratedRequest, PUBLIC_INFO_REASON, RecordedCaller, upper_id, uuid_of,
    write_record,
};
use super::rng::Rng;
use std::io::{self, Write};

/// Writes `opts.events` events in time order; returns how many were written.
pub fn write_audit(out: &mut dyn Write, opts: &GenerateOptions) -> io::Result<u64> {
    let mut rng = Rng::new(opts.seed);
    let weights: Vec<u32> = ACTORS.iter().map(|a| a.weight).collect();
    let mut line = String::with_capacity(2048);
    for i in 0..opts.events {
        let actor = &ACTORS[rng.weighted(&weights)];
        let action_weights: Vec<u32> = actor.actions.iter().map(|a| a.weight).collect();
        let action = &actor.actions[rng.weighted(&action_weights)];
        line.clear();
        event(&mut line, &mut rng, opts, actor, action, received_ms(opts, i));
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(opts.events)
}

/// One event. The draws from `rng` keep their order (namespace, name, audit id, latency, session or
/// host, source IP, timestamps): the same options write the same bytes as they always have.
fn event(s: &mut String, rng: &mut Rng, opts: &GenerateOptions, actor: &Actor, a: &Action, received_ms: i64) {
    let account = opts.account.as_str();
    let namespace = if a.namespaces.is_empty() { "" } else { *rng.pick(a.namespaces) };
    let name = if a.names.is_empty() { "" } else { *rng.pick(a.names) };
    let audit_id = rng.uuid();
    let latency_ms = 2 + rng.below(40) as i64;
    let caller = match &actor.identity {
        ActorIdentity::Role { role, sessions, groups, .. } => {
            let session = *rng.pick(sessions);
            RecordedCaller::AssumedRole {
                role: role.to_string(),
                session: session.to_string(),
                username: RecordedCaller::role_username(account, role, session),
                groups,
                principal_id: format!("AROA{}", upper_id(role, 17)),
                access_key_id: format!("ASIA{}", upper_id(session, 16)),
            }
        }
        ActorIdentity::User { user, username, groups, .. } => {
            RecordedCaller::IamUser { user, username, groups, principal_id: format!("AIDA{}", upper_id(user, 17)) }
        }
        ActorIdentity::ServiceAccount { namespace: ns, name: sa, .. } => RecordedCaller::ServiceAccount {
            namespace: ns,
            name: sa,
            credential_id: format!("JTI={audit_id}"),
            pod: Some(BoundPod {
                name: format!("{sa}-5d8f7b9c6-{}", &audit_id[..5]),
                uid: uuid_of(sa, ns),
                node: NODE_FOR_PODS.to_string(),
            }),
        },
        ActorIdentity::Node { hosts } => {
            let host = *rng.pick(hosts);
            let id = upper_id(host, 16);
            RecordedCaller::AssumedRole {
                role: format!("{}-node-role", opts.cluster),
                session: format!("i-0{}", &id.to_lowercase()[..16]),
                username: format!("system:node:{host}"),
                groups: &["system:nodes"],
                principal_id: format!("AROA{}", upper_id("node", 17)),
                access_key_id: format!("ASIA{id}"),
            }
        }
        ActorIdentity::Anonymous => RecordedCaller::Anonymous,
    };
    let ip = match &actor.identity {
        ActorIdentity::ServiceAccount { .. } | ActorIdentity::Node { .. } => {
            format!("10.0.{}.{}", 1 + rng.below(3), 10 + rng.below(200))
        }
        _ => format!("203.0.113.{}", 1 + rng.below(250)),
    };
    let reason = a.allowed.then(|| reason(opts, &actor.identity, &caller, namespace));
    let record = GeneratedEvent {
        account,
        audit_id: &audit_id,
        caller,
        request: GeneratedRequest {
            verb: a.verb,
            api_group: a.api_group,
            version: a.version,
            resource: a.resource,
            subresource: a.subresource,
            namespace,
            name,
            path: a.path,
        },
        source_ip: ip,
        user_agent: actor.user_agent,
        allowed: reason,
        received_ms,
        latency_ms,
    };
    write_record(s, &record, rng);
}

const NODE_FOR_PODS: &str = "ip-10-0-1-23.eu-west-1.compute.internal";

/// The reason the API server records for an allowed request of this actor.
fn reason(opts: &GenerateOptions, identity: &ActorIdentity, caller: &RecordedCaller, namespace: &str) -> String {
    let principal_id = match caller {
        RecordedCaller::AssumedRole { principal_id, .. } | RecordedCaller::IamUser { principal_id, .. } => {
            principal_id.as_str()
        }
        _ => "",
    };
    match identity {
        ActorIdentity::Role { role, grant, .. } => grant.reason(&opts.account, role, principal_id, namespace),
        ActorIdentity::User { grant, .. } | ActorIdentity::ServiceAccount { grant, .. } => {
            grant.reason(&opts.account, "", principal_id, namespace)
        }
        // The Node authorizer records no reason.
        ActorIdentity::Node { .. } => String::new(),
        ActorIdentity::Anonymous => PUBLIC_INFO_REASON.to_string(),
    }
}

/// The roles' access entries as the CloudTrail records create them, in population order; the CI
/// role's Edit policy is scoped to the application namespaces (as in state.yaml).
pub fn access_entries() -> Vec<EntrySetup<'static>> {
    ACTORS
        .iter()
        .filter_map(|actor| {
            let ActorIdentity::Role { role, grant, groups, .. } = &actor.identity else { return None };
            let policy = match grant {
                AllowedBy::AccessPolicy(policy) => Some((*policy, if *role == "ci-deployer" { APP_NS } else { &[] })),
                AllowedBy::Rbac(..) => None,
            };
            Some(EntrySetup { role, groups, policy })
        })
        .collect()
}
