//! State files through the real binary: real eksctl examples and aws-auth ConfigMaps
//! (`tests/fixtures/real/`, see its SOURCES.md), files at a real cluster's size, several files and
//! directories per flag, and files that must not pass for a state (empty, unrecognised, shrunk).

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::*;

fn real(rel: &str) -> PathBuf {
    fixture(&format!("real/{rel}"))
}

/// `explain --format json` of `args` against `state`: (exit code, answer).
fn explain(state: &[&Path], args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = grantscope(&dir.path().join("unused.db"));
    cmd.args(["--format", "json", "explain", "--state"]).args(state).args(args);
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    assert!(code < 2, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_real_eksctl_example_loads() {
    let dir = std::fs::read_dir(real("eksctl")).unwrap();
    let mut files: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 49, "eksctl's whole examples folder");
    for file in &files {
        let db = tempfile::tempdir().unwrap();
        let out = grantscope(&db.path().join("g.db"))
            .args(["-q", "state", "import", "--cluster", "c"])
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
    }
}

#[test]
fn eksctl_identity_mappings_answer_as_eksctl_writes_them() {
    let file = real("eksctl/35-iamidentitymappings.yaml");
    let state = [file.as_path()];
    struct Case {
        name: &'static str,
        args: &'static [&'static str],
        allowed: bool,
        username: &'static str,
    }
    let cases = [
        Case {
            name: "a role mapping gives its username and groups (system:masters may do anything)",
            args: &["--arn", "arn:aws:iam::000000000000:role/myAdminRole", "delete", "nodes"],
            allowed: true,
            username: "admin",
        },
        Case {
            name: "a user mapping without groups gives the username only",
            args: &["--arn", "arn:aws:iam::000000000000:user/myUser", "get", "pods", "-n", "default"],
            allowed: false,
            username: "myUser",
        },
        Case {
            name: "serviceName emr-containers maps the service-linked role to emr-containers, bound in its namespace",
            args: &[
                "--arn",
                "arn:aws:iam::000000000000:role/AWSServiceRoleForAmazonEMRContainers",
                "create",
                "jobs.batch",
                "-n",
                "emr",
            ],
            allowed: true,
            username: "emr-containers",
        },
        Case {
            name: "eksctl's emr-containers Role reads no secrets",
            args: &["--user", "emr-containers", "get", "secrets", "-n", "emr"],
            allowed: false,
            username: "emr-containers",
        },
        Case {
            name: "eksctl's emr-containers Role is bound in its namespace only",
            args: &["--user", "emr-containers", "list", "pods", "-n", "default"],
            allowed: false,
            username: "emr-containers",
        },
        Case {
            name: "an account mapping authenticates the account's other roles by their ARN",
            args: &["--arn", "arn:aws:iam::000000000000:role/other", "get", "pods", "-n", "default"],
            allowed: false,
            username: "arn:aws:iam::000000000000:role/other",
        },
    ];
    for c in cases {
        let (code, answer) = explain(&state, c.args);
        assert_eq!((code == 0, answer["allowed"].as_bool()), (c.allowed, Some(c.allowed)), "{}: {answer}", c.name);
        assert_eq!(answer["username"], c.username, "{}: {answer}", c.name);
    }
}

#[test]
fn eksctl_access_entries_answer_as_their_policies_say() {
    let file = real("eksctl/40-access-entries.yaml");
    let state = [file.as_path()];
    let cases: [(&str, &[&str], bool); 4] = [
        (
            "View policy scoped to namespaces allows reads there",
            &["--arn", "arn:aws:iam::111122223333:role/role-name-1", "list", "pods", "-n", "dev-a"],
            true,
        ),
        (
            "and nowhere else",
            &["--arn", "arn:aws:iam::111122223333:role/role-name-1", "list", "pods", "-n", "kube-system"],
            false,
        ),
        (
            "ClusterAdmin policy at cluster scope allows anything",
            &["--arn", "arn:aws:iam::111122223333:role/admin-role", "delete", "nodes"],
            true,
        ),
        (
            "groups without a policy or binding allow nothing",
            &["--arn", "arn:aws:iam::111122223333:user/my-user-name", "get", "pods", "-n", "default"],
            false,
        ),
    ];
    for (name, args, want) in cases {
        let (_, answer) = explain(&state, args);
        assert_eq!(answer["allowed"], want, "{name}: {answer}");
    }
}

