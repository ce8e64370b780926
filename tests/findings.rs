//! Replay and findings on generated data with known answers: the generated cluster's state
//! (src/generate/state.yaml) plants a break-glass access entry and an old ClusterRoleBinding that no
//! generated request uses; everything else is used. Platform-admin holds cluster admin and
//! ci-deployer Edit for a handful of verbs that no smaller documented policy covers (writes, and
//! reads of nodes), and the auditor's cluster-wide View is used namespace by namespace.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

fn findings(db: &Path, extra: &[&str]) -> Vec<Value> {
    let out = run_ok(grantscope(db).args(["--format", "json", "findings"]).args(extra));
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
}

/// `replay --format json` on the default window.
fn replay_json(db: &Path) -> Value {
    serde_json::from_str(&run_ok(grantscope(db).args(["--format", "json", "replay"]))).unwrap()
}

fn kinds_and_grants(found: &[Value]) -> Vec<(String, String)> {
    found.iter().map(|f| (f["kind"].as_str().unwrap().to_string(), f["grant"].as_str().unwrap().to_string())).collect()
}

#[test]
fn findings_name_exactly_the_planted_over_grants() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let found: Vec<Value> = findings(&db, &[]).into_iter().filter(|f| f["kind"] != "risky").collect();
    assert_eq!(
        kinds_and_grants(&found),
        [
            ("unused-access-entry".to_string(), "eks-entry:arn:aws:iam::111122223333:role/break-glass".to_string()),
            (
                "overbroad-policy".to_string(),
                "eks:arn:aws:iam::111122223333:role/platform-admin:AmazonEKSClusterAdminPolicy@cluster".to_string()
            ),
            ("unused-rbac-binding".to_string(), "rbac:ClusterRoleBinding/old-contractors:ClusterRole/edit".to_string()),
            (
                "overbroad-policy".to_string(),
                "eks:arn:aws:iam::111122223333:role/ci-deployer:AmazonEKSEditPolicy@ns:payments,checkout".to_string()
            ),
            (
                "overbroad-scope".to_string(),
                "eks:arn:aws:iam::111122223333:role/readonly-auditor:AmazonEKSViewPolicy@cluster".to_string()
            ),
        ]
    );
    assert_eq!(found[0]["severity"], "high", "an unused cluster-admin entry");
    assert_eq!(
        found[0]["recommendation"]["commands"][0],
        "aws eks delete-access-entry --cluster-name demo --principal-arn arn:aws:iam::111122223333:role/break-glass"
    );
    assert_eq!(found[0]["evidence"]["observed_days"], 20);
    // What was observed, not the window: 20 days of events, not 90 days of evidence.
    assert!(
        found[0]["recommendation"]["summary"]
            .as_str()
            .unwrap()
            .contains("was allowed in the 20 days observed of the 90-day window: delete its access entry"),
        "{}",
        found[0]
    );
    // No documented policy below Edit allows ci-deployer's writes: generated RBAC, exactly what it did.
    let ci = found[3]["recommendation"]["summary"].as_str().unwrap();
    assert!(ci.contains("(8 rules: a Role in checkout, a Role in payments)"), "{ci}");
    // Platform-admin lists nodes (cluster-scoped) besides its namespaced work: a ClusterRole too.
    let admin = found[1]["recommendation"]["summary"].as_str().unwrap();
    assert!(admin.contains("a ClusterRole, a Role in argocd"), "{admin}");
    // The auditor read in every namespace but never cluster-wide; data-ingest and data-analytics
    // are the only data-* namespaces, so they compress to a wildcard (the scope goes as JSON, one
    // quoted word: no namespace can add a key, no shell can glob it).
    assert!(
        found[4]["recommendation"]["commands"][0].as_str().unwrap().ends_with(
            r#"--access-scope '{"namespaces":["argocd","checkout","data-*","default","kube-system","monitoring","payments"],"type":"namespace"}'"#
        ),
        "{}",
        found[4]
    );
    let text = run_ok(grantscope(&db).arg("findings"));
    assert!(
        text.contains("all 5 recommendations applied together: 0 of ")
            && text.contains("requests allowed in the 20 days observed of the 90-day window would be denied"),
        "the report proves the recommendations safe together: {text}"
    );
    let again = findings(&db, &[]);
    assert!(again.iter().any(|f| f["id"] == found[0]["id"]), "finding ids are stable");
    let only = findings(&db, &["--kind", "unused-rbac-binding"]);
    assert_eq!(only.len(), 1);
}

