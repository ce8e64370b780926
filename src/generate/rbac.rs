//! RBAC objects at a real cluster's scale, as the two places users get them from write them:
//! `helm template` (multi-document YAML with `# Source:` comments) and `kubectl get ... -o json`
//! (one `List` whose items carry the server's metadata: uid, resourceVersion, the
//! last-applied-configuration annotation and `managedFields`). For the state loader's tests and
//! benchmark. Object `i` is the same in both forms; each binding references the role before it.

use std::fmt::Write;

/// The kinds cycled through, one object each.
const KINDS: [&str; 4] = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];

/// Object `i`'s namespace (for Roles and RoleBindings) and name.
fn names(i: usize) -> (String, String) {
    (format!("team-{}", i / 40), format!("app-{i}"))
}

/// `objects` RBAC objects as one multi-document YAML, as `helm template` prints a chart.
pub fn rbac_yaml(objects: usize) -> String {
    let mut out = String::with_capacity(objects * 400);
    for i in 0..objects {
        let kind = KINDS[i % 4];
        let (namespace, name) = names(i);
        let namespaced = !kind.starts_with("Cluster");
        let _ = write!(
            out,
            "---\n# Source: team/templates/rbac-{i}.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
        );
        if namespaced {
            let _ = writeln!(out, "  namespace: {namespace}");
        }
        out.push_str("  labels:\n    app.kubernetes.io/managed-by: Helm\n    helm.sh/chart: team-1.2.3\n");
        if kind.ends_with("Binding") {
            let role_kind = if namespaced { "Role" } else { "ClusterRole" };
            let _ = write!(
                out,
                "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {role_kind}\n  name: app-{}\nsubjects:\n- kind: ServiceAccount\n  name: {name}\n  namespace: {namespace}\n- kind: Group\n  name: team-{}-devs\n  apiGroup: rbac.authorization.k8s.io\n",
                i - 1,
                i / 40
            );
        } else {
            out.push_str("rules:\n- apiGroups: [\"\", \"apps\"]\n  resources: [\"pods\", \"deployments\", \"configmaps\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n- apiGroups: [\"batch\"]\n  resources: [\"jobs\"]\n  verbs: [\"create\", \"delete\"]\n");
        }
    }
    out
}

/// `objects` RBAC objects as `kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o json`
/// prints them: one `List`, each item with the metadata the API server adds.
pub fn rbac_list_json(objects: usize) -> String {
    let mut items = Vec::with_capacity(objects);
    for i in 0..objects {
        let kind = KINDS[i % 4];
        let (namespace, name) = names(i);
        let namespaced = !kind.starts_with("Cluster");
        let mut item = serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": {
                "name": name,
                "uid": format!("5c0d{i:08x}-1c2b-4a5e-9f3e-6b7a8c9d0e1f"),
                "resourceVersion": (1_000_000 + i).to_string(),
                "creationTimestamp": "2026-10-01T12:00:00Z",
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "annotations": {"meta.helm.sh/release-name": "team", "meta.helm.sh/release-namespace": namespace},
                "managedFields": [{
                    "manager": "helm", "operation": "Update", "apiVersion": "rbac.authorization.k8s.io/v1",
                    "time": "2026-10-01T12:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:meta.helm.sh/release-name": {},
                        "f:meta.helm.sh/release-namespace": {}}, "f:labels": {".": {}, "f:app.kubernetes.io/managed-by": {}}},
                        "f:roleRef": {}, "f:rules": {}, "f:subjects": {}}
                }]
            }
        });
        if namespaced {
            item["metadata"]["namespace"] = namespace.clone().into();
        }
        if kind.ends_with("Binding") {
            let role_kind = if namespaced { "Role" } else { "ClusterRole" };
            item["roleRef"] = serde_json::json!({"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": format!("app-{}", i - 1)});
            item["subjects"] = serde_json::json!([
                {"kind": "ServiceAccount", "name": name, "namespace": namespace},
                {"kind": "Group", "name": format!("team-{}-devs", i / 40), "apiGroup": "rbac.authorization.k8s.io"}
            ]);
        } else {
            item["rules"] = serde_json::json!([
                {"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "configmaps"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete"]}
            ]);
        }
        items.push(item);
    }
    let list =
        serde_json::json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    serde_json::to_string_pretty(&list).expect("JSON serializes")
}
