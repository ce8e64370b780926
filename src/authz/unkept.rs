//! Deciding a shape's unkept requests: those whose object name and session name the store did not
//! keep (README, "Request shapes on busy clusters"). They are decided twice, at two bounds:
//!
//! - at the **lowest**, a name no `resourceNames` list holds and a session whose rendering no
//!   subject names. RBAC and EKS access policies only grant, so a request allowed there is
//!   allowed whatever its name and session: the rules that match are those with no
//!   `resourceNames`, which match every name, and the subjects that match do not depend on the
//!   session.
//! - at the **highest**, a name every `resourceNames` list holds and a session that renders to
//!   every subject its template could produce. A request denied there is denied whatever its
//!   name and session.
//!
//! Between the two the decision is *undetermined*: never counted as allowed or as denied, and the
//! grants the highest bound found are those that *possibly* allowed some of the requests.
//!
//! The bounds travel in the request's name and session as markers with a NUL in them: no
//! Kubernetes object name and no STS session name can hold one, and the helpers below compare
//! them as bounds, never as text.

use crate::model::{RequestShape, SESSION_RAW_TOKEN, SESSION_TOKEN};
use std::borrow::Cow;

/// A name in no `resourceNames` list; a session that renders to no subject's name.
pub const LOWEST: &str = "\u{0}lowest";
/// A name in every `resourceNames` list; a session that renders to every name its template allows.
pub const HIGHEST: &str = "\u{0}highest";

/// An unkept shape at one bound: the marker as its unkept name, and as its unkept session (where
/// the session stood in the recorded username and groups too).
pub fn at_bound<'a>(shape: &RequestShape<'a>, bound: &'static str) -> RequestShape<'a> {
    let mut at = RequestShape { unkept: crate::model::Unkept::NONE, ..shape.clone() };
    if shape.unkept.name {
        at.name = Cow::Borrowed(bound);
    }
    if shape.unkept.session {
        at.username = with_bound(&shape.username, bound);
        at.groups = shape.groups.iter().map(|g| with_bound(g, bound)).collect();
        at.session_name = Cow::Borrowed(bound);
    }
    at
}

/// The shape with every NUL that a log wrote into its names turned into U+FFFD: only a bound
/// carries a NUL, so an object, session or user named `\0highest` in a hostile log is never taken
/// for one. (No Kubernetes name or STS session can hold a NUL.)
pub fn without_nul<'s, 'a>(shape: &'s RequestShape<'a>) -> Cow<'s, RequestShape<'a>> {
    let has_nul = |s: &str| s.contains('\0');
    if !(has_nul(&shape.name)
        || has_nul(&shape.session_name)
        || has_nul(&shape.username)
        || shape.groups.iter().any(|g| has_nul(g)))
    {
        return Cow::Borrowed(shape);
    }
    let inert = |s: &Cow<'a, str>| -> Cow<'a, str> {
        if has_nul(s) { Cow::Owned(s.replace('\0', "\u{FFFD}")) } else { s.clone() }
    };
    Cow::Owned(RequestShape {
        name: inert(&shape.name),
        session_name: inert(&shape.session_name),
        username: inert(&shape.username),
        groups: shape.groups.iter().map(inert).collect(),
        ..shape.clone()
    })
}

/// A username or group with the bound where the session's token stands.
fn with_bound<'a>(text: &Cow<'a, str>, bound: &str) -> Cow<'a, str> {
    if text.contains("{{") {
        Cow::Owned(text.replace(SESSION_TOKEN, bound).replace(SESSION_RAW_TOKEN, bound))
    } else {
        text.clone()
    }
}

/// Whether a requested object name matches a non-empty `resourceNames` entry `listed`.
pub fn name_matches(name: &str, listed: &str) -> bool {
    match name {
        HIGHEST => true,
        LOWEST => false,
        _ => name == listed,
    }
}

