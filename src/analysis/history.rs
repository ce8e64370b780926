//! The access state that held on each day of the window, for measuring replay against recorded
//! decisions with the state of the time rather than today's.
//!
//! What is known: stored state versions (each from its `created_ms`: imports and syncs are taken to
//! be frequent) and, from CloudTrail or the EKS API, when access entries and policy associations
//! were created and when they were deleted. A day takes the latest version stored before it began,
//! minus the entries and associations created after it ended. A day is *changing* when a version
//! was stored during it, or a grant was created during it or between that version and the day (so
//! the version does not show it): the requests of the callers that change reaches are not compared
//! that day; a principal's requests are *uncertain*
//! (not compared) on the days before one of its grants was deleted, since the deleted grant cannot
//! be rebuilt from what is stored.

use crate::authz::changes::Affected;
use crate::model::time::MS_PER_DAY;
use crate::model::{AccessState, GrantTimes};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What held on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayState {
    /// `states[i]` held all day.
    State(usize),
    /// `states[state]` held, except for the callers `changes[change]` reaches: their requests that
    /// day are not compared.
    Changing { state: usize, change: usize },
}

#[derive(Debug, Clone)]
pub struct History {
    pub states: Vec<AccessState>,
    pub days: BTreeMap<i64, DayState>,
    /// Who each day's change reaches.
    pub changes: Vec<Affected>,
    removals: HashMap<String, i64>,
}

impl History {
    /// Whether `principal`'s requests on `day` may have been decided by a grant since deleted.
    pub fn uncertain(&self, principal: &str, day: i64) -> bool {
        !self.removals.is_empty()
            && principal_key(principal)
                .and_then(|k| self.removals.get(&k))
                .is_some_and(|&removed| removed >= day * MS_PER_DAY)
    }

    /// Whether some principal is uncertain: then every recorded request must be looked at, not
    /// only those of the callers a past state or a change treats differently.
    pub fn has_uncertain(&self) -> bool {
        !self.removals.is_empty()
    }

    /// Whether every day is compared against one state equal to `current`, with nothing uncertain:
    /// then agreement at the time is agreement today.
    pub fn is_trivial(&self, current: &AccessState) -> bool {
        self.removals.is_empty()
            && self.days.values().all(|d| matches!(d, DayState::State(i) if self.states[*i] == *current))
    }
}

/// Grants of a version that did not exist yet: (entry, None) or (entry, Some(association)).
type Absent = BTreeSet<(usize, Option<usize>)>;

/// The state of each of `days`, from `versions` (created_ms, state), oldest first.
pub fn history(versions: &[(i64, AccessState)], times: &GrantTimes, days: &[i64]) -> History {
    // Every grant creation any source knows of: (time, principal ARN).
    let mut creations: Vec<(i64, &str)> = times.entries.iter().map(|(p, t)| (*t, p.as_str())).collect();
    creations.extend(times.associations.iter().map(|((p, _), t)| (*t, p.as_str())));
    for (_, s) in versions {
        for e in &s.access_entries {
            let p = e.principal_arn.as_str();
            creations.extend(e.created_at_ms.map(|t| (t, p)));
            creations.extend(e.policies.iter().filter_map(|a| a.associated_at_ms.map(|t| (t, p))));
        }
    }
    let mut changes: Vec<Affected> = Vec::new();
    let mut states: Vec<AccessState> = Vec::new();
    // (base version, grants absent from it) → index into `states`.
    let mut signatures: HashMap<(usize, Absent), usize> = HashMap::new();
    let mut out = BTreeMap::new();
    for &day in days {
        let (start, end) = (day * MS_PER_DAY, (day + 1) * MS_PER_DAY);
        // Versions after the first mark a change; the first is what we learned, assumed to hold before.
        let base = versions.iter().rposition(|(c, _)| *c <= start).unwrap_or(0);
        let Some((taken, state)) = versions.get(base) else { continue };
        // A later version stored during the day reaches whom it changes; a grant created after the
        // version was taken and before the day ended, its principal.
        let mut change = Affected::default();
        // Every step between the versions stored during the day: a grant added and removed again
        // the same day still reaches its callers.
        let mut previous = state;
        for (_, next) in versions.iter().skip(base + 1).take_while(|(c, _)| *c < end) {
            let mut step = Affected::between(previous, next);
            step.reach_principals([previous, next]);
            change.extend(step);
            previous = next;
        }
        let since = (*taken).min(start);
        for (_, principal) in creations.iter().filter(|(c, _)| since < *c && *c < end) {
            change.add_principal(principal);
        }
        // Entries (j = None) and associations (j = Some) created after the day: not there yet.
        let mut absent = BTreeSet::new();
        for (i, e) in state.access_entries.iter().enumerate() {
            let arn = e.principal_arn.to_lowercase();
            let created = e.created_at_ms.or_else(|| times.entries.get(&arn).copied());
            for (j, t) in std::iter::once((None, created)).chain(e.policies.iter().enumerate().map(|(j, a)| {
                let key = (arn.clone(), a.policy_arn.clone());
                (Some(j), a.associated_at_ms.or_else(|| times.associations.get(&key).copied()))
            })) {
                if t.is_some_and(|t| t >= end) {
                    absent.insert((i, j));
                }
            }
        }
        let index = *signatures.entry((base, absent.clone())).or_insert_with(|| {
            states.push(without(state, &absent));
            states.len() - 1
        });
        if change.is_empty() {
            out.insert(day, DayState::State(index));
        } else {
            changes.push(change);
            out.insert(day, DayState::Changing { state: index, change: changes.len() - 1 });
        }
    }
    // A deletion before the first day changes nothing about the window.
    let first = days.iter().min().map_or(i64::MAX, |d| d * MS_PER_DAY);
    let removals = times
        .removals
        .iter()
        .filter(|(_, t)| **t >= first)
        .filter_map(|(arn, t)| Some((principal_key(arn)?, *t)))
        .collect();
    History { states, days: out, changes, removals }
}

