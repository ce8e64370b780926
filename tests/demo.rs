//! The demo and the data generator, through the real binary.

mod support;

use support::*;

#[test]
fn demo_generates_ingests_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = run_ok(
        grantscope(&dir.path().join("unused.db")).args(["-q", "--format", "json", "demo", "--out"]).arg(&out_dir),
    );
    // JSON documents: two ingest summaries, the stats, the state import, the findings, the reports.
    let docs: Vec<serde_json::Value> =
        serde_json::Deserializer::from_str(&out).into_iter().map(Result::unwrap).collect();
    assert_eq!(docs.len(), 6, "{out}");
    let html = std::fs::read_to_string(docs[5]["report_html"].as_str().unwrap()).unwrap();
    assert!(html.contains("Least-privilege report: cluster demo"), "the demo writes the report");
    assert!(std::fs::read_to_string(docs[5]["report_md"].as_str().unwrap()).unwrap().contains("## Top risks"));
    assert_eq!(docs[3]["version"], 1);
    let kinds: Vec<&str> = docs[4].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "overbroad-policy",
            "risky",
            "unused-rbac-binding",
            "overbroad-policy",
            "risky",
            "overbroad-scope",
            "risky",
            "unused-access-entry",
        ],
        "the demo's planted over-grants, most severe first, then the break-glass role its exceptions file accepts"
    );
    let accepted = &docs[4].as_array().unwrap()[7];
    assert_eq!(accepted["grant"], "eks-entry:arn:aws:iam::111122223333:role/break-glass");
    assert_eq!(accepted["accepted"]["matched_by"], "match", "{accepted}");
    assert!(out_dir.join("grantscope.exceptions.yaml").exists());
    let md = std::fs::read_to_string(docs[5]["report_md"].as_str().unwrap()).unwrap();
    assert!(md.contains("## Accepted risk") && md.contains("Break-glass role: unused by design"), "{md}");
    assert_eq!(docs[0]["ingested"], 50_000);
    let demo = &docs[2]["clusters"]["demo"];
    assert_eq!(
        (demo["events"].as_i64(), demo["days"].as_i64(), demo["errors"].as_i64()),
        (Some(50_000), Some(14), Some(0)),
        "{demo}"
    );
    assert!(demo["cloudtrail_events"].as_i64().unwrap() >= 8, "{demo}");
    assert_eq!(docs[2]["iam_events"].as_i64(), Some(6), "four roles created, one deleted and re-created");
    assert!(out_dir.join("grantscope.db").exists());
}

#[test]
fn generate_is_deterministic_and_realistic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    for out in ["a", "b"] {
        run_ok(
            grantscope(&db)
                .args(["generate", "--seed", "7", "--events", "2000", "--days", "3", "--end", "2026-11-20", "--out"])
                .arg(dir.path().join(out)),
        );
    }
    let a = std::fs::read(dir.path().join("a/audit.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b/audit.jsonl")).unwrap(), "same seed, same bytes");
    let text = String::from_utf8(a).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2000);
    let mean = text.len() / lines.len();
    assert!((900..=1400).contains(&mean), "events are about 1.1 KB like real Metadata-level events, got {mean}");
    let events: Vec<serde_json::Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reads = events.iter().filter(|e| ["get", "list", "watch"].contains(&e["verb"].as_str().unwrap())).count();
    assert!(reads * 100 / events.len() >= 60, "reads dominate, as on real clusters");
    assert!(
        events.iter().any(|e| e["annotations"]["authorization.k8s.io/decision"] == "forbid"),
        "some requests are denied"
    );
    let days = ["2026-11-18", "2026-11-19", "2026-11-20"];
    assert!(
        events.iter().all(|e| days.contains(&&e["requestReceivedTimestamp"].as_str().unwrap()[..10])),
        "inside the 3 days ending 2026-11-20"
    );

    let summary = ingest_audit(&db, &[&dir.path().join("a/audit.jsonl")]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(2000), Some(0)), "{summary}");
    let c = cluster_stats(&db, CLUSTER);
    assert_eq!(c["days"], 3, "{c}");
    assert!(c["principals"].as_i64().unwrap() >= 8, "roles, a user, service accounts, nodes, anonymous: {c}");
}

#[test]
fn the_demo_data_is_a_state_a_user_could_have_with_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = grantscope(&dir.path().join("unused.db"))
        .args(["demo", "--out"])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn help_keeps_examples_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let top = run_ok(grantscope(&db).arg("--help"));
    let lines: Vec<&str> = top.lines().collect();
    let at = lines.iter().position(|l| *l == "Examples:").expect("an Examples: heading");
    assert_eq!(
        &lines[at + 1..at + 6],
        [
            "  grantscope demo",
            "  aws logs filter-log-events --log-group-name /aws/eks/prod/cluster \\",
            "      --log-stream-name-prefix kube-apiserver-audit > audit.json",
            "  grantscope ingest audit --cluster prod audit.json",
            "  grantscope stats",
        ],
        "{top}"
    );
    for (command, example) in [
        (
            &["paths", "--help"][..],
            "  grantscope --format dot paths --state cluster.yaml --state rbac.yaml | dot -Tsvg > paths.svg",
        ),
        (
            &["explain", "--help"][..],
            "  grantscope explain --state rbac.yaml --user alice --group ops get --path /metrics",
        ),
        (
            &["state", "sync", "--help"][..],
            "  grantscope state sync --cluster prod --eks-token   # no kubeconfig, as in ECS",
        ),
    ] {
        let help = run_ok(grantscope(&db).args(command));
        assert!(help.lines().any(|l| l == "Examples:") && help.lines().any(|l| l == example), "{help}");
    }
}
