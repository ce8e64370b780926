//! Bad input is recorded with its position and skipped; the run goes on. Bad paths, flags, config
//! and databases fail up front with exit 2 and write nothing.

mod support;

use serde_json::Value;
use support::*;

fn errors(db: &std::path::Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&run_ok(grantscope(db).args(["--format", "json", "errors"])))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn each_bad_line_is_recorded_with_its_line_and_the_rest_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out =
        run_ok(grantscope(&db).args(["ingest", "audit", "--cluster", CLUSTER]).arg(fixture("audit/bad-lines.jsonl")));
    assert_eq!(out.trim(), "ingested 3, skipped 0, errors 7 (see grantscope errors)");
    let got: Vec<(u64, String)> =
        errors(&db).iter().map(|e| (e["line"].as_u64().unwrap(), e["kind"].as_str().unwrap().to_string())).collect();
    let want = [
        (2, "truncated"),
        (3, "invalid-json"),
        (4, "other-kind"),
        (6, "invalid-utf8"),
        (7, "unknown-stage"),
        (8, "missing-field"),
        (9, "not-an-object"),
    ];
    assert_eq!(got, want.iter().map(|(l, k)| (*l, k.to_string())).collect::<Vec<_>>());
    for e in errors(&db) {
        assert!(e["file"].as_str().unwrap().ends_with("bad-lines.jsonl"), "{e}");
        assert!(!e["reason"].as_str().unwrap().is_empty() && !e["excerpt"].as_str().unwrap().is_empty(), "{e}");
    }
    assert_eq!(cluster_stats(&db, CLUSTER)["errors"], 7);
    let text = run_ok(grantscope(&db).arg("errors"));
    assert!(text.contains("bad-lines.jsonl: line 4: [other-kind] a CloudTrail record"), "{text}");
}

#[test]
fn a_line_over_one_mebibyte_is_skipped_without_losing_its_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events = std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap();
    let lines: Vec<&str> = events.lines().collect();
    // A real event whose userAgent CloudWatch would have truncated: 2 MiB on one line.
    let huge = lines[0].replace("\"userAgent\":\"", &format!("\"userAgent\":\"{}", "x".repeat(2 << 20)));
    let path = dir.path().join("huge.jsonl");
    std::fs::write(&path, format!("{huge}\n{}\n{}\n", lines[2], lines[3])).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(2), Some(1)), "{summary}");
    let e = &errors(&db)[0];
    assert_eq!((e["line"].as_u64(), e["kind"].as_str()), (Some(1), Some("too-long")), "{e}");
    assert!(e["excerpt"].as_str().unwrap().chars().count() < 200, "the excerpt is short");
}

#[test]
fn bad_records_inside_documents_are_recorded_by_index_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/eventlist.json")).unwrap();
    let mut v: Value = serde_json::from_str(&doc).unwrap();
    v["items"][3]["stage"] = "Exploded".into();
    let path = dir.path().join("list.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!(summary["errors"], 1, "{summary}");
    let e = &errors(&db)[0];
    // The line where item 3 starts in the pretty-printed document.
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let start = pretty.find("\"Exploded\"").unwrap();
    let item_line =
        pretty[..start].rmatch_indices("\n    {").next().map(|(i, _)| pretty[..i].lines().count() as u64 + 1);
    assert_eq!(
        (e["line"].as_u64(), e["record"].as_u64(), e["kind"].as_str()),
        (item_line, Some(3), Some("unknown-stage")),
        "{e}"
    );
}

#[test]
fn a_truncated_document_is_one_error_and_later_files_still_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/filter-log-events.json")).unwrap();
    let path = dir.path().join("cut.json");
    std::fs::write(&path, &doc[..doc.len() / 2]).unwrap();
    let summary = ingest_audit(&db, &[&path, &fixture("audit/events.jsonl")]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(10), Some(1)), "{summary}");
    assert_eq!(errors(&db)[0]["kind"], "truncated");
}

#[test]
fn cloudtrail_bad_records_are_recorded_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut lines = std::fs::read_to_string(fixture("cloudtrail/events.jsonl")).unwrap();
    lines.push_str("{\"eventSource\":\"eks.amazonaws.com\",\"eventName\":\"CreateAccessEntry\"}\n{not json\n");
    lines.push_str(std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap().lines().next().unwrap());
    let path = dir.path().join("trail.jsonl");
    std::fs::write(&path, lines).unwrap();
    let summary = ingest_cloudtrail(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(12), Some(3)), "{summary}");
    let kinds: Vec<String> = errors(&db).iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["missing-field", "invalid-json", "other-kind"]);
}

