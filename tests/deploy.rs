//! The deployment artefacts in deploy/: the IAM policy grants exactly the AWS operations the code
//! calls (read from the code and the SDK crates, not from a list kept by hand), the ECS task
//! definition is accepted by `RegisterTaskDefinition` (moto), the Dockerfile keeps its promises.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `filter_log_events` → `FilterLogEvents`.
fn pascal(snake: &str) -> String {
    snake.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect()
}

#[test]
fn the_iam_policy_grants_exactly_the_operations_the_code_calls() {
    // The SDK crates this build uses, and each one's operations (its src/operation/ modules).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--manifest-path"])
        .arg(root().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(meta.status.success(), "{}", String::from_utf8_lossy(&meta.stderr));
    let meta: Value = serde_json::from_slice(&meta.stdout).unwrap();
    let prefixes = [("aws-sdk-cloudwatchlogs", "logs"), ("aws-sdk-eks", "eks"), ("aws-sdk-cloudtrail", "cloudtrail")];
    let mut code = String::new();
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    for f in files {
        code.push_str(&std::fs::read_to_string(f).unwrap());
    }
    let mut called = BTreeSet::new();
    for (krate, service) in prefixes {
        let package = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == krate).expect(krate);
        let dir = Path::new(package["manifest_path"].as_str().unwrap()).parent().unwrap().join("src/operation");
        let mut ops = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if !p.is_dir() {
                continue;
            }
            ops += 1;
            let op = p.file_name().unwrap().to_str().unwrap().to_string();
            // A call is the client's fluent builder: `.operation()`.
            if code.contains(&format!(".{op}()")) {
                called.insert(format!("{service}:{}", pascal(&op)));
            }
        }
        assert!(ops > 10, "{krate}: its operations were found ({ops})");
    }
    assert!(called.contains("logs:FilterLogEvents"), "the extraction finds what the code calls: {called:?}");
    let policy: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("deploy/iam/grantscope-policy.json")).unwrap())
            .unwrap();
    let mut granted = BTreeSet::new();
    for s in policy["Statement"].as_array().unwrap() {
        assert_eq!(s["Effect"], "Allow");
        for a in s["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(!a.contains('*'), "no wildcard actions: {a}");
            granted.insert(a.to_string());
        }
        for r in s["Resource"].as_array().unwrap() {
            // The Service Authorization Reference lists no resource type for these: "*" only.
            let resource_less = ["cloudtrail:LookupEvents"];
            let only_resource_less =
                s["Action"].as_array().unwrap().iter().all(|a| resource_less.contains(&a.as_str().unwrap()));
            assert!(r != "*" || only_resource_less, "resources narrowed where the API allows: {s}");
        }
    }
    assert_eq!(granted, called, "the policy grants exactly what the code calls");
}

#[test]
fn the_ecs_task_definition_registers() {
    let moto = Moto::start();
    let path = root().join("deploy/ecs/task-definition.json");
    let out = moto.boto3(
        r#"
import boto3, json, sys
ecs = boto3.client("ecs", endpoint_url=sys.argv[1])
t = ecs.register_task_definition(**json.load(open(sys.argv[2])))["taskDefinition"]
c = t["containerDefinitions"][0]
print(json.dumps({"family": t["family"], "revision": t["revision"], "port": c["portMappings"][0]["containerPort"],
                  "health": c["healthCheck"]["command"], "volume": t["volumes"][0]["efsVolumeConfiguration"]["fileSystemId"]}))
"#,
        &[path.to_str().unwrap()],
    );
    let t: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (t["family"].as_str(), t["revision"].as_i64(), t["port"].as_i64()),
        (Some("grantscope"), Some(1), Some(9464))
    );
    assert!(t["health"][1].as_str().unwrap().contains("/healthz"));
}

#[test]
fn the_dockerfile_builds_locked_and_runs_unprivileged() {
    let d = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    for promise in
        ["--locked", "USER 10001", "EXPOSE 9464", "HEALTHCHECK", "/healthz", "VOLUME [\"/var/lib/grantscope\"]"]
    {
        assert!(d.contains(promise), "Dockerfile: {promise}");
    }
    assert!(d.lines().filter(|l| l.starts_with("FROM ")).count() == 2, "multi-stage");
}

#[test]
fn the_terraform_example_parses_and_uses_the_checked_policy_and_chart() {
    let dir = root().join("deploy/terraform");
    let script = "import hcl2,json,sys\nout={}\nfor f in sys.argv[1:]:\n    d=hcl2.load(open(f), serialization_options=hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False))\n    for k,v in d.items(): out.setdefault(k,[]).extend(v)\nprint(json.dumps(out))";
    let files: Vec<PathBuf> = ["versions.tf", "variables.tf", "main.tf"].iter().map(|f| dir.join(f)).collect();
    let out = validator("python").args(["-c", script]).args(&files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tf: Value = serde_json::from_slice(&out.stdout).unwrap();
    let resources: Vec<(String, Value)> = tf["resource"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let one = |kind: &str| -> Value {
        let found: Vec<&Value> = resources.iter().filter(|(k, _)| k == kind).map(|(_, v)| v).collect();
        assert_eq!(found.len(), 1, "{kind}");
        found[0].as_object().unwrap().values().next().unwrap().clone()
    };
    // The role's permissions are the policy file tests keep exact, not a copy of it.
    let policy = one("aws_iam_role_policy");
    assert!(policy["policy"].as_str().unwrap().contains("../iam/grantscope-policy.json"), "{policy}");
    assert!(dir.join("../iam/grantscope-policy.json").exists());
    // And the release installs the chart tests/helm.rs checks.
    let release = one("helm_release");
    let chart = release["chart"].as_str().unwrap().replace("${path.module}/", "");
    assert!(dir.join(&chart).join("Chart.yaml").exists(), "{chart}");
    for kind in ["aws_iam_role", "aws_eks_pod_identity_association", "aws_eks_access_entry"] {
        one(kind);
    }
    let providers = &tf["terraform"][0]["required_providers"][0]["aws"];
    assert_eq!(providers["version"], ">= 5.33", "access entries need the AWS provider 5.33: {providers}");
}
