//! The Helm chart (deploy/helm/grantscope): `helm lint` and `helm template` with the default values
//! and the example; every rendered manifest valid by `kubernetes-validate --strict` (the Prometheus
//! Operator objects, whose schemas it does not have, checked for what they must hold); and the
//! chart's own RBAC loaded by grantscope, which confirms it can list RBAC and read aws-auth but not
//! read secrets. helm and kubernetes-validate come from scripts/setup; no API server runs here.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn helm(args: &[&str]) -> String {
    let bin = root().join(".tools/bin/helm");
    assert!(bin.exists(), "helm is missing: run ./scripts/setup");
    let out = Command::new(bin).args(args).current_dir(root()).output().unwrap();
    assert!(
        out.status.success(),
        "helm {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The chart rendered, one JSON value per manifest.
fn render(values: Option<&str>) -> Vec<Value> {
    let mut args = vec!["template", "gs", "deploy/helm/grantscope", "--namespace", "grantscope"];
    if let Some(v) = values {
        args.extend(["-f", v]);
    }
    let text = helm(&args);
    serde_saphyr::from_multiple::<Value>(&text).unwrap().into_iter().filter(|d| !d.is_null()).collect()
}

fn write_yaml(dir: &Path, name: &str, docs: &[&Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = docs.iter().map(|d| format!("---\n{}\n", serde_json::to_string(d).unwrap())).collect();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_chart_lints_renders_and_validates_with_default_and_example_values() {
    let dir = tempfile::tempdir().unwrap();
    for values in [None, Some("deploy/helm/examples/values-example.yaml")] {
        let mut lint = vec!["lint", "deploy/helm/grantscope"];
        if let Some(v) = values {
            lint.extend(["-f", v]);
        }
        helm(&lint);
        let docs = render(values);
        let (operator, core): (Vec<&Value>, Vec<&Value>) =
            docs.iter().partition(|d| d["apiVersion"].as_str().unwrap().starts_with("monitoring.coreos.com/"));
        let file = write_yaml(dir.path(), "core.yaml", &core);
        let check = validator("kubernetes-validate").args(["--strict", "-k", "1.33"]).arg(&file).output().unwrap();
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success() && !said.contains("WARN") && !said.contains("ERROR"), "{values:?}: {said}");
        assert_eq!(said.matches("passed").count(), core.len(), "every manifest validated: {said}");

        let kind = |k: &str| docs.iter().filter(|d| d["kind"] == k).collect::<Vec<_>>();
        let deployment = kind("Deployment")[0];
        assert_eq!(deployment["spec"]["replicas"], 1);
        assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate", "one writer per database");
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(container["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert_eq!(deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], true);
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
        // The rendered configuration is one grantscope accepts.
        let config = kind("ConfigMap").into_iter().find(|c| c["data"]["grantscope.toml"].is_string()).unwrap();
        let toml = dir.path().join("grantscope.toml");
        std::fs::write(&toml, config["data"]["grantscope.toml"].as_str().unwrap()).unwrap();
        let checked: Value = serde_json::from_str(&run_ok(
            grantscope(&dir.path().join("g.db"))
                .arg("--config")
                .arg(&toml)
                .args(["--format", "json", "config", "check"]),
        ))
        .unwrap();
        assert_eq!(checked["server"]["listen"], "0.0.0.0:9464");

        if values.is_some() {
            let sa = kind("ServiceAccount")[0];
            assert_eq!(
                sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                "arn:aws:iam::111122223333:role/grantscope"
            );
            assert_eq!(checked["clusters"][0]["name"], "prod");
            // The Prometheus Operator objects carry the alert rules and scrape the metrics port.
            let rule = operator.iter().find(|d| d["kind"] == "PrometheusRule").expect("a PrometheusRule");
            let alerts: Vec<&str> = rule["spec"]["groups"][0]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["alert"].as_str().unwrap())
                .collect();
            let rules =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/alerts.yml")).unwrap();
            let expected: Vec<&str> = rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect();
            assert_eq!(alerts, expected, "the chart carries dashboards/alerts.yml's rules");
            assert!(alerts.contains(&"GrantscopeAgreementLow"));
            let monitor = operator.iter().find(|d| d["kind"] == "ServiceMonitor").expect("a ServiceMonitor");
            assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
            // The dashboards, for Grafana's sidecar.
            let dashboards =
                kind("ConfigMap").iter().filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1").count();
            assert_eq!(dashboards, 2);
        } else {
            assert!(operator.is_empty(), "off by default");
        }
    }
}

#[test]
fn the_chart_s_own_rbac_reads_rbac_and_aws_auth_but_not_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let docs = render(None);
    let rbac: Vec<&Value> =
        docs.iter().filter(|d| d["apiVersion"].as_str().unwrap().starts_with("rbac.authorization.k8s.io/")).collect();
    assert_eq!(rbac.len(), 4, "ClusterRole, ClusterRoleBinding, Role, RoleBinding");
    let file = write_yaml(dir.path(), "rbac.yaml", &rbac);
    let db = dir.path().join("g.db");
    let can = |verb: &str, resource: &str, extra: &[&str]| -> i32 {
        grantscope(&db)
            .args(["explain", "--cluster", "c", "--state"])
            .arg(&file)
            .args(["--user", "system:serviceaccount:grantscope:gs-grantscope"])
            .args(["--group", "system:serviceaccounts", "--group", "system:serviceaccounts:grantscope"])
            .args([verb, resource])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    };
    let rbac_group = ["--api-group", "rbac.authorization.k8s.io"];
    let cases = [
        ("list cluster role bindings", can("list", "clusterrolebindings", &rbac_group), 0),
        ("watch roles in any namespace", can("watch", "roles", &rbac_group), 0),
        ("get aws-auth", can("get", "configmaps", &["-n", "kube-system", "--name", "aws-auth"]), 0),
        (
            "get another ConfigMap of kube-system",
            can("get", "configmaps", &["-n", "kube-system", "--name", "coredns"]),
            1,
        ),
        ("read secrets", can("get", "secrets", &["-n", "kube-system", "--name", "x"]), 1),
        ("list secrets", can("list", "secrets", &[]), 1),
        ("change a binding", can("update", "clusterrolebindings", &rbac_group), 1),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
}
