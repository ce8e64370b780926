//! The stateful core without a process: generated audit events ingested into SQLite in a temporary
//! directory, replayed, and the incremental paths (new events, a new state version) checked against
//! a full replay of the same data in a fresh store.

use crate::app::agreement::agreement_at_the_time;
use crate::app::replay::{replay, window_start};
use crate::app::state_versions::{StateVersionError, store_state};
use crate::generate::{GenerateOptions, Profile, state_yaml, write_audit};
use crate::ingest::{AuditSink, InputFormat, InputPath};
use crate::model::{AccessState, ReplaySummary, time};
use crate::sources::files::{FileOptions, ingest_files};
use crate::store::{self, Store, StoredDecision, WindowFilter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const CLUSTER: &str = "demo";
const WINDOW_DAYS: u32 = 90;

fn now_ms() -> i64 {
    crate::app::clock::now_ms()
}

/// Generated audit events over the fortnight before today, as JSON lines, split in `parts` files.
fn audit_files(dir: &Path, events: u64, parts: usize) -> Vec<PathBuf> {
    let opts = generate_options(events);
    let mut text = Vec::new();
    write_audit(&mut text, &opts).expect("generates");
    let text = String::from_utf8(text).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    let per_part = lines.len().div_ceil(parts);
    lines
        .chunks(per_part)
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("audit-{i}.jsonl"));
            std::fs::write(&path, chunk.join("\n") + "\n").expect("writes");
            path
        })
        .collect()
}

fn generate_options(events: u64) -> GenerateOptions {
    GenerateOptions {
        profile: Profile::Small,
        seed: 7,
        events,
        days: 14,
        end_day: time::day_of(now_ms()) - 1,
        cluster: CLUSTER.to_string(),
        account: "111122223333".to_string(),
    }
}

fn ingest(store: &mut Store, files: &[PathBuf]) {
    let paths: Vec<InputPath> = files.iter().map(|f| InputPath::parse(f)).collect();
    let opts = FileOptions {
        format: InputFormat::Auto,
        batch_records: 1_000,
        progress: false,
        stop: None,
        clock: crate::app::clock::now_ms,
    };
    let tally = ingest_files(store, &paths, &mut AuditSink::new(Some(CLUSTER.into())), &opts).expect("ingests");
    assert!(tally.ingested > 0, "{tally:?}");
}

/// The generated cluster's state, as `generate` writes it.
fn generated_state() -> AccessState {
    crate::state::from_texts(&[&state_yaml(&generate_options(0))])
}

/// A state change that reaches some callers and not others: the CI role loses one of its two
/// namespaces, the data team's group loses its RoleBinding in one namespace.
fn changed(mut state: AccessState) -> AccessState {
    let ci = state.access_entries.iter_mut().find(|e| e.principal_arn.ends_with("role/ci-deployer")).expect("ci");
    match &mut ci.policies[0].scope {
        crate::model::AccessScope::Namespace { namespaces } => namespaces.truncate(1),
        other => panic!("the CI role is scoped to namespaces: {other:?}"),
    }
    state.bindings.retain(|b| !(b.name == "data-readers" && b.namespace.as_deref() == Some("data-analytics")));
    state
}

fn store_version(store: &mut Store, state: AccessState) {
    store_state(store, CLUSTER, state, "test", now_ms()).expect("stores");
}

/// Everything a replay leaves behind that findings read, in a form two stores can be compared by:
/// agreement with recorded decisions under the current state (the summary's other counts are the
/// run's work; agreement at the time depends on the stored history, not on the replay), each
/// shape's decision by shape key, and grant usage.
#[derive(Debug, PartialEq)]
struct Replayed {
    agreement: (i64, i64),
    decisions: HashMap<u128, StoredDecision>,
    usage: store::UsageByGrant,
}

fn outcome(store: &Store, summary: ReplaySummary) -> Replayed {
    let agreement = (summary.recorded_requests_compared, summary.recorded_requests_agreeing);
    let from_day = window_start(now_ms(), WINDOW_DAYS);
    let window = store.window_shapes(CLUSTER, from_day, WindowFilter::All).expect("reads");
    let decisions = window.shapes.iter().map(|s| (s.stored.shape.key(), (*s.decision).clone())).collect();
    let usage = store.grant_usage(CLUSTER).expect("reads");
    Replayed { agreement, decisions, usage }
}

/// Field by field, so a failure names what differs instead of printing two stores.
fn assert_same(a: &Replayed, b: &Replayed) {
    assert_eq!(a.agreement, b.agreement, "agreement");
    assert_eq!(a.decisions.len(), b.decisions.len(), "shapes in the window");
    for (key, decision) in &a.decisions {
        assert_eq!(Some(decision), b.decisions.get(key), "decision of shape {key:x}");
    }
    assert_eq!(a.usage, b.usage, "grant usage");
}

fn fresh_store() -> Store {
    Store::open_in_memory().expect("opens")
}

