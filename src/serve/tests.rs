//! The daemon's tasks without a process: a cluster's file sources and its assessment over generated
//! data in a temporary directory, into a store there. The tasks run on tokio's test runtime with
//! the clock paused, so a poll interval or an assessment interval passes when the test lets
//! virtual time pass (reads and assessments run on blocking threads, during which the paused clock
//! stands still).

use super::exceptions::ExceptionsFile;
use super::shared::Shared;
use super::sources::{self, DaemonSource};
use super::status::{ClusterStatus, Status};
use super::{assess, cluster, metrics::Metrics};
use crate::generate::{GenerateOptions, Profile};
use crate::serve::config::{AnalysisConfig, ClusterConfig, ReportsConfig};
use crate::sources::aws::Pacers;
use crate::sources::error::{Classify, ErrorClass};
use crate::sources::files::FilesConfig;
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const CLUSTER: &str = "demo";
/// Seconds between two reads of a file source.
const POLL: u64 = 10;
/// Seconds between two assessments.
const INTERVAL: u64 = 300;

/// The generated cluster: 2,000 audit events over the fortnight before today.
fn options() -> GenerateOptions {
    GenerateOptions {
        profile: Profile::Small,
        seed: 7,
        events: 2_000,
        days: 14,
        end_day: crate::model::time::day_of(crate::app::clock::now_ms()) - 1,
        cluster: CLUSTER.to_string(),
        account: "111122223333".to_string(),
    }
}

/// `grantscope generate`'s files (`audit.jsonl`, `cloudtrail.json`, `state.yaml`), in `dir/data`.
fn generated(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    crate::cli::generate::write_files(&data, &options()).expect("writes the data set");
    data
}

/// The generated cluster, all of its files followed.
fn generated_cluster(dir: &Path) -> ClusterConfig {
    let data = generated(dir);
    let [audit, trail, state] = ["audit.jsonl", "cloudtrail.json", "state.yaml"].map(|f| data.join(f));
    following(&[&audit], &[&trail], &[&state])
}

/// The cluster following these files (none where empty).
fn following(audit: &[&Path], cloudtrail: &[&Path], state: &[&Path]) -> ClusterConfig {
    let patterns = |paths: &[&Path]| paths.iter().map(|p| p.display().to_string()).collect();
    let files = FilesConfig {
        audit: patterns(audit),
        cloudtrail: patterns(cloudtrail),
        state: patterns(state),
        poll_seconds: POLL,
    };
    ClusterConfig { name: CLUSTER.to_string(), files: Some(files), ..ClusterConfig::default() }
}

/// What the daemon's tasks share, for `cluster` and a store in `dir` (migrated, as `serve` does
/// before it starts a task), with `[analysis] exceptions` if given.
fn shared(dir: &Path, cluster: &ClusterConfig, reports: ReportsConfig, exceptions: Option<&Path>) -> Arc<Shared> {
    let db = dir.join("g.db");
    drop(Store::open(&db).expect("opens the store"));
    let pacers = Arc::new(Pacers::default());
    let status = Status::new([(cluster.name.as_str(), cluster::source_names(cluster, &pacers))]);
    Arc::new(Shared {
        db,
        analysis: AnalysisConfig { interval_seconds: INTERVAL, min_observed_days: 7, ..AnalysisConfig::default() },
        reports,
        exceptions: exceptions.map(|p| ExceptionsFile::open(p.to_path_buf()).expect("reads the exceptions")),
        metrics: Arc::new(Metrics::new(2_000).expect("registers the metrics")),
        status: Arc::new(status),
        stop: crate::sources::stop::Stop::default(),
        pacers,
        warned: Default::default(),
    })
}

fn store(shared: &Shared) -> Store {
    Store::open(&shared.db).expect("opens the store")
}

fn status(shared: &Shared) -> ClusterStatus {
    shared.status.snapshot().remove(CLUSTER).expect("the cluster has a status")
}

