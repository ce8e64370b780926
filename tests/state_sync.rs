//! `grantscope state sync` against moto (EKS with the access-entry extension in
//! `tests/support/moto_ext.py`) and a fake Kubernetes API (`tests/support/fake_kube_api.py`: no
//! API server can run here; it serves the RBAC lists and aws-auth from fixture YAML in the real
//! JSON shapes, over TLS with its own CA).

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

const ACCOUNT: &str = "123456789012";

/// The cluster, its entries (105: more than one page) and their policies, made with boto3.
const CREATE: &str = r#"
import boto3, sys
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-west-1")
eks.create_cluster(name="prod", roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={},
                   accessConfig={"authenticationMode": "API_AND_CONFIG_MAP",
                                 "bootstrapClusterCreatorAdminPermissions": False})
P = "arn:aws:eks::aws:cluster-access-policy/"
def entry(arn, policies=(), **kw):
    eks.create_access_entry(clusterName="prod", principalArn=arn, **kw)
    for policy, scope in policies:
        eks.associate_access_policy(clusterName="prod", principalArn=arn, policyArn=P + policy, accessScope=scope)
entry("arn:aws:iam::123456789012:role/platform-admin", [("AmazonEKSClusterAdminPolicy", {"type": "cluster"})])
entry("arn:aws:iam::123456789012:role/teams/dev", [("AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["dev"]}),
      ("AmazonEKSViewPolicy", {"type": "cluster"})], kubernetesGroups=["devs"], username="dev-{{SessionName}}")
entry("arn:aws:iam::123456789012:user/alice", [("AmazonEKSViewPolicy", {"type": "namespace", "namespaces": ["dev", "staging"]})])
for i in range(102):
    entry(f"arn:aws:iam::123456789012:role/filler-{i:03}", kubernetesGroups=["fillers"])
"#;

/// The same access configuration as eksctl would write it.
fn eksctl_yaml() -> String {
    let p = "arn:aws:eks::aws:cluster-access-policy";
    let mut lines = vec![
        "apiVersion: eksctl.io/v1alpha5".to_string(),
        "kind: ClusterConfig".into(),
        "metadata: {name: prod, region: eu-west-1}".into(),
        "accessConfig:".into(),
        "  authenticationMode: API_AND_CONFIG_MAP".into(),
        "  accessEntries:".into(),
        format!("  - principalARN: arn:aws:iam::{ACCOUNT}:role/platform-admin"),
        format!("    accessPolicies: [{{policyARN: {p}/AmazonEKSClusterAdminPolicy, accessScope: {{type: cluster}}}}]"),
        format!("  - principalARN: arn:aws:iam::{ACCOUNT}:role/teams/dev"),
        "    kubernetesGroups: [devs]".into(),
        "    kubernetesUsername: \"dev-{{SessionName}}\"".into(),
        "    accessPolicies:".into(),
        format!("    - {{policyARN: {p}/AmazonEKSViewPolicy, accessScope: {{type: cluster}}}}"),
        format!("    - {{policyARN: {p}/AmazonEKSEditPolicy, accessScope: {{type: namespace, namespaces: [dev]}}}}"),
        format!("  - principalARN: arn:aws:iam::{ACCOUNT}:user/alice"),
        format!(
            "    accessPolicies: [{{policyARN: {p}/AmazonEKSViewPolicy, accessScope: {{type: namespace, namespaces: [dev, staging]}}}}]"
        ),
    ];
    for i in 0..102 {
        lines.push(format!(
            "  - {{principalARN: arn:aws:iam::{ACCOUNT}:role/filler-{i:03}, kubernetesGroups: [fillers]}}"
        ));
    }
    lines.join("\n") + "\n"
}

/// RBAC and aws-auth as kubectl would print them: an aggregated ClusterRole, bindings (520 of
/// them in `team-*` namespaces: more than one page of 500), aws-auth.
fn rbac_yaml() -> String {
    let mut y = String::from(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: widgets-view, labels: {rbac.authorization.k8s.io/aggregate-to-view: \"true\"}}\n\
         rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list]}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: dev}\n\
         rules: [{apiGroups: [apps], resources: [deployments], verbs: [get, patch]}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: devs-deploy, namespace: dev}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\nsubjects: [{kind: Group, name: devs}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops-admin}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: ops}]\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n\
         \x20   - rolearn: arn:aws:iam::123456789012:role/ops\n      username: ops-{{SessionName}}\n      groups: [ops]\n",
    );
    for i in 0..520 {
        y.push_str(&format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: view, namespace: team-{i:03}}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: team-{i:03}}}]\n"
        ));
    }
    y
}

