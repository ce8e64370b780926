//! Exactly-once ingestion: re-ingest, overlapping inputs, and a process killed with SIGKILL.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

#[test]
fn re_ingesting_a_file_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let file = fixture("audit/events.jsonl");
    assert_eq!(ingest_audit(&db, &[&file])["ingested"], 10);
    let before = stats(&db);
    let again = ingest_audit(&db, &[&file]);
    assert_eq!(again["ingested"], 0, "{again}");
    assert_eq!(stats(&db), before);
}

#[test]
fn overlapping_files_count_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // The same ten events in four layouts, plus a file holding them and two more.
    let mut superset = std::fs::read(fixture("audit/events.jsonl")).unwrap();
    superset.extend(std::fs::read(fixture("audit/panther-timestamps.jsonl")).unwrap());
    let superset_path = dir.path().join("superset.jsonl");
    std::fs::write(&superset_path, superset).unwrap();
    let files = [
        fixture("audit/eventlist.json"),
        fixture("audit/s3-export.txt"),
        fixture("audit/filter-log-events.json"),
        superset_path,
    ];
    let summary = ingest_audit(&db, &files.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    assert_eq!((summary["ingested"].as_u64(), summary["duplicates"].as_u64()), (Some(12), Some(30)), "{summary}");
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 12);
}

#[test]
fn a_grown_file_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let generated = dir.path().join("gen");
    run_ok(
        grantscope(&db)
            .args(["generate", "--events", "3000", "--days", "2", "--end", "2026-11-20", "--out"])
            .arg(&generated),
    );
    let all = std::fs::read_to_string(generated.join("audit.jsonl")).unwrap();
    let cut = all.match_indices('\n').nth(1999).unwrap().0 + 1;
    let log = dir.path().join("audit.log");
    std::fs::write(&log, &all[..cut]).unwrap();
    assert_eq!(ingest_audit(&db, &[&log])["ingested"], 2000);
    std::fs::write(&log, &all).unwrap();
    let second = ingest_audit(&db, &[&log]);
    assert_eq!(
        (second["ingested"].as_u64(), second["duplicates"].as_u64()),
        (Some(1000), Some(0)),
        "resumed at the checkpoint, re-read nothing: {second}"
    );
}

fn stored_events(db: &Path) -> i64 {
    // Read-only peek at the live database (WAL lets readers in while the writer works).
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("SELECT coalesce(sum(requests), 0) FROM shape_days", [], |r| r.get(0)).unwrap_or(0)
}

#[test]
fn sigkill_mid_ingest_then_rerun_matches_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("gen");
    run_ok(
        grantscope(&dir.path().join("unused.db"))
            .args(["generate", "--events", "120000", "--days", "3", "--end", "2026-11-20", "--out"])
            .arg(&generated),
    );
    let file = generated.join("audit.jsonl");
    let ingest_args = |db: &Path| {
        let mut c = grantscope(db);
        c.args(["-q", "ingest", "audit", "--cluster", "demo", "--batch-records", "1000"]).arg(&file);
        c
    };

    let clean_db = dir.path().join("clean.db");
    run_ok(&mut ingest_args(&clean_db));
    let clean = stats(&clean_db);
    assert_eq!(clean["clusters"]["demo"]["events"], 120000);

    let db = dir.path().join("killed.db");
    for round in 0..3 {
        let mut child = ingest_args(&db).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let before = if db.exists() { stored_events(&db) } else { 0 };
        // Wait (bounded) until this run has committed at least one batch of its own, then kill it.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && (!db.exists() || stored_events(&db) <= before) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            assert!(round > 0, "the first run must be killed mid-way, not finish");
            break; // a later run finished before the kill landed: nothing left to interrupt
        }
        let partial = stored_events(&db);
        assert!(
            partial > before && partial < 120_000,
            "round {round}: killed mid-run after committing some batches ({before} -> {partial})"
        );
    }
    run_ok(&mut ingest_args(&db));
    assert_eq!(stats(&db), clean, "after kills and a re-run, counts equal a clean run's");
}

/// `n` generated audit lines (deterministic for a seed), each with its newline.
fn generated_lines(dir: &Path, seed: u64, n: usize) -> Vec<String> {
    let out = dir.join(format!("gen-{seed}"));
    run_ok(
        grantscope(&dir.join("unused.db"))
            .args([
                "generate",
                "--events",
                &n.to_string(),
                "--days",
                "2",
                "--end",
                "2026-11-20",
                "--seed",
                &seed.to_string(),
                "--out",
            ])
            .arg(&out),
    );
    std::fs::read_to_string(out.join("audit.jsonl")).unwrap().lines().map(|l| format!("{l}\n")).collect()
}