/// The source of `cluster` named `name` (`files.audit`, `files.state`, ...), as the daemon makes it.
fn source(cluster: &ClusterConfig, name: &str) -> Box<dyn DaemonSource> {
    let sources = sources::of(cluster, &Arc::new(Pacers::default()));
    sources.into_iter().find(|s| s.name() == name).expect("the config turns the source on")
}

/// The audit events of the cluster counted in the store (its daily usage).
fn stored_events(shared: &Shared) -> u64 {
    store(shared).stats().unwrap().clusters.get(CLUSTER).map_or(0, |c| c.events) as u64
}

fn ingested(shared: &Shared, source: &str) -> u64 {
    shared.metrics.events_ingested.with_label_values(&[CLUSTER, source]).get()
}

/// The cluster's findings of `status` (`open`, `accepted`) as `grantscope_findings` counts them.
fn findings(shared: &Shared, status: &str) -> usize {
    let (cluster, status) = (format!("grantscope_findings{{cluster=\"{CLUSTER}\""), format!("status=\"{status}\""));
    let text = shared.metrics.encode();
    let counts = text.lines().filter(|l| l.starts_with(&cluster) && l.contains(&status));
    counts.map(|l| l.rsplit(' ').next().unwrap().parse::<usize>().unwrap()).sum()
}

fn requests(shared: &Shared, api: &str, outcome: &str) -> u64 {
    shared.metrics.source_requests.with_label_values(&[CLUSTER, api, outcome]).get()
}

/// Lets virtual time pass, a second at a time, until the cluster's status satisfies `done`; fails
/// once `limit` has passed.
async fn until(shared: &Shared, limit: u64, what: &str, done: impl Fn(&ClusterStatus) -> bool) -> ClusterStatus {
    let deadline = Instant::now() + Duration::from_secs(limit);
    loop {
        let st = status(shared);
        if done(&st) {
            return st;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit} s: {:?} {:?}", st.last_error, st.sources);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Stops the daemon's tasks; each must end at once, not at its next poll or assessment.
async fn stop(shared: &Shared, tasks: Vec<tokio::task::JoinHandle<()>>) {
    shared.stop.stop();
    let all = async {
        for t in tasks {
            t.await.expect("the task ends without a panic");
        }
    };
    tokio::time::timeout(Duration::from_secs(1), all).await.expect("every task ends at the stop");
}

struct Step {
    name: &'static str,
    /// The state file's content; `None`: there is no file.
    content: Option<String>,
    /// The version stored after the read, or what the failed read says.
    want: Result<i64, &'static str>,
}

#[test]
fn state_files_are_stored_when_they_change_and_a_shrinking_one_only_when_read_the_same_twice() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.yaml");
    let cluster = following(&[], &[], &[&state]);
    let shared = shared(dir.path(), &cluster, ReportsConfig::default(), None);
    let original = crate::generate::state_yaml(&options());
    let grown = format!(
        "{original}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: extra}}\n\
         roleRef: {{kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: extra}}]\n"
    );
    let shrunk = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: only}\n\
                  roleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: g}]\n"
        .to_string();
    let step = |name, content: Option<&String>, want| Step { name, content: content.cloned(), want };
    let steps = [
        step("no file yet: an error, nothing stored", None, Err("match no file")),
        step("the first read stores version 1", Some(&original), Ok(1)),
        step("a file read unchanged stores nothing", Some(&original), Ok(1)),
        step("a changed file is the next version", Some(&grown), Ok(2)),
        step("an emptied file keeps the stored version", Some(&String::new()), Err("nothing read: the file is empty")),
        step("a file removing more than half the grants is held back", Some(&shrunk), Err("Kept version 2")),
        step("a file read back as it was is no change, and ends the hold", Some(&grown), Ok(2)),
        step("the shrink read again after that is held back again", Some(&shrunk), Err("Kept version 2")),
        step("the same shrink read twice in a row is stored", Some(&shrunk), Ok(3)),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut source = source(&cluster, "files.state");
    let mut version = None;
    for s in steps {
        match &s.content {
            Some(text) => std::fs::write(&state, text).unwrap(),
            None => drop(std::fs::remove_file(&state)),
        }
        let read = source.read(&shared, runtime.handle());
        match (read, s.want) {
            (Ok(()), Ok(want)) => version = Some(want),
            (Err(e), Err(says)) => {
                assert!(e.to_string().contains(says), "{}: {e}", s.name);
                assert_eq!(e.class(), ErrorClass::State, "{}: {e}", s.name);
            }
            (got, want) => panic!("{}: read {got:?}, wanted {want:?}", s.name),
        }
        let latest = crate::app::state_versions::latest_state(&store(&shared), CLUSTER).unwrap().map(|(v, _)| v);
        assert_eq!(latest, version, "{}: the stored version", s.name);
        assert_eq!(status(&shared).state_version, version, "{}: the published version", s.name);
    }
    assert_eq!(shared.metrics.state_version.with_label_values(&[CLUSTER]).get(), 3);
}

