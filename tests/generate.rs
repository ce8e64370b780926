//! `grantscope generate` through the real binary: the busy profile's cardinality and churn, that
//! every event it writes ingests and replays at full agreement against the state it writes beside
//! them, streaming the events to stdout, and which volume options go together.

mod support;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use support::*;

/// `grantscope generate ARGS --out -` piped into `grantscope ingest audit --cluster demo -`, as
/// the README shows. Returns the ingest summary.
fn generate_into(db: &Path, args: &[&str]) -> Value {
    let mut generate = Command::new(bin())
        .args(["-q", "generate"])
        .args(args)
        .args(["--out", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("generate runs");
    let stdin = Stdio::from(generate.stdout.take().expect("piped stdout"));
    let ingest =
        run_ok(grantscope(db).args(["--format", "json", "ingest", "audit", "--cluster", "demo", "-"]).stdin(stdin));
    assert!(generate.wait().expect("generate ends").success());
    serde_json::from_str(&ingest).expect("JSON summary")
}

/// The audit events of a file, parsed.
fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event a line"))
        .collect()
}

/// What a request is, names and sessions included: the request shapes a store keeping every
/// name and session would hold.
fn unbounded_shape(e: &Value) -> String {
    let (user, object) = (&e["user"], &e["objectRef"]);
    let path = if object.is_null() { e["requestURI"].as_str() } else { None };
    let parts = [&user["username"], &user["groups"], &user["extra"]["sessionName"], &e["verb"], object];
    format!("{parts:?} {path:?}")
}

/// The busy profile churns names and sessions: most of its events would be request shapes of
/// their own. The store keeps each shape's base (the request without its object name and session)
/// with at most eight names and sessions, so its shapes are a small fraction of that.
#[test]
fn busy_events_all_ingest_and_most_would_be_shapes_of_their_own_but_the_store_keeps_few() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let data = dir.path().join("busy");
    let out = data.to_str().unwrap();
    run_ok(
        grantscope(&db)
            .args(["-q", "generate", "--profile", "busy", "--events", "30000", "--end", "2026-11-20"])
            .args(["--out", out]),
    );
    let events = events(&data.join("audit.jsonl"));
    assert_eq!(events.len(), 30_000);
    let distinct = events.iter().map(unbounded_shape).collect::<HashSet<_>>().len() as f64;
    assert!((0.60..=0.85).contains(&(distinct / 30_000.0)), "distinct requests / events = {}", distinct / 30_000.0);

    // The same events again, streamed from `generate` into `ingest`.
    let summary = generate_into(&db, &["--profile", "busy", "--events", "30000", "--end", "2026-11-20"]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(30_000), Some(0)), "{summary}");
    let stats = cluster_stats(&db, "demo");
    assert_eq!((stats["events"].as_u64(), stats["errors"].as_u64()), (Some(30_000), Some(0)), "{stats}");
    let shapes = stats["shapes"].as_f64().unwrap();
    assert!(shapes < distinct / 4.0, "{shapes} shapes kept for {distinct} distinct requests: {stats}");
}

/// The recorded decisions and reasons come from the profile's own tables; the state file was written
/// by hand from them. Replaying one against the other agrees on every decision and names the same
/// grant for every allow. Kubelets are decided by the Node authorizer, which grantscope does not
/// model: their requests (about half the events) are not evaluated, so not compared.
#[test]
fn busy_events_replay_at_full_agreement_against_the_state_generate_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let data = dir.path().join("busy");
    let end = civil(today() - 1);
    let generate = ["-q", "generate", "--profile", "busy", "--events", "20000", "--days", "2", "--end", &end];
    run_ok(grantscope(&db).args(generate).arg("--out").arg(&data));

    let out = grantscope(&db)
        .args(["--format", "jsonl", "evaluate", "--state"])
        .arg(data.join("state.yaml"))
        .arg("--events")
        .arg(data.join("audit.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let disagreements: Vec<&Value> =
        lines.iter().filter(|l| l["agrees"] == false || l["attribution_agrees"] == false).take(3).collect();
    assert!(disagreements.is_empty(), "{disagreements:?}");
    let count = |outcome: &str| lines.iter().filter(|l| l["outcome"] == outcome).count();
    let (allowed, denied, not_evaluated) = (count("allowed"), count("no-grant"), count("not-evaluated"));
    assert_eq!(allowed + denied + not_evaluated, 20_000, "every event is a kubelet's or decided");
    assert!(allowed > 5_000 && denied > 10 && not_evaluated > 5_000, "{allowed} {denied} {not_evaluated}");
    let summary = String::from_utf8(out.stderr).unwrap();
    assert_eq!(summary.matches("(100.00%)").count(), 2, "decisions and grants both agree fully: {summary}");

    // The same through the store, as `replay` decides it, with the CloudTrail records that set up
    // the access entries.
    run_ok(grantscope(&db).args(["-q", "ingest", "audit", "--cluster", "demo"]).arg(data.join("audit.jsonl")));
    let trail = ingest_cloudtrail(&db, &[&data.join("cloudtrail.json")]);
    assert_eq!(trail["errors"].as_u64(), Some(0), "{trail}");
    assert!(trail["ingested"].as_u64() > Some(10), "five roles, their entries and policies: {trail}");
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(data.join("state.yaml")));
    let replay: Value = serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "replay"]))).unwrap();
    let compared = replay["recorded_requests_compared"].as_i64().unwrap();
    assert_eq!(compared as usize, allowed + denied, "{replay}");
    assert_eq!(replay["recorded_requests_agreeing"].as_i64(), Some(compared), "{replay}");
}