struct Setup {
    moto: Moto,
    kube: FakeKube,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(auth: &[&str]) -> Setup {
        let moto = Moto::start();
        moto.boto3(CREATE, &[]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
        std::fs::write(dir.path().join("fixtures/rbac.yaml"), rbac_yaml()).unwrap();
        let kube = FakeKube::start(&dir.path().join("fixtures"), &dir.path().join("tls"), auth);
        kube.kubeconfig(&dir.path().join("kubeconfig"), "s3cret");
        Setup { moto, kube, dir }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("g.db")
    }

    fn sync(&self, extra: &[&str]) -> std::process::Command {
        let mut cmd = grantscope(&self.db());
        self.moto.aws_env(&mut cmd);
        cmd.args(["--format", "json", "state", "sync", "--cluster", "prod", "--region", "eu-west-1"]).args(extra);
        cmd
    }

    fn sync_ok(&self) -> Value {
        let kubeconfig = self.dir.path().join("kubeconfig");
        serde_json::from_str(&run_ok(&mut self.sync(&["--kubeconfig", kubeconfig.to_str().unwrap()]))).unwrap()
    }

    fn boto3(&self, script: &str) {
        let prelude = "import boto3, sys\neks = boto3.client('eks', endpoint_url=sys.argv[1], region_name='eu-west-1')\nP = 'arn:aws:eks::aws:cluster-access-policy/'\n";
        self.moto.boto3(&format!("{prelude}{script}"), &[]);
    }
}

/// The stored state without the times only the EKS API knows (creation and association times).
fn exported_state(db: &Path) -> Value {
    let mut snapshot: Value =
        serde_json::from_str(&run_ok(grantscope(db).args(["state", "export", "--cluster", "prod"]))).unwrap();
    for e in snapshot["state"]["access_entries"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("created_at_ms");
        for p in e["policies"].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("associated_at_ms");
        }
    }
    snapshot["state"].clone()
}

fn diff_lines(outcome: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for (kind, changes) in outcome["diff"].as_object().into_iter().flatten() {
        for (what, items) in changes.as_object().into_iter().flatten() {
            for item in items.as_array().unwrap() {
                lines.push(format!("{kind} {what} {}", item.as_str().unwrap()));
            }
        }
    }
    lines.sort();
    lines
}

#[test]
fn sync_builds_the_state_the_equivalent_files_give_and_stores_only_changes() {
    let s = Setup::new(&["--token", "s3cret"]);
    let first = s.sync_ok();
    assert_eq!((first["version"].as_i64(), first["created"].as_bool()), (Some(1), Some(true)), "{first}");
    assert!(first["parts"].as_array().unwrap().iter().all(|p| p["fresh"] == true), "{first}");
    assert!(first["requests"]["DescribeAccessEntry"]["ok"].as_u64() == Some(105), "{}", first["requests"]);
    assert!(first["requests"]["ListAccessEntries"]["ok"].as_u64() >= Some(2), "paged: {}", first["requests"]);
    let lists = s.kube.requests().iter().filter(|r| r["path"].as_str().unwrap().ends_with("/rolebindings")).count();
    assert_eq!(lists, 2, "520 RoleBindings come in two pages of 500");

    // The same configuration as files: eksctl YAML and the same kubectl YAML.
    let files_db = s.dir.path().join("files.db");
    let eksctl = s.dir.path().join("eksctl.yaml");
    std::fs::write(&eksctl, eksctl_yaml()).unwrap();
    run_ok(
        grantscope(&files_db)
            .args(["state", "import", "--cluster", "prod"])
            .arg(&eksctl)
            .arg(s.dir.path().join("fixtures/rbac.yaml")),
    );
    assert_eq!(exported_state(&s.db()), exported_state(&files_db), "live sync == eksctl + kubectl files");

    let unchanged = s.sync_ok();
    assert_eq!((unchanged["version"].as_i64(), unchanged["created"].as_bool()), (Some(1), Some(false)));
    assert!(unchanged.get("diff").is_none(), "{unchanged}");

    // One change on each side: a policy narrowed, an entry deleted, a binding removed.
    s.boto3(
        "eks.associate_access_policy(clusterName='prod', principalArn='arn:aws:iam::123456789012:role/platform-admin', \
         policyArn=P + 'AmazonEKSClusterAdminPolicy', accessScope={'type': 'namespace', 'namespaces': ['ops']})\n\
         eks.delete_access_entry(clusterName='prod', principalArn='arn:aws:iam::123456789012:role/filler-007')\n",
    );
    let rbac = rbac_yaml().replace(
        "kind: ClusterRoleBinding\nmetadata: {name: ops-admin}",
        "kind: ClusterRoleBinding\nmetadata: {name: ops-admin-gone}",
    );
    std::fs::write(s.dir.path().join("fixtures/rbac.yaml"), rbac).unwrap();
    let second = s.sync_ok();
    assert_eq!((second["version"].as_i64(), second["created"].as_bool()), (Some(2), Some(true)));
    assert_eq!(
        diff_lines(&second),
        [
            "access_entries removed arn:aws:iam::123456789012:role/filler-007 (STANDARD) groups [fillers]",
            "access_policies changed arn:aws:iam::123456789012:role/platform-admin AmazonEKSClusterAdminPolicy: cluster -> ns:ops",
            "bindings added ClusterRoleBinding ops-admin-gone -> ClusterRole cluster-admin for [Group ops]",
            "bindings removed ClusterRoleBinding ops-admin -> ClusterRole cluster-admin for [Group ops]",
        ]
    );
}