#[test]
fn a_missing_file_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let missing = dir.path().join("nope.jsonl");
    let out = run_fails_with(
        grantscope(&db)
            .args(["ingest", "audit", "--cluster", CLUSTER])
            .arg(fixture("audit/events.jsonl"))
            .arg(&missing),
        4,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope.jsonl") && stderr.contains("No such file"), "{stderr}");
    assert!(!db.exists(), "no database was created");
    let out = run_fails(grantscope(&db).args(["ingest", "audit", "--cluster", CLUSTER]).arg(dir.path()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
}

#[test]
fn a_bad_flag_fails_with_exit_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let out = run_fails(grantscope(&db).args(["ingest", "audit", "--clustr", "x", "f"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--clustr"));
    let out = run_fails(grantscope(&db).args(["--format", "yaml", "stats"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yaml"));
    assert!(!db.exists());
    let out = run_fails_with(grantscope(&db).arg("errors"), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such database"));
    assert!(!db.exists(), "read-only commands do not create a database");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "not a database\n").unwrap();
    let out = run_fails(grantscope(&db).arg("stats"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a grantscope database"));
    assert_eq!(std::fs::read_to_string(&db).unwrap(), "not a database\n");
}

#[test]
fn another_programs_sqlite_database_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    rusqlite::Connection::open(&db).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);").unwrap();
    let before = std::fs::read(&db).unwrap();
    let events = fixture("audit/events.jsonl");
    let events = events.to_str().unwrap();
    for args in [&["ingest", "audit", "--cluster", "c", events][..], &["stats"][..]] {
        let out = run_fails(grantscope(&db).args(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not grantscope's (it holds tables t"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "no table added, no version set");
}

#[test]
fn read_only_commands_work_on_a_read_only_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    ingest_audit(&db, &[&fixture("audit/events.jsonl")]);
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", CLUSTER]).arg(fixture("state/rbac.yaml")));
    let want = run_ok(grantscope(&db).args(["--format", "json", "stats"]));
    // The directory mounted read-only in a private mount namespace: nothing of it can be written,
    // not even SQLite's WAL index.
    let command = format!(
        "mount --bind -o ro {dir} {dir} && for c in stats errors 'state show' timeline; do {bin} --db {db} --format json $c > /dev/null || exit 1; done && {bin} --db {db} --format json stats",
        dir = dir.path().display(),
        bin = bin(),
        db = db.display()
    );
    let unshare = if running_as_root() { vec!["-m"] } else { vec!["-r", "-m"] };
    let out = std::process::Command::new("unshare").args(unshare).args(["sh", "-c", &command]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

/// Whether the tests run as root (then a mount namespace needs no user namespace).
fn running_as_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

#[test]
fn a_database_from_a_newer_grantscope_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    ingest_audit(&db, &[&fixture("audit/events.jsonl")]);
    rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let out = run_fails_with(grantscope(&db).arg("stats"), 7);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer grantscope"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_file_and_environment_choose_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grantscope.toml");
    let from_config = dir.path().join("from-config.db");
    std::fs::write(&config, format!("[store]\npath = {:?}\n", from_config.to_str().unwrap())).unwrap();
    let mut cmd = std::process::Command::new(bin());
    cmd.env_remove("GRANTSCOPE_DB").current_dir(dir.path());
    run_ok(
        cmd.arg("--config")
            .arg(&config)
            .args(["ingest", "audit", "--cluster", CLUSTER])
            .arg(fixture("audit/events.jsonl")),
    );
    assert_eq!(cluster_stats(&from_config, CLUSTER)["events"], 10);
    let from_env = dir.path().join("from-env.db");
    let mut cmd = std::process::Command::new(bin());
    let out = run_fails_with(cmd.env("GRANTSCOPE_DB", &from_env).arg("--config").arg(&config).arg("stats"), 4);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("from-env.db") && stderr.contains("no such database"),
        "GRANTSCOPE_DB wins over the config file, and stats does not create it: {stderr}"
    );
    assert!(!from_env.exists());

    std::fs::write(&config, "[store]\nretention_days = \"two\"\n").unwrap();
    let out = run_fails(std::process::Command::new(bin()).arg("--config").arg(&config).arg("stats"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("grantscope.toml") && stderr.contains("retention_days"), "{stderr}");
}

#[test]
fn a_cut_gzip_file_keeps_what_was_read_and_the_next_file_still_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let generated = dir.path().join("gen");
    run_ok(
        grantscope(&db)
            .args(["generate", "--events", "3000", "--days", "1", "--end", "2026-11-20", "--out"])
            .arg(&generated),
    );
    let compressed = gzip(&std::fs::read(generated.join("audit.jsonl")).unwrap());
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &compressed[..compressed.len() / 2]).unwrap();
    let out = run_ok(
        grantscope(&db)
            .args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER])
            .arg(&cut)
            .arg(fixture("audit/events.jsonl")),
    );
    let summary: Value = serde_json::from_str(&out).unwrap();
    let ingested = summary["ingested"].as_u64().unwrap();
    assert!(ingested > 10 + 500 && ingested < 10 + 3000, "part of the cut file, and all of the next: {summary}");
    let kinds: Vec<String> = errors(&db).iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert!(kinds.contains(&"read-error".to_string()), "{kinds:?}");
}

#[test]
fn invalid_utf8_inside_a_document_loses_only_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let doc = std::fs::read_to_string(fixture("audit/eventlist.json")).unwrap();
    let mut bytes = doc.into_bytes();
    // Damage one byte inside the 4th item's userAgent.
    let at = {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let fourth = text.match_indices("\"userAgent\"").nth(3).unwrap().0;
        fourth + "\"userAgent\": \"".len() + 2
    };
    bytes[at] = 0xff;
    let path = dir.path().join("list.json");
    std::fs::write(&path, bytes).unwrap();
    let summary = ingest_audit(&db, &[&path]);
    assert_eq!((summary["ingested"].as_u64(), summary["errors"].as_u64()), (Some(9), Some(1)), "{summary}");
    assert_eq!(errors(&db)[0]["kind"], "invalid-utf8");
}

#[test]
fn re_reading_a_file_from_its_start_does_not_record_its_errors_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let path = dir.path().join("bad.jsonl");
    std::fs::copy(fixture("audit/bad-lines.jsonl"), &path).unwrap();
    ingest_audit(&db, &[&path]);
    // Appending to a small file changes its identity: it is read again from the start.
    let mut grown = std::fs::read(&path).unwrap();
    grown.extend(std::fs::read(fixture("audit/events.jsonl")).unwrap());
    std::fs::write(&path, grown).unwrap();
    ingest_audit(&db, &[&path]);
    assert_eq!(errors(&db).len(), 7);
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 13);
}

fn ingest_json(db: &std::path::Path, kind: &str, files: &[&std::path::Path]) -> Value {
    let mut cmd = grantscope(db);
    cmd.args(["--format", "json", "ingest", kind]);
    if kind == "audit" {
        cmd.args(["--cluster", CLUSTER]);
    }
    serde_json::from_str(&run_ok(cmd.args(files))).unwrap()
}

fn counts(summary: &Value) -> (u64, u64, u64) {
    let n = |k: &str| summary[k].as_u64().unwrap();
    (n("ingested"), n("skipped"), n("errors"))
}

#[test]
fn lines_that_open_with_junk_lose_no_valid_record() {
    // Four first lines that are not JSON objects (a comment, a cut line) once made detection read
    // the file as one document, and every valid line after them was lost.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    for (kind, events) in [("audit", "audit/events.jsonl"), ("cloudtrail", "cloudtrail/events.jsonl")] {
        let clean = ingest_json(&dir.path().join(format!("{kind}-clean.db")), kind, &[&fixture(events)]);
        let want = clean["ingested"].as_u64().unwrap() + clean["skipped"].as_u64().unwrap();
        let path = dir.path().join(format!("{kind}.jsonl"));
        let mut text =
            "# exported 2026-11-20\n-- audit log --\n\"kind\":\"Event\",\"cut\"}\n# end of header\n".to_string();
        text.push_str(&std::fs::read_to_string(fixture(events)).unwrap());
        std::fs::write(&path, text).unwrap();
        let summary = ingest_json(&db, kind, &[&path]);
        assert_eq!(
            (summary["ingested"].as_u64().unwrap() + summary["skipped"].as_u64().unwrap(), summary["errors"].as_u64()),
            (want, Some(4)),
            "{kind}: {summary}"
        );
    }
    let lines: Vec<u64> =
        errors(&db).iter().filter(|e| e["source"] == "audit").map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 4], "each junk line is one error at its line");
}

