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