#[test]
fn replay_after_a_state_change_decides_again_only_the_reached_callers_and_equals_a_full_replay() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 4_000, 1);
    let (before, after) = (generated_state(), changed(generated_state()));
    assert_ne!(before, after, "the change changes something");

    let mut incremental = fresh_store();
    ingest(&mut incremental, &files);
    store_version(&mut incremental, before);
    let first = replay(&mut incremental, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    store_version(&mut incremental, after.clone());
    let second = replay(&mut incremental, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");

    let mut full = fresh_store();
    ingest(&mut full, &files);
    store_version(&mut full, after);
    let whole = replay(&mut full, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");

    assert!(second.shapes_carried > 0, "callers the change cannot reach carry their decisions: {second:?}");
    assert!(second.shapes_evaluated < first.shapes_evaluated, "{second:?}");
    assert_eq!(second.shapes_evaluated + second.shapes_carried, whole.shapes_evaluated);
    assert!(second.recorded_requests_agreeing < second.recorded_requests_compared, "the change denies some");
    let at_the_time = second.at_the_time;
    assert_eq!(at_the_time.agreeing, at_the_time.compared, "under the state of their day, all agree: {at_the_time:?}");
    assert_same(&outcome(&incremental, second), &outcome(&full, whole));
}

#[test]
fn replay_after_new_events_decides_only_the_new_shapes_and_equals_a_full_replay() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 4_000, 2);

    let mut incremental = fresh_store();
    store_version(&mut incremental, generated_state());
    ingest(&mut incremental, &files[..1]);
    let first = replay(&mut incremental, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    ingest(&mut incremental, &files[1..]);
    let second = replay(&mut incremental, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");

    let mut full = fresh_store();
    store_version(&mut full, generated_state());
    ingest(&mut full, &files);
    let whole = replay(&mut full, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");

    assert_eq!(first.shapes_evaluated + second.shapes_evaluated, whole.shapes_evaluated, "each shape decided once");
    assert!(second.shapes_evaluated < whole.shapes_evaluated, "{second:?}");
    assert_same(&outcome(&incremental, second), &outcome(&full, whole));
}

#[test]
fn a_replay_with_nothing_new_decides_nothing_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 2_000, 1);
    let mut store = fresh_store();
    store_version(&mut store, generated_state());
    ingest(&mut store, &files);
    let first = replay(&mut store, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    let before = outcome(&store, first);
    let again = replay(&mut store, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    assert_eq!(again.shapes_evaluated, 0, "{again:?}");
    assert_same(&outcome(&store, again), &before);
}

#[test]
fn an_unreadable_stored_state_version_stops_agreement_at_the_time_instead_of_being_skipped() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 1_000, 1);
    let mut store = fresh_store();
    ingest(&mut store, &files);
    let now = now_ms();
    // An older version whose snapshot cannot be read, below a good one.
    let no_diff = |_, _: &str| Ok::<_, rusqlite::Error>("{}".into());
    store.store_state_version(CLUSTER, "{not a snapshot", no_diff, "test", now - 1).expect("stores");
    // Stored as is: store_state would refuse to diff it against the unreadable one.
    let state = generated_state();
    let snapshot = serde_json::to_string(&crate::state::Snapshot::new(state.clone())).expect("serializes");
    store.store_state_version(CLUSTER, &snapshot, no_diff, "test", now).expect("stores");
    let from_day = window_start(now, WINDOW_DAYS);
    let err = agreement_at_the_time(&store, CLUSTER, from_day, &state, (0, 0)).expect_err("must not skip it");
    assert!(matches!(err, StateVersionError::Unreadable { version: 1, .. }), "{err}");
    assert!(err.to_string().contains("stored state version 1 is unreadable"), "{err}");
}

#[test]
fn agreement_at_the_time_is_reused_until_what_it_depends_on_moves() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 1_000, 1);
    let mut store = fresh_store();
    ingest(&mut store, &files);
    let state = generated_state();
    store_version(&mut store, state.clone());
    let from_day = window_start(now_ms(), WINDOW_DAYS);
    let figures = agreement_at_the_time(&store, CLUSTER, from_day, &state, (10, 9)).expect("computes");
    assert_eq!(figures.compared, 10, "one state all window long: today's agreement holds for every day");
    // Same basis: the cached figures come back, even when asked with another state.
    let cached = agreement_at_the_time(&store, CLUSTER, from_day, &changed(state.clone()), (10, 9));
    assert_eq!(cached.expect("reads"), figures);
    // Today's figures moved: recomputed.
    let moved = agreement_at_the_time(&store, CLUSTER, from_day, &state, (12, 12)).expect("computes");
    assert_eq!((moved.compared, moved.agreeing), (12, 12));
}

#[test]
fn usage_buckets_rebuilt_for_the_reached_callers_equal_buckets_rebuilt_from_scratch() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = audit_files(dir.path(), 4_000, 1);
    let mut store = fresh_store();
    ingest(&mut store, &files);
    store_version(&mut store, generated_state());
    replay(&mut store, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    store_version(&mut store, changed(generated_state()));
    let second = replay(&mut store, CLUSTER, WINDOW_DAYS, now_ms()).expect("replays");
    assert!(second.shapes_carried > 0, "only some callers' buckets were rebuilt: {second:?}");
    let incremental = store.begin().expect("begins").usage_buckets(CLUSTER).expect("reads");

    let callers = store.callers(CLUSTER).expect("reads").into_iter().map(|c| c.id).collect();
    let tx = store.begin().expect("begins");
    tx.rebuild_all_buckets(CLUSTER, window_start(now_ms(), WINDOW_DAYS), &callers).expect("rebuilds");
    assert_eq!(incremental, tx.usage_buckets(CLUSTER).expect("reads"));
}
