//! `grantscope paths` and the `escalation-path` findings through the real binary: an EKS Edit
//! association in one namespace reaches cluster-admin through a service account bound to it (by
//! impersonation and by creating pods), a View association reaches nothing, and the cut is the
//! grant on the path that was never used.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

const EDITOR: &str = "arn:aws:iam::111122223333:role/editor";
const VIEWER: &str = "arn:aws:iam::111122223333:role/viewer";

/// Two entries (Edit on `apps`, View everywhere) and a service account of `apps` bound to
/// cluster-admin, as `--state F` arguments.
fn state_args(dir: &Path) -> Vec<std::ffi::OsString> {
    let p = "arn:aws:eks::aws:cluster-access-policy";
    let eksctl = format!(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {{name: c}}\naccessConfig:\n  authenticationMode: API\n  accessEntries:\n\
         \x20 - principalARN: {EDITOR}\n    accessPolicies: [{{policyARN: {p}/AmazonEKSEditPolicy, accessScope: {{type: namespace, namespaces: [apps]}}}}]\n\
         \x20 - principalARN: {VIEWER}\n    accessPolicies: [{{policyARN: {p}/AmazonEKSViewPolicy, accessScope: {{type: cluster}}}}]\n"
    );
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: deployer-admin}\n\
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
                subjects: [{kind: ServiceAccount, name: deployer, namespace: apps}]\n";
    let files = [dir.join("cluster.yaml"), dir.join("rbac.yaml")];
    std::fs::write(&files[0], eksctl).unwrap();
    std::fs::write(&files[1], rbac).unwrap();
    files.iter().flat_map(|f| ["--state".into(), f.clone().into_os_string()]).collect()
}

#[test]
fn an_edit_association_reaches_cluster_admin_through_a_service_account_and_view_reaches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let files = state_args(dir.path());
    let out = grantscope(&db).args(["--format", "json", "paths"]).args(&files).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "paths found: exit 1: {}", String::from_utf8_lossy(&out.stderr));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = e["paths"].as_array().unwrap();
    let admin: Vec<&Value> = paths.iter().filter(|p| p["from"] == EDITOR && p["to"] == "cluster-admin").collect();
    let first_steps: Vec<&str> = admin.iter().map(|p| p["steps"][0]["edge"].as_str().unwrap()).collect();
    assert!(first_steps.contains(&"impersonate") && first_steps.contains(&"create-pods"), "{first_steps:?}");
    for p in &admin {
        let steps = p["steps"].as_array().unwrap();
        assert_eq!(steps[0]["grant"], format!("eks:{EDITOR}:AmazonEKSEditPolicy@ns:apps"));
        assert_eq!(steps[0]["to"], "serviceaccount:apps/deployer");
        assert_eq!(steps.last().unwrap()["edge"], "holds");
        assert_eq!(steps.last().unwrap()["grant"], "rbac:ClusterRoleBinding/deployer-admin:ClusterRole/cluster-admin");
    }
    assert!(paths.iter().all(|p| p["from"] != VIEWER), "View reaches nothing");
    assert_eq!(e["blast_radius"][VIEWER]["capabilities"], serde_json::json!([]));
    assert_eq!(e["blast_radius"][VIEWER]["identities"], 0, "View becomes no one");
    assert!(
        e["blast_radius"][EDITOR]["reachable"]
            .as_array()
            .unwrap()
            .contains(&Value::from("serviceaccount:apps/deployer"))
    );

    // Filters, and the graph for Graphviz.
    let mut only = grantscope(&db);
    only.args(["--format", "json", "paths", "--from", VIEWER]).args(&files);
    let none: Value = serde_json::from_slice(&only.output().unwrap().stdout).unwrap();
    assert_eq!(none["paths"], serde_json::json!([]));
    let dot =
        grantscope(&db).args(["--format", "dot", "paths", "--to", "cluster-admin"]).args(&files).output().unwrap();
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(dot.starts_with("digraph escalation {") && dot.contains("[label=\"impersonate\"]"), "{dot}");
    let bad = run_fails(grantscope(&db).args(["paths", "--to", "root"]).args(&files));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--to root: expected one of cluster-admin"));
}

/// On the generated cluster, ci-deployer's Edit association (used) in payments meets a service
/// account there bound to cluster-admin (never used): the finding cuts the unused binding.
#[test]
fn the_escalation_finding_cuts_the_grant_that_was_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let rbac = dir.path().join("deployer.yaml");
    std::fs::write(
        &rbac,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: payments-deployer-admin}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
         subjects: [{kind: ServiceAccount, name: deployer, namespace: payments}]\n",
    )
    .unwrap();
    run_ok(
        grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(data.join("state.yaml")).arg(&rbac),
    );
    let findings: Vec<Value> = serde_json::from_str(&run_ok(grantscope(&db).args([
        "--format",
        "json",
        "findings",
        "--cluster",
        "demo",
        "--kind",
        "escalation-path",
    ])))
    .unwrap();
    let ci = findings
        .iter()
        .find(|f| f["principal"] == "arn:aws:iam::111122223333:role/ci-deployer")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(ci["severity"], "high");
    assert_eq!(ci["grant"], "rbac:ClusterRoleBinding/payments-deployer-admin:ClusterRole/cluster-admin", "{ci:#}");
    let summary = ci["recommendation"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("can become cluster-admin")
            && summary.contains("allowed nothing in the 20 days observed of the 90-day window"),
        "{summary}"
    );

    // Pods and impersonation on the path: CIS EKS 4.1.4 and 4.1.8; cluster-admin: 4.1.1.
    let controls: Vec<&str> = ci["controls"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(controls.contains(&"cis-eks-4.1.1") && controls.contains(&"nsa-cisa-rbac"), "{controls:?}");
    let by_control: Vec<Value> = serde_json::from_str(&run_ok(grantscope(&db).args([
        "--format",
        "json",
        "findings",
        "--cluster",
        "demo",
        "--control",
        "4.1.1",
    ])))
    .unwrap();
    assert!(by_control.iter().any(|f| f["id"] == ci["id"]), "--control 4.1.1 finds it");
    assert!(by_control.iter().all(|f| f["controls"].as_array().unwrap().contains(&Value::from("cis-eks-4.1.1"))));
    let bad = run_fails(grantscope(&db).args(["findings", "--control", "9.9.9"]));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--control 9.9.9: expected one of cis-eks-4.1.1"));
    let out = grantscope(&db)
        .args(["paths", "--cluster", "demo", "--from", "arn:aws:iam::111122223333:role/ci-deployer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("never used") && text.contains("the cheapest, safest cut"), "{text}");
}
