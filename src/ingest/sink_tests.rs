//! The sinks against a store in a temporary directory: what one record means (stored and counted
//! once, a duplicate, skipped by reason, a bad record filed with its position), which cluster it is
//! filed under, the caps on stored and logged bad records, and a rollback forgetting cached ids.

use super::record_error::{ErrorKind, RecordError};
use super::sink::{AuditSink, CloudTrailSink, Position, STORED_ERRORS_PER_INPUT, Sink, SinkError, Tally, record_error};
use crate::store::{IngestErrorRow, Store};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_760_000_000_000;
const FILE: &str = "audit.jsonl";

/// A Kubernetes audit event: alice gets a pod, with the audit ID `id`.
fn audit(id: &str) -> String {
    serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": id,
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/dev/pods/p", "verb": "get",
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "objectRef": {"resource": "pods", "namespace": "dev", "name": "p", "apiVersion": "v1"},
        "responseStatus": {"code": 200}, "requestReceivedTimestamp": "2025-10-09T08:00:00.000Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed"}
    })
    .to_string()
}

/// A CloudTrail record of `name` on cluster `c` with the event ID `id`; `failed`: with an error code.
fn trail(id: &str, name: &str, failed: bool) -> String {
    let mut record = serde_json::json!({
        "eventVersion": "1.09", "eventTime": "2025-10-09T08:00:00Z", "eventSource": "eks.amazonaws.com",
        "eventName": name, "eventID": id, "awsRegion": "eu-west-1", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"},
        "requestParameters": {"name": "c", "principalArn": "arn:aws:iam::123456789012:role/dev"},
        "responseElements": null
    });
    if failed {
        record["errorCode"] = "ResourceInUseException".into();
    }
    record.to_string()
}

fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    (dir, store)
}

/// Feeds `batches` to `sink`, each batch in one transaction committed after a flush, as the file
/// source does; the records of all batches are numbered as lines of one file. An error rolls its
/// batch back and ends the feed.
fn feed(store: &mut Store, sink: &mut dyn Sink, batches: &[&[&str]], tally: &mut Tally) -> Result<(), SinkError> {
    let mut line = 0;
    for batch in batches {
        let tx = store.begin()?;
        for text in *batch {
            line += 1;
            let pos = Position { file: FILE, line: Some(line), record: None };
            sink.record(&tx, text, None, pos, NOW, tally)?;
        }
        sink.flush(&tx)?;
        tx.commit()?;
    }
    Ok(())
}

fn cluster_stats(store: &Store, cluster: &str) -> crate::store::ClusterStats {
    store.stats().unwrap().clusters.get(cluster).cloned().unwrap_or_default()
}

/// One run of `ingest audit --cluster <cluster>`: a fresh sink.
struct Run {
    cluster: &'static str,
    batches: &'static [&'static [&'static str]],
}

struct Case {
    name: &'static str,
    runs: &'static [Run],
    /// (ingested, duplicates) over all runs.
    want: (u64, u64),
    /// Per cluster: (events counted in the daily usage, shapes).
    stored: &'static [(&'static str, i64, i64)],
}

