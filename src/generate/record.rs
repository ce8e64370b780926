//! One synthetic EKS audit event as a JSON line, shaped like the real samples: a `Metadata`-level
//! `ResponseComplete` event (~1.1 KB) with `user.extra` for IAM callers and service-account
//! tokens, the recorded decision and the authorizer's reason. Every profile writes through here, so
//! their events differ only in who asks what.

use super::rng::Rng;
use crate::model::time;
use std::fmt::Write as _;

/// Who made the request, as the authenticator recorded it.
pub enum RecordedCaller<'a> {
    /// An IAM role session: through an access entry or aws-auth (`username` is the rendered
    /// template), or a node's instance role (`system:node:<host>`, session = instance id).
    AssumedRole {
        role: String,
        session: String,
        username: String,
        /// Kubernetes groups before `system:authenticated`.
        groups: &'a [&'a str],
        principal_id: String,
        access_key_id: String,
    },
    /// An IAM user mapped by aws-auth `mapUsers`.
    IamUser {
        user: &'a str,
        username: &'a str,
        groups: &'a [&'a str],
        principal_id: String,
    },
    /// A service account token: bound to a pod (add-ons, workloads) or not (the controllers
    /// kube-controller-manager runs with `--use-service-account-credentials`).
    ServiceAccount {
        namespace: &'a str,
        name: &'a str,
        credential_id: String,
        pod: Option<BoundPod>,
    },
    /// A client certificate (kube-scheduler, kube-controller-manager).
    Certificate {
        username: &'a str,
        credential_id: String,
    },
    Anonymous,
}

impl RecordedCaller<'_> {
    /// An access entry's default username for an assumed role: the session ARN, `@` made `-`.
    pub fn role_username(account: &str, role: &str, session: &str) -> String {
        format!("arn:aws:sts::{account}:assumed-role/{role}/{}", session.replace('@', "-"))
    }
}

/// The pod a service-account token is bound to (its `authentication.kubernetes.io/*` extras).
pub struct BoundPod {
    pub name: String,
    pub uid: String,
    pub node: String,
}

/// What was asked.
#[derive(Default)]
pub struct GeneratedRequest<'a> {
    pub verb: &'a str,
    pub api_group: &'a str,
    /// Empty for non-resource requests.
    pub version: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// Non-resource path (then the resource fields are ignored).
    pub path: &'a str,
}

/// One event to write.
pub struct GeneratedEvent<'a> {
    pub account: &'a str,
    pub audit_id: &'a str,
    pub caller: RecordedCaller<'a>,
    pub request: GeneratedRequest<'a>,
    pub source_ip: String,
    pub user_agent: &'a str,
    /// `Some(reason)`: allowed, with the authorizer's reason (empty for the Node authorizer);
    /// `None`: forbidden.
    pub allowed: Option<String>,
    pub received_ms: i64,
    pub latency_ms: i64,
}

/// Which grant allowed a request, for the reason the API server records.
pub enum AllowedBy {
    /// An EKS access policy association (the reason names the principal id).
    AccessPolicy(&'static str),
    /// An RBAC binding: (binding kind, binding name, role kind, role name, subject kind, subject name).
    Rbac(&'static str, &'static str, &'static str, &'static str, &'static str, &'static str),
}

/// The reason recorded for anonymous requests to the public discovery paths.
pub const PUBLIC_INFO_REASON: &str = r#"RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\""#;

impl AllowedBy {
    /// A ClusterRoleBinding of the ClusterRole `role` to one subject.
    pub const fn cluster_binding(
        binding: &'static str,
        role: &'static str,
        subject_kind: &'static str,
        subject: &'static str,
    ) -> AllowedBy {
        AllowedBy::Rbac("ClusterRoleBinding", binding, "ClusterRole", role, subject_kind, subject)
    }

