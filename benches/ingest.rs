//! Ingest throughput on generated, realistic (~1.1 KB, Metadata-level) audit events.
//!
//! Three measurements on the same data, one run:
//! - `parse/serde_json_value`: every line into `serde_json::Value`, the naive ceiling;
//! - `parse/typed_borrowed`: grantscope's audit parser alone;
//! - `ingest/sqlite_file`: the whole `ingest audit` path into a fresh SQLite file (parse, dedupe,
//!   fold into shapes, commit batches with checkpoints);
//! - `ingest/sqlite_file_eventlist`: the same events as one pretty-printed `EventList` document,
//!   read by the streaming document reader.
//!
//! `GRANTSCOPE_BENCH_EVENTS` sets the data size (default 100,000); `GRANTSCOPE_BENCH_PROFILE=busy`
//! uses the busy profile (churning names and sessions) instead of the small one. Figures:
//! BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use grantscope::generate::{GenerateOptions, Profile, write_audit};
use grantscope::ingest::audit::{AuditItem, parse_record};
use grantscope::ingest::{AuditSink, InputFormat, InputPath};
use grantscope::sources::files::{FileOptions, ingest_files};
use grantscope::store::Store;
use std::hint::black_box;
use std::time::Duration;

fn events() -> u64 {
    std::env::var("GRANTSCOPE_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

fn profile() -> Profile {
    match std::env::var("GRANTSCOPE_BENCH_PROFILE").as_deref() {
        Ok("busy") => Profile::Busy,
        Ok("small") | Err(_) => Profile::Small,
        Ok(other) => panic!("GRANTSCOPE_BENCH_PROFILE={other}: expected small or busy"),
    }
}

fn data(n: u64) -> Vec<u8> {
    let opts = GenerateOptions {
        profile: profile(),
        seed: 1,
        events: n,
        days: 7,
        end_day: 20_412,
        cluster: "bench".into(),
        account: "111122223333".into(),
    };
    let mut out = Vec::with_capacity(n as usize * 1200);
    write_audit(&mut out, &opts).unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let n = events();
    let bytes = data(n);
    eprintln!("bench data: {n} events, {} bytes, {} bytes/event", bytes.len(), bytes.len() as u64 / n);
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();

    let mut parse = c.benchmark_group("parse");
    parse.throughput(Throughput::Elements(n));
    parse.sample_size(10).measurement_time(Duration::from_secs(10));
    parse.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(serde_json::from_slice::<serde_json::Value>(l).unwrap());
            }
        })
    });
    parse.bench_function("typed_borrowed", |b| {
        b.iter(|| {
            let mut events = 0u64;
            for l in &lines {
                // The UTF-8 check is part of the cost: the file source does it once per record.
                parse_record(std::str::from_utf8(l).unwrap(), Some("bench"), &mut |item| {
                    if let AuditItem::Event(e) = item {
                        black_box(&e);
                        events += 1;
                    }
                });
            }
            assert_eq!(events, n);
        })
    });
    parse.finish();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let list = dir.path().join("eventlist.json");
    let items: Vec<&str> = lines.iter().map(|l| std::str::from_utf8(l).unwrap()).collect();
    std::fs::write(
        &list,
        format!("{{\n  \"kind\": \"EventList\",\n  \"items\": [\n    {}\n  ]\n}}\n", items.join(",\n    ")),
    )
    .unwrap();
    let mut ingest = c.benchmark_group("ingest");
    ingest.throughput(Throughput::Elements(n));
    ingest.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut round = 0;
    for (name, input) in [("sqlite_file", &file), ("sqlite_file_eventlist", &list)] {
        ingest.bench_function(name, |b| {
            b.iter(|| {
                round += 1;
                let db = dir.path().join(format!("bench-{round}.db"));
                let mut store = Store::open(&db).unwrap();
                let mut sink = AuditSink::new(Some("bench".into()));
                let opts = FileOptions {
                    format: InputFormat::Auto,
                    batch_records: 20_000,
                    progress: false,
                    stop: None,
                    clock: grantscope::app::clock::now_ms,
                };
                let tally = ingest_files(&mut store, &[InputPath::File(input.clone())], &mut sink, &opts).unwrap();
                assert_eq!(tally.ingested, n);
                drop(store);
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
            })
        });
    }
    ingest.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
