//! The Grafana dashboards and Prometheus alert rules in dashboards/, checked against real parts:
//! `promtool` checks and unit-tests the rules; the dashboards are type-checked with
//! `@grafana/schema` and TypeScript; and a real Prometheus server scrapes a real `grantscope serve`
//! fed with generated data, then answers every PromQL expression of every panel and alert rule with
//! data. (Grafana itself has no server that runs here; its dashboard schema is what is checked.)

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use support::*;

fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards")
}

fn dashboards() -> Vec<(String, Value)> {
    ["grantscope-overview.json", "grantscope-cluster.json"]
        .iter()
        .map(|f| {
            (f.to_string(), serde_json::from_str(&std::fs::read_to_string(dashboards_dir().join(f)).unwrap()).unwrap())
        })
        .collect()
}

/// Every PromQL expression of a dashboard, with its variables given values.
fn panel_queries(d: &Value, cluster: &str) -> Vec<(String, String)> {
    d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap().to_string();
            p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |t| (title.clone(), t["expr"].as_str().unwrap().to_string()))
        })
        .map(|(title, expr)| (title, expr.replace("$cluster", cluster)))
        .collect()
}

/// Every alert rule's expression without its final threshold: what must return data for the rule
/// to be able to fire.
fn alert_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dashboards_dir().join("alerts.yml")).unwrap();
    let mut out = Vec::new();
    let mut name = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if let Some(n) = t.strip_prefix("- alert: ") {
            name = n.to_string();
        } else if let Some(e) = t.strip_prefix("expr: ") {
            let mut expr = e.trim_start_matches('|').trim().to_string();
            while lines.peek().is_some_and(|l| l.starts_with("          ")) {
                expr.push(' ');
                expr.push_str(lines.next().unwrap().trim());
            }
            let threshold = without_threshold(&expr);
            out.push((name.clone(), threshold));
        }
    }
    out
}

/// `expr > 0.2` → `expr` (the comparison at the end, with its number).
fn without_threshold(expr: &str) -> String {
    let trimmed = expr.trim();
    for op in [" == ", " != ", " >= ", " <= ", " > ", " < "] {
        if let Some((head, tail)) = trimmed.rsplit_once(op)
            && tail.trim().parse::<f64>().is_ok()
        {
            return head.trim().to_string();
        }
    }
    trimmed.to_string()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The result vector of an instant query.
fn query(port: u16, expr: &str) -> Vec<Value> {
    let (status, body) = get(port, &format!("/api/v1/query?query={}", url_encode(expr))).expect("Prometheus answers");
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(status, 200, "{expr}: {body}");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn alert_rules_pass_promtool_and_their_unit_tests() {
    for args in [&["check", "rules", "alerts.yml"][..], &["test", "rules", "alerts.test.yml"][..]] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(dashboards_dir())
            .output()
            .expect("promtool: run ./scripts/setup");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn dashboards_type_check_against_the_grafana_schema() {
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node");
    assert!(node.join("node_modules/.bin/tsc").exists(), "run ./scripts/setup");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(node.join("node_modules"), dir.path().join("node_modules")).unwrap();
    let mut files = Vec::new();
    for (name, d) in dashboards() {
        let ts = dir.path().join(name.replace(".json", ".ts"));
        std::fs::write(
            &ts,
            format!("import type {{ Dashboard }} from '@grafana/schema';\nexport const d: Dashboard = {d};\n"),
        )
        .unwrap();
        files.push(ts);
        // Panel ids unique; every query goes to the dashboard's data-source variable.
        let ids: Vec<i64> = d["panels"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{name}: panel ids repeat");
        for p in d["panels"].as_array().unwrap() {
            assert_eq!(p["datasource"]["uid"], "${datasource}", "{name}: {}", p["title"]);
            for t in p["targets"].as_array().unwrap() {
                assert_eq!(t["datasource"]["uid"], "${datasource}", "{name}: {}", p["title"]);
            }
        }
        let vars: Vec<&str> =
            d["templating"]["list"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert_eq!(vars, ["datasource", "cluster"], "{name}");
    }
    let tsc = |files: &[PathBuf]| {
        Command::new(node.join("node_modules/.bin/tsc"))
            .args([
                "--noEmit",
                "--strict",
                "--moduleResolution",
                "bundler",
                "--module",
                "esnext",
                "--target",
                "es2022",
                "--skipLibCheck",
            ])
            .args(files)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = tsc(&files);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The check is not a rubber stamp: a panel with a misspelt field fails it.
    let bad = dir.path().join("bad.ts");
    std::fs::write(&bad, "import type { Dashboard } from '@grafana/schema';\nexport const d: Dashboard = {title: 'x', panels: [{id: 1, type: 'stat', titel: 'typo'}]};\n").unwrap();
    assert!(!tsc(&[bad]).status.success(), "a misspelt field must fail the check");
}

#[test]
fn every_panel_and_alert_query_returns_data_from_a_real_prometheus_scraping_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let serve_port = free_port();
    // Two quick asks for a free port can get the same one back.
    let prom_port = std::iter::repeat_with(free_port).find(|p| *p != serve_port).unwrap();
    let config = serve_config(dir.path(), &db, serve_port, "");
    let _serve =
        Killed(grantscope(&db).arg("--config").arg(&config).arg("serve").stderr(Stdio::null()).spawn().unwrap());
    wait_for(90, "serve ready", || {
        get(serve_port, "/readyz").filter(|(s, b)| *s == 200 && b.contains("\"ready\":true"))
    });
    let prom_config = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: grantscope\n    static_configs: [{{targets: ['127.0.0.1:{serve_port}']}}]\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus: run ./scripts/setup"),
    );
    // Enough scrapes for rate() and delta() over them: the target is up, with five samples.
    wait_for(60, "five scrapes", || {
        // Ready means 200; a 503 while it starts (or anything else on the port) is waited out.
        get(prom_port, "/-/ready").filter(|(s, _)| *s == 200)?;
        let r = query(prom_port, "count_over_time(grantscope_build_info[1m])");
        r.first().and_then(|s| s["value"][1].as_str()?.parse::<f64>().ok()).filter(|n| *n >= 5.0)
    });
    let mut empty = Vec::new();
    for (name, d) in dashboards() {
        for (title, expr) in panel_queries(&d, "demo") {
            if query(prom_port, &expr).is_empty() {
                empty.push(format!("{name} / {title}: {expr}"));
            }
        }
    }
    let alerts = alert_queries();
    assert!(alerts.len() >= 8, "every rule of alerts.yml is found: {alerts:?}");
    for (name, expr) in alerts {
        if query(prom_port, &expr).is_empty() {
            empty.push(format!("alert {name}: {expr}"));
        }
    }
    assert!(empty.is_empty(), "queries without data:\n{}", empty.join("\n"));
    // And the exposition itself is clean by Prometheus' own linter.
    let (_, metrics) = get(serve_port, "/metrics").unwrap();
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    lint.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
    let out = lint.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
