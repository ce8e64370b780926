//! What the exceptions file did to a finding, as the findings' JSON, the reports and the warnings
//! say it: accepted by an entry, no longer accepted by one, or an entry that matched nothing.

use serde::Serialize;

/// On an accepted finding: which exception accepts it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acceptance {
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`, from which the exception no longer accepts; null when it does not expire.
    pub expires: Option<String>,
    /// `id` or `match`.
    pub matched_by: &'static str,
    /// The entry's position in the exceptions file, from 1.
    pub entry: usize,
}

/// On a finding an exception accepted before and no longer does: which, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lapsed {
    pub entry: usize,
    pub reason: String,
    /// "exception expired on 2026-06-30", or that the grant changed since it was accepted.
    pub why: String,
}

/// An entry that matched no finding of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmatched {
    pub entry: usize,
    /// `id GS-…` or the pattern, as written.
    pub selector: String,
    pub reason: String,
}

impl Unmatched {
    /// The warning, one line.
    pub fn warning(&self, cluster: &str) -> String {
        format!(
            "exceptions: entry {} ({}) matches no finding of cluster {cluster}: the finding is gone or the entry is mistyped; remove or fix it",
            self.entry, self.selector
        )
    }
}