/// Edits the generated state; every edit must apply.
fn edited(data: &Path, edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(data.join("state.yaml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "state.yaml holds {from:?}");
        text = text.replace(from, to);
    }
    text
}

const BREAK_GLASS: &str = "    # A break-glass role nobody has used.\n    - principalARN: arn:aws:iam::111122223333:role/break-glass\n      accessPolicies:\n        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy\n          accessScope: {type: cluster}\n";
const AUDITOR_SCOPE: &str = "AmazonEKSViewPolicy\n          accessScope: {type: cluster}";
const OLD_CONTRACTORS: &str = "subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: contractors}]";

fn whatif(db: &Path, proposed: &Path) -> (Option<i32>, Value) {
    let out = grantscope(db).args(["--format", "json", "whatif", "--proposed"]).arg(proposed).output().unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn whatif_on_the_recommended_state_breaks_nothing_and_on_a_bad_change_names_what_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // Every recommendation applied.
    let recommended = dir.path().join("recommended.yaml");
    std::fs::write(
        &recommended,
        edited(&data, &[
            (BREAK_GLASS, ""),
            (AUDITOR_SCOPE, "AmazonEKSViewPolicy\n          accessScope: {type: namespace, namespaces: [argocd, checkout, data-*, default, kube-system, monitoring, payments]}"),
            (OLD_CONTRACTORS, "subjects: []"),
        ]),
    )
    .unwrap();
    let (code, report) = whatif(&db, &recommended);
    assert_eq!(
        (code, report["broken_requests"].as_i64()),
        (Some(0), Some(0)),
        "0 of N requests would be denied: {report}"
    );
    assert!(report["shapes"].as_u64().unwrap() > 100);
    // Recommending away the CI role's policy breaks exactly the CI role's requests.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        edited(
            &data,
            &[(
                "role/ci-deployer\n      accessPolicies:",
                "role/ci-deployer\n      kubernetesGroups: []\n      accessPolicies: []\n      x-unused:",
            )],
        ),
    )
    .unwrap();
    let (code, report) = whatif(&db, &bad);
    assert_eq!(code, Some(3), "{report}");
    let broken = report["allow_to_deny"].as_array().unwrap();
    assert!(!broken.is_empty());
    for b in broken {
        assert_eq!(b["principal"], "arn:aws:iam::111122223333:role/ci-deployer", "{b}");
        assert_eq!(
            b["was_allowed_by"],
            "eks:arn:aws:iam::111122223333:role/ci-deployer:AmazonEKSEditPolicy@ns:payments,checkout",
            "{b}"
        );
    }
    assert_eq!(report["deny_to_allow"].as_array().unwrap().len(), 0);
}

#[test]
fn a_cluster_admin_used_for_reads_gets_the_smallest_policy_that_covers_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // The auditor holds cluster admin: its reads of secrets and RBAC objects are now allowed too.
    let admin = dir.path().join("admin.yaml");
    std::fs::write(
        &admin,
        edited(
            &data,
            &[(
                "AmazonEKSViewPolicy\n          accessScope: {type: cluster}",
                "AmazonEKSClusterAdminPolicy\n          accessScope: {type: cluster}",
            )],
        ),
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&admin));
    let found: Vec<Value> = findings(&db, &["--kind", "overbroad-policy"])
        .into_iter()
        .filter(|f| f["principal"] == "arn:aws:iam::111122223333:role/readonly-auditor")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let commands = found[0]["recommendation"]["commands"].as_array().unwrap();
    assert!(
        commands[0]
            .as_str()
            .unwrap()
            .contains("--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"),
        "reads of secrets need AdminView, not View: {}",
        found[0]
    );
    assert!(commands[1].as_str().unwrap().starts_with("aws eks disassociate-access-policy"));
    // And it is safe: the state with AdminView instead breaks nothing.
    let narrowed = dir.path().join("narrowed.yaml");
    std::fs::write(
        &narrowed,
        edited(
            &data,
            &[(
                "AmazonEKSViewPolicy\n          accessScope: {type: cluster}",
                "AmazonEKSAdminViewPolicy\n          accessScope: {type: cluster}",
            )],
        ),
    )
    .unwrap();
    assert_eq!(whatif(&db, &narrowed).0, Some(0));
}

