//! Bad input is recorded with its position and skipped; the run goes on. Bad paths, flags, config
//! and databases fail up front with exit 2 and write nothing.

mod support;

use serde_json::Value;
use support::*;

fn errors(db: &std::path::Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&run_ok(grantscope(db).args(["--format", "json", "errors"])))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn each_bad_line_is_recorded_with_its_line_and_the_rest_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out =
        run_ok(grantscope(&db).args(["ingest", "audit", "--cluster", CLUSTER]).arg(fixture("audit/bad-lines.jsonl")));
    assert_eq!(out.trim(), "ingested 3, skipped 0, errors 7 (see grantscope errors)");
    let got: Vec<(u64, String)> =
        errors(&db).iter().map(|e| (e["line"].as_u64().unwrap(), e["kind"].as_str().unwrap().to_string())).collect();
    let want = [
        (2, "truncated"),
        (3, "invalid-json"),
        (4, "other-kind"),
        (6, "invalid-utf8"),
        (7, "unknown-stage"),
        (8, "missing-field"),
        (9, "not-an-object"),
    ];
    assert_eq!(got, want.iter().map(|(l, k)| (*l, k.to_string())).collect::<Vec<_>>());
    for e in errors(&db) {
        assert!(e["file"].as_str().unwrap().ends_with("bad-lines.jsonl"), "{e}");
        assert!(!e["reason"].as_str().unwrap().is_empty() && !e["excerpt"].as_str().unwrap().is_empty(), "{e}");
    }
    assert_eq!(cluster_stats(&db, CLUSTER)["errors"], 7);
    let text = run_ok(grantscope(&db).arg("errors"));
    assert!(text.contains("bad-lines.jsonl: line 4: [other-kind] a CloudTrail record"), "{text}");
}

#[test]
fn a_line_over_one_mebibyte_is_skipped_without_losing_its_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events = std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap();
    let lines: Vec<&str> = events.lines().collect();
    // A real event whose userAgent CloudWatch would have truncated: 2 MiB on one line.
    let huge = lines[0].replace("\"userAgent\":\"", &format!("\"userAgent\":\"{}", "x".repeat(2 << 20)));
    let path = dir.path().join("huge.jsonl");
    std::fs::write(&path, format!("{huge}\n{}\n{}\n", lines[2], lines[3])).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(2), Some(1)), "{summary}");
    let e = &errors(&db)[0];
    assert_eq!((e["line"].as_u64(), e["kind"].as_str()), (Some(1), Some("too-long")), "{e}");
    assert!(e["excerpt"].as_str().unwrap().chars().count() < 200, "the excerpt is short");
}

#[test]
fn bad_records_inside_documents_are_recorded_by_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/eventlist.json")).unwrap();
    let mut v: Value = serde_json::from_str(&doc).unwrap();
    v["items"][3]["stage"] = "Exploded".into();
    let path = dir.path().join("list.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!(summary["errors"], 1, "{summary}");
    let e = &errors(&db)[0];
    assert_eq!(
        (e["line"].as_u64(), e["record"].as_u64(), e["kind"].as_str()),
        (None, Some(3), Some("unknown-stage")),
        "{e}"
    );
}

#[test]
fn a_truncated_document_is_one_error_and_later_files_still_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/filter-log-events.json")).unwrap();
    let path = dir.path().join("cut.json");
    std::fs::write(&path, &doc[..doc.len() / 2]).unwrap();
    let summary = ingest_audit(&db, &[&path, &fixture("audit/events.jsonl")]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(10), Some(1)), "{summary}");
    assert_eq!(errors(&db)[0]["kind"], "truncated");
}

#[test]
fn cloudtrail_bad_records_are_recorded_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut lines = std::fs::read_to_string(fixture("cloudtrail/events.jsonl")).unwrap();
    lines.push_str("{\"eventSource\":\"eks.amazonaws.com\",\"eventName\":\"CreateAccessEntry\"}\n{not json\n");
    lines.push_str(std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap().lines().next().unwrap());
    let path = dir.path().join("trail.jsonl");
    std::fs::write(&path, lines).unwrap();
    let summary = ingest_cloudtrail(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(12), Some(3)), "{summary}");
    let kinds: Vec<String> = errors(&db).iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["missing-field", "invalid-json", "other-kind"]);
}

