//! `grantscope serve` on live sources: a cluster read from moto (CloudWatch Logs audit events,
//! CloudTrail LookupEvents and the EKS access-entry API, through `tests/support/moto_ext.py`) and a
//! fake Kubernetes API (`tests/support/fake_kube_api.py`: no API server can run here), next to a
//! cluster whose log group does not exist. Metrics for both, the healthy one ready, the failing
//! one reported; SIGTERM stops it in time and a restart counts nothing twice.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use support::*;

const SETUP: &str = r#"
import boto3, json, sys
endpoint, path = sys.argv[1], sys.argv[2]
eks = boto3.client("eks", endpoint_url=endpoint)
eks.create_cluster(name="live", roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={},
                   accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
eks.create_access_entry(clusterName="live", principalArn="arn:aws:iam::123456789012:role/platform-admin")
eks.associate_access_policy(clusterName="live", principalArn="arn:aws:iam::123456789012:role/platform-admin",
    policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope={"type": "cluster"})
logs = boto3.client("logs", endpoint_url=endpoint)
group = "/aws/eks/live/cluster"
logs.create_log_group(logGroupName=group)
logs.create_log_stream(logGroupName=group, logStreamName="kube-apiserver-audit-1")
events = []
from datetime import datetime
for line in open(path):
    e = json.loads(line)
    t = datetime.fromisoformat(e["stageTimestamp"].replace("Z", "+00:00"))
    events.append({"timestamp": int(t.timestamp() * 1000), "message": line.strip()})
events.sort(key=lambda x: x["timestamp"])
for k in range(0, len(events), 1000):
    logs.put_log_events(logGroupName=group, logStreamName="kube-apiserver-audit-1", logEvents=events[k:k + 1000])
print(len(events))
"#;

const RBAC: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\n\
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: ops}]\n";

fn serve(db: &Path, config: &Path, moto: &Moto) -> Child {
    let mut cmd = grantscope(db);
    moto.aws_env(&mut cmd);
    cmd.env("AWS_REGION", "us-east-1")
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
}

