//! Helpers shared by the integration tests: run the real binary against a real SQLite file.

#![allow(dead_code)] // each test crate uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const CLUSTER: &str = "fixture-cluster";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_grantscope")
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// The binary with `--db` set and no inherited grantscope environment.
pub fn grantscope(db: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--db").arg(db);
    for var in grantscope::serve::config::ENVIRONMENT.into_iter().chain(["RUST_LOG", "AWS_REGION"]) {
        c.env_remove(var);
    }
    c
}

/// Runs and asserts success, returning stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("binary runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs and asserts exit code 2 (a usage error: the flag, argument, config or input is wrong),
/// returning the output.
pub fn run_fails(cmd: &mut Command) -> Output {
    run_fails_with(cmd, 2)
}

/// Runs and asserts the exit code of a failure (the README's Commands section lists them),
/// returning the output.
pub fn run_fails_with(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "{cmd:?} should fail with {code}; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `ingest audit --cluster fixture-cluster --format json FILE...` → the summary object.
pub fn ingest_audit(db: &Path, files: &[&Path]) -> Value {
    let out = run_ok(grantscope(db).args(["--format", "json", "ingest", "audit", "--cluster", CLUSTER]).args(files));
    serde_json::from_str(&out).expect("JSON summary")
}

pub fn ingest_cloudtrail(db: &Path, files: &[&Path]) -> Value {
    let out = run_ok(grantscope(db).args(["--format", "json", "ingest", "cloudtrail"]).args(files));
    serde_json::from_str(&out).expect("JSON summary")
}

/// `stats --format json`.
pub fn stats(db: &Path) -> Value {
    serde_json::from_str(&run_ok(grantscope(db).args(["--format", "json", "stats"]))).expect("JSON stats")
}

pub fn cluster_stats(db: &Path, cluster: &str) -> Value {
    stats(db)["clusters"][cluster].clone()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Generates `days` of data ending yesterday, ingests it and imports its state. Returns the data dir.
pub fn cluster_with_data(dir: &Path, days: u32) -> PathBuf {
    let db = dir.join("g.db");
    let data = dir.join("data");
    let end = civil(today() - 1);
    run_ok(
        grantscope(&db)
            .args(["-q", "generate", "--events", "20000", "--days", &days.to_string(), "--end", &end, "--out"])
            .arg(&data),
    );
    run_ok(grantscope(&db).args(["-q", "ingest", "audit", "--cluster", "demo"]).arg(data.join("audit.jsonl")));
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(data.join("state.yaml")));
    data
}

/// Unix milliseconds, from the system clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Days since the epoch, UTC, from the system clock.
pub fn today() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 86_400
}

/// A day number as YYYY-MM-DD.
pub fn civil(days: i64) -> String {
    grantscope::model::time::format_day(days)
}

/// A validator the project's setup installed into .tools/venv (kubernetes-validate, python).
pub fn validator(name: &str) -> Command {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin").join(name);
    assert!(path.exists(), "{} is missing: run ./scripts/setup", path.display());
    Command::new(path)
}

/// Validates `instance` against the report schema, or its `$defs/<def>`; returns the errors.
pub fn schema_errors(dir: &Path, instance: &str, def: Option<&str>) -> String {
    let file = dir.join("instance.json");
    std::fs::write(&file, instance).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    let script = "import json,sys,jsonschema\n\
        s=json.load(open(sys.argv[1])); jsonschema.Draft202012Validator.check_schema(s)\n\
        if sys.argv[3]: s={'$schema':s['$schema'],'$defs':s['$defs'],'type':'array','items':{'$ref':'#/$defs/'+sys.argv[3]}}\n\
        v=jsonschema.Draft202012Validator(s)\n\
        errs=['/'.join(map(str,e.absolute_path))+': '+e.message for e in v.iter_errors(json.load(open(sys.argv[2])))]\n\
        errs and print('\\n'.join(errs)); sys.exit(1 if errs else 0)";
    let out = validator("python").args(["-c", script]).arg(&schema).arg(&file).arg(def.unwrap_or("")).output().unwrap();
    assert!(out.status.code().is_some(), "validator ran");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `GET path` on localhost: (status, body), or None while nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    request(port, "GET", path, None)
}

