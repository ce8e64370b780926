//! `grantscope report` on generated data with known answers: the JSON follows the published schema
//! (schemas/report.schema.json, checked with the jsonschema validator setup installs), the summary
//! holds the known numbers, the HTML is one self-contained file, and hostile principal names,
//! namespaces and session names come out escaped in HTML and Markdown.

mod support;

use serde_json::Value;
use support::*;

#[test]
fn the_json_report_follows_its_schema_and_holds_the_known_numbers() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let json = run_ok(grantscope(&db).args(["--format", "json", "report"]));
    assert_eq!(schema_errors(dir.path(), &json, None), "");
    let r: Value = serde_json::from_str(&json).unwrap();
    let s = &r["summary"];
    // break-glass's entry and its association, old-contractors' binding.
    assert_eq!((s["grants"]["unused"].as_u64(), s["grants"]["shadowed"].as_u64()), (Some(3), Some(0)), "{s}");
    assert_eq!(s["agreement"]["ratio"], 1.0, "the generated state decides as the recorded events say: {s}");
    assert_eq!(s["recommendations"]["changes"], 5);
    assert_eq!(s["recommendations"]["denied_requests"], 0);
    assert_eq!(r["coverage"]["observed_days"], 20);
    assert_eq!(r["coverage"]["gaps"].as_array().unwrap().len(), 0);
    assert_eq!(r["charts"]["requests_per_day"].as_array().unwrap().len(), 20);
    let requests: i64 =
        r["charts"]["requests_per_day"].as_array().unwrap().iter().map(|d| d["requests"].as_i64().unwrap()).sum();
    assert_eq!(requests, 20_000, "every generated event, once");
    let reductions: Vec<&str> =
        r["biggest_reductions"].as_array().unwrap().iter().map(|x| x["to"].as_str().unwrap()).collect();
    assert_eq!(reductions[0], "removed", "break-glass goes first: {reductions:?}");
    assert!(reductions.iter().any(|t| t.starts_with("8 generated RBAC rules in 2 roles")), "{reductions:?}");
    // `findings --format json` prints the same finding objects.
    let findings = run_ok(grantscope(&db).args(["--format", "json", "findings"]));
    assert_eq!(schema_errors(dir.path(), &findings, Some("finding")), "");
    // The schema is not a rubber stamp: a report missing a field fails it.
    let mut broken = r.clone();
    broken["summary"].as_object_mut().unwrap().remove("agreement");
    assert!(schema_errors(dir.path(), &broken.to_string(), None).contains("'agreement' is a required property"));
}

#[test]
fn a_report_since_an_earlier_one_says_what_changed_and_the_trend_keeps_each_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let earlier = dir.path().join("earlier.json");
    run_ok(grantscope(&db).args(["--format", "json", "report", "--out"]).arg(&earlier));
    let before: Value = serde_json::from_str(&std::fs::read_to_string(&earlier).unwrap()).unwrap();
    assert!(before.get("since_previous").is_none(), "nothing to compare with: no section");

    // The unused break-glass entry is removed; a new entry nobody uses yet is added.
    let state = std::fs::read_to_string(data.join("state.yaml")).unwrap();
    let break_glass = "    - principalARN: arn:aws:iam::111122223333:role/break-glass
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
          accessScope: {type: cluster}
";
    let intern = "    - principalARN: arn:aws:iam::111122223333:role/new-intern
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
          accessScope: {type: cluster}
";
    assert!(state.contains(break_glass), "{state}");
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, state.replace(break_glass, intern)).unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&changed));

    let json = run_ok(grantscope(&db).args(["--format", "json", "report", "--since-report"]).arg(&earlier));
    assert_eq!(schema_errors(dir.path(), &json, None), "");
    let r: Value = serde_json::from_str(&json).unwrap();
    let d = &r["since_previous"];
    assert_eq!(d["previous_generated_at"], before["generated_at"]);
    let grants = |key: &str| -> Vec<String> {
        d[key].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect()
    };
    assert!(grants("grants_removed").iter().all(|g| g.contains("break-glass")), "{d}");
    assert_eq!(grants("grants_removed").len(), 2, "the entry and its association: {d}");
    assert!(
        grants("grants_added").iter().all(|g| g.contains("new-intern")) && !grants("grants_added").is_empty(),
        "{d}"
    );
    let findings = |key: &str| -> Vec<String> {
        d[key].as_array().unwrap().iter().map(|f| f["grant"].as_str().unwrap().to_string()).collect()
    };
    assert!(findings("resolved_findings").iter().any(|g| g.contains("break-glass")), "{d}");
    assert!(findings("new_findings").iter().any(|g| g.contains("new-intern")), "{d}");
    assert_eq!(d["then"]["grants_unused"], before["summary"]["grants"]["unused"]);
    assert_eq!(d["now"]["grants_unused"], r["summary"]["grants"]["unused"]);
    assert_eq!(d["then"]["findings_high"], before["summary"]["findings"]["high"]);

    // The trend: the assessments of today are one day's point, the last one this report's.
    let trend = r["charts"]["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 1, "{trend:?}");
    assert_eq!(trend[0]["grants_unused"], r["summary"]["grants"]["unused"]);
    assert_eq!(trend[0]["findings_high"], r["summary"]["findings"]["high"]);

    let md = run_ok(grantscope(&db).args(["report", "--since-report"]).arg(&earlier));
    assert!(md.contains("## Since the previous report"), "{md}");
    assert!(md.contains("### Resolved findings ("), "{md}");
    let html = run_ok(grantscope(&db).args(["--format", "html", "report", "--since-report"]).arg(&earlier));
    assert!(html.contains("<h2>Since the previous report</h2>"), "{html}");
}

