//! `grantscope serve` through the real binary: two clusters (one fed by files, one failing on
//! purpose), its HTTP endpoints, one writer per database, SIGTERM and SIGKILL with a restart that
//! counts nothing twice. The live AWS sources are another issue's: here the sources are files.

mod support;

use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use support::*;

fn serve(db: &Path, config: &Path) -> Child {
    grantscope(db)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `/readyz` says every cluster was polled and `demo` is ready.
fn wait_ready(port: u16) -> Value {
    wait_for(90, "/readyz", || {
        let (status, body) = get(port, "/readyz")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && v["clusters"]["demo"]["ready"] == true).then_some(v)
    })
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig}");
}

fn events(db: &Path) -> i64 {
    cluster_stats(db, "demo")["events"].as_i64().unwrap()
}

#[test]
fn serve_watches_clusters_serves_http_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let broken = format!(
        "[[clusters]]\nname = \"broken\"\n[clusters.files]\nstate = [\"{0}/nowhere/*.yaml\"]\npoll_seconds = 1\n\
         [reports]\ndir = \"{0}/reports\"\ninterval_seconds = 1\nkeep = 2\n",
        dir.path().display()
    );
    let config = serve_config(dir.path(), &db, port, &broken);
    let mut daemon = serve(&db, &config);
    let (status, body) = wait_for(30, "/healthz", || get(port, "/healthz"));
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let ready = wait_ready(port);
    assert_eq!(ready["clusters"]["broken"]["ready"], false, "{ready}");
    assert!(ready["clusters"]["broken"]["last_error"].as_str().unwrap().contains("match no file"), "{ready}");

    let (_, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(
        metric(&metrics, "grantscope_events_ingested_total{cluster=\"demo\",source=\"audit\"}"),
        Some(5000.0),
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "grantscope_cluster_healthy{cluster=\"demo\"}"), Some(1.0));
    assert_eq!(
        metric(&metrics, "grantscope_cluster_healthy{cluster=\"broken\"}"),
        Some(0.0),
        "the failing one is reported"
    );
    assert_eq!(
        metric(
            &metrics,
            "grantscope_findings{cluster=\"demo\",kind=\"unused-access-entry\",severity=\"high\",status=\"open\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "grantscope_grants{cluster=\"demo\",grant_type=\"rbac_binding\",status=\"unused\"}"),
        Some(1.0)
    );
    assert_eq!(metric(&metrics, "grantscope_replay_agreement_ratio{cluster=\"demo\"}"), Some(1.0));
    assert_eq!(metric(&metrics, "grantscope_build_info{version=\"0.1.0\"}"), Some(1.0));
    assert!(metrics.contains("grantscope_replay_duration_seconds_count{cluster=\"demo\"}"));
    let (status, findings) = get(port, "/api/v1/findings?cluster=demo").unwrap();
    let findings: Vec<Value> = serde_json::from_str(&findings).unwrap();
    assert_eq!(status, 200);
    assert!(findings.iter().any(|f| f["grant"] == "eks-entry:arn:aws:iam::111122223333:role/break-glass"));
    let (status, report) = get(port, "/api/v1/reports/latest?cluster=demo").unwrap();
    assert!(status == 200 && report.contains("Least-privilege report: cluster demo"));
    assert_eq!(get(port, "/api/v1/reports/latest?cluster=broken").unwrap().0, 404, "never assessed: no report");
    for path in ["/api/v1/findings?cluster=prdo", "/api/v1/reports/latest?cluster=prdo"] {
        let (status, body) = get(port, path).unwrap();
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, &body["known_clusters"]), (404, &serde_json::json!(["broken", "demo"])), "{path}");
    }

    // Scheduled reports, each format pruned to the newest two.
    let reports = dir.path().join("reports/demo");
    let count = |ext: &str| {
        std::fs::read_dir(&reports)
            .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == ext)).count())
    };
    let html = |dir: &Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "html")).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let first = wait_for(30, "a first report", || html(&reports).into_iter().next());
    wait_for(30, "the first report pruned, two of each kept", || {
        (!first.exists() && ["html", "md", "json"].iter().all(|e| count(e) == 2)).then_some(())
    });
    let newest = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max()
        .unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(newest).unwrap()).unwrap();
    assert_eq!(report["cluster"], "demo");
    // Each scheduled report says what changed since the one before (read as a pair; the daemon
    // keeps writing, so a pair caught mid-write is read again).
    wait_for(30, "a scheduled report compared with the one before it", || {
        let mut json: Vec<_> = std::fs::read_dir(&reports)
            .ok()?
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        json.sort();
        let read = |p: &Path| serde_json::from_str::<Value>(&std::fs::read_to_string(p).ok()?).ok();
        let (older, newer) = (read(json.first()?)?, read(json.last()?)?);
        (json.len() == 2 && newer["since_previous"]["previous_generated_at"] == older["generated_at"]).then_some(())
    });
    assert!(!dir.path().join("reports/broken").exists(), "never assessed: no report");

    // One writer per database.
    let second = grantscope(&db).arg("--config").arg(&config).arg("serve").output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another `grantscope serve` is already writing"));

    // SIGTERM: stops within 10 s, cleanly.
    signal(&daemon, "-TERM");
    let exited = wait_for(10, "exit after SIGTERM", || daemon.try_wait().unwrap());
    assert!(exited.success(), "{exited:?}");
    let mut logs = String::new();
    daemon.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let last: Value = serde_json::from_str(logs.lines().last().unwrap()).expect("JSON logs");
    assert_eq!(last["fields"]["message"], "stopped", "{logs}");
    assert_eq!(events(&db), 5000);

    // A restart resumes from the checkpoints: nothing counted twice; after SIGKILL too.
    for kill in ["-TERM", "-KILL"] {
        let mut daemon = serve(&db, &config);
        wait_ready(port);
        let (_, metrics) = get(port, "/metrics").unwrap();
        let new =
            metric(&metrics, "grantscope_events_ingested_total{cluster=\"demo\",source=\"audit\"}").unwrap_or(0.0);
        assert_eq!(new, 0.0, "nothing new to ingest after a restart");
        signal(&daemon, kill);
        wait_for(10, "exit", || daemon.try_wait().unwrap());
        assert_eq!(events(&db), 5000, "after {kill} and a restart");
    }
}

