//! The file source over files in a temporary directory, into a store there: resuming at the
//! checkpoint, stopping at a batch boundary, noticing a changed input, refusing a damaged checkpoint.

use super::*;
use crate::ingest::CloudTrailSink;
use std::path::{Path, PathBuf};

/// An access entry created on cluster `c`, one JSON line, as CloudTrail records it.
fn line(i: usize) -> String {
    let record = serde_json::json!({
        "eventVersion": "1.09", "eventTime": crate::model::time::format_rfc3339(1_750_000_000_000 + i as i64 * 1000),
        "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry", "eventID": format!("event-{i}"),
        "awsRegion": "eu-west-1", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"},
        "requestParameters": {"name": "c", "principalArn": format!("arn:aws:iam::123456789012:role/r{i}")},
        "responseElements": null
    });
    format!("{record}\n")
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(line).collect()
}

fn options(stop: Option<Stop>) -> FileOptions {
    FileOptions { format: InputFormat::Auto, batch_records: 3, progress: false, stop, clock: || 1_760_000_000_000 }
}

fn ingest(store: &mut Store, file: &Path, opts: &FileOptions) -> Result<Tally, IngestError> {
    ingest_files(store, &[InputPath::File(file.to_path_buf())], &mut CloudTrailSink, opts)
}

fn stored(store: &Store) -> i64 {
    store.stats().unwrap().clusters.get("c").map_or(0, |c| c.cloudtrail_events)
}

fn setup(text: &str) -> (tempfile::TempDir, Store, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let file = dir.path().join("trail.jsonl");
    std::fs::write(&file, text).unwrap();
    (dir, store, file)
}

/// Lines enough for more than the 64 KiB an input is identified by: appending keeps its identity.
const LONG: usize = 200;

#[test]
fn a_growing_file_is_read_from_its_checkpoint_on() {
    let (_dir, mut store, file) = setup(&lines(0..LONG));
    assert!(std::fs::metadata(&file).unwrap().len() > 64 * 1024);
    assert_eq!(ingest(&mut store, &file, &options(None)).unwrap().ingested, LONG as u64);
    std::fs::write(&file, lines(0..LONG + 3)).unwrap();
    let again = ingest(&mut store, &file, &options(None)).unwrap();
    assert_eq!((again.ingested, again.duplicates), (3, 0), "only the appended lines are read");
    assert_eq!(stored(&store), LONG as i64 + 3);
}

/// The CloudTrail sink, stopping the run (as SIGTERM would) at its second record.
struct StopAtSecond(CloudTrailSink, u64, Stop);

impl Sink for StopAtSecond {
    fn kind(&self) -> &'static str {
        self.0.kind()
    }
    fn cluster(&self) -> Option<&str> {
        None
    }
    fn record(
        &mut self,
        tx: &crate::store::Tx,
        text: &str,
        log_group_cluster: Option<&str>,
        pos: crate::ingest::sink::Position,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SinkError> {
        self.1 += 1;
        if self.1 == 2 {
            self.2.stop();
        }
        self.0.record(tx, text, log_group_cluster, pos, now_ms, tally)
    }
    fn flush(&mut self, tx: &crate::store::Tx) -> Result<(), SinkError> {
        self.0.flush(tx)
    }
    fn reset(&mut self) {}
}

#[test]
fn a_stop_commits_the_batch_read_and_the_next_run_resumes_after_it() {
    let (_dir, mut store, file) = setup(&lines(0..10));
    let stop = Stop::default();
    let mut sink = StopAtSecond(CloudTrailSink, 0, stop.clone());
    let first = ingest_files(&mut store, &[InputPath::File(file.clone())], &mut sink, &options(Some(stop))).unwrap();
    assert_eq!(first.ingested, 3, "one batch, committed with its checkpoint");
    assert_eq!(stored(&store), 3);
    let rest = ingest(&mut store, &file, &options(None)).unwrap();
    assert_eq!((rest.ingested, rest.duplicates), (7, 0));
}

#[test]
fn a_file_changed_before_its_checkpoint_is_read_again_and_counted_once() {
    let (_dir, mut store, file) = setup(&lines(0..LONG));
    assert_eq!(ingest(&mut store, &file, &options(None)).unwrap().ingested, LONG as u64);
    // The export is re-run with a late event inserted past the first 64 KiB (its identity stays)
    // but before the checkpoint: the bytes the checkpoint covers moved.
    let text = lines(0..LONG).replacen(&line(LONG - 5), &(line(LONG - 5) + &line(1000)), 1);
    std::fs::write(&file, text).unwrap();
    let again = ingest(&mut store, &file, &options(None)).unwrap();
    assert_eq!((again.ingested, again.duplicates), (1, LONG as u64), "{again:?}");
    assert_eq!(stored(&store), LONG as i64 + 1);
}

#[test]
fn a_damaged_checkpoint_is_an_error_naming_the_file_and_nothing_is_read() {
    let (dir, mut store, file) = setup(&lines(0..LONG));
    ingest(&mut store, &file, &options(None)).unwrap();
    // The row as stored, read beside the store (its key is the input's identity).
    let (key, value): (String, String) = rusqlite::Connection::open(dir.path().join("g.db"))
        .unwrap()
        .query_row("SELECT key, value FROM checkpoints WHERE source = 'file'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let damaged = value.replace("\"last_hash\":\"", "\"last_hash\":\"not-hex");
    let tx = store.begin().unwrap();
    tx.write_checkpoint("file", &key, &damaged, 1).unwrap();
    tx.commit().unwrap();
    std::fs::write(&file, lines(0..LONG + 4)).unwrap();
    let err = ingest(&mut store, &file, &options(None)).unwrap_err();
    assert!(matches!(err, IngestError::Checkpoint(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}: its checkpoint (file \"{key}\") is corrupt: last_hash", file.display())),
        "{message}"
    );
    assert_eq!(stored(&store), LONG as i64, "the appended lines were not read");
}