/// Polls `/metrics` until `ok`; on timeout, shows the last scrape.
fn metrics_when(port: u16, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let m = get(port, "/metrics").map(|(_, m)| m).unwrap_or_default();
        if ok(&m) {
            return m;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}; last scrape:\n{m}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn serve_follows_live_sources_and_reports_a_failing_cluster() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let data = dir.path().join("data");
    // Ending yesterday: CloudWatch is read up to now, and generated days run to midnight.
    run_ok(
        grantscope(&dir.path().join("gen.db"))
            .args(["-q", "generate", "--events", "2000", "--days", "3", "--end", &civil(today() - 1), "--out"])
            .arg(&data),
    );
    let put: usize = moto.boto3(SETUP, &[data.join("audit.jsonl").to_str().unwrap()]).trim().parse().unwrap();
    assert_eq!(put, 2000);
    let time = grantscope::model::time::format_rfc3339(now_ms() - 3_600_000);
    moto.post(
        "/moto-ext/cloudtrail/events",
        json!([{"eventTime": time, "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry",
                "awsRegion": "us-east-1", "eventID": "11111111-2222-3333-4444-555555555555",
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"},
                "requestParameters": {"name": "live", "principalArn": "arn:aws:iam::123456789012:role/platform-admin"}}]),
    );
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    std::fs::write(dir.path().join("fixtures/rbac.yaml"), RBAC).unwrap();
    let kube = FakeKube::start(&dir.path().join("fixtures"), &dir.path().join("tls"), &["--token", "t0ken"]);
    let kubeconfig = dir.path().join("kubeconfig");
    kube.kubeconfig(&kubeconfig, "t0ken");

    let port = free_port();
    let config = dir.path().join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[analysis]\ninterval_seconds = 1\n\
             [[clusters]]\nname = \"live\"\nregion = \"us-east-1\"\n[clusters.cloudwatch]\npoll_seconds = 1\n\
             [clusters.cloudtrail]\npoll_seconds = 1\n[clusters.state_sync]\nkubeconfig = \"{}\"\npoll_seconds = 1\n\
             [[clusters]]\nname = \"ghost\"\nregion = \"us-east-1\"\n[clusters.cloudwatch]\npoll_seconds = 1\n",
            kubeconfig.display()
        ),
    )
    .unwrap();
    let mut daemon = serve(&db, &config, &moto);
    // Every source's first read goes through moto: the wait lasts while it is answering.
    let requests =
        || ["FilterLogEvents", "LookupEvents", "DescribeCluster"].iter().map(|op| moto.calls(op).len() as u64).sum();
    let ready = wait_while_progressing(60, "live to be ready", requests, || {
        let (_, body) = get(port, "/readyz")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        (v["clusters"]["live"]["ready"] == true && v["clusters"]["ghost"]["attempted"] == true).then_some(v)
    });
    assert_eq!(ready["clusters"]["ghost"]["ready"], false, "{ready}");
    let ghost_error = ready["clusters"]["ghost"]["last_error"].as_str().unwrap();
    assert!(
        ghost_error.contains("logs:FilterLogEvents on /aws/eks/ghost/cluster: ResourceNotFoundException"),
        "{ghost_error}"
    );

    let m = metrics_when(port, "the live cluster's metrics", |m| {
        metric(m, "grantscope_events_ingested_total{cluster=\"live\",source=\"cloudtrail\"}") == Some(1.0)
            && m.contains("grantscope_state_version{cluster=\"live\"}")
    });
    assert_eq!(
        metric(&m, "grantscope_events_ingested_total{cluster=\"live\",source=\"cloudwatch\"}"),
        Some(2000.0),
        "{m}"
    );
    assert_eq!(metric(&m, "grantscope_state_version{cluster=\"live\"}"), Some(1.0));
    for part in ["eks", "kubernetes"] {
        let t = metric(&m, &format!("grantscope_state_sync_timestamp_seconds{{cluster=\"live\",part=\"{part}\"}}"));
        assert!(t.is_some_and(|t| t > 1.7e9), "{part}: {t:?}");
    }
    let requests = |api: &str, outcome: &str| {
        metric(&m, &format!("grantscope_source_requests_total{{api=\"{api}\",cluster=\"live\",outcome=\"{outcome}\"}}"))
    };
    assert!(requests("FilterLogEvents", "ok") >= Some(1.0), "{m}");
    assert!(requests("LookupEvents", "ok") >= Some(12.0), "one lookup per kept event name: {m}");
    assert!(requests("ListAccessEntries", "ok") >= Some(1.0));
    assert_eq!(requests("FilterLogEvents", "throttled"), Some(0.0), "initialised at 0");
    assert!(metric(&m, "grantscope_ingest_lag_seconds{cluster=\"live\",source=\"cloudwatch\"}").is_some());
    assert_eq!(metric(&m, "grantscope_cluster_healthy{cluster=\"live\"}"), Some(1.0));
    assert_eq!(metric(&m, "grantscope_cluster_healthy{cluster=\"ghost\"}"), Some(0.0));
    assert!(
        metric(&m, "grantscope_source_requests_total{api=\"FilterLogEvents\",cluster=\"ghost\",outcome=\"error\"}")
            >= Some(1.0)
    );

    // SIGTERM: out within 10 s; a restart reads from the checkpoints and counts nothing again.
    assert!(Command::new("kill").args(["-TERM", &daemon.id().to_string()]).status().unwrap().success());
    let status = wait_for(10, "exit after SIGTERM", || daemon.try_wait().unwrap());
    assert!(status.success(), "{status}");
    let mut daemon = serve(&db, &config, &moto);
    let m = metrics_when(port, "the restarted daemon's first reads", |m| {
        metric(m, "grantscope_source_requests_total{api=\"FilterLogEvents\",cluster=\"live\",outcome=\"ok\"}")
            >= Some(1.0)
    });
    assert_eq!(metric(&m, "grantscope_events_ingested_total{cluster=\"live\",source=\"cloudwatch\"}"), Some(0.0));
    assert_eq!(cluster_stats(&db, "live")["events"], 2000, "each event counted once across the restart");
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}

