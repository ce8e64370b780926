//! ClusterRole aggregation, as Kubernetes' clusterrole-aggregation controller does it: a ClusterRole
//! with an `aggregationRule` gets the rules of every ClusterRole whose labels match one of its
//! selectors. Aggregated roles can themselves be aggregated (`edit` is labelled to aggregate into
//! `admin`), so filling repeats until nothing changes.

use crate::model::{PolicyRule, Role};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::{BTreeMap, HashMap};

/// What aggregation needs of a ClusterRole beyond the core's `Role`.
#[derive(Debug, Default, Clone)]
pub struct RoleMeta {
    pub labels: BTreeMap<String, String>,
    pub selectors: Vec<Selector>,
}

/// A label selector: `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist).
#[derive(Debug, Clone)]
pub struct Selector {
    match_labels: BTreeMap<String, String>,
    expressions: Vec<(String, String, Vec<String>)>,
}

impl From<LabelSelector> for Selector {
    fn from(s: LabelSelector) -> Selector {
        Selector {
            match_labels: s.match_labels.unwrap_or_default(),
            expressions: s
                .match_expressions
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.key, e.operator, e.values.unwrap_or_default()))
                .collect(),
        }
    }
}

impl Selector {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|(key, op, values)| match op.as_str() {
                "In" => labels.get(key).is_some_and(|v| values.contains(v)),
                "NotIn" => labels.get(key).is_none_or(|v| !values.contains(v)),
                "Exists" => labels.contains_key(key),
                "DoesNotExist" => !labels.contains_key(key),
                // An unknown operator selects nothing, as the API server would reject it.
                _ => false,
            })
    }
}

/// Fills the rules of aggregated ClusterRoles.
pub fn aggregate(roles: &mut [Role], meta: &HashMap<String, RoleMeta>) {
    let aggregated: Vec<(usize, &[Selector])> = roles
        .iter()
        .enumerate()
        .filter(|(_, r)| r.namespace.is_none())
        .filter_map(|(i, r)| meta.get(&r.name).filter(|m| !m.selectors.is_empty()).map(|m| (i, &m.selectors[..])))
        .collect();
    if aggregated.is_empty() {
        return;
    }
    // Labels do not change while rules are filled: which roles feed which is decided once.
    let mut sources: Vec<Vec<usize>> = vec![Vec::new(); aggregated.len()];
    for (j, other) in roles.iter().enumerate().filter(|(_, r)| r.namespace.is_none()) {
        let Some(labels) = meta.get(&other.name).map(|m| &m.labels) else { continue };
        for ((i, selectors), sources) in aggregated.iter().zip(&mut sources) {
            if j != *i && selectors.iter().any(|s| s.matches(labels)) {
                sources.push(j);
            }
        }
    }
    // Each pass can only add rules; a chain of n aggregated roles settles within n passes.
    for _ in 0..=aggregated.len() {
        let mut changed = false;
        for (&(i, _), sources) in aggregated.iter().zip(&sources) {
            let mut rules: Vec<PolicyRule> = Vec::new();
            for &j in sources {
                for rule in &roles[j].rules {
                    if !rules.contains(rule) {
                        rules.push(rule.clone());
                    }
                }
            }
            if rules != roles[i].rules {
                roles[i].rules = rules;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selectors_follow_kubernetes_label_selector_semantics() {
        let sel = |labels_: &[(&str, &str)], exprs: &[(&str, &str, &[&str])]| Selector {
            match_labels: labels(labels_),
            expressions: exprs
                .iter()
                .map(|(k, o, v)| (k.to_string(), o.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
        };
        let l = labels(&[("tier", "web"), ("env", "prod")]);
        let cases = [
            ("matchLabels all present", sel(&[("tier", "web")], &[]), true),
            ("matchLabels value differs", sel(&[("tier", "db")], &[]), false),
            ("In", sel(&[], &[("env", "In", &["prod", "stage"])]), true),
            ("NotIn with the key absent matches", sel(&[], &[("team", "NotIn", &["x"])]), true),
            ("NotIn excluded value", sel(&[], &[("env", "NotIn", &["prod"])]), false),
            ("Exists", sel(&[], &[("tier", "Exists", &[])]), true),
            ("DoesNotExist", sel(&[], &[("tier", "DoesNotExist", &[])]), false),
            ("an empty selector matches everything", sel(&[], &[]), true),
        ];
        for (name, s, want) in cases {
            assert_eq!(s.matches(&l), want, "{name}");
        }
    }
}
