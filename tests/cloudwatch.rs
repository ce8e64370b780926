//! `grantscope ingest cloudwatch` against moto's CloudWatch Logs (a real AWS API emulator speaking
//! the wire protocol the SDK uses): audit events in several streams, some sharing a millisecond,
//! others arriving late inside the overlap, a stream that is not the audit log — each audit event
//! stored exactly once across runs.

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

fn ingest_cloudwatch(db: &Path, moto: &Moto) -> Value {
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
        "7d",
    ]);
    serde_json::from_str(&run_ok(&mut cmd)).unwrap()
}

#[test]
fn each_audit_event_is_stored_once_across_runs_streams_and_late_arrivals() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let data = dir.path().join("data");
    let end = civil(today() - 1);
    run_ok(
        grantscope(&db).args(["-q", "generate", "--events", "3000", "--days", "3", "--end", &end, "--out"]).arg(&data),
    );
    // Each event with its time; three share one millisecond; the last minutes' events held back.
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
    let same = events[100].0;
    for (ms, _) in &mut events[101..103] {
        *ms = same;
    }
    let newest = events.last().unwrap().0;
    let (late, now): (Vec<_>, Vec<_>) =
        events.iter().partition(|(ms, _)| *ms > newest - 4 * 60_000 && *ms <= newest - 60_000);
    assert!(!late.is_empty() && late.len() < 200, "{} late events", late.len());
    let write = |name: &str, evs: &[&(i64, Value)], extra: usize| {
        let path = dir.path().join(name);
        let mut text: String = evs.iter().map(|(ms, e)| format!("{{\"_ms\": {ms}, \"event\": {e}}}\n")).collect();
        for i in 0..extra {
            text.push_str(&format!(
                "{{\"_ms\": {}, \"kind\": \"Authenticator\", \"event\": {{\"msg\": \"token {i}\"}}}}\n",
                newest
            ));
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let first = write("first.jsonl", &now, 5);
    assert_eq!(moto.boto3(PUT, &[first.to_str().unwrap()]).trim(), (now.len() + 5).to_string());

    let run1 = ingest_cloudwatch(&db, &moto);
    assert_eq!(run1["ingested"], now.len() as u64, "every audit event, none of the other stream: {run1}");
    assert_eq!(run1["errors"], 0, "{run1}");
    let run2 = ingest_cloudwatch(&db, &moto);
    assert_eq!(run2["ingested"], 0, "nothing new: {run2}");

    // Late events: older than the cursor, inside the overlap.
    let late_file = write("late.jsonl", &late, 0);
    moto.boto3(PUT, &[late_file.to_str().unwrap()]);
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
    let out = run_fails(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("FilterLogEvents on /aws/eks/nope/cluster") && stderr.contains("logs:FilterLogEvents"),
        "{stderr}"
    );
}
