//! The authorization engine through the real binary: `evaluate`, `explain`, `state import|show|export`
//! on eksctl + kubectl YAML + aws-auth inputs, and malformed state files.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::*;

fn state_files() -> Vec<PathBuf> {
    ["eksctl-cluster.yaml", "rbac.yaml", "aws-auth.yaml"].iter().map(|f| fixture(&format!("state/{f}"))).collect()
}

fn evaluate(db: &std::path::Path, state: &[PathBuf], events: &std::path::Path) -> (Vec<Value>, String) {
    let mut cmd = grantscope(db);
    cmd.args(["--format", "jsonl", "evaluate", "--events"]).arg(events);
    for s in state {
        cmd.arg("--state").arg(s);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (lines, String::from_utf8(out.stderr).unwrap())
}

/// The recorded-decision oracle: a state that reproduces the fixture cluster gives every recorded
/// decision, and names the grant each recorded reason names (tests/fixtures/state/README.md).
#[test]
fn evaluate_reproduces_the_recorded_decisions_and_grants() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, summary) = evaluate(&dir.path().join("unused.db"), &state_files(), &fixture("audit/events.jsonl"));
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("state/expected.json")).unwrap()).unwrap();
    assert_eq!(lines.len(), 10, "final-stage events only, in input order");
    let want_order: Vec<&str> = [
        "2bf3c78b", "56cbd183", "23e66a07", "6b8fe0ba", "bb962964", "a5869f2f", "18b4c132", "684ec1be", "386b9674",
        "191a93db",
    ]
    .to_vec();
    assert_eq!(lines.iter().map(|l| &l["auditID"].as_str().unwrap()[..8]).collect::<Vec<_>>(), want_order);
    for line in &lines {
        let want = expected.iter().find(|e| e["auditID"] == line["auditID"]).unwrap();
        assert_eq!((&line["allowed"], &line["by"]), (&want["allowed"], &want["by"]), "{line}");
        assert!(line["agrees"] != false && line["attribution_agrees"] != false, "{line}");
    }
    assert!(summary.contains("agree with the recorded ones on 9 of 9 (100.00%)"), "{summary}");
    assert!(summary.contains("grant agrees on 7 of 7 (100.00%)"), "{summary}");
    assert!(summary.contains("1 not evaluated"), "{summary}");
}

#[test]
fn evaluate_reports_disagreement_when_the_state_changed() {
    let dir = tempfile::tempdir().unwrap();
    // Without the RBAC file, the RoleBinding behind event 3 and the coredns binding are gone.
    let (lines, summary) = evaluate(&dir.path().join("unused.db"), &state_files()[..1], &fixture("audit/events.jsonl"));
    let event3 = lines.iter().find(|l| l["auditID"].as_str().unwrap().starts_with("23e66a07")).unwrap();
    assert_eq!((&event3["allowed"], &event3["agrees"]), (&Value::Bool(false), &Value::Bool(false)), "{event3}");
    assert!(summary.contains("on 7 of 9"), "{summary}");
}

fn explain(args: &[&str]) -> (Option<i32>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = grantscope(&dir.path().join("unused.db"));
    cmd.args(["--format", "json", "explain"]);
    for s in state_files() {
        cmd.arg("--state").arg(s);
    }
    let out = cmd.args(args).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json)
}

#[test]
fn explain_answers_like_can_i_with_a_trace() {
    let (code, x) = explain(&[
        "--arn",
        "arn:aws:sts::444455556666:assumed-role/ci-deployer/s1",
        "create",
        "deployments.apps",
        "-n",
        "payments",
    ]);
    assert_eq!(code, Some(0), "{x}");
    assert_eq!(x["by"], "rbac:RoleBinding/payments/deployers:ClusterRole/edit");
    assert_eq!(x["authenticated_by"], "eks-entry:arn:aws:iam::444455556666:role/ci-deployer");
    assert_eq!(x["username"], "arn:aws:sts::444455556666:assumed-role/ci-deployer/s1");

    let (code, x) = explain(&[
        "--arn",
        "arn:aws:sts::444455556666:assumed-role/ci-deployer/s1",
        "create",
        "deployments.apps",
        "-n",
        "checkout",
    ]);
    assert_eq!(code, Some(1), "the RoleBinding is in payments only: {x}");
    let why: Vec<&str> = x["not_applied"].as_array().unwrap().iter().map(|n| n["why"].as_str().unwrap()).collect();
    assert!(why.contains(&"a RoleBinding applies only in its own namespace"), "{x}");

    let (code, x) =
        explain(&["--arn", "arn:aws:iam::777788889999:role/readonly-auditor", "list", "pods", "-n", "prod"]);
    assert_eq!(code, Some(1), "{x}");
    let why: Vec<&str> = x["not_applied"].as_array().unwrap().iter().map(|n| n["why"].as_str().unwrap()).collect();
    assert!(why.contains(&"its access scope does not cover this request"), "{x}");

    let (code, x) =
        explain(&["--user", "system:anonymous", "--group", "system:unauthenticated", "get", "--path", "/version"]);
    assert_eq!(
        (code, x["by"].as_str()),
        (Some(0), Some("rbac:ClusterRoleBinding/system:public-info-viewer:ClusterRole/system:public-info-viewer"))
    );

    let (code, x) = explain(&["--arn", "arn:aws:iam::444455556666:role/stranger", "get", "pods"]);
    assert_eq!(
        (code, x["outcome"].as_str(), x["authenticated"].as_bool()),
        (Some(1), Some("unauthenticated"), Some(false))
    );

    let (code, x) = explain(&["--arn", "arn:aws:iam::444455556666:role/fixture-cluster-node-role", "get", "nodes"]);
    assert_eq!((code, x["outcome"].as_str()), (Some(1), Some("not-evaluated")));
}