#[test]
fn an_unreachable_kubernetes_api_keeps_rbac_and_still_syncs_eks() {
    let s = Setup::new(&["--token", "s3cret"]);
    s.sync_ok();
    s.kube.fail_with(503);
    s.boto3("eks.create_access_entry(clusterName='prod', principalArn='arn:aws:iam::123456789012:role/newcomer')\n");
    let kubeconfig = s.dir.path().join("kubeconfig");
    let out = s.sync(&["--kubeconfig", kubeconfig.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a stale part is an error");
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["version"], 2, "the EKS change is stored: {outcome}");
    assert_eq!(diff_lines(&outcome), ["access_entries added arn:aws:iam::123456789012:role/newcomer (STANDARD)"]);
    let kube = outcome["parts"].as_array().unwrap().iter().find(|p| p["part"] == "kubernetes").unwrap().clone();
    assert_eq!(kube["fresh"], false);
    assert!(kube["error"].as_str().unwrap().contains("503"), "{kube}");
    assert!(kube["kept_from"].is_string(), "{kube}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the kubernetes part of prod is stale"), "{stderr}");
    let state = exported_state(&s.db());
    assert!(state["bindings"].as_array().unwrap().iter().any(|b| b["name"] == "ops-admin"), "RBAC kept");
    let shown = run_ok(grantscope(&s.db()).args(["state", "show", "--cluster", "prod"]));
    assert!(shown.contains("kubernetes: last read") && shown.contains("FAILED"), "{shown}");
}

#[test]
fn the_eks_token_mode_reaches_the_api_server_describe_cluster_names() {
    let s = Setup::new(&["--eks-token", "prod"]);
    s.moto.post(
        "/moto-ext/eks/cluster",
        serde_json::json!({"name": "prod", "endpoint": s.kube.url(), "certificateAuthority": s.kube.ca_data()}),
    );
    let outcome: Value = serde_json::from_str(&run_ok(&mut s.sync(&["--eks-token"]))).unwrap();
    assert_eq!(outcome["version"], 1, "{outcome}");
    let requests = s.kube.requests();
    assert!(!requests.is_empty() && requests.iter().all(|r| r["authorized"] == true), "{requests:?}");
    let state = exported_state(&s.db());
    assert!(state["bindings"].as_array().unwrap().iter().any(|b| b["name"] == "devs-deploy"));
}

#[test]
fn aws_errors_are_one_line_naming_api_resource_and_permission() {
    let s = Setup::new(&["--token", "s3cret"]);
    let kubeconfig = s.dir.path().join("kubeconfig");
    let kc = kubeconfig.to_str().unwrap();
    let line = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(6), "an AWS error");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        stderr.lines().filter(|l| l.starts_with("grantscope:")).collect::<Vec<_>>().join("\n")
    };
    let mut unknown = grantscope(&s.db());
    s.moto.aws_env(&mut unknown);
    unknown.args(["state", "sync", "--cluster", "nope", "--region", "eu-west-1", "--kubeconfig", kc]);
    let l = line(unknown.output().unwrap());
    assert!(
        l.contains("eks:DescribeCluster on nope: ResourceNotFoundException")
            && l.contains("needs eks:DescribeCluster on the cluster; does the cluster exist in this region?"),
        "{l}"
    );
    s.moto.fault("ListAccessEntries", 1, "AccessDeniedException");
    let l = line(s.sync(&["--kubeconfig", kc]).output().unwrap());
    assert!(
        l.contains("eks:ListAccessEntries on prod: AccessDeniedException")
            && l.contains("needs eks:ListAccessEntries on the cluster; the credentials' IAM policy does not grant it"),
        "{l}"
    );
    assert!(!l.contains('\n'), "one line: {l}");
}

