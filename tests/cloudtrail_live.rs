//! `grantscope ingest cloudtrail --live` against moto with `tests/support/moto_ext.py`, which adds
//! CloudTrail LookupEvents (JSON 1.1, real paging, the real 2 requests/s quota per Region, which
//! it answers with ThrottlingException) over events the test injects.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::*;

/// A CloudTrail record as CloudTrail writes it, `minutes_ago` before now.
fn record(name: &str, i: usize, minutes_ago: i64) -> Value {
    let iam = matches!(name, "CreateRole" | "DeleteRole");
    let time = grantscope::model::time::format_rfc3339(now_ms() - minutes_ago * 60_000);
    let principal = format!("arn:aws:iam::123456789012:role/app-{i}");
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/platform-admin/alice",
                         "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLE"},
        "eventTime": time.replace(".000Z", "Z"),
        "eventSource": if iam { "iam.amazonaws.com" } else { "eks.amazonaws.com" },
        "eventName": name,
        "awsRegion": if iam { "us-east-1" } else { "eu-west-1" },
        "requestParameters": if iam { json!({"roleName": format!("app-{i}")}) }
                             else { json!({"name": "live", "principalArn": principal,
                                           "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                                           "accessScope": {"type": "cluster"}}) },
        "responseElements": null,
        "eventID": format!("{name}-{i:04}-0000-0000-000000000000"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012"
    })
}

fn ingest_live(db: &Path, moto: &Moto) -> Value {
    let mut cmd = grantscope(db);
    moto.aws_env(&mut cmd);
    cmd.args(["--format", "json", "ingest", "cloudtrail", "--live", "--region", "eu-west-1", "--since", "10d"]);
    serde_json::from_str(&run_ok(&mut cmd)).unwrap()
}

#[test]
fn lookup_events_pages_store_each_access_event_once_within_the_quota() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // 120 access entries created (three pages of 50), 30 policies associated, 12 roles created in
    // IAM (recorded in us-east-1), and calls grantscope does not keep.
    let mut records = Vec::new();
    for i in 0..120 {
        records.push(record("CreateAccessEntry", i, 60 + i as i64 * 90));
    }
    for i in 0..30 {
        records.push(record("AssociateAccessPolicy", i, 30 + i as i64 * 200));
    }
    for i in 0..12 {
        records.push(record("CreateRole", i, 45 + i as i64 * 600));
    }
    for i in 0..40 {
        records.push(record("DescribeCluster", i, 10 + i as i64 * 100));
    }
    moto.post("/moto-ext/cloudtrail/events", Value::Array(records));

    let run = ingest_live(&db, &moto);
    assert_eq!(run["ingested"], 162, "every kept event, none of the others: {run}");
    assert_eq!(run["errors"], 0, "{run}");
    let calls = moto.calls("LookupEvents");
    assert!(
        calls.iter().all(|c| c["fault"].is_null()),
        "no request over CloudTrail's 2/s quota (moto answers ThrottlingException): {calls:?}"
    );
    assert!(calls.len() >= 12 + 2, "one lookup per kept event name, and pages: {} calls", calls.len());
    assert_eq!(run["requests"]["LookupEvents"]["ok"], calls.len() as u64);
    let s = stats(&db);
    assert_eq!(s["clusters"]["live"]["cloudtrail_events"], 150, "{s}");

    // Nothing new: nothing counted again. Then two more, one delivered late: its time, ten minutes
    // ago, was inside the range the last run read; the 20-minute overlap behind that read finds it.
    assert_eq!(ingest_live(&db, &moto)["ingested"], 0);
    moto.post(
        "/moto-ext/cloudtrail/events",
        json!([record("DeleteAccessEntry", 7, 1), record("CreateAccessEntry", 500, 10)]),
    );
    let run = ingest_live(&db, &moto);
    assert_eq!(run["ingested"], 2, "{run}");
    assert_eq!(stats(&db)["clusters"]["live"]["cloudtrail_events"], 152);
}

#[test]
fn a_throttled_lookup_backs_off_and_is_counted() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    moto.post("/moto-ext/cloudtrail/events", json!([record("CreateAccessEntry", 1, 5)]));
    moto.fault("LookupEvents", 2, "ThrottlingException");
    let run = ingest_live(&db, &moto);
    assert_eq!(run["ingested"], 1, "{run}");
    assert_eq!(run["requests"]["LookupEvents"]["throttled"], 2, "{run}");
}