#[test]
fn state_import_stores_versions_only_when_they_change_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let import = |files: &[PathBuf]| -> Value {
        let out =
            run_ok(grantscope(&db).args(["--format", "json", "state", "import", "--cluster", CLUSTER]).args(files));
        serde_json::from_str(&out).unwrap()
    };
    let files = state_files();
    assert_eq!(import(&files), serde_json::json!({"cluster": CLUSTER, "version": 1, "created": true}));
    // The same state in another file order is the same content.
    let reordered = vec![files[2].clone(), files[0].clone(), files[1].clone()];
    assert_eq!(import(&reordered), serde_json::json!({"cluster": CLUSTER, "version": 1, "created": false}));
    let second = import(&files[..1]);
    assert_eq!((&second["version"], &second["created"]), (&serde_json::json!(2), &serde_json::json!(true)));
    let removed = second["diff"]["bindings"]["removed"].as_array().unwrap();
    assert!(
        removed.contains(&serde_json::json!("RoleBinding payments/deployers -> ClusterRole edit for [Group ci]")),
        "the diff names what the dropped files held: {second}"
    );

    let text = run_ok(grantscope(&db).args(["state", "show", "--version", "1"]));
    let table = run_ok(
        grantscope(&db)
            .args(["--format", "table", "evaluate", "--state"])
            .arg(&files[0])
            .arg("--events")
            .arg(fixture("audit/events.jsonl")),
    );
    assert!(table.starts_with("AUDIT ID") && table.lines().count() == 11, "{table}");
    assert!(
        text.contains("authentication mode: ApiAndConfigMap")
            && text.contains("arn:aws:iam::777788889999:role/readonly-auditor"),
        "{text}"
    );

    let snapshot = dir.path().join("v1.json");
    run_ok(grantscope(&db).args(["state", "export", "--version", "1", "--out"]).arg(&snapshot));
    let (from_snapshot, _) = evaluate(&db, std::slice::from_ref(&snapshot), &fixture("audit/events.jsonl"));
    let (from_yaml, _) = evaluate(&db, &files, &fixture("audit/events.jsonl"));
    assert_eq!(from_snapshot, from_yaml, "a snapshot decides exactly as the files it came from");
    let third = import(&[snapshot]);
    assert_eq!(
        (&third["version"], &third["created"]),
        (&serde_json::json!(3), &serde_json::json!(true)),
        "v1 again after v2 is a change"
    );
    assert_eq!(
        third["diff"]["bindings"]["added"], second["diff"]["bindings"]["removed"],
        "what v2 dropped, v3 brings back"
    );
}

#[test]
fn malformed_state_files_name_file_document_and_field() {
    let cases = [
        ("unknown-mode.yaml", "document 1: accessConfig.authenticationMode: unknown variant `SOMETIMES`"),
        (
            "bad-scope.yaml",
            "document 1: accessConfig.accessEntries[1].accessPolicies[0].accessScope.type: unknown variant `galaxy`",
        ),
        (
            "bad-arn.yaml",
            "document 1: accessConfig.accessEntries[1].principalARN: `not-an-arn` is not an IAM role or user ARN",
        ),
        ("rolebinding-no-roleref.yaml", "document 2: roleRef: missing"),
        ("aws-auth-bad-maproles.yaml", "document 1: data.mapRoles: not a YAML list"),
    ];
    for (file, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = run_fails(
            grantscope(&dir.path().join("g.db"))
                .args(["state", "import", "--cluster", "c"])
                .arg(fixture(&format!("state/bad/{file}"))),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(file) && stderr.contains(want), "{file}: {stderr}");
        assert!(!dir.path().join("g.db").exists(), "{file}: nothing written");
    }
}

/// A generated log whose recorded decisions come from the generator's own population table,
/// replayed against a hand-written state of the same cluster: every decision and every grant agrees.
#[test]
fn a_generated_log_replays_at_full_agreement_against_an_independent_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let out = dir.path().join("gen");
    run_ok(
        grantscope(&db)
            .args(["generate", "--events", "5000", "--days", "3", "--end", "2026-11-20", "--cluster", "demo", "--out"])
            .arg(&out),
    );
    let (lines, summary) = evaluate(&db, &[out.join("state.yaml")], &out.join("audit.jsonl"));
    assert_eq!(lines.len(), 5000);
    let disagreements: Vec<&Value> =
        lines.iter().filter(|l| l["agrees"] == false || l["attribution_agrees"] == false).take(3).collect();
    assert!(disagreements.is_empty(), "{disagreements:?}");
    let compared = lines.iter().filter(|l| l["agrees"] == true).count();
    let denied = lines.iter().filter(|l| l["allowed"] == false).count();
    assert!(compared > 4000 && denied > 10, "most events are compared, some are denials: {compared} {denied}");
    assert_eq!(summary.matches("(100.00%)").count(), 2, "decisions and grants both agree fully: {summary}");
}