/// A principal as EKS matches it: account, kind and lowercase name, without the path (an access
/// entry's ARN has it, the ARN a request is canonicalized to does not).
fn principal_key(arn: &str) -> Option<String> {
    crate::authz::Principal::parse(arn).map(|p| format!("{}:{}:{}", p.account, p.kind, p.name.to_lowercase()))
}

/// `state` without the listed entries (j = None) and associations.
fn without(state: &AccessState, absent: &Absent) -> AccessState {
    let mut s = state.clone();
    if absent.is_empty() {
        return s;
    }
    for (i, e) in s.access_entries.iter_mut().enumerate() {
        let mut j = 0;
        e.policies.retain(|_| {
            j += 1;
            !absent.contains(&(i, Some(j - 1)))
        });
    }
    let mut i = 0;
    s.access_entries.retain(|_| {
        i += 1;
        !absent.contains(&(i - 1, None))
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccessEntry;

    fn entry(arn: &str, created: Option<i64>) -> AccessEntry {
        AccessEntry { created_at_ms: created, ..AccessEntry::test_viewer(arn) }
    }

    fn state(entries: Vec<AccessEntry>) -> AccessState {
        AccessState { access_entries: entries, ..AccessState::default() }
    }

    #[test]
    fn each_day_gets_the_state_that_held_all_of_it() {
        let d = MS_PER_DAY;
        let v1 = state(vec![entry("arn:aws:iam::1:role/a", None)]);
        let v2 = state(vec![entry("arn:aws:iam::1:role/a", None), entry("arn:aws:iam::1:role/b", Some(12 * d + 5))]);
        let versions = [(9 * d, v1.clone()), (14 * d + 1, v2.clone())];
        let h = history(&versions, &GrantTimes::default(), &[8, 10, 12, 13, 14, 15]);
        let at = |day| h.days[&day];
        let cases = [
            ("before the first version: the first, assumed to hold", 8, Some(&v1)),
            ("after the first version", 10, Some(&v1)),
            ("a grant of a later version created that day: changing", 12, None),
            ("the day a version was stored: changing", 14, None),
            ("after the second version", 15, Some(&v2)),
        ];
        for (name, day, want) in cases {
            match (at(day), want) {
                (DayState::State(i), Some(s)) => assert_eq!(&h.states[i], s, "{name}"),
                (DayState::Changing { change, .. }, None) => {
                    let b = &h.changes[change];
                    assert!(b.touches(Some("arn:aws:iam::1:role/b"), "", &[] as &[&str]), "{name}: b is reached");
                    assert!(!b.touches(Some("arn:aws:iam::1:role/a"), "", &[] as &[&str]), "{name}: a is not");
                }
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
        // Day 13: v1 was the latest version, but b, created since, is not in it.
        assert!(matches!(at(13), DayState::Changing { state: 0, .. }));
        assert!(!h.is_trivial(&v2));
    }

    #[test]
    fn grants_created_after_a_day_are_not_in_that_day_s_state() {
        let d = MS_PER_DAY;
        let now = state(vec![entry("arn:aws:iam::1:role/a", None), entry("arn:aws:iam::1:role/b", None)]);
        let mut times = GrantTimes::default();
        times.entries.insert("arn:aws:iam::1:role/b".into(), 20 * d + 7);
        times.associations.insert(
            ("arn:aws:iam::1:role/a".into(), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into()),
            18 * d,
        );
        let h = history(&[(30 * d, now.clone())], &times, &[17, 18, 19, 20, 21]);
        let arns = |day: i64| match h.days[&day] {
            DayState::State(i) => h.states[i]
                .access_entries
                .iter()
                .map(|e| format!("{}:{}", e.principal_arn, e.policies.len()))
                .collect::<Vec<_>>(),
            DayState::Changing { .. } => vec!["changing".to_string()],
        };
        assert_eq!(arns(17), ["arn:aws:iam::1:role/a:0"], "neither the association nor b yet");
        assert_eq!(arns(18), ["arn:aws:iam::1:role/a:1"], "associated at the day's first instant");
        assert_eq!(arns(20), ["changing"], "b created during the day");
        assert_eq!(arns(21), ["arn:aws:iam::1:role/a:1", "arn:aws:iam::1:role/b:1"]);
        assert!(!h.is_trivial(&now));
    }

    #[test]
    fn a_principal_is_uncertain_before_one_of_its_grants_was_deleted() {
        let mut times = GrantTimes::default();
        times.removals.insert("arn:aws:iam::1:role/team/Gone".into(), 10 * MS_PER_DAY + 3);
        times.removals.insert("arn:aws:iam::1:role/long-ago".into(), 3 * MS_PER_DAY);
        let h = history(&[(0, state(vec![]))], &times, &[9, 10, 11]);
        assert!(h.uncertain("arn:aws:iam::1:role/gone", 9), "the request's ARN has no path");
        assert!(h.uncertain("arn:aws:iam::1:role/GONE", 10));
        assert!(!h.uncertain("arn:aws:iam::1:role/gone", 11));
        assert!(!h.uncertain("arn:aws:iam::1:role/other", 9));
        assert!(!h.uncertain("arn:aws:iam::1:role/long-ago", 9), "deleted before the window");
    }
}
