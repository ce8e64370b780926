//! Every name from a cluster or a log is hostile. Names built to be read as options (`--all`, `-A`,
//! `--selector=x`, `--namespace=kube-system`), to drive a terminal (ESC sequences that set the title
//! or clear the screen), to add a key to an AWS CLI shorthand (`a,namespaces=kube-system`) or to
//! inject markup (`<script>`) go through every output they reach: findings, report (md, html,
//! json), remediation (every format, the script run against stand-in tools that record their argv),
//! escalation paths, the timeline and the errors table.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

const ESC: char = '\u{1b}';

/// An unused ClusterRoleBinding for each hostile name, a RoleBinding in a hostile namespace, an
/// unused access entry and an aws-auth mapping whose names look like options, and escape sequences.
const HOSTILE_RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "--all"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: nobody}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "-A", namespace: "--namespace=kube-system"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: nobody}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "--selector=x"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: nobody}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "rtl\u202etxt"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: nobody}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "\e]0;pwned\a<script>alert(1)</script>\e[2J"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "\e[31mnobody"}]
"#;

const HOSTILE_ENTRIES: &str = r#"    - principalARN: arn:aws:iam::111122223333:role/--all
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
          accessScope: {type: cluster}
"#;

const HOSTILE_MAPPING: &str = r#"  - arn: arn:aws:iam::111122223333:role/-A
    username: "\e[2Jops"
    groups: ["--selector=x"]
"#;

/// Flags grantscope's commands pass, and the words that follow `kubectl apply -f`.
const OUR_FLAGS: [&str; 12] = [
    "--cluster-name",
    "--principal-arn",
    "--policy-arn",
    "--access-scope",
    "--kubernetes-groups",
    "--type",
    "--username",
    "--cluster",
    "--arn",
    "--namespace",
    "--filename",
    "-f",
];

/// The demo cluster with 20 days of data, its state made hostile, and audit events in hostile
/// namespaces from the auditor whose cluster-wide View is narrowed to the namespaces it used.
fn hostile_cluster(dir: &Path) -> PathBuf {
    let data = cluster_with_data(dir, 20);
    let db = dir.join("g.db");
    let state = std::fs::read_to_string(data.join("state.yaml")).unwrap();
    let state = state.replace("iamIdentityMappings:\n", &format!("{HOSTILE_ENTRIES}iamIdentityMappings:\n"));
    let state =
        state.replacen("    groups: [legacy-ops]\n", &format!("    groups: [legacy-ops]\n{HOSTILE_MAPPING}"), 1);
    std::fs::write(dir.join("state.yaml"), state).unwrap();
    std::fs::write(dir.join("hostile.yaml"), HOSTILE_RBAC).unwrap();
    let auditor = std::fs::read_to_string(data.join("audit.jsonl"))
        .unwrap()
        .lines()
        .rfind(|l| l.contains("role/readonly-auditor"))
        .unwrap()
        .to_string();
    let mut events = String::new();
    for (i, ns) in ["a,namespaces=kube-system", "x\u{1b}]0;owned\u{7}"].iter().enumerate() {
        let mut e: Value = serde_json::from_str(&auditor).unwrap();
        e["auditID"] = format!("00000000-0000-4000-8000-00000000000{i}").into();
        e["objectRef"]["namespace"] = (*ns).into();
        e["user"]["extra"]["sessionName"] = serde_json::json!(["<img src=x onerror=alert(1)>\u{1b}[2J"]);
        events.push_str(&format!("{e}\n"));
    }
    // And a bad line that would set the terminal's title if shown raw.
    events.push_str("{\"kind\":\"Event\",\"auditID\":\"\u{1b}]0;title\u{7}\n");
    std::fs::write(dir.join("hostile.jsonl"), events).unwrap();
    run_ok(grantscope(&db).args(["-q", "ingest", "audit", "--cluster", "demo"]).arg(dir.join("hostile.jsonl")));
    run_ok(
        grantscope(&db)
            .args(["-q", "state", "import", "--cluster", "demo"])
            .arg(dir.join("state.yaml"))
            .arg(dir.join("hostile.yaml")),
    );
    db
}

/// No raw escape character, and the hostile name did reach the output (shown as `\u{1b}`).
fn shown_not_acted_on(what: &str, text: &str) {
    assert!(!text.contains(ESC), "{what}: a raw ESC reached it:\n{text}");
    assert!(
        text.contains("\\u{1b}") || text.contains("\\u001b") || text.contains("\\033"),
        "{what}: no hostile name reached it"
    );
}

