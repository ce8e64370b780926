//! Accepted risk through the real binary, on generated data whose break-glass role is unused on
//! purpose: `accept` appends it to an exceptions file, and then `findings`, `report` and
//! `remediate` set it apart; it comes back when the exception expires or the grant changes; a
//! malformed file names the entry; an entry that matches nothing is warned about.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

const BREAK_GLASS: &str = "eks-entry:arn:aws:iam::111122223333:role/break-glass";

fn json(db: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(grantscope(db).args(["--format", "json"]).args(args))).unwrap()
}

/// The break-glass entry's finding id.
fn break_glass_id(db: &Path) -> String {
    let found = json(db, &["findings"]);
    let f = found.as_array().unwrap().iter().find(|f| f["grant"] == BREAK_GLASS).expect("break-glass is a finding");
    f["id"].as_str().unwrap().to_string()
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_accepted_finding_is_set_apart_from_findings_report_and_remediation() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let file = dir.path().join("gitops/exceptions.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let f = file.to_str().unwrap();
    let id = break_glass_id(&db);
    let before = run_ok(grantscope(&db).args(["--format", "json", "report"]));
    let earlier = dir.path().join("week-49.json");
    std::fs::write(&earlier, &before).unwrap();

    // A reason no YAML writer may leave unquoted, an expiry a month ahead.
    let reason = "break-glass: assumed # only\nin an incident, \"by\" the on-call lead";
    let expires = civil(today() + 30);
    let out = run_ok(grantscope(&db).args(["accept", &id, "--reason", reason, "--owner", "platform-security"]).args([
        "--expires",
        &expires,
        "--exceptions",
        f,
    ]));
    assert!(out.contains(&format!("accepted {id} (unused-access-entry {BREAK_GLASS}) as entry 1 of {f}")), "{out}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("# Accepted risk for grantscope"), "{written}");
    assert!(written.contains(&format!("  - id: {id}\n    cluster: \"demo\"\n")), "{written}");

    // findings: the break-glass entry is gone from the list and the proof, and counted apart.
    let text = run_ok(grantscope(&db).args(["findings", "--exceptions", f]));
    assert!(!text.contains(BREAK_GLASS), "{text}");
    assert!(text.contains("1 accepted (--show-accepted to list)"), "{text}");
    assert!(text.contains("all 4 recommendations applied together"), "its removal is no longer proposed: {text}");
    let shown = run_ok(grantscope(&db).args(["findings", "--show-accepted", "--exceptions", f]));
    assert!(shown.contains(&format!("{id} high   unused-access-entry ACCEPTED: {BREAK_GLASS}")), "{shown}");
    assert!(shown.contains("accepted by exception 1 (id): break-glass: assumed # only"), "{shown}");
    let open = json(&db, &["findings", "--exceptions", f]);
    assert!(!ids(&open).contains(&id.as_str()));
    let all = json(&db, &["findings", "--show-accepted", "--exceptions", f]);
    let accepted = all.as_array().unwrap().last().unwrap();
    assert_eq!(accepted["id"], id.as_str(), "accepted findings come last");
    assert_eq!(
        accepted["accepted"],
        serde_json::json!({"reason": reason, "owner": "platform-security", "expires": expires, "matched_by": "id", "entry": 1}),
        "the reason reads back exactly"
    );
    assert_eq!(schema_errors(dir.path(), &all.to_string(), Some("finding")), "");

    // report: counted apart, listed in its own section, newly accepted since last week's report.
    let since = earlier.to_str().unwrap();
    let r = json(&db, &["report", "--exceptions", f, "--since-report", since]);
    assert_eq!(schema_errors(dir.path(), &r.to_string(), None), "");
    assert_eq!(r["summary"]["findings"]["accepted"], 1);
    let was: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(
        r["summary"]["findings"]["high"].as_u64().unwrap() + 1,
        was["summary"]["findings"]["high"].as_u64().unwrap()
    );
    assert_eq!(ids(&r["accepted_findings"]), [id.as_str()]);
    assert!(!ids(&r["findings"]).contains(&id.as_str()) && !r["top_risks"].to_string().contains(&id));
    assert_eq!(r["summary"]["grants"]["unused"], 3, "the entry is still unused, only accepted");
    let change = &r["since_previous"];
    assert_eq!(ids(&change["newly_accepted"]), [id.as_str()], "{change}");
    assert!(ids(&change["resolved_findings"]).is_empty(), "accepted is not resolved: {change}");
    let md = run_ok(grantscope(&db).args(["report", "--exceptions", f]));
    assert!(md.contains("## Accepted risk") && md.contains("break-glass: assumed \\# only in an incident"), "{md}");
    let html = run_ok(grantscope(&db).args(["--format", "html", "report", "--exceptions", f]));
    assert!(html.contains("<h2>Accepted risk</h2>") && html.contains("&quot;by&quot;"), "escaped in HTML");

    // remediate: nothing for the accepted finding, in any format.
    let fix = json(&db, &["remediate", "--exceptions", f]);
    assert!(!ids(&fix["recommendations"]).contains(&id.as_str()), "{fix}");
    let script = run_ok(grantscope(&db).args(["remediate", "--exceptions", f]));
    assert!(!script.contains("role/break-glass"), "{script}");

    // accept refuses what would accept nothing or twice, and a past expiry.
    let again = run_fails(grantscope(&db).args(["accept", &id, "--reason", "r", "--owner", "o", "--exceptions", f]));
    assert!(stderr(&again).contains(&format!("{id} is already accepted by entry 1 of {f}")), "{}", stderr(&again));
    let typo = run_fails(grantscope(&db).args([
        "accept",
        "GS-000000000000",
        "--reason",
        "r",
        "--owner",
        "o",
        "--exceptions",
        f,
    ]));
    assert!(stderr(&typo).contains("GS-000000000000 is not a finding of cluster demo now"), "{}", stderr(&typo));
    let past = civil(today());
    let late = run_fails(grantscope(&db).args([
        "accept",
        &id,
        "--reason",
        "r",
        "--owner",
        "o",
        "--expires",
        &past,
        "--exceptions",
        f,
    ]));
    assert!(stderr(&late).contains("is not after today"), "{}", stderr(&late));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written, "a refused accept writes nothing");
}

#[test]
fn an_exception_lapses_when_it_expires_or_the_grant_changes_and_the_finding_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let id = break_glass_id(&db);
    // The default file in the working directory, written by accept and read by findings.
    // The owner, not given, is the user running it.
    run_ok(grantscope(&db).current_dir(dir.path()).env("USER", "alice").args([
        "accept",
        &id,
        "--reason",
        "on purpose",
    ]));
    let file = dir.path().join("grantscope.exceptions.yaml");
    assert!(std::fs::read_to_string(&file).unwrap().contains("    owner: \"alice\"\n"));
    let open = |from: &Path| json(&db, &["findings", "--exceptions", from.to_str().unwrap()]);
    assert!(!ids(&open(&file)).contains(&id.as_str()), "accepted while the grant is as it was");
    let in_cwd = run_ok(grantscope(&db).current_dir(dir.path()).args(["findings"]));
    assert!(in_cwd.contains("1 accepted"), "the working directory's file is read by default: {in_cwd}");

    // The grant changes: the entry gains a Kubernetes group. The exception no longer matches.
    let state = std::fs::read_to_string(data.join("state.yaml")).unwrap();
    let from = "role/break-glass\n      accessPolicies:";
    assert!(state.contains(from));
    let changed = dir.path().join("changed.yaml");
    std::fs::write(
        &changed,
        state.replace(from, "role/break-glass\n      kubernetesGroups: [incident]\n      accessPolicies:"),
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&changed));
    let back = open(&file);
    let f = back.as_array().unwrap().iter().find(|f| f["id"] == id.as_str()).expect("the finding is back");
    let why = f["lapsed_exception"]["why"].as_str().unwrap();
    assert!(why.starts_with(&format!("the grant changed since it was accepted on {}", civil(today()))), "{why}");
    let text = run_ok(grantscope(&db).current_dir(dir.path()).args(["findings"]));
    assert!(text.contains("no longer accepted by exception 1: the grant changed since"), "{text}");

    // Written by hand, by id alone: it holds until its expiry day, then the finding is back.
    let by_hand = dir.path().join("by-hand.yaml");
    for (expires, accepted) in [(civil(today() + 1), true), (civil(today()), false)] {
        std::fs::write(
            &by_hand,
            format!("exceptions:\n  - id: {id}\n    reason: on purpose\n    owner: sec\n    expires: {expires}\n"),
        )
        .unwrap();
        let found = open(&by_hand);
        assert_eq!(!ids(&found).contains(&id.as_str()), accepted, "expires {expires}");
        if !accepted {
            let f = found.as_array().unwrap().iter().find(|f| f["id"] == id.as_str()).unwrap();
            assert_eq!(f["lapsed_exception"]["why"], format!("exception expired on {expires}"));
        }
    }
}