#[test]
fn an_audit_event_is_stored_and_counted_once_however_often_it_is_read() {
    // Record names stand for events: `a` and `b` are two requests of one caller, `a` read again is
    // the same event.
    const A: &str = "a";
    const B: &str = "b";
    let cases = [
        Case {
            name: "new events are stored and counted, into one shape",
            runs: &[Run { cluster: "c", batches: &[&[A, B]] }],
            want: (2, 0),
            stored: &[("c", 2, 1)],
        },
        Case {
            name: "the same event twice in a batch counts once",
            runs: &[Run { cluster: "c", batches: &[&[A, A]] }],
            want: (1, 1),
            stored: &[("c", 1, 1)],
        },
        Case {
            name: "the same event in a later batch of the run is a duplicate",
            runs: &[Run { cluster: "c", batches: &[&[A], &[A, B]] }],
            want: (2, 1),
            stored: &[("c", 2, 1)],
        },
        Case {
            name: "the same event in a later run is a duplicate",
            runs: &[Run { cluster: "c", batches: &[&[A]] }, Run { cluster: "c", batches: &[&[A]] }],
            want: (1, 1),
            stored: &[("c", 1, 1)],
        },
        Case {
            name: "an event read again under another --cluster is a duplicate and creates no shape there",
            runs: &[Run { cluster: "c", batches: &[&[A]] }, Run { cluster: "other", batches: &[&[A, B]] }],
            want: (2, 1),
            stored: &[("c", 1, 1), ("other", 1, 1)],
        },
        Case {
            name: "an event only a duplicate would give a shape leaves the cluster without any",
            runs: &[Run { cluster: "c", batches: &[&[A]] }, Run { cluster: "other", batches: &[&[A]] }],
            want: (1, 1),
            stored: &[("c", 1, 1), ("other", 0, 0)],
        },
    ];
    for case in cases {
        let (_dir, mut store) = setup();
        let mut tally = Tally::default();
        for run in case.runs {
            let texts: Vec<Vec<String>> = run.batches.iter().map(|b| b.iter().map(|id| audit(id)).collect()).collect();
            let texts: Vec<Vec<&str>> = texts.iter().map(|b| b.iter().map(String::as_str).collect()).collect();
            let batches: Vec<&[&str]> = texts.iter().map(Vec::as_slice).collect();
            let mut sink = AuditSink::new(Some(run.cluster.to_string()));
            feed(&mut store, &mut sink, &batches, &mut tally).unwrap();
        }
        assert_eq!((tally.ingested, tally.duplicates), case.want, "{}: {tally:?}", case.name);
        for &(cluster, events, shapes) in case.stored {
            let stats = cluster_stats(&store, cluster);
            assert_eq!((stats.events, stats.shapes), (events, shapes), "{}: {cluster}", case.name);
        }
    }
}

struct ClusterCase<'a> {
    name: &'static str,
    /// `--cluster`.
    flag: Option<&'static str>,
    /// The log group the document around the record named.
    document_group: Option<&'static str>,
    text: &'a str,
    /// The cluster the event is filed under; `None`: refused.
    want: Option<&'static str>,
}

#[test]
fn an_audit_event_is_filed_under_the_flag_or_its_log_group_and_refused_without_either() {
    let event = audit("a");
    let in_group =
        serde_json::json!({"logGroup": "/aws/eks/grouped/cluster", "logEvents": [{"id": "1", "message": event}]})
            .to_string();
    let case = |name, flag, document_group, text, want| ClusterCase { name, flag, document_group, text, want };
    let cases = [
        case("--cluster names it", Some("flag"), None, &event, Some("flag")),
        case("the document's log group names it", None, Some("doc"), &event, Some("doc")),
        case("the record's log group names it", None, None, &in_group, Some("grouped")),
        case("--cluster wins over a log group", Some("flag"), Some("doc"), &in_group, Some("flag")),
        case("nothing names it: an error asking for --cluster", None, None, &event, None),
    ];
    for ClusterCase { name, flag, document_group, text, want } in cases {
        let (_dir, mut store) = setup();
        let mut sink = AuditSink::new(flag.map(str::to_string));
        let mut tally = Tally::default();
        let tx = store.begin().unwrap();
        let pos = Position { file: FILE, line: Some(3), record: None };
        let result = sink.record(&tx, text, document_group, pos, NOW, &mut tally);
        match want {
            Some(cluster) => {
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
                sink.flush(&tx).unwrap();
                tx.commit().unwrap();
                assert_eq!(store.stats().unwrap().clusters.keys().collect::<Vec<_>>(), [cluster], "{name}");
                assert_eq!(cluster_stats(&store, cluster).events, 1, "{name}");
            }
            None => {
                let err = result.expect_err(name);
                assert!(matches!(err, SinkError::NoCluster { .. }), "{name}: {err}");
                let message = err.to_string();
                assert!(message.starts_with("audit.jsonl: ") && message.ends_with("pass --cluster NAME"), "{message}");
                assert_eq!(tally, Tally::default(), "{name}: nothing counted");
            }
        }
    }
}