#[test]
fn the_sample_config_checks_and_a_bad_one_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("grantscope.example.toml");
    let effective: Value = serde_json::from_str(&run_ok(
        grantscope(&db).arg("--config").arg(&sample).args(["--format", "json", "config", "check"]),
    ))
    .unwrap();
    assert_eq!(effective["analysis"]["window_days"], 90);
    assert_eq!(effective["server"]["listen"], "127.0.0.1:9464");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[clusters]]\nname = \"a\"\n[clusters.files]\npoll_seconds = 0\n").unwrap();
    let out = run_fails(grantscope(&db).arg("--config").arg(&bad).args(["config", "check"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("clusters[0].files.poll_seconds") && stderr.contains("at least 1 second"), "{stderr}");
    let out = run_fails(grantscope(&db).args(["config", "check"]).env("GRANTSCOPE_ANALYSIS_INTERVAL_SECONDS", "often"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GRANTSCOPE_ANALYSIS_INTERVAL_SECONDS"));
    // A misspelt variable is named, with the one meant, instead of being ignored without a word.
    let out = grantscope(&db).args(["config", "check"]).env("GRANTSCOPE_STORE_RETENTON_DAYS", "3").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GRANTSCOPE_STORE_RETENTON_DAYS is not a grantscope setting")
            && stderr.contains("did you mean GRANTSCOPE_STORE_RETENTION_DAYS?"),
        "{stderr}"
    );
    // A TOML error is one line: file, line, column and the key.
    std::fs::write(&bad, "[store]\nretention_days = \"two\"\n").unwrap();
    let out = run_fails(grantscope(&db).arg("--config").arg(&bad).args(["config", "check"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.toml:2:18: store.retention_days: invalid type"), "{stderr}");
}

#[test]
fn http_clients_cannot_hold_the_server_or_its_descriptors() {
    use std::io::Write;
    use std::net::TcpStream;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let config = serve_config(dir.path(), &db, port, "");
    let mut daemon = serve(&db, &config);
    wait_for(60, "/healthz", || get(port, "/healthz"));
    // 300 clients that connect and say nothing, 60 that send half a request head and stop.
    let connect = || TcpStream::connect(("127.0.0.1", port)).unwrap();
    let idle: Vec<TcpStream> = (0..300).map(|_| connect()).collect();
    let slow: Vec<TcpStream> = (0..60)
        .map(|_| {
            let mut s = connect();
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n").unwrap();
            s
        })
        .collect();
    // The daemon holds at most its connection limit of them: the rest wait in the kernel's backlog,
    // and the store keeps the descriptors it needs.
    let held = std::fs::read_dir(format!("/proc/{}/fd", daemon.id())).unwrap().count();
    assert!(held < 128 + 64, "{held} descriptors open while 360 clients connect");
    // Metrics still answer: each silent client is dropped once its request head is overdue.
    let (status, body) = wait_for(120, "/metrics under a flood", || get(port, "/metrics").filter(|(s, _)| *s == 200));
    assert_eq!(status, 200);
    assert!(body.contains("grantscope_build_info"), "{body}");
    // Memory stays bounded through the flood (it once settled at 342 MB).
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon.id())).unwrap();
    let rss_kib: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").parse().unwrap();
    assert!(rss_kib < 128 << 10, "RSS {} MiB under a flood", rss_kib >> 10);
    // And every one of them is closed by the server, not left open.
    for mut s in idle.into_iter().chain(slow) {
        s.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
        let mut buf = [0u8; 512];
        let closed = loop {
            match std::io::Read::read(&mut s, &mut buf) {
                Ok(0) => break true,
                Ok(_) => continue, // a 408 before the close is fine
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(e) => panic!("the server kept a silent client open: {e}"),
            }
        };
        assert!(closed);
    }
    signal(&daemon, "-TERM");
    wait_for(30, "exit", || daemon.try_wait().unwrap());
}

#[test]
fn counters_count_what_was_stored_even_when_a_later_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(fixture("audit/events.jsonl"), logs.join("a.jsonl")).unwrap();
    // The next file vanishes between listing and reading (here: a link to nothing): the poll fails.
    std::os::unix::fs::symlink(dir.path().join("gone.jsonl"), logs.join("b.jsonl")).unwrap();
    let config = dir.path().join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[[clusters]]\nname = \"{CLUSTER}\"\n[clusters.files]\naudit = [\"{}/*.jsonl\"]\npoll_seconds = 1\n",
            logs.display()
        ),
    )
    .unwrap();
    let mut daemon = serve(&db, &config);
    let series = format!("grantscope_events_ingested_total{{cluster=\"{CLUSTER}\",source=\"audit\"}}");
    let counted = wait_for(60, "the first poll's count", || {
        let (_, metrics) = get(port, "/metrics")?;
        metric(&metrics, &series).filter(|n| *n > 0.0)
    });
    let (_, ready) = get(port, "/readyz").unwrap();
    assert!(ready.contains("gone.jsonl") || ready.contains("b.jsonl"), "the failing file is named: {ready}");
    signal(&daemon, "-TERM");
    wait_for(30, "exit", || daemon.try_wait().unwrap());
    assert_eq!(counted as i64, cluster_stats(&db, CLUSTER)["events"].as_i64().unwrap(), "the counter equals the store");
}

