//! `grantscope ingest cloudwatch` against moto's CloudWatch Logs (a real AWS API emulator speaking
//! the wire protocol the SDK uses): audit events in several streams, some sharing a millisecond,
//! others arriving late inside the overlap, a stream that is not the audit log — each audit event
//! stored exactly once across runs, through throttling and a `kill -9` mid-stream.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

/// Puts the JSON lines of `file` into moto: `/aws/eks/demo/cluster`, round-robin over two audit
/// streams (creating them and the group if needed), in chronological batches.
const PUT: &str = r#"
import boto3, json, sys
endpoint, path = sys.argv[1], sys.argv[2]
logs = boto3.client("logs", endpoint_url=endpoint)
group = "/aws/eks/demo/cluster"
if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
    logs.create_log_group(logGroupName=group)
streams = ["kube-apiserver-audit-a", "kube-apiserver-audit-b", "authenticator-x"]
existing = {s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]}
for s in streams:
    if s not in existing:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
events = {s: [] for s in streams}
for i, line in enumerate(open(path)):
    line = line.strip()
    if not line:
        continue
    e = json.loads(line)
    stream = streams[2] if e.get("kind") == "Authenticator" else streams[i % 2]
    events[stream].append({"timestamp": int(e["_ms"]), "message": json.dumps(e["event"])})
for stream, evs in events.items():
    evs.sort(key=lambda x: x["timestamp"])
    for k in range(0, len(evs), 1000):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=evs[k:k + 1000])
print(sum(len(v) for v in events.values()))
"#;

/// `ingest cloudwatch` of cluster demo reading back `since` (`7d`).
fn ingest_cloudwatch_cmd(db: &Path, moto: &Moto, since: &str) -> std::process::Command {
    let mut cmd = grantscope(db);
    moto.aws_env(&mut cmd);
    cmd.args([
        "--format",
        "json",
        "ingest",
        "cloudwatch",
        "--cluster",
        "demo",
        "--region",
        "us-east-1",
        "--since",
        since,
    ]);
    cmd
}

fn ingest_cloudwatch(db: &Path, moto: &Moto) -> Value {
    serde_json::from_str(&run_ok(&mut ingest_cloudwatch_cmd(db, moto, "7d"))).unwrap()
}

/// `n` generated audit events over `days` ending yesterday, oldest first, with their times.
fn generated(dir: &Path, n: u32, days: u32) -> Vec<(i64, Value)> {
    let data = dir.join("data");
    let end = civil(today() - 1);
    run_ok(
        grantscope(&dir.join("gen.db"))
            .args(["-q", "generate", "--events", &n.to_string(), "--days", &days.to_string(), "--end", &end, "--out"])
            .arg(&data),
    );
    let mut events: Vec<(i64, Value)> = std::fs::read_to_string(data.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            let ms = grantscope::model::time::parse_timestamp(e["stageTimestamp"].as_str().unwrap()).unwrap();
            (ms, e)
        })
        .collect();
    events.sort_by_key(|(ms, _)| *ms);
    events
}

/// Moves the events' CloudWatch times so the newest is half a minute old, as a live log's are
/// (their own audit times stay).
fn ending_now(events: &mut [(i64, Value)]) {
    let now_ms = now_ms();
    let shift = now_ms - 30_000 - events.last().unwrap().0;
    for (ms, _) in events {
        *ms += shift;
    }
}

