//! `unused-kubernetes-group`: a Kubernetes group an access entry gives its principal that never
//! contributes an allow — no request that came in through the entry was allowed (or would also
//! have been) by a binding to that group. Removing it from the entry takes nothing that is used.

use super::shell;
use super::{Evidence, Finding, FindingKind, Recommendation, Severity, StateChange, finding_id};
use crate::authz::{Authorizer, Grant};
use crate::model::{AccessState, GrantId, Subject};
use crate::store::WindowShape;
use std::collections::{HashMap, HashSet};

pub struct GroupsContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
    pub min_observed_days: u32,
}

pub fn unused_group_findings(state: &AccessState, shapes: &[WindowShape], ctx: &GroupsContext) -> Vec<Finding> {
    let authz = Authorizer::new(state);
    // The groups each binding (by grant id) is bound to.
    let groups_of: HashMap<GrantId, Vec<&str>> = state
        .bindings
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let groups = b
                .subjects
                .iter()
                .filter_map(|s| if let Subject::Group { name } = s { Some(name.as_str()) } else { None })
                .collect();
            (authz.grant_id(Grant::Binding(i)), groups)
        })
        .collect();
    // Allowed shapes by the entry their caller came in through.
    let mut by_entry: HashMap<&GrantId, Vec<&WindowShape>> = HashMap::new();
    for s in shapes.iter().filter(|s| s.allowed() == Some(true)) {
        if let Some(entry) = s.authenticated_by() {
            by_entry.entry(entry).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for (i, e) in state.access_entries.iter().enumerate() {
        if e.entry_type.is_node() || e.kubernetes_groups.is_empty() {
            continue;
        }
        let entry = authz.grant_id(Grant::AccessEntry(i));
        let Some(through) = by_entry.get(&entry) else {
            continue; // The whole entry is unused: that finding covers its groups.
        };
        let contributing: HashSet<&str> = through
            .iter()
            .flat_map(|s| s.by().into_iter().chain(s.shadowed()))
            .filter_map(|g| groups_of.get(g))
            .flatten()
            .copied()
            .collect();
        for group in &e.kubernetes_groups {
            // A templated group renders per caller; leave it to a person.
            if group.contains("{{") || contributing.contains(group.as_str()) {
                continue;
            }
            let grant = GrantId::entry_group(&entry, group);
            let remaining: Vec<&str> = e.kubernetes_groups.iter().map(String::as_str).filter(|g| g != group).collect();
            let thin = ctx.observed_days < i64::from(ctx.min_observed_days);
            let (kind, would_be, recommendation, change) = if thin {
                let summary = format!(
                    "Not used yet, but only {} days of events were observed (fewer than {}): not evidence enough to remove it.",
                    ctx.observed_days, ctx.min_observed_days
                );
                (
                    FindingKind::InsufficientEvidence,
                    Some(FindingKind::UnusedKubernetesGroup),
                    Recommendation { summary, commands: Vec::new() },
                    None,
                )
            } else {
                let summary = format!(
                    "{} never needed group {group}: none of its {} allowed requests came from a binding to it. Remove the group from the entry.",
                    e.principal_arn,
                    through.iter().map(|s| s.requests).sum::<i64>()
                );
                let command = shell::update_access_entry_groups(ctx.cluster, &e.principal_arn, &remaining);
                let change = StateChange::RemoveGroup { entry: i, group: group.clone() };
                (
                    FindingKind::UnusedKubernetesGroup,
                    None,
                    Recommendation { summary, commands: vec![command] },
                    Some(change),
                )
            };
            out.push(Finding {
                id: finding_id(would_be.unwrap_or(kind), ctx.cluster, grant.as_str()),
                kind,
                would_be,
                severity: Severity::Low,
                cluster: ctx.cluster.to_string(),
                principal: Some(e.principal_arn.clone()),
                grant,
                evidence: Evidence::unused(ctx.observed_days, ctx.window_days),
                recommendation,
                change,
                controls: Vec::new(),
                accepted: None,
                lapsed_exception: None,
            });
        }
    }
    out
}
