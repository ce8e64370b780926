//! Replay at scale: a window of 1,000,000 distinct request shapes decided against a state with
//! 5,000 grants (1,000 access entries with their policy associations, 4,000 RBAC bindings), then
//! the incremental replay after one access entry changes, then the report (every finding, each
//! recommendation proven safe, HTML). Timed once each (seconds, not microseconds); run with
//! `cargo bench --bench replay`. Under `cargo test` it runs on 2,000 shapes as a smoke test.
//! Figures: BENCHMARKS.md.

mod common;

use grantscope::analysis::assessment::AssessOptions;
use grantscope::app::assess::assess;
use grantscope::app::replay::replay;
use grantscope::model::time;
use grantscope::report::{Report, ReportInputs};
use grantscope::state::Snapshot;
use grantscope::store::Store;
use rusqlite::params;
use std::time::Instant;

fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let full_run = std::env::args().any(|a| a == "--bench");
    let n = if full_run { 1_000_000 } else { 2_000 };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("replay.db");
    let mut store = Store::open(&db).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let today = time::day_of(now);

    // 1,000 entries + 4,000 bindings over 2,000 roles.
    let mut state = common::state(1_000, 4_000, 2_000);
    let started = Instant::now();
    {
        // The shapes through the store; their days, which ingest would count, beside it.
        let tx = store.begin().unwrap();
        let mut ids = Vec::with_capacity(n);
        for (i, mut s) in common::shapes(n).into_iter().enumerate() {
            // A distinct object per shape: a million distinct shapes, as a busy cluster's quarter has.
            s.name = format!("obj-{i}").into();
            s.cluster = "bench".into();
            ids.push(tx.insert_shape(s.key(), None, &s).unwrap());
        }
        tx.commit().unwrap();
        let mut conn = rusqlite::Connection::open(&db).unwrap();
        let tx = conn.transaction().unwrap();
        let mut day_stmt = tx
            .prepare(
                "INSERT INTO shape_days (shape_id, day, reason_id, requests, allowed, denied, first_ms, last_ms)
                 VALUES (?1, ?2, 0, 3, 3, 0, ?3, ?3)",
            )
            .unwrap();
        for (i, id) in ids.into_iter().enumerate() {
            let day = today - (i as i64 % 90);
            day_stmt.execute(params![id, day, day * time::MS_PER_DAY]).unwrap();
        }
        drop(day_stmt);
        // Requests per day, as ingest keeps them.
        tx.execute(
            "INSERT INTO cluster_days (cluster, day, requests, allowed, denied)
             SELECT 'bench', day, sum(requests), sum(allowed), sum(denied) FROM shape_days GROUP BY day",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    eprintln!("stored {n} shapes in {:.2?}", started.elapsed());
    let snapshot = |s: &grantscope::model::AccessState| serde_json::to_string(&Snapshot::new(s.clone())).unwrap();
    let no_diff = |_, _: &str| Ok::<_, rusqlite::Error>("{}".into());
    store.store_state_version("bench", &snapshot(&state), no_diff, "bench", now).unwrap();

    let started = Instant::now();
    let full = replay(&mut store, "bench", 90, now).unwrap();
    let full_time = started.elapsed();
    assert_eq!(full.shapes_evaluated, n as u64);

    // One access entry changes: it gains a Kubernetes group.
    state.access_entries[7].kubernetes_groups.push("auditors".into());
    store.store_state_version("bench", &snapshot(&state), no_diff, "bench", now).unwrap();
    let started = Instant::now();
    let incremental = replay(&mut store, "bench", 90, now).unwrap();
    let incremental_time = started.elapsed();
    assert!(incremental.shapes_evaluated < n as u64 / 10, "{incremental:?}");

    let started = Instant::now();
    let options = AssessOptions { window_days: 90, min_observed_days: 14, now_ms: now };
    let assessment = assess(&mut store, "bench", options, None).unwrap();
    let days = store.cluster_days("bench", assessment.from_day).unwrap();
    let inputs = ReportInputs {
        days: &days,
        ingest_errors: 0,
        generated_at: String::new(),
        access_changes: Vec::new(),
        history: &[],
    };
    let report = Report::build(&assessment, inputs);
    let html = grantscope::report::html(&report);
    let report_time = started.elapsed();
    assert!(html.len() > 1000);

    println!(
        "full replay of {n} shapes against 5,000 grants: {full_time:.2?} ({} allowed, {} denied)",
        full.allowed, full.denied
    );
    println!(
        "incremental replay after one access entry changed: {incremental_time:.2?} ({} shapes decided again, {} carried over)",
        incremental.shapes_evaluated, incremental.shapes_carried
    );
    println!(
        "report (assessment, {} findings with their proofs, HTML of {} KiB): {report_time:.2?}",
        report.findings.len(),
        html.len() / 1024
    );
}