/// Puts `events` (and `others` lines in a stream that is not the audit log) into moto.
fn put(moto: &Moto, dir: &Path, name: &str, events: &[&(i64, Value)], others: usize) -> usize {
    let path = dir.join(name);
    let mut text: String = events.iter().map(|(ms, e)| format!("{{\"_ms\": {ms}, \"event\": {e}}}\n")).collect();
    let newest = events.last().map_or(0, |(ms, _)| *ms);
    for i in 0..others {
        text.push_str(&format!(
            "{{\"_ms\": {newest}, \"kind\": \"Authenticator\", \"event\": {{\"msg\": \"token {i}\"}}}}\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    moto.boto3(PUT, &[path.to_str().unwrap()]).trim().parse().unwrap()
}

#[test]
fn each_audit_event_is_stored_once_across_runs_streams_and_late_arrivals() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // Each event with its time; three share one millisecond; the last minutes' events held back.
    // CloudWatch delivers late relative to now: the log's times end half a minute ago.
    let mut events = generated(dir.path(), 3000, 3);
    ending_now(&mut events);
    let same = events[100].0;
    for (ms, _) in &mut events[101..103] {
        *ms = same;
    }
    let newest = events.last().unwrap().0;
    let (late, now): (Vec<_>, Vec<_>) =
        events.iter().partition(|(ms, _)| *ms > newest - 4 * 60_000 && *ms <= newest - 60_000);
    assert!(!late.is_empty() && late.len() < 200, "{} late events", late.len());
    assert_eq!(put(&moto, dir.path(), "first.jsonl", &now, 5), now.len() + 5);

    let run1 = ingest_cloudwatch(&db, &moto);
    assert_eq!(run1["ingested"], now.len() as u64, "every audit event, none of the other stream: {run1}");
    assert_eq!(run1["errors"], 0, "{run1}");
    let run2 = ingest_cloudwatch(&db, &moto);
    assert_eq!(run2["ingested"], 0, "nothing new: {run2}");

    // Late events: older than the newest read, inside the overlap behind the last read.
    put(&moto, dir.path(), "late.jsonl", &late, 0);
    let run3 = ingest_cloudwatch(&db, &moto);
    assert_eq!(run3["ingested"], late.len() as u64, "{run3}");
    assert_eq!(cluster_stats(&db, "demo")["events"], events.len() as i64);
    assert_eq!(ingest_cloudwatch(&db, &moto)["ingested"], 0);
}

#[test]
fn a_missing_log_group_is_one_clear_error() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = grantscope(&dir.path().join("g.db"));
    moto.aws_env(&mut cmd);
    cmd.args(["ingest", "cloudwatch", "--cluster", "nope", "--region", "us-east-1"]);
    let out = run_fails_with(&mut cmd, 6);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("FilterLogEvents on /aws/eks/nope/cluster") && stderr.contains("logs:FilterLogEvents"),
        "{stderr}"
    );
}

#[test]
fn throttled_requests_are_retried_and_counted() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events = generated(dir.path(), 500, 1);
    put(&moto, dir.path(), "events.jsonl", &events.iter().collect::<Vec<_>>(), 0);
    moto.fault("FilterLogEvents", 3, "ThrottlingException");
    let run = ingest_cloudwatch(&db, &moto);
    assert_eq!(run["ingested"], 500, "{run}");
    assert_eq!(run["throttled_requests"], 3, "{run}");
    assert_eq!(run["requests"]["FilterLogEvents"]["throttled"], 3, "{run}");
    let faulted = moto.calls("FilterLogEvents").iter().filter(|c| c["fault"] == "ThrottlingException").count();
    assert_eq!(faulted, 3, "moto answered ThrottlingException three times");
}

#[test]
fn access_denied_is_one_line_naming_api_resource_and_permission() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    moto.fault("FilterLogEvents", 1, "AccessDeniedException");
    let out = run_fails_with(&mut ingest_cloudwatch_cmd(&dir.path().join("g.db"), &moto, "7d"), 6);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.starts_with("grantscope:")).unwrap_or_default();
    assert!(
        line.contains("logs:FilterLogEvents on /aws/eks/demo/cluster: AccessDeniedException")
            && line.contains("needs logs:FilterLogEvents on the log group")
            && line.contains("IAM policy does not grant it"),
        "{stderr}"
    );
}

