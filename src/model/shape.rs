//! Request shapes: everything authorization depends on, and nothing it does not (DESIGN idea 1).
//!
//! Ingest folds events into shapes with per-day counts; replay evaluates each distinct shape once,
//! so its cost grows with distinct behaviour, not with log volume.

use std::borrow::Cow;

/// One distinct request, as authorization sees it. Borrowed from the event being ingested; only
/// shapes not seen before are copied into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestShape<'a> {
    pub cluster: Cow<'a, str>,
    /// The canonical IAM principal ARN, or the username for callers that are not IAM principals.
    pub principal: Cow<'a, str>,
    /// Whether `principal` is an IAM principal ARN (replay re-authenticates those).
    pub iam: bool,
    pub username: Cow<'a, str>,
    /// Groups as recorded, in the recorded order.
    pub groups: Vec<Cow<'a, str>>,
    /// STS session name: aws-auth username templates (`{{SessionName}}`) depend on it.
    pub session_name: Cow<'a, str>,
    pub verb: Cow<'a, str>,
    pub api_group: Cow<'a, str>,
    pub resource: Cow<'a, str>,
    pub subresource: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    /// Non-resource URL path (no query string); empty for resource requests.
    pub path: Cow<'a, str>,
    /// The STS access key id, for `{{AccessKeyID}}` templates. Not part of the shape's identity (it
    /// changes with every credential) and not stored: known only while an event is in hand.
    pub access_key_id: Cow<'a, str>,
    /// Whether this shape stands for requests whose object name or session name the store did
    /// not keep (beyond the [`KEPT_PARTICULARS`] names and sessions it keeps per base).
    pub unkept: Unkept,
}

/// What a shape's requests had that the store did not keep. An unkept name is stored empty; an
/// unkept session is stored empty with [`SESSION_TOKEN`] where it stood in the username and
/// groups. Authorization decides such a shape for every name and session it could stand for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Unkept {
    pub name: bool,
    pub session: bool,
}

impl Unkept {
    pub const NONE: Unkept = Unkept { name: false, session: false };

    pub fn any(self) -> bool {
        self.name || self.session
    }

    /// As stored: bit 1 the name, bit 2 the session.
    pub fn bits(self) -> i64 {
        i64::from(self.name) | i64::from(self.session) << 1
    }

    pub fn from_bits(bits: i64) -> Unkept {
        Unkept { name: bits & 1 != 0, session: bits & 2 != 0 }
    }
}

/// How many distinct object names, and how many distinct sessions, the store keeps per base (see
/// [`RequestShape::base_key`]); requests with another name or session are counted in a shape
/// with that part unkept. More than the three names generated RBAC may list, so a shape whose
/// names were not all kept never gets `resourceNames`.
pub const KEPT_PARTICULARS: usize = 8;

/// Where the session name stood in a recorded username or group, in the shape's key and in its
/// unkept row: the token aws-iam-authenticator's templates use.
pub const SESSION_TOKEN: &str = "{{SessionName}}";

/// The same, for a session name recorded with its `@` kept (`{{SessionNameRaw}}`).
pub const SESSION_RAW_TOKEN: &str = "{{SessionNameRaw}}";

/// Where a node's name stood in its username (`system:node:<private DNS name>`), in the shape's key
/// and its unkept row: the token of the aws-auth template EKS writes for nodes. No decision
/// grantscope makes depends on it: the Node authorizer decides for nodes.
pub const NODE_NAME_TOKEN: &str = "system:node:{{EC2PrivateDNSName}}";

/// A recorded username or group with the session name in it written as its template token, when
/// it ends with the session after a separator or is the session: how EKS's default username for a
/// role (`arn:aws:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}`) and the usual aws-auth templates
/// render it. Anything else is kept as recorded: a session found elsewhere in a name is more
/// likely a coincidence than a template, and keeping it only costs a kept particular.
pub fn with_session_token<'a>(recorded: &'a str, session: &str) -> Cow<'a, str> {
    match session_token_split(recorded, session) {
        Some((prefix, token)) => Cow::Owned(format!("{prefix}{token}")),
        None => Cow::Borrowed(recorded),
    }
}

