//! What a different access state would decide for the window's requests: the shapes that flip.
//! Used by `grantscope whatif` and to prove recommendations safe before they are made.

use crate::authz::Authorizer;
use crate::model::AccessState;
use crate::store::WindowShape;

/// One shape whose decision changes.
#[derive(Clone)]
pub struct Flip<'a> {
    pub shape: &'a WindowShape,
    pub from: Option<bool>,
    pub to: Option<bool>,
    /// The grant that allowed it until now.
    pub was_allowed_by: Option<String>,
    /// The grant that allows it under the proposed state.
    pub now_allowed_by: Option<String>,
}

/// The shapes whose decision under `proposed` differs from their current one.
pub fn flips<'a>(proposed: &AccessState, shapes: &'a [WindowShape]) -> Vec<Flip<'a>> {
    let authz = Authorizer::new(proposed);
    shapes
        .iter()
        .filter_map(|s| {
            let d = authz.authorize(&s.stored.shape);
            (d.allowed != s.allowed).then(|| Flip {
                shape: s,
                from: s.allowed,
                to: d.allowed,
                was_allowed_by: s.by.clone(),
                now_allowed_by: d.by.map(|g| authz.grant_id(g)),
            })
        })
        .collect()
}

/// Requests (not shapes) the proposed state would deny that are allowed now.
pub fn requests_broken(proposed: &AccessState, shapes: &[WindowShape]) -> (i64, Vec<String>) {
    let broken: Vec<Flip> =
        flips(proposed, shapes).into_iter().filter(|f| f.from == Some(true) && f.to == Some(false)).collect();
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
    if !r.path.is_empty() {
        return format!("{} {} {}", r.principal, r.verb, r.path);
    }
    let resource =
        if r.subresource.is_empty() { r.resource.to_string() } else { format!("{}/{}", r.resource, r.subresource) };
    let group = if r.api_group.is_empty() { String::new() } else { format!(".{}", r.api_group) };
    let ns = if r.namespace.is_empty() { "cluster-wide".to_string() } else { format!("in {}", r.namespace) };
    format!("{} {} {resource}{group} {ns}", r.principal, r.verb)
}
