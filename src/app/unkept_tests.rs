//! The differential test of kept particulars (README, "Request shapes on busy clusters"): on data
//! where object names and session names decide (`resourceNames` rules, a `{{SessionName}}`
//! username, User subjects naming sessions), a store keeping [`KEPT_PARTICULARS`] names and
//! sessions per shape decides, counts and finds exactly what the unbounded model does: a store
//! keeping them all, and each request decided on its own by the authorizer. Where a shape has more
//! particulars than are kept, the two differ only by undetermined requests and possibly-used grants.

use crate::analysis::assessment::{AssessOptions, Assessment};
use crate::app::assess::assess;
use crate::app::replay::window_start;
use crate::app::state_versions::store_state;
use crate::authz::{Authorizer, Outcome};
use crate::ingest::{AuditSink, InputFormat, InputPath};
use crate::model::{AccessState, GrantId, KEPT_PARTICULARS, UsageRole, time};
use crate::sources::files::{FileOptions, ingest_files};
use crate::store::{Store, WindowFilter};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CLUSTER: &str = "diff";
const ACCOUNT: &str = "111122223333";
const WINDOW_DAYS: u32 = 30;

/// Names decide through `resourceNames` (ConfigMaps `settings` and `flags` for group `ci`; Secret
/// `s1` for one CI session; ConfigMap `app-config` for a service account); sessions decide through
/// the CI role's default username and the dev role's `dev:{{SessionName}}` (User subjects
/// `…/ci/job-1` and `dev:alice`).
const STATE: &str = r#"
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: diff
  region: eu-west-1
accessConfig:
  authenticationMode: API
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/ci
      kubernetesGroups: [ci]
    - principalARN: arn:aws:iam::111122223333:role/dev
      kubernetesUsername: "dev:{{SessionName}}"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: config-reader, namespace: apps}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    resourceNames: [settings, flags]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: config-readers, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
subjects: [{kind: Group, name: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ci-base, namespace: apps}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-base, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ci-base}
subjects: [{kind: Group, name: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-one}
rules:
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [s1]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: job-1-secret, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-one}
subjects: [{kind: User, name: "arn:aws:sts::111122223333:assumed-role/ci/job-1"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects: [{kind: User, name: "dev:alice"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app-config, namespace: apps}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    resourceNames: [app-config]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-config, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-config}
subjects: [{kind: ServiceAccount, name: app, namespace: apps}]
"#;

/// Who sends a request: an IAM role's session (with the username its entry renders), or a
/// service account.
#[derive(Clone)]
enum Caller {
    Role { role: &'static str, session: String, username: String },
    ServiceAccount { namespace: &'static str, name: &'static str },
}

/// One request of the data set.
struct Request {
    caller: Caller,
    verb: &'static str,
    resource: &'static str,
    namespace: &'static str,
    name: String,
}

impl Request {
    fn new(
        caller: &Caller,
        verb: &'static str,
        resource: &'static str,
        namespace: &'static str,
        name: &str,
    ) -> Request {
        Request { caller: caller.clone(), verb, resource, namespace, name: name.to_string() }
    }
}

/// The audit event of a request, `i`-th of the data set, on the day before today.
fn event(i: usize, r: &Request) -> serde_json::Value {
    let day = time::day_of(crate::app::clock::now_ms()) - 1;
    let at = time::format_rfc3339(day * time::MS_PER_DAY + 1_000 * i as i64);
    let user = match &r.caller {
        Caller::Role { role, session, username } => serde_json::json!({
            "username": username,
            "groups": ["system:authenticated"],
            "extra": {
                "arn": [format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}")],
                "canonicalArn": [format!("arn:aws:iam::{ACCOUNT}:role/{role}")],
                "sessionName": [session],
            },
        }),
        Caller::ServiceAccount { namespace, name } => serde_json::json!({
            "username": format!("system:serviceaccount:{namespace}:{name}"),
            "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{namespace}"), "system:authenticated"],
        }),
    };
    serde_json::json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": format!("00000000-0000-4000-8000-{i:012x}"),
        "stage": "ResponseComplete",
        "requestURI": format!("/api/v1/namespaces/{}/{}/{}", r.namespace, r.resource, r.name),
        "verb": r.verb,
        "user": user,
        "sourceIPs": ["192.0.2.1"],
        "objectRef": {"resource": r.resource, "namespace": r.namespace, "name": r.name, "apiVersion": "v1"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": at,
        "stageTimestamp": at,
    })
}

