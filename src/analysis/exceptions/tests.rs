use super::*;
use crate::analysis::{Evidence, Recommendation, Severity, finding_id};
use crate::model::GrantId;

const DAY: i64 = 20_000; // 2024-10-04

fn finding(kind: FindingKind, grant: &str, principal: Option<&str>) -> Finding {
    Finding {
        id: finding_id(kind, "prod", grant),
        kind,
        would_be: None,
        severity: Severity::High,
        cluster: "prod".into(),
        principal: principal.map(String::from),
        grant: GrantId::parse(grant),
        evidence: Evidence::unused(20, 90),
        recommendation: Recommendation { summary: "remove it".into(), commands: vec![] },
        change: None,
        controls: vec![],
        accepted: None,
        lapsed_exception: None,
    }
}

const BREAK_GLASS: &str = "eks-entry:arn:aws:iam::111122223333:role/break-glass";
const SANDBOX: &str = "rbac:RoleBinding/sandbox-a/devs:ClusterRole/edit";
const TWO_NS: &str = "eks:arn:aws:iam::111122223333:role/dev:AmazonEKSEditPolicy@ns:sandbox-a,prod";

fn exceptions(yaml: &str) -> Exceptions {
    parse(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// (accepted ids, lapsed (id, why), unmatched entry numbers).
fn outcome(yaml: &str, findings: &[Finding], today: i64, fp: &str) -> (Vec<String>, Vec<(String, String)>, Vec<usize>) {
    let mut open = findings.to_vec();
    let fp = fp.to_string();
    let applied = apply(&exceptions(yaml), "prod", &mut open, today, &|_| fp.clone());
    (
        applied.accepted.iter().map(|f| f.id.clone()).collect(),
        open.iter().filter_map(|f| Some((f.id.clone(), f.lapsed_exception.as_ref()?.why.clone()))).collect(),
        applied.unmatched.iter().map(|u| u.entry).collect(),
    )
}

#[test]
fn apply_accepts_what_an_entry_selects_while_it_holds() {
    let glass =
        finding(FindingKind::UnusedAccessEntry, BREAK_GLASS, Some("arn:aws:iam::111122223333:role/break-glass"));
    let sandbox = finding(FindingKind::UnusedRbacBinding, SANDBOX, None);
    let two_ns = finding(FindingKind::OverbroadPolicy, TWO_NS, Some("arn:aws:iam::111122223333:role/dev"));
    let mut maybe = finding(FindingKind::InsufficientEvidence, BREAK_GLASS, None);
    maybe.would_be = Some(FindingKind::UnusedAccessEntry);
    let all = [glass.clone(), sandbox.clone(), two_ns.clone()];
    let g = &glass.id;
    let id_entry = |extra: &str| format!("exceptions:\n  - id: {g}\n    reason: r\n    owner: o\n{extra}");
    let fp = "00000000000000aa";
    type Case = (&'static str, String, Vec<Finding>, i64, Vec<String>, Vec<&'static str>, Vec<usize>);
    let cases: Vec<Case> = vec![
        ("an id entry accepts its finding", id_entry(""), all.to_vec(), DAY, vec![g.clone()], vec![], vec![]),
        (
            "an entry holds up to the day before it expires",
            id_entry("    expires: 2024-10-05\n"),
            all.to_vec(),
            DAY,
            vec![g.clone()],
            vec![],
            vec![],
        ),
        (
            "from its expiry day an entry no longer accepts, and the finding says so",
            id_entry("    expires: 2024-10-04\n"),
            all.to_vec(),
            DAY,
            vec![],
            vec!["exception expired on 2024-10-04"],
            vec![],
        ),
        (
            "an id entry with the grant's fingerprint holds",
            id_entry(&format!("    fingerprint: \"{fp}\"\n    accepted_on: 2024-09-01\n")),
            all.to_vec(),
            DAY,
            vec![g.clone()],
            vec![],
            vec![],
        ),
        (
            "a changed grant un-accepts, saying since when",
            id_entry("    fingerprint: \"00000000000000bb\"\n    accepted_on: 2024-09-01\n"),
            all.to_vec(),
            DAY,
            vec![],
            vec![
                "the grant changed since it was accepted on 2024-09-01 (fingerprint 00000000000000bb, now 00000000000000aa): review it and accept it again",
            ],
            vec![],
        ),
        (
            "an entry of another cluster neither accepts nor is unmatched",
            id_entry("    cluster: staging\n"),
            all.to_vec(),
            DAY,
            vec![],
            vec![],
            vec![],
        ),
        (
            "an entry that selects nothing is unmatched",
            id_entry(""),
            vec![sandbox.clone()],
            DAY,
            vec![],
            vec![],
            vec![1],
        ),
        (
            "a principal glob spans accounts",
            "exceptions:\n  - match: {principal: 'arn:aws:iam::*:role/break-glass'}\n    reason: r\n    owner: o\n".into(),
            all.to_vec(),
            DAY,
            vec![g.clone()],
            vec![],
            vec![],
        ),
        (
            "a pattern's kind also matches what an insufficient-evidence finding would be",
            "exceptions:\n  - match: {kind: unused-access-entry}\n    reason: r\n    owner: o\n".into(),
            vec![maybe.clone()],
            DAY,
            vec![maybe.id.clone()],
            vec![],
            vec![],
        ),
        (
            "every field of a pattern must match",
            "exceptions:\n  - match: {kind: risky, principal: 'arn:aws:iam::*:role/break-glass'}\n    reason: r\n    owner: o\n"
                .into(),
            all.to_vec(),
            DAY,
            vec![],
            vec![],
            vec![1],
        ),
        (
            "a namespace glob accepts a grant whose every namespace matches, not one that reaches beyond",
            "exceptions:\n  - match: {namespace: 'sandbox-*'}\n    reason: r\n    owner: o\n".into(),
            all.to_vec(),
            DAY,
            vec![sandbox.id.clone()],
            vec![],
            vec![],
        ),
        (
            "the first entry that holds accepts; an expired one before it is no lapse",
            format!(
                "exceptions:\n  - id: {g}\n    reason: old\n    owner: o\n    expires: 2024-01-01\n  - id: {g}\n    reason: new\n    owner: o\n"
            ),
            all.to_vec(),
            DAY,
            vec![g.clone()],
            vec![],
            vec![],
        ),
    ];
    for (name, yaml, findings, today, accepted, lapsed, unmatched) in cases {
        let (got_accepted, got_lapsed, got_unmatched) = outcome(&yaml, &findings, today, fp);
        assert_eq!(got_accepted, accepted, "{name}: accepted");
        let got_why: Vec<&str> = got_lapsed.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(got_why, lapsed, "{name}: lapsed");
        assert_eq!(got_unmatched, unmatched, "{name}: unmatched");
    }
}

#[test]
fn an_accepted_finding_says_by_which_entry_and_the_others_stay_in_order() {
    let glass = finding(FindingKind::UnusedAccessEntry, BREAK_GLASS, None);
    let sandbox = finding(FindingKind::UnusedRbacBinding, SANDBOX, None);
    let two_ns = finding(FindingKind::OverbroadPolicy, TWO_NS, None);
    let mut open = vec![sandbox.clone(), glass.clone(), two_ns.clone()];
    let file = exceptions(&format!(
        "exceptions:\n  - match: {{kind: risky}}\n    reason: x\n    owner: y\n  - id: {}\n    reason: \"break-glass: on purpose\"\n    owner: sec\n    expires: 2030-01-01\n",
        glass.id
    ));
    let applied = apply(&file, "prod", &mut open, DAY, &|_| unreachable!("no fingerprint recorded"));
    assert_eq!(open.iter().map(|f| &f.id).collect::<Vec<_>>(), [&sandbox.id, &two_ns.id]);
    let a = applied.accepted[0].accepted.as_ref().unwrap();
    assert_eq!(
        (a.reason.as_str(), a.owner.as_str(), a.expires.as_deref(), a.matched_by, a.entry),
        ("break-glass: on purpose", "sec", Some("2030-01-01"), "id", 2)
    );
    assert_eq!(applied.unmatched.len(), 1);
    assert_eq!(
        applied.unmatched[0].warning("prod"),
        "exceptions: entry 1 (match kind=risky) matches no finding of cluster prod: the finding is gone or the entry is mistyped; remove or fix it"
    );
}

#[test]
fn a_malformed_file_is_an_error_naming_the_entry_and_the_field() {
    let id = "GS-0123456789ab";
    let cases = [
        (
            "a value YAML 1.1 reads as a boolean is a string",
            format!("exceptions:\n  - id: {id}\n    reason: r\n    owner: no\n    cluster: 1\n    reasn: x\n"),
            "entry 1 (id GS-0123456789ab): unknown field `reasn`",
        ),
        (
            "an unknown field",
            format!("exceptions:\n  - id: {id}\n    reason: r\n    owner: o\n    reasn: x\n"),
            "entry 1 (id GS-0123456789ab): unknown field `reasn`",
        ),
        (
            "no reason",
            format!("exceptions:\n  - id: {id}\n    owner: o\n"),
            "entry 1 (id GS-0123456789ab): reason: required",
        ),
        ("a blank owner", format!("exceptions:\n  - id: {id}\n    reason: r\n    owner: ' '\n"), "owner: required"),
        (
            "a date that is none",
            format!("exceptions:\n  - id: {id}\n    reason: r\n    owner: o\n    expires: 2026-02-30\n"),
            "expires: `2026-02-30` is not a date (YYYY-MM-DD)",
        ),
        (
            "the second entry is named",
            format!(
                "exceptions:\n  - id: {id}\n    reason: r\n    owner: o\n  - match: {{kind: unused}}\n    reason: r\n    owner: o\n"
            ),
            "entry 2: match.kind: unknown variant `unused`",
        ),
        (
            "both id and match",
            format!("exceptions:\n  - id: {id}\n    match: {{kind: risky}}\n    reason: r\n    owner: o\n"),
            "give `id` or `match`, not both",
        ),
        (
            "neither id nor match",
            "exceptions:\n  - reason: r\n    owner: o\n".to_string(),
            "entry 1: give `id` (a finding id) or `match`",
        ),
        (
            "a mistyped id",
            "exceptions:\n  - id: GS-12345\n    reason: r\n    owner: o\n".to_string(),
            "id: `GS-12345` is not a finding id",
        ),
        (
            "an empty pattern",
            "exceptions:\n  - match: {}\n    reason: r\n    owner: o\n".to_string(),
            "match: give at least one of kind",
        ),
        (
            "an empty glob",
            "exceptions:\n  - match: {grant: ''}\n    reason: r\n    owner: o\n".to_string(),
            "match.grant: empty",
        ),
        (
            "an unknown pattern field",
            "exceptions:\n  - match: {principle: x}\n    reason: r\n    owner: o\n".to_string(),
            "unknown field `principle`",
        ),
        (
            "a fingerprint on a pattern",
            "exceptions:\n  - match: {kind: risky}\n    reason: r\n    owner: o\n    fingerprint: '0000000000000000'\n"
                .to_string(),
            "fingerprint: only an `id` entry",
        ),
        (
            "a fingerprint accept never wrote",
            format!("exceptions:\n  - id: {id}\n    reason: r\n    owner: o\n    fingerprint: abc\n"),
            "fingerprint: `abc` is not one",
        ),
        ("an unknown top-level key", "exception:\n  - id: x\n".to_string(), "unknown field `exception`"),
        ("not YAML", "exceptions: [\n".to_string(), "expected a mapping with one key, `exceptions`"),
    ];
    for (name, yaml, want) in cases {
        let err = parse(&yaml).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(want), "{name}: {err}");
        assert!(!err.contains('\n'), "{name}: one line: {err}");
    }
}

#[test]
fn an_empty_or_commented_file_accepts_nothing() {
    for text in ["", "\n", "# nothing yet\n", "exceptions:\n", "exceptions: []\n"] {
        assert_eq!(parse(text), Ok(Exceptions::default()), "{text:?}");
    }
}

fn new_entry(reason: &str) -> NewEntry {
    NewEntry {
        id: "GS-0123456789ab".into(),
        cluster: "prod".into(),
        reason: reason.into(),
        owner: "o: #1".into(),
        expires: Some(DAY + 30),
        accepted_on: DAY,
        grant: BREAK_GLASS.into(),
        fingerprint: "0123456789012345".into(),
    }
}

#[test]
fn appended_values_read_back_exactly_however_hostile() {
    let cases = [
        ("a colon and a hash", "break-glass: used # only in incidents"),
        ("quotes and a backslash", r#"say "no" \ then 'yes'"#),
        ("a newline and a tab", "line one\nline\ttwo"),
        ("control characters", "bell\u{7} escape\u{1b}[31m nul\u{0}"),
        ("YAML markers at the start", "- [x] {y}: &a *a !tag | >"),
        ("a line separator", "a\u{2028}b"),
        ("words YAML 1.1 read as booleans", "yes"),
        ("non-ASCII", "débogage — 障害対応"),
    ];
    for (name, reason) in cases {
        let (text, read) = appended(None, &new_entry(reason)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = &read.entries[0];
        assert_eq!(e.reason, reason, "{name}:\n{text}");
        assert_eq!(e.owner, "o: #1", "{name}");
        assert_eq!(e.fingerprint.as_deref(), Some("0123456789012345"), "{name}: digits stay a string");
        assert_eq!((e.expires, e.accepted_on), (Some(DAY + 30), Some(DAY)), "{name}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{2028}'), "{name}: no raw control character");
    }
}

#[test]
fn appending_keeps_the_file_byte_for_byte_and_adds_one_entry() {
    let two_space = "# Reviewed by security.\nexceptions:\n  # the break-glass role\n  - id: GS-aaaaaaaaaaaa\n    reason: 'kept: on purpose'   # keep\n    owner: sec\n";
    let flush = "exceptions:\n- id: GS-aaaaaaaaaaaa\n  reason: r\n  owner: o\n# trailing comment";
    let only_comments = "# to be filled\n";
    for (name, existing, entries) in [
        ("two-space items", two_space, 2),
        ("items at the key's indent", flush, 2),
        ("only comments", only_comments, 1),
    ] {
        let (text, read) = appended(Some(existing), &new_entry("r")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with(existing), "{name}: the file as it was, then the entry:\n{text}");
        assert_eq!(read.entries.len(), entries, "{name}");
    }
    let (text, _) = appended(None, &new_entry("r")).unwrap();
    assert!(
        text.starts_with("# Accepted risk for grantscope") && text.contains("\nexceptions:\n  - id: GS-0123456789ab\n")
    );
    let err = appended(Some("exceptions: []\n"), &new_entry("r")).unwrap_err();
    assert!(err.contains("written inline"), "{err}");
    let err = appended(Some("exceptions:\n  - id: nope\n"), &new_entry("r")).unwrap_err();
    assert!(err.contains("entry 1"), "a malformed file is not appended to: {err}");
}

#[test]
fn finding_ids_are_recognised_as_finding_id_writes_them() {
    assert!(is_finding_id(&finding_id(FindingKind::Risky, "c", "g")));
    for bad in ["GS-0123456789a", "GS-0123456789AB", "gs-0123456789ab", "GS-0123456789abc", "0123456789ab"] {
        assert!(!is_finding_id(bad), "{bad}");
    }
}