/// Where [`with_session_token`] puts the token: the text before the session and the token, or
/// `None` when the recorded text is kept as it is. Split so keys hash it without allocating.
fn session_token_split<'a>(recorded: &'a str, session: &str) -> Option<(&'a str, &'static str)> {
    if session.is_empty() {
        return None;
    }
    // `{{SessionName}}` turns `@` into `-`; with no `@` both render the same, and EKS writes the
    // dashed token. (Computed per event: no allocation unless there is an `@`.)
    let dashed = if session.contains('@') { Cow::Owned(session.replace('@', "-")) } else { Cow::Borrowed(session) };
    [(dashed.as_ref(), SESSION_TOKEN), (session, SESSION_RAW_TOKEN)].into_iter().find_map(|(rendered, token)| {
        let prefix = recorded.strip_suffix(rendered)?;
        (prefix.is_empty() || prefix.ends_with(['/', ':', '-', '_', '.', '@'])).then_some((prefix, token))
    })
}

/// A 128-bit key over fields, each length-prefixed so that no two different lists of fields hash
/// the same bytes. The bytes are gathered and hashed at once: the same XXH3-128 as hashing them
/// piece by piece (stored keys depend on it), without the streaming hasher's copying.
struct KeyHasher(Vec<u8>);

impl KeyHasher {
    fn new() -> KeyHasher {
        KeyHasher(Vec::with_capacity(512))
    }

    fn field(&mut self, s: &str) {
        self.parts(&[s]);
    }

    /// One field written in pieces, hashed as their concatenation.
    fn parts(&mut self, pieces: &[&str]) {
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        self.0.extend_from_slice(&(len as u64).to_le_bytes());
        for p in pieces {
            self.0.extend_from_slice(p.as_bytes());
        }
    }