#[test]
fn a_gzip_followed_by_zero_padding_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut padded = gzip(&std::fs::read(fixture("audit/events.jsonl")).unwrap());
    padded.extend(vec![0u8; 70_000]);
    let path = dir.path().join("padded.jsonl.gz");
    std::fs::write(&path, padded).unwrap();
    assert_eq!(counts(&ingest_json(&db, "audit", &[&path])), (10, 2, 0));
}

#[test]
fn a_cut_small_gzip_keeps_what_was_read_and_the_next_file_still_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // Smaller than the 64 KiB layout detection reads: the cut is met while detecting.
    let compressed = gzip(&std::fs::read(fixture("cloudtrail/events.jsonl")).unwrap());
    assert!(compressed.len() < 64 << 10);
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &compressed[..compressed.len() * 2 / 3]).unwrap();
    let s3 = dir.path().join("delivery.json");
    std::fs::copy(fixture("cloudtrail/s3-delivery.json"), &s3).unwrap();
    let summary = ingest_json(&db, "cloudtrail", &[&cut, &s3]);
    let (ingested, skipped, errors_) = counts(&summary);
    assert_eq!(errors_, 1, "one read error for the cut: {summary}");
    assert!(ingested + skipped > 13, "part of the cut file, then all of the next one: {summary}");
    let e = &errors(&db)[0];
    assert_eq!(e["kind"], "read-error", "{e}");
    assert!(e["line"].as_u64().unwrap() > 1, "the line where the cut is: {e}");
}

