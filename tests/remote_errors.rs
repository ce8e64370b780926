//! Errors that teach: when an AWS or Kubernetes API cannot be used, the real binary says so in one
//! short line naming what was tried and what to set, exits 6 (remote) — or, when what failed is
//! local (a kubeconfig that is not there 4, one that cannot be read 5, a context it lacks or
//! `--in-cluster` outside a pod 2), as for any other file or flag — and shows the whole of the
//! error only with `-v`. No credentials (the default chain, IMDS off, IMDS refusing, a hostile
//! profile name), an unreachable or malformed endpoint, no region, an expired session and an
//! unknown key (moto, through `tests/support/moto_ext.py`'s fault injection), a missing kubeconfig,
//! an unreachable Kubernetes API, `--in-cluster` outside a pod and a refused EKS token (a fake
//! Kubernetes API, `tests/support/fake_kube_api.py`: no API server can run here). The daemon's
//! `/readyz` and log carry the same line.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use support::*;

/// The binary with no setting of the test's environment: only `PATH`, and `HOME` an empty
/// directory (no `~/.aws`, no `~/.kube`).
fn bare(db: &Path, home: &Path) -> Command {
    let mut cmd = grantscope(db);
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap()).env("HOME", home);
    cmd
}

/// Runs `cmd`, which must fail as remote (6) with one line on stderr, shorter than 300 characters,
/// with no raw control character, saying each of `says`. Returns the line.
fn one_line(cmd: Command, says: &[&str]) -> String {
    one_line_exiting(cmd, 6, says)
}

/// [`one_line`], for a failure that exits with `code`.
fn one_line_exiting(mut cmd: Command, code: i32, says: &[&str]) -> String {
    let out = run_fails_with(&mut cmd, code);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr.strip_suffix('\n').unwrap_or(&stderr);
    assert!(!line.contains('\n'), "one line: {stderr}");
    assert!(line.starts_with("grantscope: "), "{line}");
    assert!(line.chars().count() < 300, "{} characters: {line}", line.chars().count());
    assert!(!line.contains('\u{1b}'), "no raw ESC: {line}");
    for s in says {
        assert!(line.contains(s), "says {s:?}: {line}");
    }
    line.to_string()
}

/// Runs `cmd` with `-v`: the same failure (exiting `code`), and its detail under it (each of
/// `detail`).
fn with_detail(mut cmd: Command, code: i32, line: &str, detail: &[&str]) {
    let out = run_fails_with(cmd.arg("-v"), code);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().any(|l| l == line), "the same line with -v:\n{stderr}");
    for d in detail {
        assert!(stderr.contains(d), "-v shows {d:?}:\n{stderr}");
        assert!(!line.contains(d), "only -v shows {d:?}: {line}");
    }
}

const CLOUDWATCH: [&str; 6] = ["ingest", "cloudwatch", "--cluster", "prod", "--region", "eu-west-1"];

#[test]
fn missing_aws_credentials_say_what_the_chain_tried_and_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let chain = ["no AWS credentials: tried environment (AWS_ACCESS_KEY_ID)", "web identity (IRSA)"];
    let more = ["Pod Identity/ECS", "instance metadata", "set AWS_PROFILE or AWS_ACCESS_KEY_ID"];
    let says: Vec<&str> = chain.iter().chain(&more).copied().collect();
    let no_imds = || {
        let mut cmd = bare(&db, dir.path());
        cmd.env("AWS_EC2_METADATA_DISABLED", "true").args(CLOUDWATCH);
        cmd
    };
    let line = one_line(no_imds(), &says);
    assert!(line.contains("profile (AWS_PROFILE, ~/.aws/credentials)"), "{line}");
    with_detail(no_imds(), 6, &line, &["WebIdentityToken", "IMDS disabled by AWS_EC2_METADATA_DISABLED"]);

    // Instance metadata on, but nothing answering there (a laptop): the chain still found nothing.
    let mut imds_refused = bare(&db, dir.path());
    imds_refused.env("AWS_EC2_METADATA_SERVICE_ENDPOINT", format!("http://127.0.0.1:{}", free_port()));
    imds_refused.args(CLOUDWATCH);
    assert_eq!(one_line(imds_refused, &says), line);

    // The profile named is said, and a name from the environment cannot act on the terminal.
    let mut hostile = no_imds();
    hostile.env("AWS_PROFILE", "dev\u{1b}[2J");
    one_line(hostile, &["profile dev\\u{1b}[2J (~/.aws/credentials)"]);
}

