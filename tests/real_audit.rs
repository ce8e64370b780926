//! Real public audit events (tests/fixtures/real/SOURCES.md, `## audit`) through the real binary,
//! against a state that holds nothing but the built-in bootstrap policy: every request the API
//! server allowed through a binding of that policy, or to a member of `system:masters`, is decided as
//! recorded, and by the grant it recorded.

mod support;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use support::*;

const FILES: [&str; 3] = ["falco-k8s-audit.jsonl", "khi-kind-kube-scheduler.jsonl", "panther-eks.jsonl"];

/// The grant ids of every binding a state with no files holds: the bootstrap policy's.
fn bootstrap_grants(dir: &Path) -> HashSet<String> {
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "apiVersion: v1\nkind: List\nitems: []\n").unwrap();
    let db = dir.join("bootstrap.db");
    run_ok(grantscope(&db).args(["state", "import", "--cluster", "real"]).arg(&empty));
    let shown: Value =
        serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "state", "show"]))).unwrap();
    shown["snapshot"]["state"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let (name, role) = (b["name"].as_str().unwrap(), b["role_name"].as_str().unwrap());
            let kind = b["role_kind"].as_str().unwrap();
            match b["namespace"].as_str() {
                Some(ns) => format!("rbac:RoleBinding/{ns}/{name}:{kind}/{role}"),
                None => format!("rbac:ClusterRoleBinding/{name}:{kind}/{role}"),
            }
        })
        .collect()
}

/// Each file's events as `evaluate` decides them, by audit id, with the event's recorded groups.
fn evaluated(dir: &Path, empty_state: &Path) -> Vec<(Value, Vec<String>)> {
    let mut out = Vec::new();
    for f in FILES {
        let events = fixture(&format!("real/audit/{f}"));
        let groups: HashMap<String, Vec<String>> = std::fs::read_to_string(&events)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|e| {
                let g = e["user"]["groups"].as_array().map(|g| g.iter().map(|g| g.as_str().unwrap().to_string()));
                (e["auditID"].as_str().unwrap().to_string(), g.map(Iterator::collect).unwrap_or_default())
            })
            .collect();
        let stdout = run_ok(
            grantscope(&dir.join("scratch.db"))
                .args(["--format", "jsonl", "evaluate", "--cluster", "real", "--state"])
                .arg(empty_state)
                .arg("--events")
                .arg(&events),
        );
        for line in stdout.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let g = groups[v["auditID"].as_str().unwrap()].clone();
            out.push((v, g));
        }
    }
    out
}

#[test]
fn real_events_allowed_by_the_bootstrap_policy_or_system_masters_are_decided_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = bootstrap_grants(dir.path());
    let lines = evaluated(dir.path(), &dir.path().join("empty.yaml"));
    let mut checked = HashMap::<String, usize>::new();
    for (line, groups) in &lines {
        let recorded_by = line["recorded_by"].as_str();
        let want = match recorded_by {
            Some(r) if bootstrap.contains(r) => r.to_string(),
            _ if line["recorded"] == "allow" && groups.iter().any(|g| g == "system:masters") => {
                "k8s:group/system:masters".to_string()
            }
            _ => continue,
        };
        let mut found: Vec<&str> = line["by"].as_str().into_iter().collect();
        found.extend(line["shadowed"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()));
        assert_eq!(line["agrees"], true, "{line}");
        assert!(found.contains(&want.as_str()), "recorded {want}, found {found:?}: {line}");
        *checked.entry(want).or_default() += 1;
    }
    // What the fixtures hold (SOURCES.md): controllers, control-plane users, anonymous discovery and
    // cluster admins. Counting them keeps a fixture change from emptying the test.
    let count = |g: &str| checked.get(g).copied().unwrap_or(0);
    let replicaset = "rbac:ClusterRoleBinding/system:controller:replicaset-controller:ClusterRole/system:controller:replicaset-controller";
    assert_eq!(count(replicaset), 10, "{checked:?}");
    assert_eq!(
        count("rbac:ClusterRoleBinding/system:kube-controller-manager:ClusterRole/system:kube-controller-manager"),
        1
    );
    assert_eq!(count("rbac:ClusterRoleBinding/system:kube-scheduler:ClusterRole/system:kube-scheduler"), 1);
    assert_eq!(count("rbac:ClusterRoleBinding/system:public-info-viewer:ClusterRole/system:public-info-viewer"), 1);
    assert_eq!(count("k8s:group/system:masters"), 37, "{checked:?}");
}

#[test]
fn real_eks_internal_and_node_callers_are_not_evaluated_never_denied() {
    let dir = tempfile::tempdir().unwrap();
    bootstrap_grants(dir.path());
    let lines = evaluated(dir.path(), &dir.path().join("empty.yaml"));
    let outcome = |id: &str| {
        let (l, _) = lines.iter().find(|(l, _)| l["auditID"].as_str().unwrap().starts_with(id)).unwrap();
        (l["outcome"].as_str().unwrap().to_string(), l["allowed"].clone())
    };
    // eks:addon-manager, through an AWS-owned IAM role no access entry or aws-auth row maps: its
    // RoleBinding is EKS's, which a state from files lacks.
    assert_eq!(outcome("43410f6e"), ("not-evaluated".into(), Value::Null));
    // A managed node group's node (system:node:<name> in system:nodes) and a minikube node.
    assert_eq!(outcome("e5ca89e7"), ("not-evaluated".into(), Value::Null));
    assert_eq!(outcome("8ae98948"), ("not-evaluated".into(), Value::Null));
}