#[test]
fn a_cut_or_trailed_document_keeps_every_record_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // A CloudTrail S3 file, gzipped as delivered, cut in its second half.
    let doc = std::fs::read(fixture("cloudtrail/s3-delivery.json")).unwrap();
    let whole = counts(&ingest_json(&db, "cloudtrail", &[&fixture("cloudtrail/s3-delivery.json")]));
    let compressed = gzip(&doc);
    let cut = dir.path().join("cut.json.gz");
    std::fs::write(&cut, &compressed[..compressed.len() * 9 / 10]).unwrap();
    let db2 = dir.path().join("g2.db");
    let (ingested, skipped, errs) = counts(&ingest_json(&db2, "cloudtrail", &[&cut]));
    assert_eq!(errs, 1);
    assert!(ingested + skipped > 0 && ingested + skipped < whole.0 + whole.1, "the records before the cut");
    // An EventList with text after it: every item is kept, the text is one error at its line.
    let list = std::fs::read_to_string(fixture("audit/eventlist.json")).unwrap();
    let trailed = dir.path().join("trailed.json");
    std::fs::write(&trailed, format!("{list}\nthis is not JSON\n")).unwrap();
    let db3 = dir.path().join("g3.db");
    let summary = ingest_json(&db3, "audit", &[&trailed]);
    assert_eq!(counts(&summary), (10, 2, 1), "{summary}");
    let e = &errors(&db3)[0];
    assert_eq!(
        (e["kind"].as_str(), e["line"].as_u64()),
        (Some("invalid-json"), Some(list.lines().count() as u64 + 2)),
        "{e}"
    );
}

#[test]
fn empty_record_lists_are_counted_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let audit = dir.path().join("a.jsonl");
    let events = std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap();
    std::fs::write(&audit, format!("{events}[]\n{{\"kind\":\"EventList\",\"items\":[]}}\n")).unwrap();
    let summary = ingest_json(&db, "audit", &[&audit]);
    assert_eq!(summary["skipped_by_reason"]["empty-record-list"], 2, "{summary}");
    let trail = dir.path().join("c.jsonl");
    std::fs::write(&trail, "{\"Records\":[]}\n[]\n").unwrap();
    let summary = ingest_json(&db, "cloudtrail", &[&trail]);
    assert_eq!(summary["skipped_by_reason"]["empty-record-list"], 2, "{summary}");
}

#[test]
fn a_gzip_bomb_is_read_in_bounded_memory() {
    // 256 MiB of spaces between the brackets of a CloudTrail file: a few hundred KiB of gzip.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let record = std::fs::read_to_string(fixture("cloudtrail/events.jsonl")).unwrap();
    let record = record.lines().next().unwrap();
    let bomb = dir.path().join("bomb.json.gz");
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&bomb).unwrap(), flate2::Compression::best());
        enc.write_all(b"{\"Records\":[").unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..256 {
            enc.write_all(&spaces).unwrap();
        }
        enc.write_all(format!("{record}]}}").as_bytes()).unwrap();
        enc.finish().unwrap();
    }
    // And a JSON-lines file that opens with more blank lines than layout detection looks at.
    let blank = dir.path().join("blank.jsonl");
    let events = std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap();
    std::fs::write(&blank, format!("{}{events}", "\n".repeat(100_000))).unwrap();
    let (out, rss) = run_measured(grantscope(&db).args(["--format", "json", "ingest", "cloudtrail"]).arg(&bomb));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ingested"].as_u64().unwrap() + summary["skipped"].as_u64().unwrap(), 1, "{summary}");
    assert!(rss < 64 << 20, "peak RSS {} MiB while reading 256 MiB of document", rss >> 20);
    let summary = ingest_json(&db, "audit", &[&blank]);
    assert_eq!(counts(&summary), (10, 2, 0), "read as lines after the blank ones: {summary}");
}

