//! The guard against storing a half-written or wrong state file: a new version that removes more
//! than half the grants of the stored one is more likely a truncated file, a file of another
//! cluster or a wrong path than a real change, so it is stored only when the user says so
//! (`--allow-shrink`) or, in the daemon, once two polls in a row read the same content.

use crate::model::AccessState;
use serde::Serialize;

/// How many grants a state has, old and new, when the new one has fewer than half the old's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shrink {
    pub before: usize,
    pub after: usize,
}

impl std::fmt::Display for Shrink {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "the new state would remove {} of the {} grants stored (more than half): a truncated, half-written or wrong file?",
            self.before - self.after,
            self.before
        )
    }
}

/// What a state grants: access entries, their policy associations, aws-auth mappings (roles,
/// users, accounts) and the RBAC bindings that are not Kubernetes' own (those every cluster has,
/// so they would hide an emptied file).
pub fn grant_count(state: &AccessState) -> usize {
    let a = &state.aws_auth;
    state.access_entries.len()
        + state.access_entries.iter().map(|e| e.policies.len()).sum::<usize>()
        + a.map_roles.len()
        + a.map_users.len()
        + a.map_accounts.len()
        + state.bindings.iter().filter(|b| !b.system).count()
}

/// `Some` when `new` removes more than half of `old`'s grants.
pub fn shrinks(old: &AccessState, new: &AccessState) -> Option<Shrink> {
    let (before, after) = (grant_count(old), grant_count(new));
    (after * 2 < before).then_some(Shrink { before, after })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccessEntry, IdentityMapping};

    fn with(entries: usize, mappings: usize) -> AccessState {
        let mut s = AccessState {
            access_entries: (0..entries)
                .map(|i| AccessEntry::test_viewer(&format!("arn:aws:iam::1:role/r{i}")))
                .collect(),
            ..AccessState::default()
        };
        s.aws_auth.map_roles = (0..mappings)
            .map(|i| IdentityMapping { arn: format!("arn:aws:iam::1:role/m{i}"), username: "u".into(), groups: vec![] })
            .collect();
        s
    }

    #[test]
    fn shrinks_when_more_than_half_the_grants_go() {
        // test_viewer entries carry one policy association: two grants each.
        let cases = [
            ("everything removed", with(2, 2), with(0, 0), Some(Shrink { before: 6, after: 0 })),
            ("exactly half removed is a change, not a shrink", with(2, 2), with(1, 1), None),
            ("more than half removed", with(2, 2), with(1, 0), Some(Shrink { before: 6, after: 2 })),
            ("growing never shrinks", with(1, 0), with(3, 3), None),
            ("from nothing nothing shrinks", with(0, 0), with(0, 0), None),
        ];
        for (name, old, new, want) in cases {
            assert_eq!(shrinks(&old, &new), want, "{name}");
        }
    }
}