#[test]
fn file_sources_count_what_they_store_once_also_when_a_later_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path());
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let text = std::fs::read_to_string(data.join("audit.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    std::fs::write(logs.join("a.jsonl"), first.join("\n") + "\n").unwrap();
    // The next file vanishes between listing and reading (here: a link to nothing).
    std::os::unix::fs::symlink(dir.path().join("gone.jsonl"), logs.join("b.jsonl")).unwrap();
    let trail = data.join("cloudtrail.json");
    let cluster = following(&[&logs.join("*.jsonl")], &[&trail], &[]);
    let shared = shared(dir.path(), &cluster, ReportsConfig::default(), None);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (mut audit, mut cloudtrail) = (source(&cluster, "files.audit"), source(&cluster, "files.cloudtrail"));

    let failed = audit.read(&shared, runtime.handle()).expect_err("b.jsonl cannot be read");
    assert!(failed.to_string().contains("b.jsonl"), "the failing file is named: {failed}");
    let stored = stored_events(&shared);
    assert!(stored > 0, "a.jsonl was stored");
    assert_eq!(ingested(&shared, "audit"), stored, "what was stored before the failure is counted");
    assert_eq!((requests(&shared, "audit", "ok"), requests(&shared, "audit", "error")), (0, 1));

    std::fs::remove_file(logs.join("b.jsonl")).unwrap();
    audit.read(&shared, runtime.handle()).unwrap();
    assert_eq!(ingested(&shared, "audit"), stored, "a.jsonl is not counted again");
    std::fs::write(logs.join("c.jsonl"), second.join("\n") + "\n").unwrap();
    audit.read(&shared, runtime.handle()).unwrap();
    assert_eq!(stored_events(&shared), lines.len() as u64, "every event of the data set is stored");
    assert_eq!(ingested(&shared, "audit"), lines.len() as u64, "and counted once");
    assert_eq!((requests(&shared, "audit", "ok"), requests(&shared, "audit", "error")), (2, 1));
    let lag = shared.metrics.ingest_lag.with_label_values(&[CLUSTER, "audit"]).get();
    assert!(lag > 0.0, "the newest event is from yesterday: lag {lag}");

    for _ in 0..2 {
        cloudtrail.read(&shared, runtime.handle()).unwrap();
    }
    let stats = store(&shared).stats().unwrap();
    let trail_events = stats.clusters[CLUSTER].cloudtrail_events + stats.iam_events;
    assert!(trail_events > 0);
    assert_eq!(ingested(&shared, "cloudtrail") as i64, trail_events, "CloudTrail events counted once");
}

#[tokio::test(start_paused = true)]
async fn a_cluster_s_tasks_read_assess_publish_and_end_at_the_stop() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = generated_cluster(dir.path());
    let reports_dir = dir.path().join("reports");
    let reports =
        ReportsConfig { dir: Some(reports_dir.clone()), interval_seconds: Some(3_600), ..ReportsConfig::default() };
    let shared = shared(dir.path(), &cluster, reports, None);
    let started = Instant::now();
    let tasks = cluster::spawn(&cluster, &shared);
    assert_eq!(tasks.len(), 4, "a task for each of the three sources, and one assessing");

    let st = until(&shared, INTERVAL, "ready", |st| st.ready).await;
    assert!(started.elapsed() < Duration::from_secs(POLL), "the first assessment followed the first reads");
    assert!(st.healthy() && st.last_error.is_none(), "{:?}", st.last_error);
    assert_eq!(st.state_version, Some(1));
    assert!(st.findings > 0, "the generated cluster has unused grants");
    let listed: Vec<serde_json::Value> = serde_json::from_str(st.findings_json.as_deref().unwrap()).unwrap();
    assert_eq!(listed.len(), st.findings, "/api/v1/findings has them all");
    assert!(st.report_html.as_deref().is_some_and(|h| h.contains(CLUSTER)), "/api/v1/reports/latest");

    let metrics = &shared.metrics;
    assert_eq!(ingested(&shared, "audit"), stored_events(&shared));
    assert_eq!(metrics.cluster_healthy.with_label_values(&[CLUSTER]).get(), 1);
    assert_eq!(metrics.state_version.with_label_values(&[CLUSTER]).get(), 1);
    assert_eq!(findings(&shared, "open"), st.findings, "grantscope_findings counts the open findings");
    let agreement = metrics.agreement.with_label_values(&[CLUSTER]).get();
    assert!(agreement > 0.9, "the state reproduces the recorded decisions: {agreement}");

    let written = || std::fs::read_dir(reports_dir.join(CLUSTER)).map_or(0, |d| d.count());
    assert_eq!(written(), 3, "the first assessment writes the scheduled report, html, md and json");
    assert!(store(&shared).last_report(CLUSTER).unwrap().is_some(), "and keeps it to compare the next with");

    // The next assessment comes an interval later; its report is not due yet.
    let assessments = || metrics.replay_duration.with_label_values(&[CLUSTER]).get_sample_count();
    assert_eq!(assessments(), 1);
    tokio::time::sleep(Duration::from_secs(INTERVAL)).await;
    until(&shared, POLL, "a second assessment", |_| assessments() == 2).await;
    assert_eq!(written(), 3, "a report is written when due, not at every assessment");

    stop(&shared, tasks).await;
}