/// A followed state file caught empty keeps the stored version and marks the cluster unhealthy;
/// one that removes more than half the grants is stored only once two polls in a row read it the
/// same, the cluster unhealthy until then.
#[test]
fn serve_keeps_the_stored_state_when_a_followed_file_is_emptied_or_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let config = serve_config(dir.path(), &db, port, "");
    let mut daemon = serve(&db, &config);
    wait_ready(port);
    let demo = || -> Value {
        let (_, body) = get(port, "/readyz").unwrap();
        serde_json::from_str::<Value>(&body).unwrap()["clusters"]["demo"].clone()
    };
    let healthy = || metric(&get(port, "/metrics").unwrap().1, "grantscope_cluster_healthy{cluster=\"demo\"}");
    assert_eq!(demo()["state_version"], 1);
    let state = dir.path().join("data/state.yaml");

    std::fs::write(&state, "").unwrap();
    let error = wait_for(30, "the emptied file reported", || demo()["last_error"].as_str().map(String::from));
    assert!(error.contains("state.yaml: nothing read: the file is empty"), "{error}");
    assert_eq!(healthy(), Some(0.0));
    assert_eq!(demo()["state_version"], 1, "the stored version is kept");

    let shrunk = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: only}\n\
                  roleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: g}]\n";
    std::fs::write(&state, shrunk).unwrap();
    let error = wait_for(30, "the shrink reported", || {
        demo()["last_error"].as_str().filter(|e| e.contains("more than half")).map(String::from)
    });
    assert!(error.contains("Kept version 1"), "{error}");
    wait_for(30, "the shrunk state stored after a second identical read", || {
        (demo()["state_version"] == 2).then_some(())
    });
    wait_for(30, "healthy again", || (healthy() == Some(1.0)).then_some(()));
    signal(&daemon, "-TERM");
    wait_for(10, "exit", || daemon.try_wait().unwrap());
}