/// A CI job's session: EKS's default username for a role's entry renders it into the username.
fn ci(session: &str) -> Caller {
    let username = format!("arn:aws:sts::{ACCOUNT}:assumed-role/ci/{session}");
    Caller::Role { role: "ci", session: session.to_string(), username }
}

/// A developer's session, rendered by the entry's `dev:{{SessionName}}`.
fn dev(session: &str) -> Caller {
    Caller::Role { role: "dev", session: session.to_string(), username: format!("dev:{session}") }
}

const APP: Caller = Caller::ServiceAccount { namespace: "apps", name: "app" };

/// Requests where names and sessions decide, no shape with more than `KEPT_PARTICULARS` of them:
/// CI jobs read listed and unlisted ConfigMaps, one job's Secret, list ConfigMaps and create them
/// under fresh names (which no rule can see); developers read pods (only alice may); the app reads
/// its ConfigMap and another.
fn within_the_kept() -> Vec<Request> {
    let mut out = Vec::new();
    for (i, job) in ["job-1", "job-2", "job-3", "job-4"].into_iter().enumerate() {
        let job = ci(job);
        for name in ["settings", "other"] {
            out.push(Request::new(&job, "get", "configmaps", "apps", name));
        }
        out.push(Request::new(&job, "get", "secrets", "apps", "s1"));
        out.push(Request::new(&job, "list", "configmaps", "apps", ""));
        for n in 0..5 {
            out.push(Request::new(&job, "create", "configmaps", "apps", &format!("made-{i}-{n}")));
        }
    }
    for session in ["alice", "bob"] {
        for name in ["pod-a", "pod-b", "pod-c"] {
            out.push(Request::new(&dev(session), "get", "pods", "default", name));
        }
    }
    for name in ["app-config", "other-config"] {
        out.push(Request::new(&APP, "get", "configmaps", "apps", name));
    }
    out
}

/// Writes the requests (each `repeat` times) as an audit log and ingests it into a store keeping
/// `limit` particulars per shape, with the state stored and replayed.
fn replayed(dir: &Path, requests: &[Request], repeat: usize, limit: usize) -> (Store, Assessment) {
    let path = dir.join(format!("audit-{limit}.jsonl"));
    let mut text = String::new();
    for (i, r) in requests.iter().enumerate() {
        for k in 0..repeat {
            text.push_str(&event(i * repeat + k, r).to_string());
            text.push('\n');
        }
    }
    std::fs::write(&path, text).expect("writes");
    let mut store = Store::open_in_memory().expect("opens");
    let opts = FileOptions {
        format: InputFormat::Auto,
        batch_records: 7, // several batches, so bases are found again in the store
        progress: false,
        stop: None,
        clock: crate::app::clock::now_ms,
    };
    let mut sink = AuditSink::keeping(Some(CLUSTER.into()), limit);
    let tally = ingest_files(&mut store, &[InputPath::parse(&path)], &mut sink, &opts).expect("ingests");
    assert_eq!(tally.ingested as usize, requests.len() * repeat, "{tally:?}");
    store_state(&mut store, CLUSTER, state(), "test", crate::app::clock::now_ms()).expect("stores");
    let options = AssessOptions { window_days: WINDOW_DAYS, min_observed_days: 1, now_ms: crate::app::clock::now_ms() };
    let assessment = assess(&mut store, CLUSTER, options, None).expect("assesses");
    (store, assessment)
}

fn state() -> AccessState {
    crate::state::from_texts(&[STATE])
}

/// Each request decided on its own against the state: by grant, the allowed requests.
fn decided_one_by_one(requests: &[Request], repeat: usize) -> BTreeMap<GrantId, i64> {
    let state = state();
    let authz = Authorizer::new(&state);
    let mut by = BTreeMap::new();
    for r in requests {
        let text = event(0, r).to_string();
        let mut decided = 0;
        crate::ingest::audit::parse_record(&text, Some(CLUSTER), &mut |item| {
            let crate::ingest::audit::AuditItem::Event(e) = item else { panic!("{text}: not an event") };
            if let Some(g) = authz.authorize(&e.shape).by {
                *by.entry(authz.grant_id(g)).or_default() += repeat as i64;
            }
            decided += 1;
        });
        assert_eq!(decided, 1, "{text}");
    }
    by
}