#[test]
fn a_binding_that_only_repeats_what_another_allows_is_shadowed() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // A cluster-wide view for data-readers: it decides first, so the two namespace RoleBindings
    // never decide anything again.
    let extra = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: data-readers-everywhere}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: data-readers}]\n";
    let wider = dir.path().join("wider.yaml");
    std::fs::write(&wider, edited(&data, &[]) + extra).unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&wider));
    let shadowed: Vec<String> =
        findings(&db, &["--kind", "shadowed-grant"]).iter().map(|f| f["grant"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        shadowed,
        [
            "rbac:RoleBinding/data-analytics/data-readers:ClusterRole/view",
            "rbac:RoleBinding/data-ingest/data-readers:ClusterRole/view"
        ]
    );
}

#[test]
fn too_few_observed_days_is_insufficient_evidence_never_unused() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 5);
    let found: Vec<Value> =
        findings(&dir.path().join("g.db"), &[]).into_iter().filter(|f| f["kind"] != "risky").collect();
    assert_eq!(found.len(), 2);
    for f in &found {
        assert_eq!(f["kind"], "insufficient-evidence", "{f}");
        assert!(f["would_be"].as_str().unwrap().starts_with("unused-"), "{f}");
        assert!(f["recommendation"]["commands"].as_array().unwrap().is_empty(), "nothing to run yet: {f}");
    }
    let lenient = findings(&dir.path().join("g.db"), &["--min-observed-days", "5"]);
    assert!(lenient.iter().any(|f| f["kind"] == "unused-access-entry"));
    assert_eq!(lenient.iter().filter(|f| f["kind"] == "insufficient-evidence").count(), 0);
}

#[test]
fn a_grant_created_inside_the_window_is_insufficient_evidence() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // CloudTrail says break-glass's entry was created ten days ago.
    let record = serde_json::json!({
        "eventVersion": "1.09", "eventID": "0f3c2b1a-0000-4000-8000-00000000b001",
        "eventTime": format!("{}T12:00:00Z", civil(today() - 10)),
        "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry", "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333",
        "requestParameters": {"name": "demo", "principalArn": "arn:aws:iam::111122223333:role/break-glass"}
    });
    let line = record.to_string();
    let path = dir.path().join("trail.jsonl");
    std::fs::write(&path, line + "\n").unwrap();
    run_ok(grantscope(&db).args(["-q", "ingest", "cloudtrail"]).arg(&path));
    let found = findings(&db, &[]);
    let glass = found.iter().find(|f| f["grant"].as_str().unwrap().ends_with("role/break-glass")).unwrap();
    assert_eq!(
        (glass["kind"].as_str(), glass["would_be"].as_str()),
        (Some("insufficient-evidence"), Some("unused-access-entry")),
        "{glass}"
    );
}

#[test]
fn replay_decides_only_what_is_new_or_reached_by_a_state_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let replay = || replay_json(&db);
    let first = replay();
    let shapes = first["shapes_evaluated"].as_u64().unwrap();
    assert!(shapes > 100, "{first}");
    assert_eq!(
        first["recorded_requests_agreeing"], first["recorded_requests_compared"],
        "the generated cluster's own state: {first}"
    );
    assert_eq!(replay()["shapes_evaluated"], 0, "nothing new");
    // A state change: drop the RBAC that lets data-team read; every shape is decided again.
    let state = std::fs::read_to_string(data.join("state.yaml")).unwrap().replace("name: data-readers, namespace: data-analytics", "name: data-readers-gone, namespace: data-analytics").replace("name: view}\n    subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: data-readers}]\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRoleBinding\n    metadata: {name: legacy-ops}", "name: missing-role}\n    subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: data-readers}]\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRoleBinding\n    metadata: {name: legacy-ops}");
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, state).unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&changed));
    let after = replay();
    let evaluated = after["shapes_evaluated"].as_u64().unwrap();
    assert_eq!(after["state_version"], 2, "{after}");
    assert!(evaluated > 0 && evaluated < shapes / 2, "only data-readers' shapes are decided again: {after}");
    assert_eq!(evaluated + after["shapes_carried"].as_u64().unwrap(), shapes, "the rest carry over: {after}");
    let compared = after["recorded_requests_compared"].as_i64().unwrap();
    let agreeing = after["recorded_requests_agreeing"].as_i64().unwrap();
    assert!(agreeing < compared, "data-team's reads in data-analytics are no longer allowed: {after}");
    // But every request was made while the first version held: at the time, all of them agree.
    let then = &after["at_the_time"];
    assert_eq!((then["agreeing"].as_i64(), then["compared"].as_i64()), (Some(compared), Some(compared)), "{after}");
    assert_eq!(then["excluded"], 0);
    // The incremental result is the full one: a fresh store with only the new state agrees.
    let fresh = dir.path().join("fresh.db");
    std::fs::copy(&db, &fresh).unwrap();
    let conn = rusqlite::Connection::open(&fresh).unwrap();
    conn.execute_batch(
        "DELETE FROM shape_decisions; DELETE FROM usage_buckets; DELETE FROM grant_usage; DELETE FROM replay_watermarks;
         DELETE FROM state_versions WHERE version = 1;",
    )
    .unwrap();
    drop(conn);
    let full: Value = serde_json::from_str(&run_ok(grantscope(&fresh).args(["--format", "json", "replay"]))).unwrap();
    assert_eq!(full["shapes_evaluated"].as_u64(), Some(shapes), "{full}");
    assert_eq!(
        (full["recorded_requests_compared"].as_i64(), full["recorded_requests_agreeing"].as_i64()),
        (Some(compared), Some(agreeing))
    );
    let usage = |db: &Path| -> Vec<(String, String, i64)> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut stmt = conn.prepare("SELECT grant_id, role, requests FROM grant_usage ORDER BY 1, 2").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(usage(&db), usage(&fresh), "grant usage after an incremental replay equals a full one");
}