#[test]
fn hostile_names_are_shown_never_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_cluster(dir.path());

    let text = run_ok(grantscope(&db).args(["findings", "--cluster", "demo"]));
    shown_not_acted_on("findings", &text);
    assert!(text.contains("clusterrolebinding/--all"), "{text}");
    let json = run_ok(grantscope(&db).args(["--format", "json", "findings", "--cluster", "demo"]));
    assert!(!json.contains(ESC) && json.contains("\\u001b"), "JSON keeps the name, escaped");
    assert!(!json.contains('\u{202e}') && json.contains("\\u202e"), "a bidi override is escaped too");
    let parsed: Value = serde_json::from_str(&json).expect("still JSON, as jq reads it");
    assert!(parsed.to_string().contains("rtl\u{202e}txt"), "the exact name survives");
    let errors = run_ok(grantscope(&db).args(["errors"]));
    shown_not_acted_on("errors", &errors);

    for format in ["md", "html", "json"] {
        let out = dir.path().join(format!("report.{format}"));
        run_ok(grantscope(&db).args(["report", "--cluster", "demo", "--format", format, "--out"]).arg(&out));
        let report = std::fs::read_to_string(&out).unwrap();
        shown_not_acted_on(format, &report);
        if format == "json" {
            // JSON is data: the name is kept exactly, escaped by JSON's own rules.
            let exact = format!("{ESC}]0;pwned\u{7}<script>alert(1)</script>{ESC}[2J");
            let v: Value = serde_json::from_str(&report).unwrap();
            assert!(v["grants"].as_array().unwrap().iter().any(|g| g["grant"].as_str().unwrap().contains(&exact)));
        }
        // Inside a Markdown code fence, markup is text: only lines outside fences count.
        let mut fenced = false;
        let raw: Vec<&str> = report
            .lines()
            .filter(|l| {
                if format == "md" && l.starts_with("```") {
                    fenced = !fenced;
                }
                format != "json" && !fenced && (l.contains("<script>alert") || l.contains("<img src=x"))
            })
            .collect();
        assert!(raw.is_empty(), "{format}: markup passed: {raw:?}");
    }

    let timeline = run_ok(grantscope(&db).args(["timeline", "--cluster", "demo", "--since", "30d"]));
    shown_not_acted_on("timeline", &timeline);
}

#[test]
fn remediation_never_hands_a_name_to_a_tool_as_an_option() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_cluster(dir.path());
    let out = dir.path().join("remediation");
    run_ok(grantscope(&db).args(["remediate", "--cluster", "demo", "--region", "eu-west-1", "--out"]).arg(&out));
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(ESC), "{}: a raw ESC", path.display());
    }
    let script = std::fs::read_to_string(out.join("demo.sh")).unwrap();
    for name in ["clusterrolebinding/--all", "rolebinding/-A", "clusterrolebinding/--selector=x"] {
        assert!(script.contains(name), "{name} is removed: {script}");
    }
    assert!(script.contains("a,namespaces=kube-system"), "the hostile namespace is in the narrowed scope: {script}");

    // Run it against stand-ins that record every argument they get.
    let calls = run_with_stand_ins(dir.path(), &out.join("demo.sh"), &["aws", "kubectl", "eksctl"]);
    assert!(calls.len() >= 8, "{calls:?}");
    let hostile = ["--all", "-A", "--selector=x", "--namespace=kube-system"];
    for argv in &calls {
        for arg in &argv[1..] {
            assert!(!hostile.contains(&arg.as_str()), "{arg:?} reached {} as an option: {argv:?}", argv[0]);
            if arg.starts_with('-') && arg != "-" {
                let ours = OUR_FLAGS.iter().any(|f| arg == f || arg.starts_with(&format!("{f}=")));
                assert!(ours, "{arg:?} is no option grantscope passes: {argv:?}");
            }
        }
    }
    // The deletions named exactly the hostile objects.
    let deleted: Vec<&Vec<String>> =
        calls.iter().filter(|c| c[0] == "kubectl" && c.contains(&"delete".to_string())).collect();
    assert!(deleted.iter().any(|c| c.contains(&"clusterrolebinding/--all".to_string())), "{deleted:?}");
    assert!(
        deleted.iter().any(|c| c.contains(&"--namespace=--namespace=kube-system".to_string())
            && c.contains(&"rolebinding/-A".to_string())),
        "{deleted:?}"
    );
    let escaped_binding = format!("clusterrolebinding/{ESC}]0;pwned\u{7}<script>alert(1)</script>{ESC}[2J");
    assert!(deleted.iter().any(|c| c.contains(&escaped_binding)), "the escaped name arrives exact: {deleted:?}");
    // The scope went as one JSON word: the namespace is data, not a key.
    let scope = calls
        .iter()
        .filter_map(|c| c.iter().position(|a| a == "--access-scope").map(|i| &c[i + 1]))
        .find(|s| s.contains("a,namespaces=kube-system"))
        .expect("the narrowed scope");
    let scope: Value = serde_json::from_str(scope).unwrap();
    assert!(scope["namespaces"].as_array().unwrap().contains(&"a,namespaces=kube-system".into()), "{scope}");
}

#[test]
fn escalation_paths_show_hostile_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let state = dir.path().join("state.yaml");
    std::fs::write(
        &state,
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\naccessConfig:\n  authenticationMode: API\n  accessEntries:\n  - principalARN: arn:aws:iam::111122223333:role/dev\n    kubernetesGroups: [\"\\e[2Jdev\"]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"\\e]0;pod-maker\\a\"}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [create]}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: \"--all\"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"\\e]0;pod-maker\\a\"}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: \"\\e[2Jdev\"}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: deployer-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: deployer, namespace: apps}]\n",
    )
    .unwrap();
    for format in ["text", "dot"] {
        let out = grantscope(&db).args(["--format", format, "paths", "--state"]).arg(&state).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "paths found: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        if format == "text" {
            shown_not_acted_on("paths", &stdout); // the text names the grants; the graph only nodes
        }
        assert!(!stdout.contains(ESC) && !String::from_utf8_lossy(&out.stderr).contains(ESC), "paths {format}");
    }
}
