//! What a different access state would decide for the window's requests: the shapes that flip.
//! Used by `grantscope whatif` and to prove recommendations safe before they are made.

use crate::authz::Authorizer;
use crate::authz::changes::Affected;
use crate::model::{AccessState, GrantId};
use crate::store::WindowShape;
use std::collections::HashMap;

/// One shape whose decision changes.
#[derive(Clone)]
pub struct Flip<'a> {
    pub shape: &'a WindowShape,
    pub from: Option<bool>,
    pub to: Option<bool>,
    /// The grant that allowed it until now.
    pub was_allowed_by: Option<GrantId>,
    /// The grant that allows it under the proposed state.
    pub now_allowed_by: Option<GrantId>,
}

/// The window's shapes grouped by caller: a change's proof looks at the callers it reaches, not at
/// every shape.
pub struct ShapesByCaller<'a> {
    callers: Vec<Vec<&'a WindowShape>>,
}

impl<'a> ShapesByCaller<'a> {
    pub fn new(shapes: &'a [WindowShape]) -> ShapesByCaller<'a> {
        let mut by: HashMap<i64, Vec<&WindowShape>> = HashMap::new();
        for s in shapes {
            by.entry(s.stored.caller_id).or_default().push(s);
        }
        let mut callers: Vec<Vec<&WindowShape>> = by.into_values().collect();
        callers.sort_by_key(|c| c[0].stored.id); // window order: flips come out the same every run
        ShapesByCaller { callers }
    }
}

/// The shapes whose decision under `proposed` differs from their current one, which `current`
/// made. Only the shapes of callers the change between the two can reach are decided again (see
/// [`Affected`]).
pub fn flips<'a>(current: &AccessState, proposed: &AccessState, window: &ShapesByCaller<'a>) -> Vec<Flip<'a>> {
    let mut affected = Affected::between(current, proposed);
    affected.reach_principals([current, proposed]);
    flips_reaching(&affected, proposed, window)
}

/// The shapes of the callers in `affected` whose decision under `proposed` differs from their
/// current one: a recommendation's proof costs what it touches, not the whole window.
pub fn flips_reaching<'a>(affected: &Affected, proposed: &AccessState, window: &ShapesByCaller<'a>) -> Vec<Flip<'a>> {
    if affected.is_empty() {
        return Vec::new();
    }
    let authz = Authorizer::new(proposed);
    let mut out: Vec<Flip> = window
        .callers
        .iter()
        .filter(|shapes| {
            let c = &shapes[0].stored.shape;
            affected.touches(c.iam.then_some(c.principal.as_ref()), &c.username, &c.groups)
        })
        .flatten()
        .filter_map(|&s| {
            let d = authz.authorize(&s.stored.shape);
            (d.allowed != s.allowed()).then(|| Flip {
                shape: s,
                from: s.allowed(),
                to: d.allowed,
                was_allowed_by: s.by().cloned(),
                now_allowed_by: d.by.map(|g| authz.grant_id(g)),
            })
        })
        .collect();
    out.sort_by_key(|f| f.shape.stored.id);
    out
}

/// Requests (not shapes) of the `affected` callers that the current state allows and the proposed
/// one would not certainly allow: denied, or undetermined (requests whose names or sessions were
/// not kept, which some of them might be denied), so a change is never called safe when a request
/// could be denied.
pub fn requests_broken(affected: &Affected, proposed: &AccessState, window: &ShapesByCaller) -> (i64, Vec<String>) {
    let broken: Vec<Flip> = flips_reaching(affected, proposed, window)
        .into_iter()
        .filter(|f| f.from == Some(true) && f.to != Some(true))
        .collect();
    let examples = broken.iter().take(3).map(|f| describe(f.shape)).collect();
    (broken.iter().map(|f| f.shape.requests).sum(), examples)
}

/// `principal verb resource in namespace`, for people.
/// A request as evidence: what, how often, and the session it came from.
pub fn example(s: &WindowShape) -> String {
    let session = &s.stored.shape.session_name;
    let from = if session.is_empty() { String::new() } else { format!(", session {session}") };
    format!("{} ({} requests{from})", describe(s), s.requests)
}

pub fn describe(s: &WindowShape) -> String {
    let r = &s.stored.shape;
    // Requests beyond the names and sessions the store keeps per shape.
    let unkept = match (r.unkept.name, r.unkept.session) {
        (false, false) => "",
        (true, false) => " (names not kept)",
        (false, true) => " (sessions not kept)",
        (true, true) => " (names and sessions not kept)",
    };
    if !r.path.is_empty() {
        return format!("{} {} {}{unkept}", r.principal, r.verb, r.path);
    }
    let resource =
        if r.subresource.is_empty() { r.resource.to_string() } else { format!("{}/{}", r.resource, r.subresource) };
    let group = if r.api_group.is_empty() { String::new() } else { format!(".{}", r.api_group) };
    let ns = if r.namespace.is_empty() { "cluster-wide".to_string() } else { format!("in {}", r.namespace) };
    format!("{} {} {resource}{group} {ns}{unkept}", r.principal, r.verb)
}