#[test]
fn an_unchanged_compressed_file_is_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let path = dir.path().join("a.jsonl.gz");
    std::fs::write(&path, gzip(&std::fs::read(fixture("audit/events.jsonl")).unwrap())).unwrap();
    assert_eq!(ingest_json(&db, "audit", &[&path])["ingested"], 10);
    let again = ingest_json(&db, "audit", &[&path]);
    assert_eq!(
        (again["ingested"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(0)),
        "not even decompressed: {again}"
    );
    // A document too, and a grown file is read again (its new records only are new).
    let doc = dir.path().join("list.json");
    std::fs::copy(fixture("audit/eventlist.json"), &doc).unwrap();
    ingest_json(&db, "audit", &[&doc]);
    assert_eq!(ingest_json(&db, "audit", &[&doc])["duplicates"], 0);
}

#[test]
fn bad_records_past_the_cap_are_counted_not_stored_and_gc_collects_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let path = dir.path().join("garbage.jsonl");
    std::fs::write(&path, "x\n".repeat(3_000)).unwrap();
    let summary = ingest_json(&db, "audit", &[&path]);
    assert_eq!(summary["errors"], 3_000, "every bad record is counted: {summary}");
    let stored: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM ingest_errors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 1_001, "1,000 kept and one that says the rest were counted");
    let last = errors(&db).pop().unwrap();
    assert_eq!(last["kind"], "too-many-errors", "{last}");
    let out = run_ok(grantscope(&db).args(["--format", "json", "gc", "--retention-days", "0", "--dedupe-days", "0"]));
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["errors_deleted"], 1_001);
}

#[test]
fn a_gzip_that_fails_before_its_first_byte_is_an_error_not_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    // A gzip header, then junk: not one byte decompresses.
    let mut broken = gzip(b"x")[..10].to_vec();
    broken.extend(b"this is not deflate data at all");
    let path = dir.path().join("broken.json.gz");
    std::fs::write(&path, &broken).unwrap();
    // And a small CloudTrail file cut inside its first record.
    let trail = gzip(&std::fs::read(fixture("cloudtrail/s3-delivery.json")).unwrap());
    let cut = dir.path().join("cut.json.gz");
    std::fs::write(&cut, &trail[..trail.len() / 10]).unwrap();
    let summary = ingest_json(&db, "cloudtrail", &[&path, &cut]);
    assert_eq!(summary["errors"], 2, "{summary}");
    let kinds: Vec<Value> = errors(&db).iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, ["read-error", "read-error"], "{kinds:?}");
    assert_eq!(ingest_json(&db, "cloudtrail", &[&path, &cut])["errors"], 0, "recorded once");
}

#[test]
fn a_last_value_still_being_written_is_left_for_the_next_run() {
    // Values back to back (taken for a document: the first line is junk), the last one unfinished.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let events: Vec<String> =
        std::fs::read_to_string(fixture("audit/events.jsonl")).unwrap().lines().map(String::from).collect();
    let path = dir.path().join("growing.jsonl");
    let last = &events[events.len() - 1];
    let head = format!("# header\n{}\n{}", events[..events.len() - 1].join("\n"), &last[..last.len() / 2]);
    std::fs::write(&path, &head).unwrap();
    let first = ingest_json(&db, "audit", &[&path]);
    assert_eq!(
        (first["errors"].as_u64(), first["skipped_by_reason"]["incomplete-last-line"].as_u64()),
        (Some(1), Some(1)),
        "{first}"
    );
    std::fs::write(&path, format!("{head}{}\n", &last[last.len() / 2..])).unwrap();
    // (A small file that grew is read from its start again: ids and error rows dedupe.)
    ingest_json(&db, "audit", &[&path]);
    let kinds: Vec<Value> = errors(&db).iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, ["invalid-json"], "the header only, once; the unfinished event was never an error");
    assert_eq!(cluster_stats(&db, CLUSTER)["events"], 10, "every event, the finished one too");
}