/// Whether a caller's username or group, as rendered (perhaps with a bound in it), names the
/// subject `subject`. At the lowest bound nothing is named; at the highest, every subject with the
/// rendered text's literal prefix and suffix around the bound (a superset of what any session can
/// render to). Text with a NUL that is not a bound names nothing.
pub fn names_subject(rendered: &str, subject: &str) -> bool {
    if !rendered.contains('\0') {
        return rendered == subject;
    }
    let (Some(first), Some(last)) = (rendered.find(HIGHEST), rendered.rfind(HIGHEST)) else { return false };
    let (prefix, suffix) = (&rendered[..first], &rendered[last + HIGHEST.len()..]);
    !prefix.contains('\0')
        && !suffix.contains('\0')
        && subject.len() >= prefix.len() + suffix.len()
        && subject.starts_with(prefix)
        && subject.ends_with(suffix)
}

/// Whether a rendered username or group carries a bound (and must be compared by [`names_subject`]
/// rather than looked up).
pub fn is_bounded(rendered: &str) -> bool {
    rendered.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_at_a_bound_matches_every_list_or_none() {
        let cases = [
            ("the lowest name is in no list", LOWEST, "web", false),
            ("not even a list holding the marker's text", LOWEST, LOWEST, false),
            ("the highest name is in every list", HIGHEST, "web", true),
            ("a kept name matches itself", "web", "web", true),
            ("and nothing else", "web", "api", false),
        ];
        for (rule, name, listed, want) in cases {
            assert_eq!(name_matches(name, listed), want, "{rule}");
        }
    }

    #[test]
    fn a_rendered_name_at_a_bound_names_subjects_by_its_literal_parts() {
        let role = "arn:aws:sts::1:assumed-role/ci/";
        let high = format!("{role}{HIGHEST}");
        let low = format!("{role}{LOWEST}");
        let cases: [(&str, &str, &str, bool); 8] = [
            ("text without a bound is compared exactly", "admin", "admin", true),
            ("and names nothing else", "admin", "admins", false),
            (
                "the highest session names every session of the role",
                &high,
                "arn:aws:sts::1:assumed-role/ci/job-7",
                true,
            ),
            ("even the empty one", &high, role, true),
            ("but not another role's", &high, "arn:aws:sts::1:assumed-role/cd/job-7", false),
            ("the lowest session names nobody", &low, "arn:aws:sts::1:assumed-role/ci/job-7", false),
            ("a stray NUL names nobody", "a\0b", "a\0b", false),
            ("a template between literals keeps both", &format!("dev:{HIGHEST}:x"), "dev:alice:x", true),
        ];
        for (rule, rendered, subject, want) in cases {
            assert_eq!(names_subject(rendered, subject), want, "{rule}");
        }
    }

    #[test]
    fn a_bound_replaces_the_session_wherever_it_stood() {
        let shape = RequestShape {
            cluster: "c".into(),
            principal: "arn:aws:iam::1:role/ci".into(),
            iam: true,
            username: "arn:aws:sts::1:assumed-role/ci/{{SessionName}}".into(),
            groups: vec!["ci:{{SessionNameRaw}}".into(), "builders".into()],
            session_name: "".into(),
            verb: "get".into(),
            api_group: "".into(),
            resource: "secrets".into(),
            subresource: "".into(),
            namespace: "ci".into(),
            name: "".into(),
            path: "".into(),
            access_key_id: "".into(),
            unkept: crate::model::Unkept { name: true, session: true },
        };
        let low = at_bound(&shape, LOWEST);
        assert_eq!(low.username, format!("arn:aws:sts::1:assumed-role/ci/{LOWEST}"));
        assert_eq!(low.groups, vec![format!("ci:{LOWEST}"), "builders".to_string()]);
        assert_eq!((low.name.as_ref(), low.session_name.as_ref(), low.unkept.any()), (LOWEST, LOWEST, false));
    }
}