/// One HTTP/1.1 request to 127.0.0.1 with an optional JSON body: (status, body).
pub fn request(port: u16, method: &str, path: &str, json: Option<&Value>) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    let body = json.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    // Bodies come chunked or with a length; both end with the connection here.
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Polls `check` every 100 ms until it gives a value or `secs` pass.
pub fn wait_for<T>(secs: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Polls `check` until it gives a value, as long as `progress` keeps changing: fails only after
/// `stall_secs` with no progress at all. For waits whose length grows with the machine's load (a
/// slow emulator answering many requests), where any fixed deadline would be a guess.
pub fn wait_while_progressing<T>(
    stall_secs: u64,
    what: &str,
    mut progress: impl FnMut() -> u64,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let stall = std::time::Duration::from_secs(stall_secs);
    let (mut last, mut since) = (progress(), std::time::Instant::now());
    loop {
        if let Some(v) = check() {
            return v;
        }
        let now = progress();
        if now != last {
            (last, since) = (now, std::time::Instant::now());
        }
        assert!(since.elapsed() < stall, "no progress in {stall_secs} s waiting for {what} (progress stuck at {last})");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Generated data for cluster `demo` in `dir/data` and a `serve` config following it on `port`,
/// assessing every second, plus `extra` TOML (more clusters). Returns the config's path.
pub fn serve_config(dir: &Path, db: &Path, port: u16, extra: &str) -> PathBuf {
    let data = dir.join("data");
    run_ok(grantscope(db).args(["-q", "generate", "--events", "5000", "--days", "20", "--out"]).arg(&data));
    let d = data.display();
    let config = dir.join("grantscope.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[analysis]\ninterval_seconds = 1\n\
             [[clusters]]\nname = \"demo\"\n[clusters.files]\naudit = [\"{d}/audit.jsonl\"]\ncloudtrail = [\"{d}/cloudtrail.json\"]\n\
             state = [\"{d}/state.yaml\"]\npoll_seconds = 1\n{extra}"
        ),
    )
    .unwrap();
    config
}

/// A moto server (the AWS API emulator setup installs into .tools/venv) on a free port, stopped on
/// drop, with `tests/support/moto_ext.py`: the EKS access-entry APIs, `accessConfig` and CloudTrail
/// LookupEvents that moto lacks, a call log and fault injection. Commands run against it through
/// [`Moto::aws_env`].
pub struct Moto {
    child: std::process::Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".tools/venv/bin/python");
        assert!(python.exists(), "{} is missing: run ./scripts/setup", python.display());
        let child = Command::new(python)
            .arg(root.join("tests/support/moto_ext.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut moto = Moto { child, port };
        // A cold start on a loaded machine takes what it takes; only an exit is a failure.
        wait_for(600, "moto to answer", || {
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto exited before answering: {status}");
            }
            get(port, "/moto-api/").map(|_| ())
        });
        moto
    }

    /// POSTs JSON to one of the extension's test routes, asserting success.
    pub fn post(&self, path: &str, body: Value) -> Value {
        let (status, text) = request(self.port, "POST", path, Some(&body)).expect("moto answers");
        assert!(status < 300, "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Makes the next `count` calls of `operation` fail with AWS error `code`.
    pub fn fault(&self, operation: &str, count: u32, code: &str) {
        self.fault_after(operation, 0, count, code);
    }

    /// Lets `after` calls of `operation` through, then makes `count` fail with AWS error `code`.
    pub fn fault_after(&self, operation: &str, after: u32, count: u32, code: &str) {
        let fault = serde_json::json!({"operation": operation, "after": after, "count": count, "code": code});
        self.post("/moto-ext/faults", fault);
    }

    pub fn clear_faults(&self) {
        request(self.port, "DELETE", "/moto-ext/faults", None).expect("moto answers");
    }

    /// Every call of `operation` so far, as the extension logged it (`time`, `fault`).
    pub fn calls(&self, operation: &str) -> Vec<Value> {
        let (_, text) = get(self.port, &format!("/moto-ext/calls?operation={operation}")).expect("moto answers");
        serde_json::from_str::<Value>(&text).unwrap()["calls"].as_array().unwrap().clone()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment an AWS SDK or CLI needs to talk to this server and nothing else.
    pub fn aws_env(&self, cmd: &mut Command) {
        cmd.env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
    }

    /// Runs a Python script with boto3 pointed at this server (`endpoint` is its first argument).
    pub fn boto3(&self, script: &str, args: &[&str]) -> String {
        let mut cmd = validator("python");
        self.aws_env(&mut cmd);
        cmd.env("AWS_DEFAULT_REGION", "us-east-1").args(["-c", script, &self.endpoint()]).args(args);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "boto3: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tests/support/fake_kube_api.py` over HTTPS with its own CA: no Kubernetes API server can run
/// here, so this stand-in serves the RBAC lists and the aws-auth ConfigMap from the fixture YAML in
/// `fixtures` (re-read on every request) in the real JSON shapes. `auth` is `--token T` or
/// `--eks-token CLUSTER`. Stopped on drop.
pub struct FakeKube {
    child: std::process::Child,
    pub port: u16,
    /// The CA's PEM, for kubeconfig's `certificate-authority-data` (base64 of it).
    pub ca_pem: String,
}

impl FakeKube {
    pub fn start(fixtures: &Path, tls_dir: &Path, auth: &[&str]) -> FakeKube {
        use std::io::BufRead;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(root.join(".tools/venv/bin/python"))
            .arg(root.join("tests/support/fake_kube_api.py"))
            .args(["--port", "0", "--fixtures"])
            .arg(fixtures)
            .arg("--tls-dir")
            .arg(tls_dir)
            .args(auth)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("ready ").and_then(|p| p.parse().ok()).expect("`ready PORT`");
        let ca_pem = std::fs::read_to_string(tls_dir.join("ca.crt")).unwrap();
        FakeKube { child, port, ca_pem }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// base64 of the CA PEM, as kubeconfig and DescribeCluster carry it.
    pub fn ca_data(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }

    /// A kubeconfig for this server with a static token.
    pub fn kubeconfig(&self, path: &Path, token: &str) {
        let config = serde_json::json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url(), "certificate-authority-data": self.ca_data()}}],
            "users": [{"name": "tester", "user": {"token": token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester"}}],
        });
        std::fs::write(path, config.to_string()).unwrap();
    }

    /// Makes every API request answer `status` (0: back to normal).
    pub fn fail_with(&self, status: u16) {
        let body = serde_json::json!({"status": status});
        let out = Command::new("curl")
            .args(["-sk", "-X", "POST", "--data", &body.to_string()])
            .arg(format!("{}/fake/fail", self.url()))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl /fake/fail");
    }

    /// Every request so far: `method`, `path`, `query`, `authorized`, `status`.
    pub fn requests(&self) -> Vec<Value> {
        let out = Command::new("curl").args(["-sk"]).arg(format!("{}/fake/requests", self.url())).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs to completion like `Command::output`, and also returns the child's peak resident memory in
/// bytes, as the kernel accounts it (`getrusage` of children). A small Python parent starts it: a
/// child started from the test process itself would be charged the test process's own memory,
/// which the kernel carries over from the parent across `exec`.
pub fn run_measured(cmd: &mut Command) -> (Output, u64) {
    const PARENT: &str = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:])\n\
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n\
        sys.stderr.write('\\nPEAK_RSS_KIB=%d\\n' % peak)\n\
        sys.exit(r.returncode)\n";
    let mut parent = Command::new("python3");
    parent.arg("-c").arg(PARENT).arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => parent.env(key, v),
            None => parent.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        parent.current_dir(dir);
    }
    let mut out = parent.output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let (before, peak) = text.rsplit_once("\nPEAK_RSS_KIB=").expect("the parent reports the peak");
    let kib: u64 = peak.trim().parse().unwrap();
    out.stderr = before.as_bytes().to_vec();
    (out, kib * 1024)
}

/// Runs the shell `script` for real against stand-ins for command-line `tools` (first on `PATH`),
/// asserting it succeeds, and returns each call the stand-ins received, in order, as its argv (the
/// tool first). Each call is kept in a file of its own under `dir/calls/`, NUL after each argument:
/// an argument may hold anything but NUL, line breaks included. A stand-in asked to `apply` reads
/// its input.
pub fn run_with_stand_ins(dir: &Path, script: &Path, tools: &[&str]) -> Vec<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("stub-bin");
    let calls = dir.join("calls");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&calls).unwrap();
    for tool in tools {
        let path = bin.join(tool);
        let body = format!(
            "#!/bin/sh\nn=$(($(cat \"{calls}/count\" 2>/dev/null || echo 0) + 1))\necho $n > \"{calls}/count\"\n\
             printf '%s\\0' \"{tool}\" \"$@\" > \"{calls}/$(printf %06d $n)\"\n[ \"$1\" = apply ] && cat > /dev/null\nexit 0\n",
            calls = calls.display()
        );
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = Command::new("sh").arg(script).env("PATH", format!("{}:/usr/bin:/bin", bin.display())).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&calls)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "count"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap();
            let args = bytes.strip_suffix(b"\0").unwrap_or(&bytes);
            args.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
        })
        .collect()
}