/// `kill -9` while a run is half-way through (held in back-off by throttling injected after its
/// first requests), then a new run: every event is stored and counted exactly once.
#[test]
fn a_run_killed_mid_stream_resumes_without_loss_or_double_counting() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // Yesterday's events in a two-day read: one-hour slices, each committed with its checkpoint;
    // five slices of events are read, then every request is throttled.
    let events = generated(dir.path(), 20_000, 1);
    put(&moto, dir.path(), "events.jsonl", &events.iter().collect::<Vec<_>>(), 0);
    // The read starts two days back, one hour a slice: the slices before the first event are empty.
    let now_ms = now_ms();
    let empty_slices = (events[0].0 - (now_ms - 2 * 86_400_000)) / 3_600_000;
    moto.fault_after("FilterLogEvents", (empty_slices + 5) as u32, 1000, "ThrottlingException");
    let mut child = ingest_cloudwatch_cmd(&db, &moto, "2d")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let requests = || moto.calls("FilterLogEvents").len() as u64;
    wait_while_progressing(60, "a throttled request", requests, || {
        moto.calls("FilterLogEvents").iter().any(|c| c["fault"] == "ThrottlingException").then_some(())
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = cluster_stats(&db, "demo")["events"].as_i64().unwrap();
    assert!(before > 0 && before < 20_000, "killed mid-stream: {before} of 20000 stored");

    moto.clear_faults();
    let run: Value = serde_json::from_str(&run_ok(&mut ingest_cloudwatch_cmd(&db, &moto, "2d"))).unwrap();
    assert_eq!(run["ingested"].as_i64().unwrap(), 20_000 - before, "{run}");
    assert_eq!(cluster_stats(&db, "demo")["events"], 20_000, "each event counted once");
    assert_eq!(ingest_cloudwatch(&db, &moto)["ingested"], 0);
}

/// `--follow` keeps reading what arrives until SIGTERM, then prints the totals.
#[test]
fn follow_reads_what_arrives_until_sigterm() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut events = generated(dir.path(), 600, 1);
    ending_now(&mut events);
    let first: Vec<_> = events[..400].iter().collect();
    put(&moto, dir.path(), "first.jsonl", &first, 0);
    let mut child = ingest_cloudwatch_cmd(&db, &moto, "2d")
        .args(["--follow", "--poll-seconds", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stored = || {
        std::process::Command::new(support::bin())
            .args(["--db", db.to_str().unwrap(), "--format", "json", "stats"])
            .output()
            .ok()
            .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
            .and_then(|s| s["clusters"]["demo"]["events"].as_u64())
    };
    // The first read pages through two days of slices: on a loaded machine moto answers slowly, so
    // the wait lasts while requests keep arriving, however long that is.
    let requests = || moto.calls("FilterLogEvents").len() as u64;
    wait_while_progressing(60, "the first events", requests, || (stored() == Some(first.len() as u64)).then_some(()));
    // What arrives next happened in the last minute.
    let mut later = events[400..].to_vec();
    let now_ms = now_ms();
    for (i, (ms, _)) in later.iter_mut().enumerate() {
        *ms = now_ms - 60_000 + i as i64 * 100;
    }
    put(&moto, dir.path(), "later.jsonl", &later.iter().collect::<Vec<_>>(), 0);
    wait_while_progressing(60, "the later events", requests, || (stored() == Some(600)).then_some(()));
    assert!(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = wait_for(15, "exit after SIGTERM", || child.try_wait().unwrap());
    assert!(status.success(), "{status}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["ingested"], 600, "{summary}");
}

/// A damaged checkpoint stops the read before any request, naming the checkpoint: it is not read
/// as "none", which would read the week again and count the events whose ids are forgotten twice.
#[test]
fn a_corrupt_checkpoint_fails_the_run_before_any_request() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events = generated(dir.path(), 50, 1);
    put(&moto, dir.path(), "events.jsonl", &events.iter().collect::<Vec<_>>(), 0);
    assert_eq!(ingest_cloudwatch(&db, &moto)["ingested"], 50);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let changed = conn.execute("UPDATE checkpoints SET value = '{\"v\":2,\"ids\":[]}' WHERE source = 'cloudwatch'", []);
    assert_eq!(changed.unwrap(), 1);
    let requests = moto.calls("FilterLogEvents").len();
    let out = run_fails_with(&mut ingest_cloudwatch_cmd(&db, &moto, "7d"), 7);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "cloudwatch:/aws/eks/demo/cluster: its checkpoint (cloudwatch \"us-east-1|/aws/eks/demo/cluster|kube-apiserver-audit\") is corrupt: missing field `cursor_ms`"
        ),
        "{stderr}"
    );
    assert_eq!(moto.calls("FilterLogEvents").len(), requests, "no request made");
    assert_eq!(cluster_stats(&db, "demo")["events"], 50);
}