#[test]
fn state_sync_without_aws_credentials_says_so_for_its_eks_part() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    let kube = FakeKube::start(&dir.path().join("fixtures"), &dir.path().join("tls"), &["--token", "t"]);
    let kubeconfig = dir.path().join("kubeconfig");
    kube.kubeconfig(&kubeconfig, "t");
    let mut cmd = bare(&dir.path().join("g.db"), dir.path());
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["state", "sync", "--cluster", "prod", "--region", "eu-west-1", "--kubeconfig"])
        .arg(&kubeconfig);
    let line = one_line(cmd, &["state sync of prod stored nothing: no AWS credentials: tried environment"]);
    assert!(!line.contains("Kubernetes"), "the Kubernetes part was read: {line}");
}

#[test]
fn an_unusable_aws_endpoint_or_region_is_named_with_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let keyed = || {
        let mut cmd = bare(&db, dir.path());
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "s")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    };
    let closed = format!("http://127.0.0.1:{}", free_port());
    let unreachable = || {
        let mut cmd = keyed();
        cmd.env("AWS_ENDPOINT_URL", &closed).args(CLOUDWATCH);
        cmd
    };
    let line = one_line(unreachable(), &[&format!("cannot reach {closed} (connection refused)"), "AWS_ENDPOINT_URL"]);
    with_detail(unreachable(), 6, &line, &["tcp connect error"]);

    // The service's own override wins over the general one, as the SDK resolves it.
    let logs_only = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = keyed();
    cmd.env("AWS_ENDPOINT_URL", &closed).env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &logs_only).args(CLOUDWATCH);
    one_line(cmd, &[&format!("cannot reach {logs_only} (connection refused)")]);

    let mut hostile = keyed();
    hostile.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9/\u{1b}[2J").args(CLOUDWATCH);
    one_line(hostile, &["the AWS endpoint http://127.0.0.1:9/\\u{1b}[2J", "is not a URL", "fix it or unset it"]);

    let mut no_region = keyed();
    no_region.args(["ingest", "cloudwatch", "--cluster", "prod"]);
    one_line(no_region, &["no AWS region: pass --region", "AWS_REGION"]);
}

#[test]
fn expired_or_unknown_credentials_say_how_to_renew_them() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let cloudwatch = || {
        let mut cmd = bare(&db, dir.path());
        moto.aws_env(&mut cmd);
        cmd.args(CLOUDWATCH);
        cmd
    };
    moto.fault("FilterLogEvents", 2, "ExpiredTokenException");
    let line = one_line(
        cloudwatch(),
        &["the AWS session token has expired (ExpiredTokenException)", "refresh the credentials (aws sso login"],
    );
    with_detail(cloudwatch(), 6, &line, &["ServiceError"]);
    assert_eq!(moto.calls("FilterLogEvents").len(), 2, "an expired session is not retried");

    moto.fault("FilterLogEvents", 1, "UnrecognizedClientException");
    one_line(cloudwatch(), &["AWS refused the credentials (UnrecognizedClientException)", "AWS_ACCESS_KEY_ID"]);
}