    /// The reason in the exact wording of the RBAC and EKS authorizers (JSON-escaped quotes).
    /// `role` and `principal_id` are the caller's for an access policy; `namespace` the request's
    /// for a RoleBinding.
    pub fn reason(&self, account: &str, role: &str, principal_id: &str, namespace: &str) -> String {
        match self {
            AllowedBy::AccessPolicy(policy) => format!(
                r#"EKS Access Policy: allowed by ClusterRoleBinding \"arn:aws:iam::{account}:role/{role}+{policy}\" of ClusterRole \"{policy}\" to User \"{principal_id}\""#
            ),
            AllowedBy::Rbac(binding_kind, binding, role_kind, role, subject_kind, subject) => {
                let binding =
                    if *binding_kind == "RoleBinding" { format!("{binding}/{namespace}") } else { binding.to_string() };
                format!(
                    r#"RBAC: allowed by {binding_kind} \"{binding}\" of {role_kind} \"{role}\" to {subject_kind} \"{subject}\""#
                )
            }
        }
    }
}

/// Appends the event as one JSON object (no line break). `rng` only jitters the timestamps'
/// microseconds.
pub fn write_record(s: &mut String, r: &GeneratedEvent, rng: &mut Rng) {
    let a = &r.request;
    let uri = request_uri(a);
    let _ = write!(
        s,
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{}","stage":"ResponseComplete","requestURI":"{uri}","verb":"{}","user":{{"#,
        r.audit_id, a.verb
    );
    write_user(s, r.account, &r.caller);
    let _ = write!(s, r#"}},"sourceIPs":["{}"],"userAgent":"{}","#, r.source_ip, r.user_agent);
    if a.path.is_empty() {
        let _ = write!(s, r#""objectRef":{{"resource":"{}""#, a.resource);
        if !a.namespace.is_empty() {
            let _ = write!(s, r#","namespace":"{}""#, a.namespace);
        }
        if !a.name.is_empty() {
            let _ = write!(s, r#","name":"{}""#, a.name);
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
    let code = match (&r.allowed, a.verb) {
        (None, _) => 403,
        (Some(_), "create") => 201,
        _ => 200,
    };
    let status = if r.allowed.is_some() {
        format!(r#"{{"metadata":{{}},"code":{code}}}"#)
    } else {
        format!(
            r#"{{"metadata":{{}},"status":"Failure","message":"{} is forbidden","reason":"Forbidden","details":{{}},"code":403}}"#,
            if a.resource.is_empty() { a.path } else { a.resource }
        )
    };
    let received_at = time::format_rfc3339(r.received_ms);
    let stage_at = time::format_rfc3339(r.received_ms + r.latency_ms);
    let (decision, reason) = match &r.allowed {
        Some(reason) => ("allow", reason.as_str()),
        None => ("forbid", ""),
    };
    let _ = write!(
        s,
        r#""responseStatus":{status},"requestReceivedTimestamp":"{}","stageTimestamp":"{}","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"{reason}"}}}}"#,
        micros(&received_at, rng),
        micros(&stage_at, rng)
    );
}

fn write_user(s: &mut String, account: &str, caller: &RecordedCaller) {
    match caller {
        RecordedCaller::AssumedRole { role, session, username, groups, principal_id, access_key_id } => {
            let _ = write!(
                s,
                r#""username":"{username}","uid":"aws-iam-authenticator:{account}:{principal_id}","groups":[{}"system:authenticated"],"extra":{{"accessKeyId":["{access_key_id}"],"arn":["arn:aws:sts::{account}:assumed-role/{role}/{session}"],"canonicalArn":["arn:aws:iam::{account}:role/{role}"],"principalId":["{principal_id}"],"sessionName":["{session}"]}}"#,
                quoted_groups(groups),
            );
        }
        RecordedCaller::IamUser { user, username, groups, principal_id } => {
            let _ = write!(
                s,
                r#""username":"{username}","uid":"aws-iam-authenticator:{account}:{principal_id}","groups":[{}"system:authenticated"],"extra":{{"accessKeyId":["AKIA{}"],"arn":["arn:aws:iam::{account}:user/{user}"],"canonicalArn":["arn:aws:iam::{account}:user/{user}"],"principalId":["{principal_id}"],"sessionName":[""]}}"#,
                quoted_groups(groups),
                upper_id(user, 16)
            );
        }
        RecordedCaller::ServiceAccount { namespace: ns, name: sa, credential_id, pod } => {
            let _ = write!(
                s,
                r#""username":"system:serviceaccount:{ns}:{sa}","uid":"{}","groups":["system:serviceaccounts","system:serviceaccounts:{ns}","system:authenticated"],"extra":{{"authentication.kubernetes.io/credential-id":["{credential_id}"]"#,
                uuid_of(ns, sa)
            );
            if let Some(BoundPod { name, uid, node }) = pod {
                let _ = write!(
                    s,
                    r#","authentication.kubernetes.io/node-name":["{node}"],"authentication.kubernetes.io/pod-name":["{name}"],"authentication.kubernetes.io/pod-uid":["{uid}"]"#
                );
            }
            s.push('}');
        }
        RecordedCaller::Certificate { username, credential_id } => {
            let _ = write!(
                s,
                r#""username":"{username}","groups":["system:authenticated"],"extra":{{"authentication.kubernetes.io/credential-id":["{credential_id}"]}}"#
            );
        }
        RecordedCaller::Anonymous => s.push_str(r#""username":"system:anonymous","groups":["system:unauthenticated"]"#),
    }
}

fn request_uri(a: &GeneratedRequest) -> String {
    if !a.path.is_empty() {
        return a.path.to_string();
    }
    let mut uri = if a.api_group.is_empty() {
        format!("/api/{}", a.version)
    } else {
        format!("/apis/{}/{}", a.api_group, a.version)
    };
    if !a.namespace.is_empty() {
        let _ = write!(uri, "/namespaces/{}", a.namespace);
    }
    let _ = write!(uri, "/{}", a.resource);
    // A list or watch of one object names it in a field selector (the API server takes the
    // audit event's objectRef.name from there); other requests name it in the path.
    let one_object = matches!(a.verb, "list" | "watch") && !a.name.is_empty();
    if !a.name.is_empty() && !one_object {
        let _ = write!(uri, "/{}", a.name);
    }
    if !a.subresource.is_empty() {
        let _ = write!(uri, "/{}", a.subresource);
    }
    match a.verb {
        "watch" => {
            uri.push_str("?allowWatchBookmarks=true");
            if one_object {
                let _ = write!(uri, "&fieldSelector=metadata.name%3D{}", a.name);
            }
            uri.push_str("&resourceVersion=2528212&timeout=7m9s&timeoutSeconds=429&watch=true")
        }
        "list" if one_object => {
            let _ = write!(uri, "?fieldSelector=metadata.name%3D{}&limit=500", a.name);
        }
        "list" => uri.push_str("?limit=500"),
        _ => {}
    }
    uri
}

fn quoted_groups(groups: &[&str]) -> String {
    groups.iter().map(|g| format!("\"{g}\",")).collect()
}

/// A stable upper-case alphanumeric id derived from a name (IAM unique ids look like this).
pub fn upper_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = Rng::new(xxhash_rust::xxh3::xxh3_64(seed.as_bytes()));
    (0..len).map(|_| ALPHABET[rng.below(32) as usize] as char).collect()
}

/// A stable UUID derived from two names.
pub fn uuid_of(a: &str, b: &str) -> String {
    Rng::new(xxhash_rust::xxh3::xxh3_64(format!("{a}/{b}").as_bytes())).uuid()
}

/// Audit timestamps carry microseconds.
fn micros(rfc3339_ms: &str, rng: &mut Rng) -> String {
    format!("{}{:03}Z", &rfc3339_ms[..rfc3339_ms.len() - 1], rng.below(1000))
}