#[test]
fn a_malformed_exceptions_file_names_the_entry_and_an_unmatched_entry_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let file = dir.path().join("exceptions.yaml");
    let f = file.to_str().unwrap();
    std::fs::write(
        &file,
        "exceptions:\n  - match: {kind: risky}\n    reason: r\n    owner: o\n  - id: GS-0123456789ab\n    reason: r\n    reasn: typo\n",
    )
    .unwrap();
    for command in ["findings", "report", "remediate"] {
        let out = run_fails(grantscope(&db).args([command, "--exceptions", f]));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("exceptions file {f}: entry 2 (id GS-0123456789ab): unknown field `reasn`")),
            "{command}: {err}"
        );
    }
    let missing = run_fails_with(grantscope(&db).args(["findings", "--exceptions", "nowhere.yaml"]), 4);
    assert!(stderr(&missing).contains("exceptions file nowhere.yaml"), "{}", stderr(&missing));

    std::fs::write(
        &file,
        "exceptions:\n  - id: GS-0123456789ab\n    reason: \"a finding since fixed\"\n    owner: o\n  - match: {principal: 'arn:aws:iam::*:role/break-glass'}\n    reason: r\n    owner: o\n",
    )
    .unwrap();
    let out = grantscope(&db).args(["findings", "--exceptions", f]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains(
            "exceptions: entry 1 (id GS-0123456789ab) matches no finding of cluster demo: the finding is gone or the entry is mistyped"
        ),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 accepted"), "the pattern accepts break-glass");
    let r = json(&db, &["report", "--exceptions", f]);
    assert_eq!(
        r["unmatched_exceptions"],
        serde_json::json!([{"entry": 1, "selector": "id GS-0123456789ab", "reason": "a finding since fixed"}])
    );
    assert_eq!(r["accepted_findings"][0]["accepted"]["matched_by"], "match");
}