    /// A count, as the field of its decimal digits.
    fn count(&mut self, n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&((digits.len() - at) as u64).to_le_bytes());
        self.0.extend_from_slice(&digits[at..]);
    }

    /// A recorded username or group with the session written as its token ([`with_session_token`]).
    fn with_token(&mut self, recorded: &str, session: &str) {
        match session_token_split(recorded, session) {
            Some((prefix, token)) => self.parts(&[prefix, token]),
            None => self.field(recorded),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn finish(&self) -> u128 {
        xxhash_rust::xxh3::xxh3_128(&self.0)
    }
}

impl<'a> RequestShape<'a> {
    /// A 128-bit key identifying the shape; equal shapes have equal keys.
    pub fn key(&self) -> u128 {
        let mut h = KeyHasher::new();
        for s in [&self.cluster, &self.principal, &self.username, &self.session_name] {
            h.field(s);
        }
        h.field(if self.iam { "iam" } else { "k8s" });
        h.count(self.groups.len());
        for g in &self.groups {
            h.field(g);
        }
        for s in
            [&self.verb, &self.api_group, &self.resource, &self.subresource, &self.namespace, &self.name, &self.path]
        {
            h.field(s);
        }
        h.finish()
    }

    /// A 128-bit key of the shape's caller: who asked (cluster, principal, username, groups), as
    /// the store's callers are told apart.
    pub fn caller_key(&self) -> u128 {
        let mut h = KeyHasher::new();
        h.field("caller");
        h.field(&self.cluster);
        h.field(&self.principal);
        h.field(if self.iam { "iam" } else { "k8s" });
        h.field(&self.username);
        h.count(self.groups.len());
        for g in &self.groups {
            h.field(g);
        }
        h.finish()
    }

    /// The key of what every decision depends on but the object name and the session name: the
    /// shape's *base*. A base keeps [`KEPT_PARTICULARS`] names and as many sessions; its shapes are
    /// the combinations of a kept name (or the unkept ones) with a kept session (or the unkept
    /// ones). The name of a `create` is no part of anything: the authorizer never sees it.
    pub fn base_key(&self) -> u128 {
        let mut h = KeyHasher::new();
        h.field("base");
        h.field(&self.cluster);
        h.field(&self.principal);
        h.parts(&self.base_username_parts());
        h.field(if self.iam { "iam" } else { "k8s" });
        h.count(self.groups.len());
        for g in &self.groups {
            h.with_token(g, &self.session_name);
        }
        for s in [&self.verb, &self.api_group, &self.resource, &self.subresource, &self.namespace, &self.path] {
            h.field(s);
        }
        h.finish()
    }

    /// The username as the base keeps it: a node's as [`NODE_NAME_TOKEN`], anyone else's with the
    /// session written as its token.
    fn base_username(&self) -> Cow<'_, str> {
        match self.base_username_parts() {
            [whole, ""] => Cow::Borrowed(whole),
            [prefix, token] => Cow::Owned(format!("{prefix}{token}")),
        }
    }

    /// [`Self::base_username`] in two pieces (the second may be empty), for keys to hash without
    /// allocating.
    fn base_username_parts(&self) -> [&str; 2] {
        if super::is_node_identity(&self.username, &self.groups) {
            return [NODE_NAME_TOKEN, ""];
        }
        match session_token_split(&self.username, &self.session_name) {
            Some((prefix, token)) => [prefix, token],
            None => [&self.username, ""],
        }
    }

    /// Whether authorization sees an object name: not for a `create` of a collection (the audit
    /// log records the name from the request body; the authorizer decided without it).
    pub fn names_an_object(&self) -> bool {
        !(self.verb == "create" && self.subresource.is_empty())
    }

    /// The object name authorization can see (see [`Self::names_an_object`]).
    pub fn authorized_name(&self) -> &str {
        if self.names_an_object() { &self.name } else { "" }
    }

    /// The shape of a base that this request folds into, with what is `unkept` left out: its key
    /// and the shape as stored. A kept session keeps the username it came with (the base and the
    /// session determine it, but for a node's).
    pub fn within_base(&self, base: u128, unkept: Unkept) -> (u128, RequestShape<'a>) {
        let mut h = KeyHasher::new();
        h.bytes(&base.to_le_bytes());
        h.bytes(&[unkept.bits() as u8]);
        let name = if unkept.name { "" } else { self.authorized_name() };
        h.field(name);
        if !unkept.session {
            h.field(&self.session_name);
            h.field(&self.username);
        }
        let mut shape = RequestShape {
            name: Cow::Owned(name.to_string()),
            access_key_id: Cow::Borrowed(""),
            unkept,
            ..self.clone()
        };
        if unkept.session {
            let session = &self.session_name;
            shape.username = Cow::Owned(self.base_username().into_owned());
            shape.groups =
                self.groups.iter().map(|g| Cow::Owned(with_session_token(g, session).into_owned())).collect();
            shape.session_name = Cow::Borrowed("");
        }
        (h.finish(), shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> RequestShape<'static> {
        RequestShape {
            cluster: "prod".into(),
            principal: "arn:aws:iam::111122223333:role/Admin".into(),
            iam: true,
            username: "admin".into(),
            groups: vec!["a".into(), "b".into()],
            session_name: "alice".into(),
            verb: "get".into(),
            api_group: "".into(),
            resource: "pods".into(),
            subresource: "".into(),
            namespace: "default".into(),
            name: "".into(),
            path: "".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            unkept: Unkept::NONE,
        }
    }

    /// Keys are stored: a shape ingested by an earlier version must get the same keys now, or its
    /// usage would split in two. The figures were computed by the streaming hasher of 81db217.
    #[test]
    fn keys_are_those_earlier_versions_stored() {
        let role = RequestShape {
            username: "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com".into(),
            groups: vec!["ci:alice-example.com".into(), "system:authenticated".into()],
            session_name: "alice@example.com".into(),
            name: "web-1".into(),
            ..shape()
        };
        let node = RequestShape {
            username: "system:node:ip-10-0-1-2.ec2.internal".into(),
            groups: vec!["system:nodes".into(), "system:authenticated".into()],
            session_name: "i-0123456789abcdef0".into(),
            ..shape()
        };
        let many = RequestShape { groups: (0..12).map(|i| format!("g{i}").into()).collect(), ..shape() };
        let mut got = Vec::new();
        for s in [shape(), role, node, many] {
            got.push(s.key());
            got.push(s.base_key());
            for unkept in [Unkept::NONE, Unkept { name: true, session: false }, Unkept { name: true, session: true }] {
                got.push(s.within_base(s.base_key(), unkept).0);
            }
        }
        let got: Vec<String> = got.iter().map(|k| format!("{k:032x}")).collect();
        assert_eq!(got, PINNED_KEYS);
    }

    /// Per shape: key, base key, then within its base with nothing, the name, and both unkept.
    const PINNED_KEYS: [&str; 20] = [
        "a3a69e345d933e08c99fccf5a5ce7b9a",
        "2c66474bc9b0a58117c174de20c1d19a",
        "05e84fd4b52b422d0eea3289ff4907a3",
        "197d2be00423c63bad6964308f8679ac",
        "7f40944df5e24bee4a08a13a2197d33d",
        "d14fcbe6ba2d653f72a19fa178dff217",
        "ffccfd8c4c678130c1402eb10990f7be",
        "f1f2d8975784347851f9fc6ad5209fb5",
        "0efc4d3d4bfb821cc4b0361071172544",
        "897eb0b4e89d718d1ffeb46d5f7f1efc",
        "3c9186e605688d30bec9ece51ed0e8d4",
        "1c4f4d860ed6a9724ccb2e7a1055179d",
        "1b106c85d76c86f0b85501038f064871",
        "d54e6d1990d7260e799dfd4f1705482a",
        "acb97066beb331c4cb5ab9b17e730a6d",
        "fa611405dd014f7cacd95cb301008ee0",
        "c161f3910ed26ceb221549f0f799639e",
        "574fbfb00bc55e28801dd33f7ae7933d",
        "8a47d18472b1f602131afe45ca98d323",
        "fa145fc80be73f55ecbcdcd13661f988",
    ];

    #[test]
    fn key_changes_with_every_field_and_not_otherwise() {
        let base = shape();
        assert_eq!(base.key(), shape().key());
        let variants: Vec<(&str, RequestShape)> = vec![
            ("cluster", RequestShape { cluster: "dev".into(), ..shape() }),
            ("principal", RequestShape { principal: "x".into(), ..shape() }),
            ("iam flag", RequestShape { iam: false, ..shape() }),
            ("username", RequestShape { username: "x".into(), ..shape() }),
            ("groups", RequestShape { groups: vec!["a".into()], ..shape() }),
            ("session", RequestShape { session_name: "bob".into(), ..shape() }),
            ("verb", RequestShape { verb: "list".into(), ..shape() }),
            ("api group", RequestShape { api_group: "apps".into(), ..shape() }),
            ("resource", RequestShape { resource: "secrets".into(), ..shape() }),
            ("subresource", RequestShape { subresource: "log".into(), ..shape() }),
            ("namespace", RequestShape { namespace: "kube-system".into(), ..shape() }),
            ("name", RequestShape { name: "x".into(), ..shape() }),
            ("path", RequestShape { path: "/version".into(), ..shape() }),
            // Moving a character across a field boundary must not collide.
            ("boundary", RequestShape { groups: vec!["ab".into()], ..shape() }),
            ("split group", RequestShape { groups: vec!["a".into(), "".into(), "b".into()], ..shape() }),
        ];
        for (name, v) in variants {
            assert_ne!(v.key(), base.key(), "changing {name} must change the key");
        }
        let rotated = RequestShape { access_key_id: "ASIAOTHER".into(), ..shape() };
        assert_eq!(rotated.key(), base.key(), "a new credential is the same caller");
    }

    #[test]
    fn caller_key_changes_with_who_asked_and_not_with_what() {
        let base = shape().caller_key();
        let who: Vec<(&str, RequestShape)> = vec![
            ("cluster", RequestShape { cluster: "dev".into(), ..shape() }),
            ("principal", RequestShape { principal: "x".into(), ..shape() }),
            ("iam flag", RequestShape { iam: false, ..shape() }),
            ("username", RequestShape { username: "x".into(), ..shape() }),
            ("groups", RequestShape { groups: vec!["a".into()], ..shape() }),
            ("a character across a group boundary", RequestShape { groups: vec!["ab".into()], ..shape() }),
        ];
        for (field, v) in who {
            assert_ne!(v.caller_key(), base, "changing {field} must change the caller");
        }
        let what: Vec<(&str, RequestShape)> = vec![
            ("session", RequestShape { session_name: "bob".into(), ..shape() }),
            ("verb", RequestShape { verb: "list".into(), ..shape() }),
            ("resource", RequestShape { resource: "secrets".into(), ..shape() }),
            ("namespace", RequestShape { namespace: "kube-system".into(), ..shape() }),
            ("name", RequestShape { name: "x".into(), ..shape() }),
            ("credential", RequestShape { access_key_id: "ASIAOTHER".into(), ..shape() }),
        ];
        for (field, v) in what {
            assert_eq!(v.caller_key(), base, "{field} is what was asked, not who asked");
        }
    }
}