/// Requests allowed, by the grant that allowed them, as the store's replay counted them.
fn by_usage(store: &Store) -> BTreeMap<GrantId, i64> {
    let usage = store.grant_usage(CLUSTER).expect("reads");
    usage.into_iter().filter(|((_, role), _)| *role == UsageRole::By).map(|((g, _), u)| (g, u.requests)).collect()
}

/// A shape's decision (allowed, by, shadowed) and its requests in the window.
type Decided = (Option<bool>, Option<GrantId>, Vec<GrantId>, i64);

/// Each window shape's decision, by what it is (caller, request, name, session), with its requests.
fn decisions(store: &Store) -> BTreeMap<String, Decided> {
    let from_day = window_start(crate::app::clock::now_ms(), WINDOW_DAYS);
    let window = store.window_shapes(CLUSTER, from_day, WindowFilter::All).expect("reads");
    window
        .shapes
        .iter()
        .map(|w| {
            let s = &w.stored.shape;
            let what =
                format!("{} {} {} {}/{} {}", s.username, s.verb, s.resource, s.namespace, s.name, s.session_name);
            (what, (w.allowed(), w.by().cloned(), w.shadowed().to_vec(), w.requests))
        })
        .collect()
}

fn findings(a: &Assessment) -> BTreeSet<(String, String, String)> {
    a.findings.iter().map(|f| (format!("{:?}", f.kind), f.grant.to_string(), format!("{:?}", f.severity))).collect()
}

#[test]
fn within_the_kept_particulars_decisions_usage_and_findings_equal_the_unbounded_model() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let requests = within_the_kept();
    let (kept, kept_assessment) = replayed(dir.path(), &requests, 3, KEPT_PARTICULARS);
    let (all, all_assessment) = replayed(dir.path(), &requests, 3, usize::MAX);

    assert_eq!(decisions(&kept), decisions(&all), "every shape decided alike");
    assert_eq!(kept.grant_usage(CLUSTER).unwrap(), all.grant_usage(CLUSTER).unwrap());
    assert_eq!(findings(&kept_assessment), findings(&all_assessment), "the same findings");
    assert_eq!(kept_assessment.replay.undetermined, 0, "nothing undetermined: {:?}", kept_assessment.replay);

    // ... and both equal each request decided on its own.
    let one_by_one = decided_one_by_one(&requests, 3);
    assert_eq!(by_usage(&kept), one_by_one, "allowed requests by grant");
    let job_1 = GrantId::parse("rbac:RoleBinding/apps/job-1-secret:ClusterRole/secret-one");
    assert_eq!(one_by_one.get(&job_1), Some(&3), "the session named by a User subject is allowed: {one_by_one:?}");
    let alice = GrantId::parse("rbac:ClusterRoleBinding/alice-pods:ClusterRole/pod-reader");
    assert_eq!(one_by_one.get(&alice), Some(&9), "alice's pods, through dev:{{{{SessionName}}}}: {one_by_one:?}");
    // The created ConfigMaps' names never reach a shape: one per job, not one per name.
    let creates = decisions(&kept).keys().filter(|k| k.contains(" create ")).count();
    assert_eq!(creates, 4, "{:?}", decisions(&kept).keys().collect::<Vec<_>>());
}

#[test]
fn a_name_or_session_written_like_a_bound_in_a_hostile_log_is_no_bound() {
    // A rule lists `app-config` and `s1`: a request naming `\0highest` must not match it, nor
    // must a session `\0highest` render to the User subject `…/ci/job-1`.
    let requests = [
        Request::new(&APP, "get", "configmaps", "apps", "\u{0}highest"),
        Request::new(&ci("\u{0}highest"), "get", "secrets", "apps", "s1"),
        Request::new(&dev("\u{0}highest"), "get", "pods", "default", "pod-a"),
    ];
    assert_eq!(decided_one_by_one(&requests, 1), BTreeMap::new(), "nothing allowed");
    let dir = tempfile::tempdir().expect("temporary directory");
    let (store, _) = replayed(dir.path(), &requests, 1, KEPT_PARTICULARS);
    assert!(by_usage(&store).is_empty(), "nothing allowed after a replay either: {:?}", by_usage(&store));
}