#[test]
fn findings_without_a_stored_state_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    ingest_audit(&db, &[&fixture("audit/events.jsonl")]);
    let out = run_fails_with(grantscope(&db).arg("findings"), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("state import"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn risky_grants_are_reported_whether_used_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    run_ok(grantscope(&db).args(["-q", "ingest", "cloudtrail"]).arg(data.join("cloudtrail.json")));
    let risky = |db: &Path| -> Vec<(String, String)> {
        findings(db, &["--kind", "risky"])
            .iter()
            .map(|f| (f["grant"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        risky(&db),
        [
            // CloudTrail: data-team was deleted and re-created after its entry was made.
            ("eks-entry:arn:aws:iam::111122223333:role/data-team".to_string(), "high".to_string()),
            // edit lets its holders impersonate service accounts.
            ("rbac:ClusterRoleBinding/old-contractors:ClusterRole/edit".to_string(), "medium".to_string()),
            // legacy-ops still comes in through aws-auth next to access entries.
            ("aws-auth:mapUsers/arn:aws:iam::111122223333:user/legacy-ops".to_string(), "low".to_string()),
        ]
    );
    // A state with the classic risks: system:masters through aws-auth, mapAccounts, a principal of
    // another account, and the cluster creator's (platform-terraform, from CloudTrail) admin entry.
    let risks = "    - principalARN: arn:aws:iam::999988887777:role/vendor\n      accessPolicies:\n        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\n          accessScope: {type: cluster}\n    - principalARN: arn:aws:iam::111122223333:role/platform-terraform\n      accessPolicies:\n        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy\n          accessScope: {type: cluster}\n    # A break-glass role nobody has used.\n";
    let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/old-admin\n      username: old-admin\n      groups: [system:masters]\n  mapAccounts: |\n    - \"555566667777\"\n";
    let risky_state = dir.path().join("risky.yaml");
    std::fs::write(&risky_state, edited(&data, &[("    # A break-glass role nobody has used.\n", risks)]) + cm)
        .unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&risky_state));
    let found = findings(&db, &["--kind", "risky"]);
    let summary = |grant: &str| -> String {
        found
            .iter()
            .filter(|f| f["grant"] == grant)
            .map(|f| f["recommendation"]["summary"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(
        summary("aws-auth:mapRoles/arn:aws:iam::111122223333:role/old-admin").contains("system:masters"),
        "{found:?}"
    );
    assert!(
        summary("aws-auth:mapAccounts/555566667777").contains("every IAM principal of account 555566667777"),
        "{found:?}"
    );
    assert!(
        summary("eks-entry:arn:aws:iam::999988887777:role/vendor").contains("not the cluster's account 111122223333"),
        "{found:?}"
    );
    assert!(
        summary("eks-entry:arn:aws:iam::111122223333:role/platform-terraform").contains("cluster creator"),
        "{found:?}"
    );
}

#[test]
fn a_wide_replay_after_a_narrow_one_under_a_new_state_equals_a_full_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    // One data-team request seen only 15 days ago: its shape is outside a one-week window.
    let audit = std::fs::read_to_string(data.join("audit.jsonl")).unwrap();
    let line = audit
        .lines()
        .find(|l| l.contains("role/data-team") && l.contains("\"verb\":\"list\"") && l.contains("data-analytics"))
        .unwrap();
    let event: Value = serde_json::from_str(line).unwrap();
    let day = civil(today() - 15);
    let old = line
        .replace(event["auditID"].as_str().unwrap(), "00000000-0000-4000-8000-0000000000aa")
        .replace("\"resource\":\"pods\"", "\"resource\":\"endpoints\"")
        .replace(&event["requestReceivedTimestamp"].as_str().unwrap()[..10], &day)
        .replace(&event["stageTimestamp"].as_str().unwrap()[..10], &day);
    let old_file = dir.path().join("old.jsonl");
    std::fs::write(&old_file, old + "\n").unwrap();
    assert_eq!(ingest_audit_as(&db, "demo", &old_file)["ingested"], 1);
    let fresh = dir.path().join("fresh.db");
    std::fs::copy(&db, &fresh).unwrap();
    // Replay 20 days, change the state (data-readers lose their reads), replay only the last week
    // under the new state, then look at 20 days again: the older shapes were decided under the
    // old state and must not come back with those decisions.
    run_ok(grantscope(&db).args(["-q", "replay", "--window", "20d"]));
    let changed = dir.path().join("changed.yaml");
    std::fs::write(
        &changed,
        edited(&data, &[(
            "metadata: {name: data-readers, namespace: data-analytics}\n    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}",
            "metadata: {name: data-readers, namespace: data-analytics}\n    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gone}",
        )]),
    )
    .unwrap();
    for store in [&db, &fresh] {
        run_ok(grantscope(store).args(["-q", "state", "import", "--cluster", "demo"]).arg(&changed));
    }
    run_ok(grantscope(&db).args(["-q", "replay", "--window", "7d"]));
    let wide = |store: &Path| -> Value {
        serde_json::from_str(&run_ok(grantscope(store).args(["--format", "json", "replay", "--window", "20d"])))
            .unwrap()
    };
    let (after, full) = (wide(&db), wide(&fresh));
    assert_eq!(
        (after["recorded_requests_compared"].as_i64(), after["recorded_requests_agreeing"].as_i64()),
        (full["recorded_requests_compared"].as_i64(), full["recorded_requests_agreeing"].as_i64()),
        "incremental {after} vs full {full}"
    );
    assert!(
        full["recorded_requests_agreeing"].as_i64() < full["recorded_requests_compared"].as_i64(),
        "the change denies something: {full}"
    );
}

fn ingest_audit_as(db: &Path, cluster: &str, file: &Path) -> Value {
    serde_json::from_str(&run_ok(
        grantscope(db).args(["--format", "json", "ingest", "audit", "--cluster", cluster]).arg(file),
    ))
    .unwrap()
}

#[test]
fn a_group_an_entry_gives_that_no_allow_ever_came_from_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let extra = dir.path().join("extra-group.yaml");
    std::fs::write(
        &extra,
        edited(&data, &[("kubernetesGroups: [data-readers]", "kubernetesGroups: [data-readers, incident-responders]")]),
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "demo"]).arg(&extra));
    let found = findings(&db, &["--kind", "unused-kubernetes-group"]);
    assert_eq!(found.len(), 1, "data-readers is used, incident-responders is not: {found:?}");
    assert_eq!(found[0]["grant"], "eks-entry:arn:aws:iam::111122223333:role/data-team#group/incident-responders");
    assert_eq!(
        found[0]["recommendation"]["commands"][0],
        "aws eks update-access-entry --cluster-name demo --principal-arn arn:aws:iam::111122223333:role/data-team --kubernetes-groups '[\"data-readers\"]'",
        "the whole list, as one JSON word: no group name can pass for an option"
    );
    let text = run_ok(grantscope(&db).arg("findings"));
    assert!(text.contains("recommendations applied together: 0 of "), "{text}");
}

#[test]
fn requests_ingested_for_decided_shapes_count_in_the_next_replay() {
    let dir = tempfile::tempdir().unwrap();
    let data = cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let replay = || replay_json(&db);
    let usage = |grant_like: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT sum(requests) FROM grant_usage WHERE role = 'by' AND grant_id LIKE ?1",
            [grant_like],
            |r| r.get(0),
        )
        .unwrap()
    };
    let before = replay();
    let used = usage("rbac:RoleBinding/data-analytics/data-readers:%");
    // The same request again, as a new event: its shape is already decided.
    let audit = std::fs::read_to_string(data.join("audit.jsonl")).unwrap();
    let line = audit.lines().find(|l| l.contains("role/data-team") && l.contains("data-analytics")).unwrap();
    let event: Value = serde_json::from_str(line).unwrap();
    let again = dir.path().join("again.jsonl");
    std::fs::write(
        &again,
        line.replace(event["auditID"].as_str().unwrap(), "00000000-0000-4000-8000-0000000000bb") + "\n",
    )
    .unwrap();
    assert_eq!(ingest_audit_as(&db, "demo", &again)["ingested"], 1);
    let after = replay();
    assert_eq!(after["shapes_evaluated"], 0, "no new shape: {after}");
    assert_eq!(usage("rbac:RoleBinding/data-analytics/data-readers:%"), used + 1);
    assert_eq!(
        after["recorded_requests_compared"].as_i64().unwrap(),
        before["recorded_requests_compared"].as_i64().unwrap() + 1,
        "{after}"
    );
}