#[test]
fn a_warning_about_a_state_is_logged_once_not_at_every_poll() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    // eksctl's default: the creator got an admin entry this file does not list (a warning).
    let state = dir.path().join("cluster.yaml");
    std::fs::write(
        &state,
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: warned}\naccessConfig:\n  accessEntries:\n  - principalARN: arn:aws:iam::111122223333:role/dev\n    kubernetesGroups: [dev]\n",
    )
    .unwrap();
    let config = dir.path().join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[[clusters]]\nname = \"warned\"\n[clusters.files]\nstate = [\"{}\"]\npoll_seconds = 1\n",
            state.display()
        ),
    )
    .unwrap();
    let mut daemon = serve(&db, &config);
    let mut polls = std::collections::BTreeSet::new();
    wait_for(90, "four polls", || {
        let (_, body) = get(port, "/readyz")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        polls.insert(v["clusters"]["warned"]["last_poll"].as_str()?.to_string());
        (polls.len() >= 4).then_some(())
    });
    signal(&daemon, "-TERM");
    wait_for(30, "exit", || daemon.try_wait().unwrap());
    let mut log = String::new();
    daemon.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert_eq!(log.matches("bootstrapClusterCreatorAdminPermissions").count(), 1, "{log}");
}

/// A corrupt checkpoint stops its source only: `/readyz` names the source and the class, the
/// failure is counted once under that class, and the cluster's other sources go on reading.
#[test]
fn a_corrupt_checkpoint_stops_that_source_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let config = serve_config(dir.path(), &db, port, "");
    // The audit file was ingested before, and its checkpoint has since been damaged.
    run_ok(
        grantscope(&db).args(["-q", "ingest", "audit", "--cluster", "demo"]).arg(dir.path().join("data/audit.jsonl")),
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let damaged = conn.execute("UPDATE checkpoints SET value = 'not json' WHERE source = 'file'", []).unwrap();
    assert_eq!(damaged, 1);
    let mut daemon = serve(&db, &config);
    let demo = || -> Option<Value> {
        let (_, body) = get(port, "/readyz")?;
        Some(serde_json::from_str::<Value>(&body).ok()?["clusters"]["demo"].clone())
    };
    let first = wait_for(60, "every source read once", || demo().filter(|d| d["attempted"] == true));
    let audit = &first["sources"]["files.audit"];
    assert_eq!((audit["healthy"].as_bool(), audit["stopped"].as_bool()), (Some(false), Some(true)), "{first}");
    assert_eq!(audit["error"]["class"], "corrupt-checkpoint", "{first}");
    assert!(audit["error"]["message"].as_str().unwrap().contains("its checkpoint (file "), "{first}");
    assert!(first["last_error"].as_str().unwrap().starts_with("files.audit (corrupt-checkpoint): "), "{first}");
    assert_eq!(first["ready"], false);
    for other in ["files.cloudtrail", "files.state"] {
        assert_eq!(first["sources"][other]["healthy"], true, "{other}: {first}");
    }
    // The other sources keep reading; the stopped one does not.
    let cloudtrail_read = first["sources"]["files.cloudtrail"]["last_read"].clone();
    let later = wait_for(30, "another read of the CloudTrail files", || {
        demo().filter(|d| d["sources"]["files.cloudtrail"]["last_read"] != cloudtrail_read)
    });
    assert_eq!(later["sources"]["files.audit"]["last_read"], audit["last_read"], "{later}");
    assert_eq!(later["state_version"], 1, "{later}");
    let (_, metrics) = get(port, "/metrics").unwrap();
    let corrupt = "grantscope_ingest_errors_total{cluster=\"demo\",reason=\"corrupt-checkpoint\",source=\"audit\"}";
    assert_eq!(metric(&metrics, corrupt), Some(1.0), "{metrics}");
    assert!(metric(&metrics, "grantscope_events_ingested_total{cluster=\"demo\",source=\"cloudtrail\"}") > Some(0.0));
    assert_eq!(metric(&metrics, "grantscope_cluster_healthy{cluster=\"demo\"}"), Some(0.0));
    assert_eq!(cluster_stats(&db, "demo")["events"], 5000, "nothing read twice");
    signal(&daemon, "-TERM");
    let status = wait_for(15, "exit after SIGTERM", || daemon.try_wait().unwrap());
    assert!(status.success(), "{status}");
}