#[test]
fn beyond_the_kept_particulars_only_undetermined_requests_and_possibly_used_grants_differ() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Twelve CI jobs read Secret s1; job-1, the one a User subject names, comes last, when the
    // shape's particulars are all taken.
    let jobs: Vec<String> = (2..=12).chain([1]).map(|n| format!("job-{n}")).collect();
    // And the app reads nine other ConfigMaps before its own, which a rule names.
    let configmaps: Vec<String> = (1..=9).map(|n| format!("cm-{n}")).chain(["app-config".into()]).collect();
    let requests: Vec<Request> = jobs
        .iter()
        .map(|job| Request::new(&ci(job), "get", "secrets", "apps", "s1"))
        .chain([Request::new(&ci("job-2"), "list", "configmaps", "apps", "")])
        .chain(configmaps.iter().map(|name| Request::new(&APP, "get", "configmaps", "apps", name)))
        .collect();
    assert!(jobs.len() > KEPT_PARTICULARS);
    let (kept, kept_assessment) = replayed(dir.path(), &requests, 2, KEPT_PARTICULARS);
    let (all, all_assessment) = replayed(dir.path(), &requests, 2, usize::MAX);

    let job_1 = GrantId::parse("rbac:RoleBinding/apps/job-1-secret:ClusterRole/secret-one");
    // The unbounded model: job-1's two requests allowed, every other job's denied.
    assert_eq!(by_usage(&all).get(&job_1), Some(&2));
    assert_eq!(decided_one_by_one(&requests, 2), by_usage(&all));
    // Kept: the eight first jobs' requests exactly (denied); the other four jobs' requests in the
    // unkept shape, undetermined: neither allowed nor denied, and the grant possibly used.
    let summary = &kept_assessment.replay;
    assert_eq!(summary.undetermined, 2, "the jobs' unkept sessions and the app's unkept names: {summary:?}");
    let app_config = GrantId::parse("rbac:RoleBinding/apps/app-config:Role/app-config");
    assert_eq!(by_usage(&all).get(&app_config), Some(&2), "the unbounded model allows the app's own");
    let usage = kept.grant_usage(CLUSTER).expect("reads");
    assert_eq!(usage.get(&(app_config, UsageRole::Possibly)).map(|u| u.requests), Some(4), "cm-9 and app-config");
    let unkept: Vec<_> = decisions(&kept).into_iter().filter(|(k, _)| k.contains("{{SessionName}}")).collect();
    assert_eq!(unkept.len(), 1, "one unkept shape: {unkept:?}");
    assert_eq!(unkept[0].1.0, None, "undetermined");
    assert_eq!(unkept[0].1.3, 2 * (jobs.len() - KEPT_PARTICULARS) as i64, "its requests");
    let usage = kept.grant_usage(CLUSTER).expect("reads");
    assert!(!usage.contains_key(&(job_1.clone(), UsageRole::By)), "never counted as allowed");
    assert_eq!(usage.get(&(job_1.clone(), UsageRole::Possibly)).map(|u| u.requests), Some(8));
    // Allowed requests: a lower bound, short by exactly the undetermined ones the unbounded model allowed.
    for (grant, n) in by_usage(&kept) {
        assert!(by_usage(&all).get(&grant).is_some_and(|&m| m >= n), "{grant}: {n}");
    }
    // No finding calls the possibly-used grant unused, in either model.
    for a in [&kept_assessment, &all_assessment] {
        assert!(!a.findings.iter().any(|f| f.grant == job_1), "{:?}", findings(a));
    }
    assert_eq!(findings(&kept_assessment), findings(&all_assessment));
    // The shapes did not grow with the sessions: eight kept and one unkept for the Secret reads.
    let secrets = decisions(&kept).keys().filter(|k| k.contains(" secrets ")).count();
    assert_eq!(secrets, KEPT_PARTICULARS + 1);
    // And every request the unkept shape stands for is denied at the lowest bound, allowed at the
    // highest: exactly what makes it undetermined.
    let state = state();
    let authz = Authorizer::new(&state);
    let from_day = window_start(crate::app::clock::now_ms(), WINDOW_DAYS);
    let window = kept.window_shapes(CLUSTER, from_day, WindowFilter::All).expect("reads");
    let shape = window.shapes.iter().find(|w| w.stored.shape.unkept.session).expect("a shape with unkept sessions");
    let d = authz.authorize(&shape.stored.shape);
    assert_eq!(d.outcome, Outcome::Undetermined);
    assert_eq!(d.possibly.iter().map(|&g| authz.grant_id(g)).collect::<Vec<_>>()[0], job_1);
}