const CLUSTER: &str = r#"
import boto3, sys
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-west-1")
eks.create_cluster(name="prod", roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={},
                   accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
"#;

#[test]
fn kubernetes_failures_name_what_was_tried_and_what_to_do() {
    let moto = Moto::start();
    moto.boto3(CLUSTER, &[]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    let kube = FakeKube::start(&dir.path().join("fixtures"), &dir.path().join("tls"), &["--eks-token", "prod"]);
    let sync = |extra: &[&str]| {
        let mut cmd = bare(&db, dir.path());
        moto.aws_env(&mut cmd);
        cmd.args(["state", "sync", "--cluster", "prod", "--region", "eu-west-1"]).args(extra);
        cmd
    };
    let stored_nothing = "state sync of prod stored nothing: ";

    // What is missing here is local, so the exit code is a file's or the command's, not remote.
    let mut from_env = sync(&[]);
    from_env.env("KUBECONFIG", "/nope/config");
    let line = one_line_exiting(
        from_env,
        4,
        &[&format!("{stored_nothing}no kubeconfig at /nope/config (from KUBECONFIG); set KUBECONFIG or --kubeconfig")],
    );
    let mut again = sync(&[]);
    again.env("KUBECONFIG", "/nope/config");
    with_detail(again, 4, &line, &["NotFound"]);
    let given = ["no kubeconfig at /nope/given (--kubeconfig)", "--eks-token"];
    one_line_exiting(sync(&["--kubeconfig", "/nope/given"]), 4, &given);
    let default = dir.path().join(".kube/config");
    let tried = format!("no kubeconfig: KUBECONFIG is not set and {} does not exist", default.display());
    one_line_exiting(sync(&[]), 4, &[&tried]);
    one_line_exiting(sync(&["--in-cluster"]), 2, &["not running in a pod (KUBERNETES_SERVICE_HOST"]);
    // Under a file, so it cannot be read (a permission would not stop root).
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "").unwrap();
    let unreadable = a_file.join("kubeconfig");
    one_line_exiting(sync(&["--kubeconfig", unreadable.to_str().unwrap()]), 5, &["failed to read kubeconfig"]);

    let closed = format!("https://127.0.0.1:{}", free_port());
    let kubeconfig = dir.path().join("closed-kubeconfig");
    let config = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": closed, "certificate-authority-data": kube.ca_data()}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    });
    std::fs::write(&kubeconfig, config.to_string()).unwrap();
    let line = one_line(
        sync(&["--kubeconfig", kubeconfig.to_str().unwrap()]),
        &[&format!("cannot reach the Kubernetes API at {closed}/ (connection refused)")],
    );
    with_detail(sync(&["--kubeconfig", kubeconfig.to_str().unwrap()]), 6, &line, &["ConnectionRefused"]);
    let no_context = sync(&["--kubeconfig", kubeconfig.to_str().unwrap(), "--context", "nope"]);
    one_line_exiting(no_context, 2, &["failed to load current context: nope"]);

    // An EKS token the API server refuses (expired, or an identity it does not map).
    let endpoint = json!({"name": "prod", "endpoint": kube.url(), "certificateAuthority": kube.ca_data()});
    moto.post("/moto-ext/eks/cluster", endpoint);
    kube.fail_with(401);
    one_line(
        sync(&["--eks-token"]),
        &[
            &format!("{stored_nothing}the Kubernetes API at {}/ refused the EKS token (401 Unauthorized)", kube.url()),
            "it expired, or the IAM identity has no access entry or aws-auth mapping",
        ],
    );
    kube.fail_with(0);

    // The EKS part's session expired, and with it the endpoint the EKS token mode needs.
    moto.fault("DescribeCluster", 1, "ExpiredTokenException");
    let line = one_line(sync(&["--eks-token"]), &[&format!("{stored_nothing}the AWS session token has expired")]);
    assert!(line.contains("--eks-token needs the endpoint"), "the token needs DescribeCluster: {line}");
}

#[test]
fn the_daemon_says_the_same_line_in_readyz_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let port = free_port();
    let config = dir.path().join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[[clusters]]\nname = \"prod\"\nregion = \"eu-west-1\"\n\
             [clusters.cloudwatch]\npoll_seconds = 1\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    let mut cmd = bare(&db, dir.path());
    cmd.env("AWS_EC2_METADATA_DISABLED", "true").arg("--config").arg(&config).arg("serve");
    let mut daemon =
        cmd.stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap()).spawn().expect("serve starts");
    let failure = wait_for(60, "/readyz to report the cloudwatch source", || {
        let (_, body) = get(port, "/readyz")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        v["clusters"]["prod"]["sources"]["cloudwatch"]["error"].as_object().cloned()
    });
    let _ = Command::new("kill").args(["-TERM", &daemon.id().to_string()]).status();
    wait_for(10, "serve to stop", || daemon.try_wait().unwrap());
    assert_eq!(failure["class"], "aws");
    let message = failure["message"].as_str().unwrap();
    assert!(message.starts_with("no AWS credentials: tried environment (AWS_ACCESS_KEY_ID)"), "{message}");

    let mut cli = bare(&dir.path().join("cli.db"), dir.path());
    cli.env("AWS_EC2_METADATA_DISABLED", "true").args(CLOUDWATCH);
    assert_eq!(one_line(cli, &[]), format!("grantscope: {message}"), "the CLI and the daemon say the same");

    let log = std::fs::read_to_string(&log).unwrap();
    let said: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"].as_str().is_some_and(|m| m.contains(message)))
        .collect();
    assert!(!said.is_empty(), "the log carries the line:\n{log}");
    assert!(!log.contains("ProviderChainError") && !log.contains("DispatchFailure"), "no SDK dump:\n{log}");
}