#[test]
fn real_aws_auth_config_maps_load_and_placeholders_are_warned_about() {
    for file in ["aws-iam-authenticator-aws-auth.yaml", "aws-iam-authenticator-crazy-case-keys.yaml"] {
        let path = real(&format!("aws-auth/{file}"));
        let (_, answer) = explain(&[&path], &["--arn", "arn:aws:iam::555555555555:user/admin", "delete", "nodes"]);
        assert_eq!((&answer["username"], &answer["allowed"]), (&Value::from("admin"), &Value::from(true)), "{file}");
    }

    let dir = tempfile::tempdir().unwrap();
    let template = real("aws-auth/terraform-aws-eks-config-map-aws-auth-template.yaml");
    let out = grantscope(&dir.path().join("g.db"))
        .args(["state", "import", "--cluster", "c"])
        .arg(&template)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("terraform-aws-eks-config-map-aws-auth-template.yaml:1: document 1: data.mapRoles[0].rolearn: \"${role_arn}\" is not an IAM role or user ARN"),
        "file, document, key and value: {err}"
    );

    let bad = real("aws-auth/aws-iam-authenticator-missing-bar.yaml");
    let out =
        grantscope(&dir.path().join("g.db")).args(["state", "import", "--cluster", "c"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("aws-iam-authenticator-missing-bar.yaml:1: document 1: data.mapRoles"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn placeholder_arns_and_comment_only_keys_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws-auth.yaml");
    std::fs::write(
        &file,
        "---\n# the node role\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  \
         mapRoles: |\n    - rolearn: WORKER_NODE_ROLE_ARN\n      username: system:node:{{EC2PrivateDNSName}}\n    \
         - rolearn: <ARN of instance role>\n      username: a\n    - rolearn: arn:aws:iam::us-west-2:role/x\n      username: b\n  \
         mapUsers: |\n    # - userarn: arn:aws:iam::111122223333:user/admin\n",
    )
    .unwrap();
    let out =
        grantscope(&dir.path().join("g.db")).args(["state", "import", "--cluster", "c"]).arg(&file).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for want in [
        "aws-auth.yaml:1: document 1: data.mapRoles[0].rolearn: \"WORKER_NODE_ROLE_ARN\" is not an IAM role or user ARN",
        "data.mapRoles[1].rolearn: \"<ARN of instance role>\" is not an IAM role or user ARN",
        "data.mapRoles[2].rolearn: \"arn:aws:iam::us-west-2:role/x\" does not name a 12-digit account id",
        "data.mapUsers: holds no entry (only comments or blank)",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
}

/// 100,000 RBAC objects as one multi-document YAML and as one kubectl List with managedFields:
/// the last objects of each answer as written, so everything before them was read.
#[test]
fn real_sized_rbac_loads_from_yaml_documents_and_from_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("rbac.yaml");
    let json = dir.path().join("rbac.json");
    std::fs::write(&yaml, grantscope::generate::rbac_yaml(100_000)).unwrap();
    std::fs::write(&json, grantscope::generate::rbac_list_json(100_000)).unwrap();
    let sa = |n: u32| format!("system:serviceaccount:team-2499:app-{n}");
    let cases = [
        (&yaml, sa(99_997), "team-2499", "rbac:RoleBinding/team-2499/app-99997:Role/app-99996"),
        (&json, sa(99_999), "team-0", "rbac:ClusterRoleBinding/app-99999:ClusterRole/app-99998"),
    ];
    for (file, user, namespace, want) in cases {
        let (_, answer) = explain(&[file], &["--user", &user, "list", "pods", "-n", namespace]);
        assert_eq!(answer["by"], want, "{}: {user} in {namespace}: {answer}", file.display());
    }
}

#[test]
fn errors_name_the_real_document_and_line_and_yaml_bombs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut text = grantscope::generate::rbac_yaml(3_000);
    let line = text.lines().count() + 1;
    text.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x}\nroleRef: {kind: Secret, name: z}\n");
    let file = dir.path().join("big.yaml");
    std::fs::write(&file, text).unwrap();
    let out = grantscope(&db).args(["state", "import", "--cluster", "c"]).arg(&file).output().unwrap();
    let want = format!("big.yaml:{line}: document 3001: roleRef.kind: `Secret`: expected Role or ClusterRole");
    assert!(stderr(&out).contains(&want), "{want}: {}", stderr(&out));

    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\nlol:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h"].iter().zip(["a", "b", "c", "d", "e", "f", "g"]) {
        bomb.push_str(&format!("  {name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    let file = dir.path().join("bomb.yaml");
    std::fs::write(
        &file,
        format!("---\n{}", grantscope::generate::rbac_yaml(1).trim_start_matches("---\n")) + "---\n" + &bomb,
    )
    .unwrap();
    let out = grantscope(&db).args(["state", "import", "--cluster", "c"]).arg(&file).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bomb.yaml:") && err.contains("document 2: not valid YAML or JSON") && err.contains("alias"),
        "{err}"
    );
    assert!(!db.exists(), "nothing stored");
}

#[test]
fn several_files_per_flag_repeated_flags_and_directories_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let rbac = dir.path().join("rbac");
    std::fs::create_dir_all(rbac.join("team")).unwrap();
    let binding = |name: &str, group: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\nroleRef: {{kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: {group}}}]\n"
        )
    };
    std::fs::write(rbac.join("a.yaml"), binding("a", "ga")).unwrap();
    std::fs::write(rbac.join("b.yml"), binding("b", "gb")).unwrap();
    std::fs::write(rbac.join("notes.txt"), "not read").unwrap();
    std::fs::write(rbac.join("team/c.yaml"), binding("c", "gc")).unwrap();
    let cluster = fixture("state/eksctl-cluster.yaml");
    let allowed = |args: &[&str], group: &str| -> bool {
        let out = grantscope(&dir.path().join("unused.db"))
            .args(["explain"])
            .args(args)
            .args(["--user", "u", "--group", group, "list", "pods", "-n", "x"])
            .output()
            .unwrap();
        assert!(out.status.code().unwrap() < 2, "{args:?}: {}", stderr(&out));
        out.status.success()
    };
    let a = rbac.join("a.yaml");
    let b = rbac.join("b.yml");
    let (a, b, c, d) = (a.to_str().unwrap(), b.to_str().unwrap(), cluster.to_str().unwrap(), rbac.to_str().unwrap());
    let cases: [(&str, Vec<&str>, &str, bool); 6] = [
        ("several values after one --state", vec!["--state", c, a, b], "gb", true),
        ("--state repeated", vec!["--state", c, "--state", b], "gb", true),
        ("a directory gives its yaml files", vec!["--state", d], "gb", true),
        ("without -R not its subdirectories", vec!["--state", d], "gc", false),
        ("with -R its subdirectories too", vec!["-R", "--state", d], "gc", true),
        ("an unrelated group is denied", vec!["--state", d], "other", false),
    ];
    for (name, args, group, want) in cases {
        assert_eq!(allowed(&args, group), want, "{name}");
    }
    // state import and whatif take the same.
    let db = dir.path().join("g.db");
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "c", "-R"]).arg(&cluster).arg(&rbac));
    let show: Value =
        serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "state", "show"]))).unwrap();
    let bindings: Vec<&str> = show["snapshot"]["state"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["name"].as_str())
        .filter(|n| n.len() == 1)
        .collect();
    assert_eq!(bindings, ["a", "b", "c"]);
    let out =
        grantscope(&db).args(["whatif", "--cluster", "c", "--proposed"]).arg(&cluster).arg(&rbac).output().unwrap();
    assert!(out.status.code().unwrap() != 2, "whatif reads several --proposed values: {}", stderr(&out));
}