#[test]
fn a_half_written_last_line_is_left_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let lines = generated_lines(dir.path(), 1, 200);
    let log = dir.path().join("audit.log");
    // 150 lines, then the writer is half-way through line 151 (no newline, JSON unfinished).
    let partial = &lines[150][..lines[150].len() / 2];
    std::fs::write(&log, lines[..150].concat() + partial).unwrap();
    let first = ingest_audit(&db, &[&log]);
    assert_eq!((first["ingested"].as_u64(), first["errors"].as_u64()), (Some(150), Some(0)), "{first}");
    assert_eq!(first["skipped_by_reason"]["incomplete-last-line"], 1, "{first}");
    // The writer finishes the line and goes on.
    std::fs::write(&log, lines.concat()).unwrap();
    let second = ingest_audit(&db, &[&log]);
    assert_eq!(
        (second["ingested"].as_u64(), second["duplicates"].as_u64(), second["errors"].as_u64()),
        (Some(50), Some(0), Some(0)),
        "resumed before the partial line: {second}"
    );
    // A last line without a newline that is complete is ingested at once.
    let db2 = dir.path().join("g2.db");
    std::fs::write(&log, lines[..10].concat().trim_end()).unwrap();
    assert_eq!(ingest_audit(&db2, &[&log])["ingested"], 10);
}

#[test]
fn a_file_changed_before_its_checkpoint_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let a = generated_lines(dir.path(), 1, 3000);
    let other = generated_lines(dir.path(), 2, 1000);
    let log = dir.path().join("audit.log");
    std::fs::write(&log, a[..2000].concat()).unwrap();
    assert_eq!(ingest_audit(&db, &[&log])["ingested"], 2000);
    // Same first 64 KiB, different content after it: the checkpoint's line is gone from its place.
    std::fs::write(&log, a[..1000].concat() + &other.concat() + &a[2000..].concat()).unwrap();
    let second = ingest_audit(&db, &[&log]);
    assert_eq!((second["ingested"].as_u64(), second["duplicates"].as_u64()), (Some(2000), Some(1000)), "{second}");
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 4000);
}

#[test]
fn a_document_re_exported_with_late_events_inside_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let a: Vec<serde_json::Value> =
        generated_lines(dir.path(), 1, 1500).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let late: Vec<serde_json::Value> =
        generated_lines(dir.path(), 3, 300).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let doc = |items: Vec<serde_json::Value>| {
        serde_json::to_string_pretty(&serde_json::json!({"kind": "EventList", "items": items})).unwrap()
    };
    let path = dir.path().join("export.json");
    std::fs::write(&path, doc(a.clone())).unwrap();
    assert_eq!(ingest_audit(&db, &[&path])["ingested"], 1500);
    // The same query run again later: 100 late events land in the middle, 200 new ones at the end.
    let again = [&a[..700], &late[..100], &a[700..], &late[100..]].concat();
    std::fs::write(&path, doc(again)).unwrap();
    let second = ingest_audit(&db, &[&path]);
    assert_eq!(second["ingested"], 300, "{second}");
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 1800);
}

#[test]
fn concatenated_subscription_records_as_firehose_writes_them_are_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events: Vec<String> =
        std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap().lines().map(String::from).collect();
    let record = |part: &[String]| {
        let log_events: Vec<serde_json::Value> = part
            .iter()
            .enumerate()
            .map(|(i, m)| serde_json::json!({"id": i.to_string(), "timestamp": 1, "message": m}))
            .collect();
        serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "444455556666", "logGroup": "/aws/eks/fixture-cluster/cluster", "logStream": "kube-apiserver-audit-1", "subscriptionFilters": ["f"], "logEvents": log_events}).to_string()
    };
    let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
    // Firehose: records back to back, no newline, each gzip member its own.
    let mut object = gzip(control.as_bytes());
    object.extend(gzip(record(&events[..6]).as_bytes()));
    object.extend(gzip(record(&events[6..]).as_bytes()));
    let path = dir.path().join("firehose-object");
    std::fs::write(&path, object).unwrap();
    let out = run_ok(grantscope(&db).args(["--format", "json", "ingest", "audit"]).arg(&path));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(10), Some(0)), "{summary}");
    assert_eq!(summary["skipped_by_reason"]["control-message"], 1, "{summary}");
}

/// Writes `value` over every stored checkpoint of `source` (as a bug or a hand edit might leave
/// it); returns their keys.
fn damage_checkpoints(db: &Path, source: &str, value: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let keys: Vec<String> = conn
        .prepare("SELECT key FROM checkpoints WHERE source = ?1")
        .unwrap()
        .query_map([source], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    conn.execute("UPDATE checkpoints SET value = ?1 WHERE source = ?2", [value, source]).unwrap();
    keys
}

/// A checkpoint that does not read is not taken for "no checkpoint" (the file would be read from
/// its start, and events whose ids are forgotten counted again): the run fails naming it.
#[test]
fn a_corrupt_checkpoint_fails_the_run_naming_the_file_and_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let file = fixture("audit/events.jsonl");
    assert_eq!(ingest_audit(&db, &[&file])["ingested"], 10);
    let keys = damage_checkpoints(&db, "file", "{\"version\":\"1\",\"path\":");
    assert_eq!(keys.len(), 1);
    let before = stats(&db);
    let out = run_fails_with(grantscope(&db).args(["ingest", "audit", "--cluster", CLUSTER]).arg(&file), 7);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named = format!("{}: its checkpoint (file \"{}\") is corrupt: ", file.display(), keys[0]);
    assert!(stderr.contains(&named), "{stderr}");
    assert_eq!(stats(&db), before, "nothing read, nothing counted");
}
