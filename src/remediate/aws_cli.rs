//! A POSIX shell script: each recommendation's AWS CLI and kubectl commands in order, under a
//! comment naming its finding. Generated RBAC is applied from a here-document, so the script
//! stands alone; `set -eu` stops at the first failure.

use super::{Remediation, kubectl};
use crate::analysis::Change;

/// The here-document delimiter: YAML from the serializer never has a line equal to it.
const HEREDOC: &str = "GRANTSCOPE_RBAC_YAML";

pub(super) fn render(r: &Remediation) -> String {
    let mut out = String::from("#!/bin/sh\n");
    for line in r.header("AWS CLI and kubectl commands; review, then run") {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str("set -eu\n");
    for f in &r.findings {
        out.push_str(&format!("\n# {} {} ({}): {}\n", f.id, f.kind, f.severity, f.grant));
        out.push_str(&format!("# {}\n", f.recommendation.summary.replace('\n', " ")));
        let mut commands = f.recommendation.commands.iter().peekable();
        if let Some(Change::Replace { rbac, .. }) = &f.change {
            // Its first command applies the manifest file; here the manifest is inline.
            commands.next();
            out.push_str(&format!("kubectl apply -f - <<'{HEREDOC}'\n"));
            out.push_str(&kubectl::rbac_documents(rbac).join("---\n"));
            out.push_str(&format!("{HEREDOC}\n"));
        }
        for c in commands {
            out.push_str(c);
            out.push('\n');
        }
    }
    out
}