#[test]
fn an_earlier_report_that_cannot_be_compared_with_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 3);
    let db = dir.path().join("g.db");
    let earlier = dir.path().join("earlier.json");
    run_ok(grantscope(&db).args(["--format", "json", "report", "--out"]).arg(&earlier));
    let mut other: Value = serde_json::from_str(&std::fs::read_to_string(&earlier).unwrap()).unwrap();
    other["cluster"] = "staging".into();
    let other_cluster = dir.path().join("staging.json");
    std::fs::write(&other_cluster, other.to_string()).unwrap();
    let not_a_report = dir.path().join("findings.json");
    std::fs::write(&not_a_report, run_ok(grantscope(&db).args(["--format", "json", "findings"]))).unwrap();
    // Exit codes by class: the wrong file is a usage error (2), a missing one not found (4).
    let cases = [
        ("another cluster's report", &other_cluster, "a report of cluster staging, not of demo", 2),
        ("not a report", &not_a_report, "not a grantscope JSON report", 2),
        ("no such file", &dir.path().join("missing.json"), "missing.json", 4),
    ];
    for (name, file, want, code) in cases {
        let out = run_fails_with(grantscope(&db).args(["report", "--since-report"]).arg(file), code);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains(&file.display().to_string()), "{name} names the file: {err}");
    }
}

#[test]
fn the_html_report_stands_alone_and_markdown_too() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let out = dir.path().join("reports/report.html");
    run_ok(grantscope(&db).args(["--format", "html", "report", "--out"]).arg(&out));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "<link", "src=", "href=", "url(", "@import", "<iframe", "<object"] {
        assert!(!html.contains(external), "nothing loads from elsewhere, no script: found {external}");
    }
    assert_eq!(
        html.matches("<svg ").count(),
        4,
        "trend, requests per day, findings by kind, unused grants per principal"
    );
    assert!(html.contains("of 20 days observed") || html.contains("20 of 90 days observed"), "coverage is stated");
    assert!(html.contains("would be denied"), "the proof is stated");
    let md = run_ok(grantscope(&db).args(["report"]));
    assert!(md.starts_with("# grantscope least-privilege report: cluster demo\n"), "{md}");
    assert!(md.contains("| Recommendations | 5 applied together: 0 of "), "{md}");
}

#[test]
fn hostile_names_sessions_and_namespaces_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // The auditor reads pods in a namespace and from a session with markup in their names, often
    // enough to be the first example of its over-broad scope.
    let (session, namespace) = ("<script>alert('session')</script>", "<img src=x onerror=alert(1)>");
    let audit = std::fs::read_to_string(data.join("audit.jsonl")).unwrap();
    let line = audit
        .lines()
        .find(|l| l.contains("role/readonly-auditor") && l.contains("\"namespace\":\"kube-system\""))
        .unwrap();
    let mut event: Value = serde_json::from_str(line).unwrap();
    let username = format!("arn:aws:sts::111122223333:assumed-role/readonly-auditor/{session}");
    event["user"]["username"] = username.clone().into();
    event["user"]["extra"]["sessionName"] = serde_json::json!([session]);
    event["user"]["extra"]["arn"] = serde_json::json!([username]);
    event["objectRef"]["namespace"] = namespace.into();
    let mut lines = String::new();
    for i in 0..3000 {
        event["auditID"] = format!("00000000-0000-4000-8000-{i:012x}").into();
        lines.push_str(&event.to_string());
        lines.push('\n');
    }
    let hostile = dir.path().join("hostile.jsonl");
    std::fs::write(&hostile, lines).unwrap();
    run_ok(grantscope(&db).args(["-q", "ingest", "audit", "--cluster", "demo"]).arg(&hostile));
    // And an unused binding whose name and subject carry markup.
    let rbac = dir.path().join("hostile-rbac.yaml");
    std::fs::write(&rbac, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: \"x-<b onmouseover=alert(2)>\"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: \"<svg onload=alert(3)>\"}]\n").unwrap();
    run_ok(
        grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(data.join("state.yaml")).arg(&rbac),
    );

    let html = run_ok(grantscope(&db).args(["--format", "html", "report"]));
    for raw in ["<script>alert", "<img src=x", "<b onmouseover", "<svg onload"] {
        assert!(!html.contains(raw), "{raw} is escaped in HTML");
    }
    assert!(
        html.contains("session &lt;script&gt;alert('session')&lt;/script&gt;"),
        "the session name is shown, escaped"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "the namespace is shown, escaped");
    assert!(html.contains("x-&lt;b onmouseover=alert(2)&gt;"), "the binding is shown, escaped");
    let md = run_ok(grantscope(&db).args(["--format", "md", "report"]));
    for raw in ["<script>alert", "<img src=x", "<b onmouseover"] {
        // Code blocks hold the commands verbatim (quoted for the shell); outside them, all is escaped.
        let outside: String = md.split("```").step_by(2).collect();
        assert!(!outside.contains(raw), "{raw} is escaped in Markdown text");
    }
    assert!(md.contains("&lt;script&gt;alert"), "{md}");
}
