//! Exit codes by the kind of failure, with the real binary and a real database: usage 2, not found
//! 4 (a kubeconfig too), I/O 5, data 7. The remote class (6) is asserted where an AWS API fails against moto:
//! `tests/cloudwatch.rs` (a missing log group, access denied), `tests/state_sync.rs` and
//! `tests/remote_errors.rs` (no credentials, unreachable endpoints, expired sessions, kubeconfig).

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

fn command(db: &Path, args: &[&str]) -> Command {
    let mut c = grantscope(db);
    c.args(args);
    c
}

#[test]
fn each_kind_of_failure_exits_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "c"]).arg(fixture("state/rbac.yaml")));
    let newer = dir.path().join("newer.db");
    ingest_audit(&newer, &[&fixture("audit/events.jsonl")]);
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "not a directory\n").unwrap();
    let under_a_file = a_file.join("state.json");
    let missing_input = dir.path().join("nope.jsonl");
    // No AWS credentials either (and no network): the EKS part fails too, and the kubeconfig, which
    // no retry will bring, decides the code.
    let mut no_kubeconfig = command(&db, &["state", "sync", "--cluster", "c", "--region", "eu-west-1"]);
    no_kubeconfig.arg("--kubeconfig").arg(dir.path().join("nope-kubeconfig"));
    no_kubeconfig.env_clear().env("HOME", dir.path()).env("AWS_EC2_METADATA_DISABLED", "true");
    let cases: Vec<(&str, Command, i32, &str)> = vec![
        ("a misspelt flag is usage", command(&db, &["stats", "--clustr", "c"]), 2, "--clustr"),
        (
            "an unknown kind of finding is usage",
            command(&db, &["findings", "--kind", "unused"]),
            2,
            "not a kind of finding",
        ),
        ("a --to no capability has is usage", command(&db, &["paths", "--to", "root"]), 2, "--to root"),
        (
            "a missing input file is not found",
            command(&db, &["ingest", "audit", "--cluster", "c", missing_input.to_str().unwrap()]),
            4,
            "nope.jsonl",
        ),
        (
            "a missing kubeconfig is not found, not remote, even when the EKS part failed too",
            no_kubeconfig,
            4,
            "no kubeconfig at",
        ),
        ("a missing database is not found", command(&dir.path().join("none.db"), &["stats"]), 4, "no such database"),
        (
            "a state version never stored is not found",
            command(&db, &["state", "show", "--cluster", "c", "--version", "9"]),
            4,
            "cluster c has no state version 9",
        ),
        (
            "a file that cannot be written is I/O",
            command(&db, &["state", "export", "--cluster", "c", "--out", under_a_file.to_str().unwrap()]),
            5,
            "a-file/state.json",
        ),
        ("a database from a newer grantscope is data", command(&newer, &["stats"]), 7, "newer grantscope"),
    ];
    for (name, mut cmd, code, says) in cases {
        let out = cmd.output().expect("binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: the error names what failed: {stderr}");
    }
}