/// Puts the JSON lines of a file into `/aws/eks/live/cluster` (creating it), each stamped now.
const PUT_NOW: &str = r#"
import boto3, sys, time
endpoint, path = sys.argv[1], sys.argv[2]
logs = boto3.client("logs", endpoint_url=endpoint)
group, stream = "/aws/eks/live/cluster", "kube-apiserver-audit-1"
if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
now = int(time.time() * 1000)
events = [{"timestamp": now, "message": line.strip()} for line in open(path) if line.strip()]
if events:
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
print(len(events))
"#;

/// Each source has its own task: while a long first CloudTrail read is paced through its quota
/// (2 requests/s, 40 pages here), CloudWatch goes on being read every poll, its lag under two polls.
#[test]
fn cloudwatch_is_followed_while_a_long_cloudtrail_read_is_paced() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    moto.boto3(PUT_NOW, &[empty.to_str().unwrap()]);
    let records: Vec<Value> = (0..2000)
        .map(|i| {
            let time = grantscope::model::time::format_rfc3339(now_ms() - 3_600_000 - i * 60_000);
            json!({"eventTime": time, "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry",
                   "awsRegion": "us-east-1", "eventID": format!("{i:08}-2222-3333-4444-555555555555"),
                   "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"},
                   "requestParameters": {"name": "live", "principalArn": format!("arn:aws:iam::123456789012:role/r{i}")}})
        })
        .collect();
    moto.post("/moto-ext/cloudtrail/events", Value::Array(records));
    let port = free_port();
    let config = dir.path().join("grantscope.toml");
    let poll_seconds = 2.0;
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[analysis]\ninterval_seconds = 3600\n\
             [[clusters]]\nname = \"live\"\nregion = \"us-east-1\"\n\
             [clusters.cloudwatch]\nsince_days = 1\npoll_seconds = {poll_seconds}\n[clusters.cloudtrail]\n"
        ),
    )
    .unwrap();
    let mut daemon = serve(&db, &config, &moto);
    let source = |name: &str| -> Value {
        let body = get(port, "/readyz").map(|(_, b)| b).unwrap_or_default();
        serde_json::from_str::<Value>(&body).map(|v| v["clusters"]["live"]["sources"][name].clone()).unwrap_or_default()
    };
    let lookups = || moto.calls("LookupEvents").len() as u64;
    wait_while_progressing(60, "CloudWatch's first read", lookups, || {
        (source("cloudwatch")["attempted"] == true).then_some(())
    });
    assert!(lookups() > 0, "CloudTrail is reading");

    // Audit events arrive now; the next CloudWatch poll reads them, CloudTrail still reading.
    let data = dir.path().join("data");
    run_ok(
        grantscope(&dir.path().join("gen.db"))
            .args(["-q", "generate", "--events", "50", "--days", "1", "--out"])
            .arg(&data),
    );
    let put: u64 = moto.boto3(PUT_NOW, &[data.join("audit.jsonl").to_str().unwrap()]).trim().parse().unwrap();
    assert_eq!(put, 50);
    let filters = || moto.calls("FilterLogEvents").len() as u64;
    let m = wait_while_progressing(30, "the new audit events", filters, || {
        let m = get(port, "/metrics")?.1;
        (metric(&m, "grantscope_events_ingested_total{cluster=\"live\",source=\"cloudwatch\"}") == Some(50.0))
            .then_some(m)
    });
    assert_eq!(source("cloudtrail")["attempted"], false, "CloudTrail's first read is still going on");
    assert_eq!(metric(&m, "grantscope_events_ingested_total{cluster=\"live\",source=\"cloudtrail\"}"), Some(0.0));
    let lag = metric(&m, "grantscope_ingest_lag_seconds{cluster=\"live\",source=\"cloudwatch\"}").unwrap();
    assert!(lag < 2.0 * poll_seconds, "CloudWatch's lag {lag} s is under two polls of {poll_seconds} s");
    assert!(moto.calls("LookupEvents").iter().all(|c| c["fault"].is_null()), "the CloudTrail read keeps to its quota");
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}