/// What makes real shapes grow: nodes replaced (a third a day, each with its own instance-id
/// session), CI jobs each signing in with a session of their own, event objects and pods under
/// fresh names; and what does not: people keep their e-mail session.
#[test]
fn busy_names_churn_as_on_a_real_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("busy");
    let generate = ["-q", "generate", "--profile", "busy", "--events", "30000", "--days", "3", "--end", "2026-11-20"];
    run_ok(grantscope(&dir.path().join("unused.db")).args(generate).arg("--out").arg(&data));

    let mut nodes_by_day: HashMap<String, HashSet<String>> = HashMap::new();
    let mut session_of_node: HashMap<String, HashSet<String>> = HashMap::new();
    let mut sessions_by_role: HashMap<String, HashSet<String>> = HashMap::new();
    let mut event_names = HashSet::new();
    let (mut event_creates, mut bindings) = (0, HashSet::new());
    for e in events(&data.join("audit.jsonl")) {
        let user = &e["user"];
        let username = user["username"].as_str().unwrap();
        let session = user["extra"]["sessionName"][0].as_str().unwrap_or_default().to_string();
        let day = e["requestReceivedTimestamp"].as_str().unwrap()[..10].to_string();
        if let Some(host) = username.strip_prefix("system:node:") {
            nodes_by_day.entry(day).or_default().insert(host.to_string());
            session_of_node.entry(host.to_string()).or_default().insert(session);
        } else if let Some(role) = user["extra"]["canonicalArn"][0].as_str() {
            sessions_by_role.entry(role.rsplit('/').next().unwrap().to_string()).or_default().insert(session);
        }
        let object = &e["objectRef"];
        if e["verb"] == "create" && object["resource"] == "events" {
            event_creates += 1;
            event_names.insert(object["name"].as_str().unwrap().to_string());
        }
        if object["subresource"] == "binding" {
            bindings.insert(object["name"].as_str().unwrap().to_string());
        }
    }

    let days = ["2026-11-18", "2026-11-19", "2026-11-20"].map(|d| &nodes_by_day[d]);
    for (i, nodes) in days.iter().enumerate() {
        assert!((280..=450).contains(&nodes.len()), "day {i}: {} nodes", nodes.len());
    }
    for pair in days.windows(2) {
        let new = pair[1].difference(pair[0]).count();
        assert!((60..=140).contains(&new), "about a third of 300 nodes are new each day: {new}");
    }
    assert!(session_of_node.values().all(|s| s.len() == 1), "a node keeps its instance id");
    let instance_ids: HashSet<&String> = session_of_node.values().flatten().collect();
    assert_eq!(instance_ids.len(), session_of_node.len(), "a new node has a new instance id");
    assert!(instance_ids.iter().all(|s| s.starts_with("i-0") && s.len() == 19), "{instance_ids:?}");

    let ci = &sessions_by_role["github-actions-deploy"];
    let epoch =
        |s: &str| s.strip_prefix("botocore-session-").is_some_and(|e| e.len() == 10 && e.parse::<u64>().is_ok());
    assert!(ci.len() > 50 && ci.iter().all(|s| epoch(s)), "{} CI sessions: {ci:?}", ci.len());
    let people = &sessions_by_role["AWSReservedSSO_Developer_0c4d1e8f2a7b6935"];
    assert!((5..=10).contains(&people.len()) && people.iter().all(|s| s.ends_with("@example.com")), "{people:?}");

    assert!(event_creates > 5_000, "{event_creates} event objects");
    assert_eq!(event_names.len(), event_creates, "every event object has a name of its own");
    // Pods: `<deployment>-<pod-template hash>-<suffix>`, or `<job>-<suffix>`.
    let random = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b));
    assert!(bindings.iter().all(|p| random(p.rsplit('-').next().unwrap(), 5)), "{bindings:?}");
    let replica_set_pods = bindings.iter().filter(|p| random(p.rsplit('-').nth(1).unwrap(), 10)).count();
    assert!(replica_set_pods > 1_000, "{replica_set_pods} of {} scheduled pods", bindings.len());
}

#[test]
fn streaming_to_stdout_stops_quietly_when_the_reader_does() {
    let mut generate = Command::new(bin())
        .args(["generate", "--profile", "busy", "--events", "5000000", "--out", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(generate.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let event: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(event["kind"], "Event");
    // The reader is gone (its end of the pipe dropped): the generator ends, successfully.
    let out = generate.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rate_is_the_busy_profiles_volume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small");
    let failed =
        run_fails(grantscope(&dir.path().join("unused.db")).args(["generate", "--rate", "10", "--out"]).arg(&out));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("--rate") && stderr.contains("--profile busy"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}