#[test]
fn a_missing_file_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let missing = dir.path().join("nope.jsonl");
    let out = run_fails(
        grantscope(&db)
            .args(["ingest", "audit", "--cluster", CLUSTER])
            .arg(fixture("audit/events.jsonl"))
            .arg(&missing),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope.jsonl") && stderr.contains("No such file"), "{stderr}");
    assert!(!db.exists(), "no database was created");
    let out = run_fails(grantscope(&db).args(["ingest", "audit", "--cluster", CLUSTER]).arg(dir.path()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
}

#[test]
fn a_bad_flag_fails_with_exit_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out = run_fails(grantscope(&db).args(["ingest", "audit", "--clustr", "x", "f"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--clustr"));
    let out = run_fails(grantscope(&db).args(["--format", "yaml", "stats"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yaml"));
    assert!(!db.exists());
    let out = run_fails(grantscope(&db).arg("errors"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such database"));
    assert!(!db.exists(), "read-only commands do not create a database");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "not a database\n").unwrap();
    let out = run_fails(grantscope(&db).arg("stats"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a grantscope database"));
    assert_eq!(std::fs::read_to_string(&db).unwrap(), "not a database\n");
}

#[test]
fn a_database_from_a_newer_grantscope_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    ingest_audit(&db, &[&fixture("audit/events.jsonl")]);
    rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let out = run_fails(grantscope(&db).arg("stats"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer grantscope"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_file_and_environment_choose_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grantscope.toml");
    let from_config = dir.path().join("from-config.db");
    std::fs::write(&config, format!("[store]\npath = {:?}\n", from_config.to_str().unwrap())).unwrap();
    let mut cmd = std::process::Command::new(bin());
    cmd.env_remove("GRANTSCOPE_DB").current_dir(dir.path());
    run_ok(
        cmd.arg("--config")
            .arg(&config)
            .args(["ingest", "audit", "--cluster", CLUSTER])
            .arg(fixture("audit/events.jsonl")),
    );
    assert_eq!(cluster_stats(&from_config, CLUSTER)["events"], 10);
    let from_env = dir.path().join("from-env.db");
    let mut cmd = std::process::Command::new(bin());
    let out = run_fails(cmd.env("GRANTSCOPE_DB", &from_env).arg("--config").arg(&config).arg("stats"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("from-env.db") && stderr.contains("no such database"),
        "GRANTSCOPE_DB wins over the config file, and stats does not create it: {stderr}"
    );
    assert!(!from_env.exists());

    std::fs::write(&config, "[store]\nretention_days = \"two\"\n").unwrap();
    let out = run_fails(std::process::Command::new(bin()).arg("--config").arg(&config).arg("stats"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("grantscope.toml") && stderr.contains("retention_days"), "{stderr}");
}

#[test]
fn a_cut_gzip_file_keeps_what_was_read_and_the_next_file_still_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let generated = dir.path().join("gen");
    run_ok(
        grantscope(&db)
            .args(["generate", "--events", "3000", "--days", "1", "--end", "2026-11-20", "--out"])
            .arg(&generated),
    );
    let compressed = gzip(&std::fs::read(generated.join("audit.jsonl")).unwrap());
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &compressed[..compressed.len() / 2]).unwrap();
    let out = run_ok(
        grantscope(&db)
            .args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER])
            .arg(&cut)
            .arg(fixture("audit/events.jsonl")),
    );
    let summary: Value = serde_json::from_str(&out).unwrap();
    let ingested = summary["ingested"].as_u64().unwrap();
    assert!(ingested > 10 + 500 && ingested < 10 + 3000, "part of the cut file, and all of the next: {summary}");
    let kinds: Vec<String> = errors(&db).iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert!(kinds.contains(&"read-error".to_string()), "{kinds:?}");
}

#[test]
fn invalid_utf8_inside_a_document_loses_only_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/eventlist.json")).unwrap();
    let mut bytes = doc.into_bytes();
    // Damage one byte inside the 4th item's userAgent.
    let at = {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let fourth = text.match_indices("\"userAgent\"").nth(3).unwrap().0;
        fourth + "\"userAgent\": \"".len() + 2
    };
    bytes[at] = 0xff;
    let path = dir.path().join("list.json");
    std::fs::write(&path, bytes).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(9), Some(1)), "{summary}");
    assert_eq!(errors(&db)[0]["kind"], "invalid-utf8");
}

#[test]
fn re_reading_a_file_from_its_start_does_not_record_its_errors_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let path = dir.path().join("bad.jsonl");
    std::fs::copy(fixture("audit/bad-lines.jsonl"), &path).unwrap();
    ingest_audit(&db, &[&path]);
    // Appending to a small file changes its identity: it is read again from the start.
    let mut grown = std::fs::read(&path).unwrap();
    grown.extend(std::fs::read(fixture("audit/events.jsonl")).unwrap());
    std::fs::write(&path, grown).unwrap();
    ingest_audit(&db, &[&path]);
    assert_eq!(errors(&db).len(), 7);
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 13);
}