#[tokio::test(start_paused = true)]
async fn the_first_assessment_waits_for_every_first_read_but_no_longer_than_an_interval() {
    // (name, when the last first read ends, the assessment's time range in seconds)
    let cases = [
        ("every source read once: assessed then", Some(5), 5..POLL),
        ("a first read that does not end: assessed after an interval", None, INTERVAL..INTERVAL + POLL),
    ];
    for (name, read_at, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cluster = following(&[], &[], &[]);
        let shared = shared(dir.path(), &cluster, ReportsConfig::default(), None);
        let (first_reads, read_once) = tokio::sync::watch::channel(0usize);
        let started = Instant::now();
        let task = tokio::spawn(assess::run(CLUSTER.to_string(), shared.clone(), read_once, 1));
        if let Some(at) = read_at {
            tokio::time::sleep(Duration::from_secs(at)).await;
            assert!(!status(&shared).assessed, "{name}: not before the first reads");
            first_reads.send_modify(|n| *n += 1);
        }
        let st = until(&shared, INTERVAL * 2, name, |st| st.assessed).await;
        let at = started.elapsed().as_secs();
        assert!(want.contains(&at), "{name}: assessed at {at} s");
        // Nothing is stored for the cluster: the assessment fails, and says so.
        let failure = st.assessment_error.expect("an assessment without a state fails");
        assert_eq!(failure.class, ErrorClass::State, "{name}: {}", failure.message);
        assert_eq!(shared.metrics.cluster_healthy.with_label_values(&[CLUSTER]).get(), 0, "{name}");
        stop(&shared, vec![task]).await;
        drop(first_reads);
    }
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_checkpoint_stops_that_source_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = generated_cluster(dir.path());
    // A daemon that ran before read the audit file; its checkpoint has since been damaged.
    let earlier = shared(dir.path(), &cluster, ReportsConfig::default(), None);
    let runtime = tokio::runtime::Handle::current();
    source(&cluster, "files.audit").read(&earlier, &runtime).unwrap();
    let shared = shared(dir.path(), &cluster, ReportsConfig::default(), None);
    let before = stored_events(&shared);
    assert!(before > 0);
    let conn = rusqlite::Connection::open(&shared.db).unwrap();
    assert_eq!(conn.execute("UPDATE checkpoints SET value = 'not json' WHERE source = 'file'", []).unwrap(), 1);
    drop(conn);

    let tasks = cluster::spawn(&cluster, &shared);
    let first = until(&shared, INTERVAL, "every source read once", |st| st.attempted).await;
    let audit = &first.sources["files.audit"];
    assert!(!audit.healthy && audit.stopped, "{audit:?}");
    assert_eq!(audit.error.as_ref().map(|e| e.class), Some(ErrorClass::CorruptCheckpoint), "{audit:?}");
    assert!(first.last_error.as_deref().is_some_and(|e| e.starts_with("files.audit (corrupt-checkpoint): ")));
    assert!(!first.ready, "a failing source keeps the cluster from being ready");
    for other in ["files.cloudtrail", "files.state"] {
        assert!(first.sources[other].healthy, "{other}: {:?}", first.sources[other]);
    }

    // Three polls later the others have read again; the stopped one has not.
    let trail_reads = requests(&shared, "cloudtrail", "ok");
    tokio::time::sleep(Duration::from_secs(3 * POLL)).await;
    assert!(requests(&shared, "cloudtrail", "ok") >= trail_reads + 2, "the CloudTrail files are read on");
    assert_eq!((requests(&shared, "audit", "ok"), requests(&shared, "audit", "error")), (0, 1), "read once");
    let corrupt = shared.metrics.ingest_errors.with_label_values(&[CLUSTER, "audit", "corrupt-checkpoint"]).get();
    assert_eq!(corrupt, 1, "the failure is counted once, by its class");
    assert_eq!(shared.metrics.cluster_healthy.with_label_values(&[CLUSTER]).get(), 0);
    assert_eq!(stored_events(&shared), before, "nothing read twice");
    assert_eq!(status(&shared).state_version, Some(1), "the state was read");

    stop(&shared, tasks).await;
}

