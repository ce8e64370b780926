//! The sliced reader over fake pages (an API answering from a list of events, failing or stopping
//! where told) into a real store through the real CloudTrail sink: what a kill, a failed page, a
//! late delivery or a damaged checkpoint do to what is stored and counted.

use super::*;
use crate::ingest::CloudTrailSink;

/// Event times are offsets from here (ms), so they read as real CloudTrail times.
const T0: i64 = 1_750_000_000_000;

/// An API answering from `events` (time offset, id), `page_size` at a time, oldest first within
/// a range; the calls numbered in `fail` answer a 503, and the one numbered `stop_at` sets `stop`.
struct FakeApi {
    events: Vec<(i64, String)>,
    page_size: usize,
    fail: Vec<usize>,
    stop_at: Option<(usize, Stop)>,
    /// Every call: (start, end) as offsets, and the token.
    calls: Vec<(i64, i64, Option<String>)>,
}

impl FakeApi {
    fn new(events: &[(i64, &str)], page_size: usize) -> FakeApi {
        let events = events.iter().map(|(t, id)| (*t, id.to_string())).collect();
        FakeApi { events, page_size, fail: Vec::new(), stop_at: None, calls: Vec::new() }
    }
}

fn unavailable() -> ApiError {
    ApiError::answered("cloudtrail:LookupEvents", "ServiceUnavailable", 503)
}

impl PagedSource for FakeApi {
    async fn page(&mut self, start_ms: i64, end_ms: i64, token: Option<String>) -> Result<Page, ApiError> {
        let n = self.calls.len();
        self.calls.push((start_ms - T0, end_ms - T0, token.clone()));
        if let Some((at, stop)) = &self.stop_at
            && *at == n
        {
            stop.stop();
        }
        if self.fail.contains(&n) {
            return Err(unavailable());
        }
        let mut matching: Vec<&(i64, String)> =
            self.events.iter().filter(|(t, _)| (start_ms..=end_ms).contains(&(T0 + t))).collect();
        matching.sort();
        let offset: usize = token.map_or(0, |t| t.parse().unwrap());
        let end = (offset + self.page_size).min(matching.len());
        let items = matching[offset..end]
            .iter()
            .map(|(t, id)| Item { time_ms: T0 + t, id: id.clone(), text: record(T0 + t, id) })
            .collect();
        Ok(Page { items, next: (end < matching.len()).then(|| end.to_string()) })
    }
}

/// An access entry created on cluster `c` at `time_ms`, as CloudTrail records it.
fn record(time_ms: i64, id: &str) -> String {
    serde_json::json!({
        "eventVersion": "1.09", "eventTime": crate::model::time::format_rfc3339(time_ms),
        "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry", "eventID": id,
        "awsRegion": "eu-west-1", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"},
        "requestParameters": {"name": "c", "principalArn": format!("arn:aws:iam::123456789012:role/{id}")},
        "responseElements": null
    })
    .to_string()
}

fn range() -> Range {
    Range {
        checkpoint: CheckpointKey { namespace: "cloudtrail-lookup", key: "eu-west-1|X".into(), input: "fake".into() },
        since_ms: T0,
        overlap_ms: 50,
        slice_ms: 100,
    }
}

/// One read up to `now` (an offset): its tally, or its error.
fn read_once(api: &mut FakeApi, store: &mut Store, now: i64, stop: Option<&Stop>) -> Result<Tally, SourceError> {
    let mut tally = Tally::default();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let read = runtime.block_on(read(api, store, &range(), &mut CloudTrailSink, "fake", T0 + now, stop, &mut tally));
    read.map(|_| tally)
}

/// Access changes stored for cluster `c`.
fn stored(store: &Store) -> i64 {
    store.stats().unwrap().clusters.get("c").map_or(0, |c| c.cloudtrail_events)
}

/// Twenty events over five slices of 100 ms, two at 480.
fn events() -> Vec<(i64, &'static str)> {
    let ids = ["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"];
    let mut events: Vec<(i64, &str)> = ids.iter().enumerate().map(|(i, id)| (i as i64 * 25, *id)).collect();
    let later = ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"];
    events.extend(later.iter().enumerate().map(|(i, id)| (260 + i as i64 * 25, *id)));
    events.extend([(480, "g0"), (480, "g1")]);
    events
}

#[test]
fn plan_covers_the_range_oldest_first_in_slices() {
    assert_eq!(plan(0, 249, 100).collect::<Vec<_>>(), [(0, 100), (100, 200), (200, 250)]);
    assert_eq!(plan(0, 0, 100).collect::<Vec<_>>(), [(0, 1)], "now is read too");
    assert_eq!(plan(10, 9, 100).count(), 0, "a start after now reads nothing");
}

