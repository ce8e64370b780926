//! One object by its `kind`: an eksctl ClusterConfig, a Kubernetes RBAC object or the aws-auth
//! ConfigMap, a List of them; anything else is ignored.

use super::builder::Builder;
use super::field::{FieldError, join};
use super::tree::Tree;
use super::{eksctl, kubernetes};
use serde_json::Value;

/// The kinds whose objects hold others in `items`.
const LIST_KINDS: [&str; 6] =
    ["List", "RoleList", "ClusterRoleList", "RoleBindingList", "ClusterRoleBindingList", "ConfigMapList"];

pub(crate) fn is_list(object: &Tree) -> bool {
    object.get("kind").and_then(Tree::as_str).is_some_and(|k| LIST_KINDS.contains(&k))
}

/// Dispatches one object on its `kind`. A List's items come through here one by one; from a
/// file the decoder has taken them out already, from the API they may still be in `items`.
pub(crate) fn load_object(b: &mut Builder, doc: Tree, prefix: &str) -> Result<(), FieldError> {
    let kind = doc.get("kind").and_then(Tree::as_str).unwrap_or("").to_string();
    let api_version = doc.get("apiVersion").and_then(Tree::as_str).unwrap_or("");
    match kind.as_str() {
        "ClusterConfig" if api_version.starts_with("eksctl.io/") => eksctl::load(b, doc.into_value()),
        k if LIST_KINDS.contains(&k) => {
            let items = match doc.take("items") {
                Some(Tree::Seq(items)) => items,
                Some(Tree::Leaf(Value::Null)) | None => Vec::new(),
                Some(_) => return Err(FieldError::new(join(prefix, "items"), "expected a list")),
            };
            // An empty List is a statement about its kind (`kubectl get roles -o json` in a
            // namespace without any); a List's items count for themselves.
            if items.is_empty() {
                b.read += 1;
            }
            for (i, item) in items.into_iter().enumerate() {
                load_object(b, item, &join(prefix, &format!("items[{i}]")))?;
            }
            Ok(())
        }
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" | "ConfigMap" => {
            kubernetes::load(b, &kind, doc, prefix)
        }
        other => {
            tracing::debug!(kind = other, "ignoring a document that does not bear on access");
            Ok(())
        }
    }
}