fn skipped(reasons: &[(&'static str, u64)]) -> BTreeMap<&'static str, u64> {
    reasons.iter().copied().collect()
}

struct SkipCase<'a> {
    name: &'static str,
    sink: Box<dyn Sink>,
    records: &'a [&'a str],
    want: BTreeMap<&'static str, u64>,
}

#[test]
fn valid_records_that_are_not_kept_are_tallied_by_reason_and_store_nothing() {
    let non_final = audit("a").replace("ResponseComplete", "RequestReceived");
    let control = r#"{"messageType":"CONTROL_MESSAGE","logGroup":"","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE"}]}"#;
    let audit_records = [non_final.as_str(), control, "[]", r#"{"kind":"EventList","items":[]}"#, non_final.as_str()];
    let (describe, failed) = (trail("t1", "DescribeCluster", false), trail("t2", "CreateAccessEntry", true));
    let trail_records = [describe.as_str(), failed.as_str(), r#"{"Records":[]}"#, describe.as_str()];
    let cases = [
        SkipCase {
            name: "audit: non-final stages, control messages, empty lists",
            sink: Box::new(AuditSink::new(Some("c".into()))),
            records: &audit_records,
            want: skipped(&[("non-final-stage", 2), ("control-message", 1), ("empty-record-list", 2)]),
        },
        SkipCase {
            name: "CloudTrail: calls that change no access, failed calls, empty lists",
            sink: Box::new(CloudTrailSink),
            records: &trail_records,
            want: skipped(&[("not-access-related", 2), ("failed-call", 1), ("empty-record-list", 1)]),
        },
    ];
    for SkipCase { name, mut sink, records, want } in cases {
        let (_dir, mut store) = setup();
        let mut tally = Tally::default();
        feed(&mut store, sink.as_mut(), &[records], &mut tally).unwrap();
        assert_eq!(tally, Tally { skipped: want, ..Tally::default() }, "{name}");
        assert_eq!(tally.skipped_total(), records.len() as u64, "{name}: every record counted");
        assert_eq!(store.stats().unwrap(), crate::store::Stats::default(), "{name}: nothing stored");
    }
}

#[test]
fn cloudtrail_access_changes_are_stored_and_counted_once() {
    let (_dir, mut store) = setup();
    let (create, delete) = (trail("t1", "CreateAccessEntry", false), trail("t2", "DeleteAccessEntry", false));
    let mut tally = Tally::default();
    feed(&mut store, &mut CloudTrailSink, &[&[&create, &create], &[&delete, &create]], &mut tally).unwrap();
    assert_eq!((tally.ingested, tally.duplicates, tally.errors), (2, 2, 0), "{tally:?}");
    assert_eq!(store.access_change_count("c").unwrap(), 2);
    let again = &mut Tally::default();
    feed(&mut store, &mut CloudTrailSink, &[&[&delete]], again).unwrap();
    assert_eq!((again.ingested, again.duplicates), (0, 1), "a later run: {again:?}");
}

#[test]
fn a_bad_record_is_filed_with_its_position_and_the_good_ones_beside_it_are_kept() {
    let (_dir, mut store) = setup();
    let list = format!(r#"{{"kind":"EventList","items":[{},{{"kind":"Event"}}]}}"#, audit("a"));
    let mut tally = Tally::default();
    let mut sink = AuditSink::new(Some("c".into()));
    feed(&mut store, &mut sink, &[&["not json", list.as_str()]], &mut tally).unwrap();
    assert_eq!((tally.ingested, tally.errors), (1, 2), "{tally:?}");
    let rows: Vec<String> = store
        .list_ingest_errors(10)
        .unwrap()
        .into_iter()
        .map(|r| format!("{:?} {}:{:?} record {:?} {}", r.cluster, r.file, r.line, r.record, r.kind))
        .collect();
    let want = [
        r#"Some("c") audit.jsonl:Some(1) record None invalid-json"#,
        r#"Some("c") audit.jsonl:Some(2) record Some(1) missing-field"#,
    ];
    assert_eq!(rows, want, "the line, and the item of the envelope");
    let bad_trail = &mut Tally::default();
    feed(&mut store, &mut CloudTrailSink, &[&["{\"Records\":[1]}"]], bad_trail).unwrap();
    assert_eq!(bad_trail.errors, 1);
    assert_eq!(store.stats().unwrap().unattributed_errors, 1, "a CloudTrail record names no cluster before it parses");
}

/// Log lines written while `f` runs, at warn level and above, as text.
fn warnings(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
}

#[test]
fn bad_records_past_the_cap_are_counted_not_stored_and_past_a_few_not_logged() {
    let (_dir, mut store) = setup();
    let bad = STORED_ERRORS_PER_INPUT + 5;
    let mut tally = Tally::default();
    let log = warnings(|| {
        let tx = store.begin().unwrap();
        for line in 1..=bad {
            let e = RecordError::new(ErrorKind::InvalidJson, "not valid JSON", b"{oops");
            let pos = Position { file: FILE, line: Some(line), record: None };
            record_error(&tx, "audit", Some("c"), pos, e, NOW, &mut tally).unwrap();
        }
        tx.commit().unwrap();
    });
    assert_eq!(tally.errors, bad, "every bad record is counted");
    let rows: Vec<IngestErrorRow> = store.list_ingest_errors(u64::MAX >> 1).unwrap();
    assert_eq!(rows.len() as u64, STORED_ERRORS_PER_INPUT + 1, "the cap, and one row standing for the rest");
    assert!(rows[..rows.len() - 1].iter().all(|r| r.kind == "invalid-json"));
    let last = rows.last().unwrap();
    assert_eq!((last.kind.as_str(), last.line), ("too-many-errors", Some(STORED_ERRORS_PER_INPUT + 1)));
    assert!(last.reason.starts_with(&format!("more than {STORED_ERRORS_PER_INPUT} bad records")), "{}", last.reason);
    assert_eq!(log.matches("skipped bad record").count(), 20, "the first few are logged: {log}");
    assert_eq!(log.matches("more bad records; logging them at debug level only").count(), 1, "{log}");
}

#[test]
fn a_sink_reset_after_a_rollback_stores_the_shape_and_reason_again() {
    let (_dir, mut store) = setup();
    let mut sink = AuditSink::new(Some("c".into()));
    let mut tally = Tally::default();
    let event = audit("a");
    {
        // The batch resolves a new shape and reason, then fails and rolls back.
        let tx = store.begin().unwrap();
        let pos = Position { file: FILE, line: Some(1), record: None };
        sink.record(&tx, &event, None, pos, NOW, &mut tally).unwrap();
    }
    sink.reset();
    let mut again = Tally::default();
    feed(&mut store, &mut sink, &[&[&event]], &mut again).expect("no id of the rolled-back batch is used");
    assert_eq!(again.ingested, 1);
    let stats = cluster_stats(&store, "c");
    assert_eq!((stats.events, stats.shapes), (1, 1), "{stats:?}");
}

struct TallyCase {
    name: &'static str,
    earlier: Tally,
    later: Tally,
    want: Tally,
}

fn tally(ingested: u64, duplicates: u64, errors: u64, reasons: &[(&'static str, u64)]) -> Tally {
    Tally { ingested, duplicates, errors, skipped: skipped(reasons) }
}

#[test]
fn tally_since_is_what_was_counted_after_and_adds_back_up() {
    let cases = [
        TallyCase {
            name: "nothing since: an empty tally, no reason left at zero",
            earlier: tally(5, 1, 2, &[("non-final-stage", 3)]),
            later: tally(5, 1, 2, &[("non-final-stage", 3)]),
            want: Tally::default(),
        },
        TallyCase {
            name: "every count grows by what was counted since",
            earlier: tally(5, 1, 2, &[("non-final-stage", 3)]),
            later: tally(9, 4, 3, &[("non-final-stage", 7)]),
            want: tally(4, 3, 1, &[("non-final-stage", 4)]),
        },
        TallyCase {
            name: "a reason first seen since is there; one that did not grow is not",
            earlier: tally(0, 0, 0, &[("non-final-stage", 3)]),
            later: tally(0, 0, 0, &[("non-final-stage", 3), ("control-message", 2)]),
            want: tally(0, 0, 0, &[("control-message", 2)]),
        },
        TallyCase {
            name: "since nothing: everything",
            earlier: Tally::default(),
            later: tally(2, 1, 1, &[("failed-call", 1)]),
            want: tally(2, 1, 1, &[("failed-call", 1)]),
        },
    ];
    for c in cases {
        let since = c.later.since(&c.earlier);
        assert_eq!(since, c.want, "{}", c.name);
        let mut added = c.earlier.clone();
        added.add(&since);
        assert_eq!(added, c.later, "{}: earlier + since = later", c.name);
    }
}