/// `[analysis] exceptions`: accepted findings are exported apart (`status="accepted"`), the file is
/// re-read before each assessment (an edit takes effect without a restart), a file that stops
/// reading keeps the last good one and says so in `/readyz`, and a malformed one stops the start.
#[test]
fn serve_applies_the_exceptions_file_and_rereads_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let exceptions = dir.path().join("exceptions.yaml");
    let accept = "exceptions:\n  - match: {principal: 'arn:aws:iam::*:role/break-glass'}\n    reason: on purpose\n    owner: sec\n";
    std::fs::write(&exceptions, accept).unwrap();
    let config = serve_config(dir.path(), &db, port, "");
    let text = std::fs::read_to_string(&config).unwrap();
    let with = text.replace(
        "interval_seconds = 1\n",
        &format!("interval_seconds = 1\nexceptions = \"{}\"\n", exceptions.display()),
    );
    std::fs::write(&config, with).unwrap();
    let series = |status: &str| {
        format!(
            "grantscope_findings{{cluster=\"demo\",kind=\"unused-access-entry\",severity=\"high\",status=\"{status}\"}}"
        )
    };
    let (open, accepted) = (series("open"), series("accepted"));
    let mut daemon = serve(&db, &config);
    wait_ready(port);
    let (_, metrics) = get(port, "/metrics").unwrap();
    assert_eq!((metric(&metrics, &open), metric(&metrics, &accepted)), (Some(0.0), Some(1.0)), "{metrics}");

    // A bad edit: the last good file stays in use, and /readyz says why.
    std::fs::write(&exceptions, "exceptions:\n  - match: {principal: x}\n    reason: r\n    ownr: o\n").unwrap();
    let cluster = wait_for(30, "the exceptions error in /readyz", || {
        let (_, body) = get(port, "/readyz")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        v["clusters"]["demo"]["exceptions_error"].is_object().then(|| v["clusters"]["demo"].clone())
    });
    assert!(cluster["last_error"].as_str().unwrap().contains("entry 1: unknown field `ownr`"), "{cluster}");
    // Set once the assessment that met the bad file is done, with the last good exceptions.
    let metrics = wait_for(30, "the cluster unhealthy", || {
        let (_, metrics) = get(port, "/metrics")?;
        (metric(&metrics, "grantscope_cluster_healthy{cluster=\"demo\"}") == Some(0.0)).then_some(metrics)
    });
    assert_eq!(metric(&metrics, &accepted), Some(1.0), "the last good exceptions still apply");

    // The entry removed: the finding is open again, without a restart.
    std::fs::write(&exceptions, "exceptions: []\n").unwrap();
    wait_for(30, "the finding open again", || {
        let (_, metrics) = get(port, "/metrics")?;
        (metric(&metrics, &open) == Some(1.0) && metric(&metrics, &accepted) == Some(0.0)).then_some(())
    });
    signal(&daemon, "-TERM");
    wait_for(30, "exit", || daemon.try_wait().unwrap());

    // Malformed at start: serve does not start, and names the entry.
    std::fs::write(&exceptions, "exceptions:\n  - id: GS-0123456789ab\n    reason: r\n").unwrap();
    let mut bad = serve(&db, &config);
    let status = wait_for(30, "serve to refuse", || bad.try_wait().unwrap());
    let mut log = String::new();
    bad.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("entry 1 (id GS-0123456789ab): owner: required"), "{log}");
}
