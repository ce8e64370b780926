//! Writes synthetic EKS audit events as JSON lines, one `Metadata`-level event per line (~1.1 KB),
//! shaped like the real samples: `user.extra` for IAM callers, the recorded decision and reason.

use super::GenerateOptions;
use super::population::{ACTORS, Action, ActorIdentity, AllowedBy};
use super::rng::Rng;
use crate::model::time;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes `opts.events` events in time order; returns how many were written.
pub fn write_audit(out: &mut dyn Write, opts: &GenerateOptions) -> io::Result<u64> {
    let mut rng = Rng::new(opts.seed);
    let weights: Vec<u32> = ACTORS.iter().map(|a| a.weight).collect();
    let start_ms = (opts.end_day - i64::from(opts.days) + 1) * time::MS_PER_DAY;
    let span_ms = i64::from(opts.days) * time::MS_PER_DAY;
    let mut line = String::with_capacity(2048);
    for i in 0..opts.events {
        let actor = &ACTORS[rng.weighted(&weights)];
        let action_weights: Vec<u32> = actor.actions.iter().map(|a| a.weight).collect();
        let action = &actor.actions[rng.weighted(&action_weights)];
        // Evenly spread in time, in order, with sub-second jitter.
        let received = start_ms + (i128::from(i) * i128::from(span_ms) / i128::from(opts.events.max(1))) as i64;
        line.clear();
        event(&mut line, &mut rng, opts, actor, action, received);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(opts.events)
}

fn event(
    s: &mut String,
    rng: &mut Rng,
    opts: &GenerateOptions,
    actor: &super::population::Actor,
    a: &Action,
    received: i64,
) {
    let account = &opts.account;
    let namespace = if a.namespaces.is_empty() { "" } else { *rng.pick(a.namespaces) };
    let name = if a.names.is_empty() { "" } else { *rng.pick(a.names) };
    let audit_id = rng.uuid();
    let latency = 2 + rng.below(40) as i64;
    let uri = request_uri(a, namespace, name);
    let _ = write!(
        s,
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{audit_id}","stage":"ResponseComplete","requestURI":"{uri}","verb":"{}","user":{{"#,
        a.verb
    );
    let principal_id;
    match &actor.identity {
        ActorIdentity::Role { role, sessions, groups, .. } => {
            let session = *rng.pick(sessions);
            principal_id = format!("AROA{}", upper_id(role, 17));
            let _ = write!(
                s,
                r#""username":"arn:aws:sts::{account}:assumed-role/{role}/{}","uid":"aws-iam-authenticator:{account}:{principal_id}","groups":[{}"system:authenticated"],"extra":{{"accessKeyId":["ASIA{}"],"arn":["arn:aws:sts::{account}:assumed-role/{role}/{session}"],"canonicalArn":["arn:aws:iam::{account}:role/{role}"],"principalId":["{principal_id}"],"sessionName":["{session}"]}}"#,
                session.replace('@', "-"),
                quoted_groups(groups),
                upper_id(session, 16)
            );
        }
        ActorIdentity::User { user, username, groups, .. } => {
            principal_id = format!("AIDA{}", upper_id(user, 17));
            let _ = write!(
                s,
                r#""username":"{username}","uid":"aws-iam-authenticator:{account}:{principal_id}","groups":[{}"system:authenticated"],"extra":{{"accessKeyId":["AKIA{}"],"arn":["arn:aws:iam::{account}:user/{user}"],"canonicalArn":["arn:aws:iam::{account}:user/{user}"],"principalId":["{principal_id}"],"sessionName":[""]}}"#,
                quoted_groups(groups),
                upper_id(user, 16)
            );
        }
        ActorIdentity::ServiceAccount { namespace: ns, name: sa, .. } => {
            principal_id = String::new();
            let pod = format!("{sa}-5d8f7b9c6-{}", &audit_id[..5]);
            let _ = write!(
                s,
                r#""username":"system:serviceaccount:{ns}:{sa}","uid":"{}","groups":["system:serviceaccounts","system:serviceaccounts:{ns}","system:authenticated"],"extra":{{"authentication.kubernetes.io/credential-id":["JTI={}"],"authentication.kubernetes.io/node-name":["{}"],"authentication.kubernetes.io/pod-name":["{pod}"],"authentication.kubernetes.io/pod-uid":["{}"]}}"#,
                uuid_of(ns, sa),
                &audit_id[..36],
                NODE_FOR_PODS,
                uuid_of(sa, ns)
            );
        }
        ActorIdentity::Node { hosts } => {
            let host = *rng.pick(hosts);
            principal_id = format!("AROA{}", upper_id("node", 17));
            let _ = write!(
                s,
                r#""username":"system:node:{host}","uid":"aws-iam-authenticator:{account}:{principal_id}","groups":["system:nodes","system:authenticated"],"extra":{{"accessKeyId":["ASIA{}"],"arn":["arn:aws:sts::{account}:assumed-role/{cluster}-node-role/i-0{}"],"canonicalArn":["arn:aws:iam::{account}:role/{cluster}-node-role"],"principalId":["{principal_id}"],"sessionName":["i-0{}"]}}"#,
                upper_id(host, 16),
                &upper_id(host, 16).to_lowercase()[..16],
                &upper_id(host, 16).to_lowercase()[..16],
                cluster = opts.cluster
            );
        }
        ActorIdentity::Anonymous => {
            principal_id = String::new();
            s.push_str(r#""username":"system:anonymous","groups":["system:unauthenticated"]"#);
        }
    }
    let ip = match &actor.identity {
        ActorIdentity::ServiceAccount { .. } | ActorIdentity::Node { .. } => {
            format!("10.0.{}.{}", 1 + rng.below(3), 10 + rng.below(200))
        }
        _ => format!("203.0.113.{}", 1 + rng.below(250)),
    };
    let _ = write!(s, r#"}},"sourceIPs":["{ip}"],"userAgent":"{}","#, actor.user_agent);
    if a.path.is_empty() {
        let _ = write!(s, r#""objectRef":{{"resource":"{}""#, a.resource);
        if !namespace.is_empty() {
            let _ = write!(s, r#","namespace":"{namespace}""#);
        }
        if !name.is_empty() {
            let _ = write!(s, r#","name":"{name}""#);
        }
        if !a.api_group.is_empty() {
            let _ = write!(s, r#","apiGroup":"{}""#, a.api_group);
        }
        let _ = write!(s, r#","apiVersion":"{}""#, a.version);
        if !a.subresource.is_empty() {
            let _ = write!(s, r#","subresource":"{}""#, a.subresource);
        }
        s.push_str("},");
    }
    let code = match (a.allowed, a.verb) {
        (false, _) => 403,
        (true, "create") => 201,
        _ => 200,
    };
    let status = if a.allowed {
        format!(r#"{{"metadata":{{}},"code":{code}}}"#)
    } else {
        format!(
            r#"{{"metadata":{{}},"status":"Failure","message":"{} is forbidden","reason":"Forbidden","details":{{}},"code":403}}"#,
            if a.resource.is_empty() { a.path } else { a.resource }
        )
    };
    let received_at = time::format_rfc3339(received);
    let stage_at = time::format_rfc3339(received + latency);
    let (decision, reason) = if a.allowed {
        ("allow", reason(opts, &actor.identity, &principal_id, namespace))
    } else {
        ("forbid", String::new())
    };
    let _ = write!(
        s,
        r#""responseStatus":{status},"requestReceivedTimestamp":"{}","stageTimestamp":"{}","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"{reason}"}}}}"#,
        micros(&received_at, rng),
        micros(&stage_at, rng)
    );
}

const NODE_FOR_PODS: &str = "ip-10-0-1-23.eu-west-1.compute.internal";

fn request_uri(a: &Action, namespace: &str, name: &str) -> String {
    if !a.path.is_empty() {
        return a.path.to_string();
    }
    let mut uri = if a.api_group.is_empty() {
        format!("/api/{}", a.version)
    } else {
        format!("/apis/{}/{}", a.api_group, a.version)
    };
    if !namespace.is_empty() {
        let _ = write!(uri, "/namespaces/{namespace}");
    }
    let _ = write!(uri, "/{}", a.resource);
    if !name.is_empty() {
        let _ = write!(uri, "/{name}");
    }
    if !a.subresource.is_empty() {
        let _ = write!(uri, "/{}", a.subresource);
    }
    match a.verb {
        "watch" => {
            uri.push_str("?allowWatchBookmarks=true&resourceVersion=2528212&timeout=7m9s&timeoutSeconds=429&watch=true")
        }
        "list" => uri.push_str("?limit=500"),
        _ => {}
    }
    uri
}

/// The reason the API server records, in the exact wording of the RBAC and EKS authorizers.
fn reason(opts: &GenerateOptions, identity: &ActorIdentity, principal_id: &str, namespace: &str) -> String {
    let grant = match identity {
        ActorIdentity::Role { grant, .. }
        | ActorIdentity::User { grant, .. }
        | ActorIdentity::ServiceAccount { grant, .. } => grant,
        ActorIdentity::Node { .. } => return String::new(),
        ActorIdentity::Anonymous => {
            return r#"RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\""#.to_string();
        }
    };
    match grant {
        AllowedBy::AccessPolicy(policy) => {
            let ActorIdentity::Role { role, .. } = identity else {
                unreachable!("access policies are only generated for roles")
            };
            format!(
                r#"EKS Access Policy: allowed by ClusterRoleBinding \"arn:aws:iam::{}:role/{role}+{policy}\" of ClusterRole \"{policy}\" to User \"{principal_id}\""#,
                opts.account
            )
        }
        AllowedBy::Rbac(binding_kind, binding, role_kind, role, subject_kind, subject) => {
            let binding =
                if *binding_kind == "RoleBinding" { format!("{binding}/{namespace}") } else { binding.to_string() };
            format!(
                r#"RBAC: allowed by {binding_kind} \"{binding}\" of {role_kind} \"{role}\" to {subject_kind} \"{subject}\""#
            )
        }
    }
}

fn quoted_groups(groups: &[&str]) -> String {
    groups.iter().map(|g| format!("\"{g}\",")).collect()
}

/// A stable upper-case alphanumeric id derived from a name (IAM unique ids look like this).
fn upper_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = Rng::new(xxhash_rust::xxh3::xxh3_64(seed.as_bytes()));
    (0..len).map(|_| ALPHABET[rng.below(32) as usize] as char).collect()
}

fn uuid_of(a: &str, b: &str) -> String {
    Rng::new(xxhash_rust::xxh3::xxh3_64(format!("{a}/{b}").as_bytes())).uuid()
}

/// Audit timestamps carry microseconds.
fn micros(rfc3339_ms: &str, rng: &mut Rng) -> String {
    format!("{}{:03}Z", &rfc3339_ms[..rfc3339_ms.len() - 1], rng.below(1000))
}