#[tokio::test(start_paused = true)]
async fn the_exceptions_file_is_read_again_at_each_assessment_and_a_bad_edit_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = generated_cluster(dir.path());
    let exceptions = dir.path().join("exceptions.yaml");
    let write = |text: &str| std::fs::write(&exceptions, text).unwrap();
    write(
        "exceptions:\n  - match: {principal: 'arn:aws:iam::*:role/break-glass'}\n    reason: on purpose\n    owner: sec\n",
    );
    let shared = shared(dir.path(), &cluster, ReportsConfig::default(), Some(&exceptions));
    let healthy = || shared.metrics.cluster_healthy.with_label_values(&[CLUSTER]).get();
    let tasks = cluster::spawn(&cluster, &shared);

    let st = until(&shared, INTERVAL, "ready", |st| st.ready).await;
    assert_eq!((st.accepted, findings(&shared, "accepted")), (1, 1), "the unused break-glass role is accepted");
    let open = findings(&shared, "open");

    write("exceptions:\n  - match: {principal: x}\n    reason: r\n    ownr: o\n");
    let st = until(&shared, INTERVAL + POLL, "the bad edit noticed", |st| st.exceptions_error.is_some()).await;
    let error = st.exceptions_error.as_ref().unwrap();
    assert_eq!(error.class, ErrorClass::Input, "{}", error.message);
    assert!(error.message.contains("entry 1: unknown field `ownr`"), "{}", error.message);
    assert!(st.last_error.as_deref().is_some_and(|e| e.starts_with("exceptions (input): ")), "{:?}", st.last_error);
    assert_eq!((st.accepted, findings(&shared, "open")), (1, open), "the last good exceptions still apply");
    assert_eq!(healthy(), 0);

    write("exceptions: []\n");
    let st = until(&shared, INTERVAL + POLL, "the fixed file read", |st| st.exceptions_error.is_none()).await;
    assert_eq!((st.accepted, findings(&shared, "accepted"), findings(&shared, "open")), (0, 0, open + 1));
    assert_eq!(healthy(), 1);
    stop(&shared, tasks).await;
}
