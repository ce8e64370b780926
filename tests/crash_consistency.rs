//! Crash consistency: `ingest` and `serve` killed with SIGKILL at seeded random points, more than
//! twenty times in a run, then run to the end; the store then equals a clean run's shape by shape
//! and day by day (requests, decisions, first and last seen), with the same CloudTrail changes
//! and the same bad-input rows. Inputs mix the layouts a crash can interrupt: a plain JSON-lines
//! file, a gzip one, and a CloudTrail document.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Every count the store keeps, in a stable order, as text rows.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT s.cluster, s.principal, s.username, s.groups, s.session_name, s.verb, s.api_group, s.resource,
                s.subresource, s.namespace, s.name, s.path, d.day, coalesce(r.reason, ''), d.requests, d.allowed,
                d.denied, d.first_ms, d.last_ms
         FROM shape_days d JOIN shapes s ON s.id = d.shape_id LEFT JOIN reasons r ON r.id = d.reason_id",
        "SELECT event_id, name FROM access_changes",
        "SELECT file, coalesce(line, -1), coalesce(record, -1), kind FROM ingest_errors",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let mut table: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        table.sort();
        rows.push(format!("-- {} rows", table.len()));
        rows.extend(table);
    }
    rows
}

struct Inputs {
    audit: Vec<PathBuf>,
    cloudtrail: PathBuf,
}

/// 24,000 generated events: half as plain lines (with two bad lines among them), half gzipped.
fn inputs(dir: &Path) -> Inputs {
    let data = dir.join("data");
    run_ok(
        grantscope(&dir.join("gen.db"))
            .args(["-q", "generate", "--events", "24000", "--days", "3", "--end", "2026-11-20", "--seed", "7", "--out"])
            .arg(&data),
    );
    let lines: Vec<String> =
        std::fs::read_to_string(data.join("audit.jsonl")).unwrap().lines().map(|l| format!("{l}\n")).collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    let mut plain = first.concat();
    plain.insert_str(plain.len() / 2, "{\"kind\":\"Event\",\"cut\n");
    plain.push_str("not json at all\n");
    let plain_path = dir.join("audit-1.jsonl");
    std::fs::write(&plain_path, plain).unwrap();
    let gz_path = dir.join("audit-2.jsonl.gz");
    std::fs::write(&gz_path, gzip(second.concat().as_bytes())).unwrap();
    Inputs { audit: vec![plain_path, gz_path], cloudtrail: data.join("cloudtrail.json") }
}

fn ingest_commands(db: &Path, inputs: &Inputs) -> Vec<Command> {
    let mut audit = grantscope(db);
    audit.args(["-q", "ingest", "audit", "--cluster", "demo", "--batch-records", "300"]).args(&inputs.audit);
    let mut cloudtrail = grantscope(db);
    cloudtrail.args(["-q", "ingest", "cloudtrail", "--batch-records", "3"]).arg(&inputs.cloudtrail);
    vec![audit, cloudtrail]
}

/// A small xorshift generator: the same kill points (as fractions of a clean run) every time.
struct Rng(u64);

impl Rng {
    fn fraction(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
}

/// Kills `child` with SIGKILL after `after`, unless it ended before.
fn kill_after(mut child: std::process::Child, after: Duration) {
    let start = Instant::now();
    while start.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    child.wait().unwrap();
}

#[test]
fn sigkill_at_random_points_leaves_what_a_clean_run_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(dir.path());
    let clean_db = dir.path().join("clean.db");
    let started = Instant::now();
    for mut c in ingest_commands(&clean_db, &inputs) {
        run_ok(&mut c);
    }
    let clean_run = started.elapsed();
    let clean = dump(&clean_db);
    assert!(clean.len() > 500, "a clean run stores data: {} rows", clean.len());

    // ingest, killed at 16 points spread over a clean run's length, then run to the end.
    let mut rng = Rng(0x5eed_cafe);
    let db = dir.path().join("killed.db");
    for _ in 0..16 {
        let which = (rng.fraction() * 2.0) as usize;
        let mut cmd = ingest_commands(&db, &inputs).remove(which);
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        kill_after(child, clean_run.mul_f64(rng.fraction()));
    }
    for mut c in ingest_commands(&db, &inputs) {
        run_ok(&mut c);
    }
    assert_eq!(dump(&db), clean, "ingest killed 16 times, then finished");

    // serve following the same files, killed at 6 points, then left to finish.
    let serve_db = dir.path().join("serve.db");
    let port = free_port();
    let files =
        |paths: &[&PathBuf]| paths.iter().map(|p| format!("\"{}\"", p.display())).collect::<Vec<_>>().join(", ");
    let config = dir.path().join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[analysis]\ninterval_seconds = 3600\n[[clusters]]\nname = \"demo\"\n[clusters.files]\naudit = [{}]\ncloudtrail = [{}]\npoll_seconds = 1\n",
            files(&inputs.audit.iter().collect::<Vec<_>>()),
            files(&[&inputs.cloudtrail])
        ),
    )
    .unwrap();
    let serve = || {
        grantscope(&serve_db)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    for _ in 0..6 {
        kill_after(serve(), clean_run.mul_f64(0.2 + 1.5 * rng.fraction()));
    }
    let mut last = serve();
    let want = clean.clone();
    let rows = || if serve_db.exists() { dump(&serve_db) } else { Vec::new() };
    wait_while_progressing(120, "serve to store everything", || rows().len() as u64, || (rows() == want).then_some(()));
    let _ = last.kill();
    last.wait().unwrap();
    assert_eq!(dump(&serve_db), clean, "serve killed 6 times, then caught up");
}