#[test]
fn the_configured_exceptions_file_serves_the_one_shot_commands_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let file = dir.path().join("accepted.yaml");
    let f = file.to_str().unwrap();
    let id = break_glass_id(&db);
    run_ok(grantscope(&db).args(["accept", &id, "--reason", "sandbox", "--owner", "o", "--exceptions", f]));
    let config = dir.path().join("grantscope.toml");
    std::fs::write(&config, format!("[analysis]\nexceptions = {:?}\n", f)).unwrap();
    let c = config.to_str().unwrap();

    let from_config = json(&db, &["--config", c, "findings"]);
    assert!(!ids(&from_config).contains(&id.as_str()), "[analysis] exceptions of --config is read");
    let from_env =
        run_ok(grantscope(&db).env("GRANTSCOPE_ANALYSIS_EXCEPTIONS", f).args(["--format", "json", "findings"]));
    let from_env: Value = serde_json::from_str(&from_env).unwrap();
    assert!(!ids(&from_env).contains(&id.as_str()), "GRANTSCOPE_ANALYSIS_EXCEPTIONS is read");
    let without = json(&db, &["findings"]);
    assert!(ids(&without).contains(&id.as_str()), "no file, no exceptions");

    // --exceptions wins: an empty file given on the command line accepts nothing.
    let none = dir.path().join("none.yaml");
    std::fs::write(&none, "exceptions: []\n").unwrap();
    let flag = json(&db, &["--config", c, "findings", "--exceptions", none.to_str().unwrap()]);
    assert!(ids(&flag).contains(&id.as_str()), "--exceptions overrides [analysis] exceptions");
}
