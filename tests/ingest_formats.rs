//! Every input format the file ingest accepts, through the real binary into a real SQLite file.

mod support;

use serde_json::json;
use support::*;

/// The base set every multi-event audit fixture holds (tests/fixtures/README.md).
fn base_set_stats() -> serde_json::Value {
    json!({
        "events": 10, "shapes": 10, "principals": 7, "days": 3, "cloudtrail_events": 0, "errors": 0,
        "first_seen": "2026-11-02T10:15:30.123Z", "last_seen": "2026-11-04T16:40:27.208Z"
    })
}

#[test]
fn every_audit_format_yields_the_same_events() {
    let formats = [
        "events.jsonl",
        "eventlist.json",
        "filter-log-events.json",
        "get-log-events.json",
        "s3-export.txt",
        "subscription-filter.json",
        "insights-export.json",
    ];
    for name in formats {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let summary = ingest_audit(&db, &[&fixture(&format!("audit/{name}"))]);
        assert_eq!(
            (summary["ingested"].as_u64(), summary["skipped"].as_u64(), summary["errors"].as_u64()),
            (Some(10), Some(2), Some(0)),
            "{name}: {summary}"
        );
        assert_eq!(cluster_stats(&db, CLUSTER), base_set_stats(), "{name}");
    }
}

#[test]
fn gzip_is_detected_by_content_not_extension() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["events.jsonl", "eventlist.json", "s3-export.txt"] {
        let db = dir.path().join(format!("{name}.db"));
        let disguised = dir.path().join(format!("{name}.log"));
        std::fs::write(&disguised, gzip(&std::fs::read(fixture(&format!("audit/{name}"))).unwrap())).unwrap();
        let summary = ingest_audit(&db, &[&disguised]);
        assert_eq!(summary["ingested"], 10, "{name}: {summary}");
        assert_eq!(cluster_stats(&db, CLUSTER), base_set_stats(), "{name}");
    }
}

#[test]
fn multi_member_gzip_as_cloudwatch_exports_write_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("audit/s3-export.txt")).unwrap();
    let (head, tail) = text.split_at(text.find('\n').unwrap() + 1);
    let mut two_members = gzip(head.as_bytes());
    two_members.extend(gzip(tail.as_bytes()));
    let path = dir.path().join("000000.gz");
    std::fs::write(&path, two_members).unwrap();
    let db = dir.path().join("g.db");
    assert_eq!(ingest_audit(&db, &[&path])["ingested"], 10);
}

#[test]
fn cluster_comes_from_the_log_group_the_input_names() {
    for name in ["subscription-filter.json", "insights-export.json"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        run_ok(grantscope(&db).args(["ingest", "audit"]).arg(fixture(&format!("audit/{name}"))));
        assert_eq!(cluster_stats(&db, CLUSTER)["events"], 10, "{name}");
    }
}

#[test]
fn input_without_a_cluster_fails_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out = run_fails(grantscope(&db).args(["ingest", "audit"]).arg(fixture("audit/events.jsonl")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("events.jsonl") && stderr.contains("--cluster"), "{stderr}");
    assert_eq!(stats(&db)["clusters"], json!({}));
}

#[test]
fn stdin_is_read_when_the_file_is_dash() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut child = grantscope(&db)
        .args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&gzip(&std::fs::read(fixture("audit/eventlist.json")).unwrap())).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ingested"], 10, "{summary}");
}

#[test]
fn a_forced_input_format_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // Read as lines, a pretty-printed document is a run of broken records.
    let out = run_ok(
        grantscope(&db)
            .args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER, "--input-format", "jsonl"])
            .arg(fixture("audit/single-event-pretty.json")),
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["ingested"], 0, "{summary}");
    assert!(summary["errors"].as_u64().unwrap() > 1, "{summary}");
    let out = run_ok(
        grantscope(&db)
            .args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER, "--input-format", "json"])
            .arg(fixture("audit/single-event-pretty.json")),
    );
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["ingested"], 1);
}

#[test]
fn panther_style_timestamps_are_read_as_utc() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    assert_eq!(ingest_audit(&db, &[&fixture("audit/panther-timestamps.jsonl")])["ingested"], 2);
    let c = cluster_stats(&db, CLUSTER);
    assert_eq!((c["days"].as_i64(), c["first_seen"].as_str()), (Some(1), Some("2026-11-03T08:01:02.123Z")), "{c}");
}

#[test]
fn every_cloudtrail_format_keeps_the_access_changes() {
    for name in ["s3-delivery.json", "lookup-events.json", "events.jsonl"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let path = dir.path().join("trail");
        std::fs::write(&path, gzip(&std::fs::read(fixture(&format!("cloudtrail/{name}"))).unwrap())).unwrap();
        for file in [fixture(&format!("cloudtrail/{name}")), path] {
            let summary = ingest_cloudtrail(&db, &[&file]);
            assert_eq!(summary["errors"], 0, "{name}: {summary}");
            assert_eq!(
                summary["ingested"].as_u64().unwrap() + summary["duplicates"].as_u64().unwrap(),
                12,
                "{name}: {summary}"
            );
            assert_eq!(summary["skipped"], 4, "{name}: {summary}");
        }
        let s = stats(&db);
        assert_eq!(
            (
                s["clusters"][CLUSTER]["cloudtrail_events"].as_i64(),
                s["clusters"]["old-cluster"]["cloudtrail_events"].as_i64(),
                s["iam_events"].as_i64()
            ),
            (Some(7), Some(1), Some(4)),
            "{name}: {s}"
        );
    }
}

#[test]
fn a_one_line_cloudtrail_file_of_many_megabytes_is_read_as_a_document() {
    // CloudTrail writes each S3 file as one line; busy accounts produce files far over 1 MiB.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let fixture_text = std::fs::read_to_string(fixture("cloudtrail/events.jsonl")).unwrap();
    let template: serde_json::Value = serde_json::from_str(fixture_text.lines().next().unwrap()).unwrap();
    let padding = "x".repeat(2_000);
    let records: Vec<serde_json::Value> = (0..2_000)
        .map(|i| {
            let mut r = template.clone();
            r["eventID"] = format!("00000000-0000-4000-8000-{i:012}").into();
            r["eventName"] = if i % 2 == 0 { "CreateRole" } else { "GetObject" }.into();
            r["eventSource"] = if i % 2 == 0 { "iam.amazonaws.com" } else { "s3.amazonaws.com" }.into();
            r["requestParameters"] = json!({"roleName": format!("role-{i}"), "padding": padding});
            r
        })
        .collect();
    let line = serde_json::to_string(&json!({ "Records": records })).unwrap();
    assert!(line.len() > 4 << 20 && !line.contains('\n'));
    let path = dir.path().join("111122223333_CloudTrail_eu-west-1_20261102T1000Z_abc.json.gz");
    std::fs::write(&path, gzip(line.as_bytes())).unwrap();
    let summary = ingest_cloudtrail(&db, &[&path]);
    assert_eq!(
        (summary["ingested"].as_u64(), summary["skipped"].as_u64(), summary["errors"].as_u64()),
        (Some(1000), Some(1000), Some(0)),
        "{summary}"
    );
}