#[test]
fn the_timeline_says_who_changed_access_when_and_what_the_versions_saw() {
    let s = Setup::new(&["--token", "s3cret"]);
    let first = s.sync_ok();
    assert_eq!(first["version"], 1);
    // CloudTrail records the re-association (who and when); the entry deletion and the RBAC change
    // are seen only by the next sync.
    s.boto3(
        "eks.associate_access_policy(clusterName='prod', principalArn='arn:aws:iam::123456789012:role/platform-admin', \
         policyArn=P + 'AmazonEKSClusterAdminPolicy', accessScope={'type': 'namespace', 'namespaces': ['ops']})\n\
         eks.delete_access_entry(clusterName='prod', principalArn='arn:aws:iam::123456789012:role/filler-007')\n",
    );
    // CloudTrail times have whole seconds: the call is in the second after version 1.
    let call_ms = (now_ms() / 1000 + 1) * 1000;
    let actor = "arn:aws:sts::123456789012:assumed-role/platform-admin/alice@example.com";
    s.moto.post(
        "/moto-ext/cloudtrail/events",
        serde_json::json!([{
            "eventTime": grantscope::model::time::format_rfc3339(call_ms).replace(".000Z", "Z"),
            "eventSource": "eks.amazonaws.com", "eventName": "AssociateAccessPolicy", "awsRegion": "eu-west-1",
            "eventID": "7d1c0f3e-0000-4000-8000-000000000001",
            "userIdentity": {"type": "AssumedRole", "arn": actor},
            "requestParameters": {"name": "prod", "principalArn": "arn:aws:iam::123456789012:role/platform-admin",
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "namespace", "namespaces": ["ops"]}}
        }]),
    );
    let rbac = rbac_yaml().replace("metadata: {name: ops-admin}", "metadata: {name: ops-admin-gone}");
    std::fs::write(s.dir.path().join("fixtures/rbac.yaml"), rbac).unwrap();
    wait_for(5, "the clock to pass the call", || (now_ms() > call_ms).then_some(()));
    let mut ingest = grantscope(&s.db());
    s.moto.aws_env(&mut ingest);
    run_ok(ingest.args(["ingest", "cloudtrail", "--live", "--region", "eu-west-1", "--since", "1d"]));
    assert_eq!(s.sync_ok()["version"], 2);

    let out: Value =
        serde_json::from_str(&run_ok(grantscope(&s.db()).args(["--format", "json", "timeline", "--cluster", "prod"])))
            .unwrap();
    let changes = out["changes"].as_array().unwrap();
    let find = |kind: &str| changes.iter().find(|c| c["kind"] == kind).unwrap_or_else(|| panic!("{kind}: {out}"));
    let associated = find("policy-associated");
    assert_eq!(
        associated["what"],
        "arn:aws:iam::123456789012:role/platform-admin AmazonEKSClusterAdminPolicy @ ns:ops"
    );
    assert_eq!((associated["who"].as_str(), associated["session"].as_str()), (Some(actor), Some("alice@example.com")));
    assert_eq!(associated["state_version"], 2, "the version that saw it");
    assert!(
        changes.iter().all(|c| c["kind"] != "policy-scope-changed"),
        "the call explains the scope change: shown once"
    );
    let deleted = find("entry-deleted");
    assert!(deleted["what"].as_str().unwrap().starts_with("arn:aws:iam::123456789012:role/filler-007"));
    assert!(deleted.get("who").is_none() && deleted["state_version"] == 2, "{deleted}");
    assert!(find("binding-removed")["what"].as_str().unwrap().starts_with("ClusterRoleBinding ops-admin ->"));
    assert!(find("binding-added")["what"].as_str().unwrap().starts_with("ClusterRoleBinding ops-admin-gone ->"));

    let text = run_ok(grantscope(&s.db()).args(["timeline", "--cluster", "prod"]));
    assert!(text.contains(&format!("by {actor}")) && text.contains("not in CloudTrail"), "{text}");
}