#[test]
fn agreement_at_the_time_leaves_out_grants_cloudtrail_says_came_later() {
    let dir = tempfile::tempdir().unwrap();
    cluster_with_data(dir.path(), 20);
    let db = dir.path().join("g.db");
    let before = replay_json(&db);
    assert_eq!(before["at_the_time"]["agreeing"], before["recorded_requests_compared"], "{before}");
    // CloudTrail: ci-deployer's access entry was created five days ago, at noon.
    let created = format!("{}T12:00:00Z", civil(today() - 5));
    let trail = dir.path().join("trail.json");
    std::fs::write(
        &trail,
        serde_json::json!({"Records": [{
            "eventVersion": "1.09", "eventTime": created, "eventSource": "eks.amazonaws.com",
            "eventName": "CreateAccessEntry", "awsRegion": "eu-west-1",
            "eventID": "5d0c3b1e-0000-4000-8000-000000000001", "recipientAccountId": "111122223333",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:user/admin"},
            "requestParameters": {"clusterName": "demo", "principalArn": "arn:aws:iam::111122223333:role/ci-deployer"}
        }]})
        .to_string(),
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "ingest", "cloudtrail"]).arg(&trail));
    let after = replay_json(&db);
    let (today_compared, then) = (after["recorded_requests_compared"].as_i64().unwrap(), &after["at_the_time"]);
    let (compared, agreeing, excluded) =
        (then["compared"].as_i64().unwrap(), then["agreeing"].as_i64().unwrap(), then["excluded"].as_i64().unwrap());
    assert!(excluded > 0, "the day the entry was created is not compared: {after}");
    assert_eq!(compared + excluded, today_compared, "every request is compared or excluded: {after}");
    assert!(agreeing < compared, "before the entry existed, ci-deployer's recorded allows are not reproduced: {after}");
    assert_eq!(after["recorded_requests_agreeing"], after["recorded_requests_compared"], "today's state still agrees");
    // A deleted grant of a principal that sent nothing makes every request be looked at (the slow
    // path) and changes nothing: both ways count the same.
    let deleted = dir.path().join("deleted.json");
    std::fs::write(
        &deleted,
        serde_json::json!({"Records": [{
            "eventVersion": "1.09", "eventTime": format!("{}T09:00:00Z", civil(today() - 3)),
            "eventSource": "eks.amazonaws.com", "eventName": "DeleteAccessEntry", "awsRegion": "eu-west-1",
            "eventID": "5d0c3b1e-0000-4000-8000-000000000002", "recipientAccountId": "111122223333",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:user/admin"},
            "requestParameters": {"clusterName": "demo", "principalArn": "arn:aws:iam::111122223333:role/break-glass"}
        }]})
        .to_string(),
    )
    .unwrap();
    run_ok(grantscope(&db).args(["-q", "ingest", "cloudtrail"]).arg(&deleted));
    assert_eq!(replay_json(&db)["at_the_time"], after["at_the_time"]);
}
