//! Retention: per-event rows leave after the horizons; the counts they fed stay.

mod support;

use support::*;

fn raw_rows(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db).unwrap().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
}

#[test]
fn gc_drops_old_per_event_rows_and_keeps_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    ingest_audit(&db, &[&fixture("audit/events.jsonl")]);
    let before = stats(&db);
    assert_eq!(raw_rows(&db), 10);
    // Fresh rows stay: they were ingested today, inside the dedupe horizon.
    run_ok(grantscope(&db).args(["gc", "--retention-days", "0", "--dedupe-days", "2"]));
    assert_eq!(raw_rows(&db), 10);
    // Pretend they were ingested three days ago (the fixture events are weeks old).
    rusqlite::Connection::open(&db).unwrap().execute("UPDATE events SET ingested_day = ingested_day - 3", []).unwrap();
    let out =
        run_ok(grantscope(&db).args(["--format", "json", "gc", "--dedupe-days", "2", "--retention-days", "7000"]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["events_deleted"],
        0,
        "still inside the retention"
    );
    run_ok(grantscope(&db).args(["gc", "--dedupe-days", "2", "--retention-days", "2"]));
    assert_eq!(raw_rows(&db), 0);
    assert_eq!(stats(&db), before, "events, shapes and days are unchanged by gc");
}