#[test]
fn a_state_file_with_nothing_grantscope_reads_is_an_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "c"]).arg(fixture("state/eksctl-cluster.yaml")));
    let cases = [
        ("an empty file", "", "the file is empty"),
        ("only comments", "# aws-auth\n---\n# nothing yet\n", "the file holds only comments"),
        ("an unrecognised mapping", "foo: bar\n", "no document in it is an object grantscope reads"),
        ("a number", "42\n", "no document in it is an object grantscope reads"),
        (
            "other kinds only",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
            "no document in it is an object grantscope reads",
        ),
    ];
    for (name, text, want) in cases {
        let file = dir.path().join("state.yaml");
        std::fs::write(&file, text).unwrap();
        let out = grantscope(&db).args(["state", "import", "--cluster", "c"]).arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains("state.yaml: nothing read: ") && err.contains(want), "{name}: {err}");
        let show: Value =
            serde_json::from_str(&run_ok(grantscope(&db).args(["--format", "json", "state", "show"]))).unwrap();
        assert_eq!(show["version"]["version"], 1, "{name}: nothing stored");
    }
}

#[test]
fn state_import_refuses_a_state_removing_more_than_half_the_grants_without_allow_shrink() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let full = [fixture("state/eksctl-cluster.yaml"), fixture("state/aws-auth.yaml"), fixture("state/rbac.yaml")];
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "c"]).args(&full));
    let small = fixture("state/rbac.yaml");
    let out = grantscope(&db).args(["state", "import", "--cluster", "c"]).arg(&small).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("more than half") && err.contains("--allow-shrink") && err.contains("stays at version 1"),
        "{err}"
    );
    let version = || -> Value {
        serde_json::from_str::<Value>(&run_ok(grantscope(&db).args(["--format", "json", "state", "show"]))).unwrap()["version"]["version"].clone()
    };
    assert_eq!(version(), 1);
    run_ok(grantscope(&db).args(["-q", "state", "import", "--cluster", "c", "--allow-shrink"]).arg(&small));
    assert_eq!(version(), 2, "stored when meant");
}
