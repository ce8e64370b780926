//! One finding per principal that can escalate.

use super::{Capability, Escalations, Path};
use crate::analysis::{Evidence, Finding, FindingKind, Recommendation, Severity, finding_id};
use std::collections::HashSet;

/// What the findings of kind `escalation-path` need to know.
pub struct EscalationContext<'a> {
    pub cluster: &'a str,
    pub observed_days: i64,
    pub window_days: u32,
}

/// One finding per principal that can escalate: its most critical capability's path (paths are
/// cheapest-cut first, so the one through a never-used grant). Advice, not a change the proofs
/// apply: the cut is usually another finding's grant (an unused binding, an over-broad policy).
pub fn escalation_findings(e: &Escalations, ctx: &EscalationContext) -> Vec<Finding> {
    let mut seen = HashSet::new();
    let mut by_capability: Vec<&Path> = e.paths.iter().collect();
    by_capability.sort_by_key(|p| p.to);
    by_capability
        .into_iter()
        .filter(|p| seen.insert(p.from.clone()))
        .map(|p| {
            let severity = match p.to {
                Capability::ClusterAdmin | Capability::AwsAuthWrite => Severity::High,
                Capability::SecretsAllNamespaces | Capability::RbacWrite => Severity::Medium,
            };
            let route: Vec<String> = p.steps.iter().map(|s| format!("{} {}", s.edge.as_str(), s.to)).collect();
            let mut evidence = Evidence::unused(ctx.observed_days, ctx.window_days);
            let why = if p.unused_grants.first() == Some(&p.cut) {
                format!("it allowed nothing {}, so removing it is the cheapest, safest cut", evidence.observed_span())
            } else {
                "every grant on the path is in use: narrow it rather than remove it".to_string()
            };
            evidence.examples = p.steps.iter().map(|s| format!("{} {} by {}", s.edge.as_str(), s.to, s.grant)).collect();
            // Evidence carries five examples: a longer path keeps its first four steps and its last.
            if evidence.examples.len() > 5 {
                evidence.examples.drain(4..evidence.examples.len() - 1);
            }
            Finding {
                id: finding_id(FindingKind::EscalationPath, ctx.cluster, &format!("{}\n{}", p.from, p.to.as_str())),
                kind: FindingKind::EscalationPath,
                would_be: None,
                severity,
                cluster: ctx.cluster.to_string(),
                principal: Some(p.from.clone()),
                grant: p.cut.clone(),
                evidence,
                recommendation: Recommendation {
                    summary: format!(
                        "{} can become {}: {}. Cut the path at {}: {why} (grantscope paths --from {} shows every path).",
                        p.from,
                        p.to.as_str(),
                        route.join(" -> "),
                        p.cut,
                        p.from
                    ),
                    commands: Vec::new(),
                },
                change: None,
                controls: Vec::new(),
                accepted: None,
                lapsed_exception: None,
            }
        })
        .collect()
}