#[test]
fn every_event_is_stored_once_across_runs() {
    let mut store = Store::open_in_memory().unwrap();
    let mut api = FakeApi::new(&events(), 2);
    let first = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!((first.ingested, first.duplicates), (20, 0));
    assert_eq!(api.calls.first().map(|c| c.0), Some(0), "a first run starts at since");
    api.calls.clear();
    let again = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!(again.ingested, 0, "nothing new");
    assert_eq!(api.calls[0].0, 450, "the next run starts the overlap before where the last one got to");
    // The overlap (450-499) holds only g0 and g1, the cursor's own ids: skipped, not even counted.
    assert_eq!(again.duplicates, 0);
    assert_eq!(stored(&store), 20);
}

#[test]
fn a_read_killed_mid_slice_resumes_without_loss_or_double_counting() {
    let mut store = Store::open_in_memory().unwrap();
    let mut api = FakeApi::new(&events(), 2);
    // Two pages in each slice: those of 0-99 and 100-199 are read, then 200-299's second page
    // fails, after its first page (e8, e9) was committed.
    api.fail = vec![5];
    let failed = read_once(&mut api, &mut store, 499, None).unwrap_err();
    assert!(matches!(failed, SourceError::Api(_)), "{failed}");
    let before = stored(&store);
    assert!(before > 0 && before < 20, "{before} stored before the failure");
    assert_eq!(api.calls[5].0, 200, "the failing page is in the third slice");
    api.fail.clear();
    api.calls.clear();
    let resumed = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!(api.calls[0].0, 150, "the failed slice is read again, from the overlap before it");
    assert_eq!(resumed.ingested as i64, 20 - before, "what the failed run committed is not counted again");
    assert!(resumed.duplicates > 0, "what it committed of the failed slice is read again, as duplicates");
    assert_eq!(stored(&store), 20);
}

#[test]
fn late_events_inside_the_overlap_are_found_and_the_cursor_s_ids_skipped() {
    let mut store = Store::open_in_memory().unwrap();
    let mut api = FakeApi::new(&events(), 50);
    assert_eq!(read_once(&mut api, &mut store, 499, None).unwrap().ingested, 20);
    // Delivered late: one behind the newest event, one more at its millisecond, one newer.
    api.events.extend([(470, "late".to_string()), (480, "g2".to_string()), (490, "new".to_string())]);
    let again = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!(again.ingested, 3, "{again:?}");
    assert_eq!(again.duplicates, 0, "g0 and g1, the cursor's ids, are skipped before the sink");
    // An event older than the overlap, delivered later still, is not read again.
    api.events.push((100, "too-late".to_string()));
    assert_eq!(read_once(&mut api, &mut store, 520, None).unwrap().ingested, 0);
    assert_eq!(stored(&store), 23);
}

#[test]
fn a_stop_ends_the_read_at_a_page_boundary_and_the_next_run_goes_on() {
    let mut store = Store::open_in_memory().unwrap();
    let mut api = FakeApi::new(&events(), 2);
    let stop = Stop::default();
    api.stop_at = Some((3, stop.clone()));
    let stopped = read_once(&mut api, &mut store, 499, Some(&stop)).unwrap();
    assert_eq!(api.calls.len(), 4, "the page in flight is committed, no other is fetched");
    assert_eq!(stopped.ingested as i64, stored(&store));
    api.stop_at = None;
    let rest = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!((stopped.ingested + rest.ingested, stored(&store)), (20, 20));
}

#[test]
fn a_corrupt_checkpoint_stops_the_read_before_any_request() {
    let mut store = Store::open_in_memory().unwrap();
    let tx = store.begin().unwrap();
    tx.write_checkpoint("cloudtrail-lookup", "eu-west-1|X", r#"{"v":2,"cursor_ms":"soon"}"#, 1).unwrap();
    tx.commit().unwrap();
    let mut api = FakeApi::new(&events(), 2);
    let err = read_once(&mut api, &mut store, 499, None).unwrap_err();
    assert!(matches!(err, SourceError::Checkpoint(_)), "{err}");
    assert!(err.to_string().contains("(cloudtrail-lookup \"eu-west-1|X\") is corrupt"), "{err}");
    assert!(api.calls.is_empty(), "nothing read from `since` again");
    assert_eq!(stored(&store), 0);
}

#[test]
fn a_version_1_checkpoint_resumes_at_its_cursor_and_is_written_as_version_2() {
    let mut store = Store::open_in_memory().unwrap();
    let v1 = format!(r#"{{"v":1,"cursor_ms":{},"ids":["f1"]}}"#, T0 + 285);
    let tx = store.begin().unwrap();
    tx.write_checkpoint("cloudtrail-lookup", "eu-west-1|X", &v1, 1).unwrap();
    tx.commit().unwrap();
    let mut api = FakeApi::new(&events(), 50);
    let read = read_once(&mut api, &mut store, 499, None).unwrap();
    assert_eq!(api.calls[0].0, 235, "the overlap before the version 1 cursor");
    // f0 (260) is behind the cursor, read again as new here (the store never had it); f1 is the cursor's.
    assert_eq!(read.ingested, 1 + 6 + 2);
    let stored: SliceCheckpoint = range().checkpoint.load(&store).unwrap().unwrap();
    assert_eq!(stored.resume_ms(), T0 + 500);
    assert!(matches!(stored, SliceCheckpoint::V2 { .. }));
}
