//! Grant ids: the stable, human-readable name of one grant, as `evaluate`, the findings, the
//! metrics and the database write it (the README documents the format); the grant an API server's
//! recorded reason names; and the role a grant played in a decision.

use super::{AccessScope, RoleKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The id of one grant:
///
/// | grant | id |
/// |---|---|
/// | an access policy association | `eks:<principalARN>:<Policy>@cluster` or `@ns:<a>,<b>` |
/// | an access entry | `eks-entry:<principalARN>` |
/// | a Kubernetes group of an access entry | `eks-entry:<principalARN>#group/<group>` |
/// | a ClusterRoleBinding | `rbac:ClusterRoleBinding/<name>:ClusterRole/<role>` |
/// | a RoleBinding | `rbac:RoleBinding/<ns>/<name>:<Role or ClusterRole>/<role>` |
/// | an aws-auth mapping | `aws-auth:mapRoles/<arn>`, `aws-auth:mapUsers/<arn>`, `aws-auth:mapAccounts/<account>` |
/// | a privileged group | `k8s:group/system:masters` |
///
/// The text is made once, by the constructors, or read back as they stored it ([`GrantId::parse`]);
/// an access policy's id also knows where its scope starts, the part an EKS audit reason leaves
/// out. Ids compare, hash and order by their text.
#[derive(Clone)]
pub struct GrantId {
    text: String,
    /// For an access policy association: the position of the `@` before its scope.
    scope_at: Option<usize>,
}

impl GrantId {
    /// An access policy associated with an access entry, in its scope.
    pub fn access_policy(principal_arn: &str, policy: &str, scope: &AccessScope) -> GrantId {
        let unscoped = unscoped_access_policy(principal_arn, policy);
        let scope_at = Some(unscoped.len());
        GrantId { text: format!("{unscoped}@{scope}"), scope_at }
    }

    pub fn access_entry(principal_arn: &str) -> GrantId {
        GrantId::unscoped(format!("{ACCESS_ENTRY}{principal_arn}"))
    }

    /// One Kubernetes group of the access entry with id `entry`.
    pub fn entry_group(entry: &GrantId, group: &str) -> GrantId {
        GrantId::unscoped(format!("{entry}{ENTRY_GROUP}{group}"))
    }

    /// A RoleBinding (with its namespace) or a ClusterRoleBinding (without), with the role it binds.
    pub fn binding(namespace: Option<&str>, name: &str, role_kind: RoleKind, role: &str) -> GrantId {
        let binding = match namespace {
            None => format!("ClusterRoleBinding/{name}"),
            Some(ns) => format!("RoleBinding/{ns}/{name}"),
        };
        GrantId::unscoped(format!("{BINDING}{binding}:{}/{role}", role_kind.as_str()))
    }

    pub fn aws_auth_role(arn: &str) -> GrantId {
        GrantId::unscoped(format!("{AWS_AUTH_ROLE}{arn}"))
    }

    pub fn aws_auth_user(arn: &str) -> GrantId {
        GrantId::unscoped(format!("{AWS_AUTH_USER}{arn}"))
    }

    pub fn aws_auth_account(account: &str) -> GrantId {
        GrantId::unscoped(format!("{AWS_AUTH_ACCOUNT}{account}"))
    }

    /// A group Kubernetes allows everything before any authorizer runs (`system:masters`).
    pub fn privileged_group(group: &str) -> GrantId {
        GrantId::unscoped(format!("{PRIVILEGED_GROUP}{group}"))
    }

    fn unscoped(text: String) -> GrantId {
        GrantId { text, scope_at: None }
    }

    /// An id as a constructor wrote it (read back from the database or a report). Every stored
    /// access policy id has a scope, and a scope (`cluster`, `ns:` and namespace names) holds no
    /// `@`: the last `@` of an `eks:` id starts it.
    pub fn parse(text: impl Into<String>) -> GrantId {
        let text = text.into();
        let scope_at = if text.starts_with(ACCESS_POLICY) { text.rfind('@') } else { None };
        GrantId { text, scope_at }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The namespaces the grant is confined to: a RoleBinding's, or those of an access policy
    /// scoped to namespaces (patterns like `dev-*` as written); none for a cluster-wide grant.
    pub fn namespaces(&self) -> Vec<&str> {
        if let Some(rest) = self.text.strip_prefix("rbac:RoleBinding/") {
            // Namespace names hold no `/`.
            return rest.split_once('/').map(|(ns, _)| vec![ns]).unwrap_or_default();
        }
        match self.scope_at.and_then(|at| self.text[at + 1..].strip_prefix("ns:")) {
            Some(list) => list.split(',').collect(),
            None => Vec::new(),
        }
    }

    /// For an access policy association, its id without the scope (`eks:<principalARN>:<Policy>`).
    pub fn without_scope(&self) -> Option<&str> {
        self.scope_at.map(|at| &self.text[..at])
    }

    /// What kind of grant the id names, with the names it holds that a caller looks the grant up
    /// by. An access policy's principal and policy, and a binding's names, are not split out (an
    /// ARN and a role name may hold `:`): build the id of each candidate and compare.
    pub fn kind(&self) -> GrantKind<'_> {
        let text = self.text.as_str();
        if let Some(rest) = text.strip_prefix(ACCESS_ENTRY) {
            // The first `#group/` starts the group: an IAM name holds no `#` (a path may, and
            // such an entry's group id does not read back as it: its entry is not found).
            return match rest.split_once(ENTRY_GROUP) {
                Some((principal_arn, group)) => GrantKind::EntryGroup { principal_arn, group },
                None => GrantKind::AccessEntry { principal_arn: rest },
            };
        }
        if let Some(arn) = text.strip_prefix(AWS_AUTH_ROLE) {
            GrantKind::AwsAuthRole(arn)
        } else if let Some(arn) = text.strip_prefix(AWS_AUTH_USER) {
            GrantKind::AwsAuthUser(arn)
        } else if let Some(account) = text.strip_prefix(AWS_AUTH_ACCOUNT) {
            GrantKind::AwsAuthAccount(account)
        } else if let Some(group) = text.strip_prefix(PRIVILEGED_GROUP) {
            GrantKind::PrivilegedGroup(group)
        } else if text.starts_with(ACCESS_POLICY) {
            GrantKind::AccessPolicy
        } else if text.starts_with(BINDING) {
            GrantKind::Binding
        } else {
            GrantKind::Unknown
        }
    }
}

/// What kind of grant a [`GrantId`] names ([`GrantId::kind`]), borrowing the names its id holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind<'a> {
    /// An access policy associated with an access entry, in a scope.
    AccessPolicy,
    /// An access entry, by its principal's ARN.
    AccessEntry { principal_arn: &'a str },
    /// One Kubernetes group of an access entry.
    EntryGroup { principal_arn: &'a str, group: &'a str },
    /// A RoleBinding or ClusterRoleBinding with the role it binds.
    Binding,
    /// An aws-auth mapRoles entry, by its role ARN as written.
    AwsAuthRole(&'a str),
    /// An aws-auth mapUsers entry, by its user ARN as written.
    AwsAuthUser(&'a str),
    /// An aws-auth mapAccounts entry, by its account id.
    AwsAuthAccount(&'a str),
    /// A group Kubernetes allows everything (`system:masters`).
    PrivilegedGroup(&'a str),
    /// Text no constructor writes.
    Unknown,
}

/// How each kind of id starts (an entry group's id: its entry's, then [`ENTRY_GROUP`]).
const ACCESS_POLICY: &str = "eks:";
const ACCESS_ENTRY: &str = "eks-entry:";
const ENTRY_GROUP: &str = "#group/";
const BINDING: &str = "rbac:";
const AWS_AUTH_ROLE: &str = "aws-auth:mapRoles/";
const AWS_AUTH_USER: &str = "aws-auth:mapUsers/";
const AWS_AUTH_ACCOUNT: &str = "aws-auth:mapAccounts/";
const PRIVILEGED_GROUP: &str = "k8s:group/";

/// `eks:<principalARN>:<Policy>`: an access policy association without its scope.
fn unscoped_access_policy(principal_arn: &str, policy: &str) -> String {
    format!("{ACCESS_POLICY}{principal_arn}:{policy}")
}

impl PartialEq for GrantId {
    fn eq(&self, other: &GrantId) -> bool {
        self.text == other.text
    }
}

impl Eq for GrantId {}

impl Hash for GrantId {
    /// As the text hashes, so that a `&str` finds the id in a map ([`Borrow`]).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state)
    }
}

impl PartialOrd for GrantId {
    fn partial_cmp(&self, other: &GrantId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GrantId {
    fn cmp(&self, other: &GrantId) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Borrow<str> for GrantId {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for GrantId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for GrantId {
    /// The id; padded as asked, like a string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for GrantId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for GrantId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GrantId, D::Error> {
        String::deserialize(d).map(GrantId::parse)
    }
}

/// The grant an API server's recorded reason (`authorization.k8s.io/reason`) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedGrant {
    /// RBAC names the binding and the role it binds: the id grantscope gives the grant.
    Binding(GrantId),
    /// EKS names the principal and the policy, but not the scope: `eks:<principalARN>:<Policy>`.
    AccessPolicy(String),
}

impl RecordedGrant {
    pub fn access_policy(principal_arn: &str, policy: &str) -> RecordedGrant {
        RecordedGrant::AccessPolicy(unscoped_access_policy(principal_arn, policy))
    }

    /// Whether `found` is the grant recorded (an EKS reason matches the association in any scope).
    pub fn is(&self, found: &GrantId) -> bool {
        match self {
            RecordedGrant::Binding(id) => found == id,
            RecordedGrant::AccessPolicy(unscoped) => found.without_scope() == Some(unscoped.as_str()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RecordedGrant::Binding(id) => id.as_str(),
            RecordedGrant::AccessPolicy(unscoped) => unscoped,
        }
    }
}

impl Serialize for RecordedGrant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The part a grant played in a decision, as grant usage is counted (and stored) per part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageRole {
    /// It allowed the request: the first grant in chain order that does.
    By,
    /// It would also have allowed it, had nothing earlier in the chain.
    Shadowed,
    /// The caller came in through it (an access entry or aws-auth mapping), for an allowed request.
    Authenticated,
    /// It allows some of the names or sessions of requests the store did not keep them for (it
    /// lists object names, or names a session's user): possibly used, so never reported unused.
    Possibly,
}

impl UsageRole {
    pub const ALL: [UsageRole; 4] = [UsageRole::By, UsageRole::Shadowed, UsageRole::Authenticated, UsageRole::Possibly];

    /// As stored: `by`, `shadowed`, `authenticated`.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageRole::By => "by",
            UsageRole::Shadowed => "shadowed",
            UsageRole::Authenticated => "authenticated",
            UsageRole::Possibly => "possibly",
        }
    }

    pub fn parse(s: &str) -> Option<UsageRole> {
        UsageRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for UsageRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::111122223333:role/team@corp/dev";

    #[test]
    fn each_grant_id_is_written_as_the_readme_documents_and_reads_back_the_same() {
        let dev = AccessScope::Namespace { namespaces: vec!["dev".into(), "qa-*".into()] };
        let entry = GrantId::access_entry(ARN);
        let cases = [
            (
                "an access policy in namespaces",
                GrantId::access_policy(ARN, "AmazonEKSViewPolicy", &dev),
                "eks:arn:aws:iam::111122223333:role/team@corp/dev:AmazonEKSViewPolicy@ns:dev,qa-*",
            ),
            (
                "an access policy cluster-wide",
                GrantId::access_policy(ARN, "AmazonEKSEditPolicy", &AccessScope::Cluster),
                "eks:arn:aws:iam::111122223333:role/team@corp/dev:AmazonEKSEditPolicy@cluster",
            ),
            ("an access entry", entry.clone(), "eks-entry:arn:aws:iam::111122223333:role/team@corp/dev"),
            (
                "a group of an access entry",
                GrantId::entry_group(&entry, "devs"),
                "eks-entry:arn:aws:iam::111122223333:role/team@corp/dev#group/devs",
            ),
            (
                "a ClusterRoleBinding",
                GrantId::binding(None, "ops", RoleKind::ClusterRole, "admin"),
                "rbac:ClusterRoleBinding/ops:ClusterRole/admin",
            ),
            (
                "a RoleBinding of a Role",
                GrantId::binding(Some("dev"), "readers", RoleKind::Role, "reader"),
                "rbac:RoleBinding/dev/readers:Role/reader",
            ),
            (
                "an aws-auth role",
                GrantId::aws_auth_role("arn:aws:iam::1:role/r"),
                "aws-auth:mapRoles/arn:aws:iam::1:role/r",
            ),
            (
                "an aws-auth user",
                GrantId::aws_auth_user("arn:aws:iam::1:user/u"),
                "aws-auth:mapUsers/arn:aws:iam::1:user/u",
            ),
            ("an aws-auth account", GrantId::aws_auth_account("1"), "aws-auth:mapAccounts/1"),
            ("system:masters", GrantId::privileged_group("system:masters"), "k8s:group/system:masters"),
        ];
        for (name, id, want) in cases {
            assert_eq!(id.as_str(), want, "{name}");
            let read = GrantId::parse(want);
            assert_eq!(read, id, "{name}");
            assert_eq!(read.without_scope(), id.without_scope(), "{name}: the scope is found again");
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, serde_json::to_string(want).unwrap(), "{name}: serialized as the bare id");
            let back: GrantId = serde_json::from_str(&json).unwrap();
            assert_eq!(back.without_scope(), id.without_scope(), "{name}");
        }
    }

    #[test]
    fn a_grant_id_says_its_kind_and_the_names_it_holds() {
        let entry = GrantId::access_entry(ARN);
        let cases = [
            (
                "an access policy, whatever its principal holds",
                GrantId::access_policy(ARN, "AmazonEKSViewPolicy", &AccessScope::Cluster),
                GrantKind::AccessPolicy,
            ),
            ("an access entry, by its principal", entry.clone(), GrantKind::AccessEntry { principal_arn: ARN }),
            (
                "a group of an access entry, by its principal and group",
                GrantId::entry_group(&entry, "system:devs"),
                GrantKind::EntryGroup { principal_arn: ARN, group: "system:devs" },
            ),
            ("a ClusterRoleBinding", GrantId::binding(None, "ops", RoleKind::ClusterRole, "admin"), GrantKind::Binding),
            (
                "a RoleBinding whose names hold colons",
                GrantId::binding(Some("kube-system"), "eks:addon", RoleKind::Role, "eks:addon"),
                GrantKind::Binding,
            ),
            (
                "an aws-auth role",
                GrantId::aws_auth_role("arn:aws:iam::1:role/r"),
                GrantKind::AwsAuthRole("arn:aws:iam::1:role/r"),
            ),
            (
                "an aws-auth user",
                GrantId::aws_auth_user("arn:aws:iam::1:user/u"),
                GrantKind::AwsAuthUser("arn:aws:iam::1:user/u"),
            ),
            ("an aws-auth account", GrantId::aws_auth_account("1"), GrantKind::AwsAuthAccount("1")),
            (
                "a privileged group",
                GrantId::privileged_group("system:masters"),
                GrantKind::PrivilegedGroup("system:masters"),
            ),
            ("text no constructor writes", GrantId::parse("eks"), GrantKind::Unknown),
            ("an empty id", GrantId::parse(""), GrantKind::Unknown),
        ];
        for (name, id, want) in cases {
            assert_eq!(id.kind(), want, "{name}: {id}");
            assert_eq!(GrantId::parse(id.as_str()).kind(), want, "{name}: read back");
        }
    }

    #[test]
    fn namespaces_are_those_a_grant_is_confined_to() {
        let ns = |ns: &[&str]| AccessScope::Namespace { namespaces: ns.iter().map(|s| s.to_string()).collect() };
        let cases = [
            (
                "a RoleBinding's namespace",
                GrantId::binding(Some("dev"), "b", RoleKind::ClusterRole, "edit"),
                vec!["dev"],
            ),
            ("a ClusterRoleBinding has none", GrantId::binding(None, "b", RoleKind::ClusterRole, "edit"), vec![]),
            (
                "a policy's namespaces, as written",
                GrantId::access_policy(ARN, "P", &ns(&["a", "dev-*"])),
                vec!["a", "dev-*"],
            ),
            ("a cluster-wide policy has none", GrantId::access_policy(ARN, "P", &AccessScope::Cluster), vec![]),
            ("an entry has none", GrantId::access_entry(ARN), vec![]),
            ("read back, the same", GrantId::parse(GrantId::access_policy(ARN, "P", &ns(&["x"])).as_str()), vec!["x"]),
        ];
        for (name, id, want) in cases {
            assert_eq!(id.namespaces(), want, "{name}");
        }
    }

    #[test]
    fn only_an_access_policy_has_a_scope_to_leave_out() {
        let cases = [
            (
                "a principal with @ in its name",
                GrantId::access_policy(ARN, "AmazonEKSViewPolicy", &AccessScope::Cluster),
                Some("eks:arn:aws:iam::111122223333:role/team@corp/dev:AmazonEKSViewPolicy"),
            ),
            ("an access entry", GrantId::access_entry(ARN), None),
            ("a binding", GrantId::binding(None, "a@b", RoleKind::ClusterRole, "view"), None),
        ];
        for (name, id, want) in cases {
            assert_eq!(id.without_scope(), want, "{name}");
            assert_eq!(GrantId::parse(id.as_str()).without_scope(), want, "{name}: parsed");
        }
    }

    #[test]
    fn a_recorded_grant_is_the_one_found_an_eks_one_in_any_scope() {
        let view = |scope: &AccessScope| GrantId::access_policy(ARN, "AmazonEKSViewPolicy", scope);
        let dev = AccessScope::Namespace { namespaces: vec!["dev-*".into()] };
        let recorded = RecordedGrant::access_policy(ARN, "AmazonEKSViewPolicy");
        let binding = GrantId::binding(None, "a", RoleKind::ClusterRole, "b");
        let cases = [
            ("an EKS reason names the association in a namespace scope", &recorded, view(&dev), true),
            ("and cluster-wide", &recorded, view(&AccessScope::Cluster), true),
            (
                "not a policy whose name it starts",
                &recorded,
                GrantId::access_policy(ARN, "AmazonEKSViewPolicyX", &AccessScope::Cluster),
                false,
            ),
            ("not the entry", &recorded, GrantId::access_entry(ARN), false),
            (
                "an RBAC reason names the binding exactly",
                &RecordedGrant::Binding(binding.clone()),
                binding.clone(),
                true,
            ),
            (
                "not another role of the binding",
                &RecordedGrant::Binding(binding),
                GrantId::binding(None, "a", RoleKind::ClusterRole, "c"),
                false,
            ),
        ];
        for (name, recorded, found, want) in cases {
            assert_eq!(recorded.is(&found), want, "{name}");
        }
        assert_eq!(serde_json::to_value(&recorded).unwrap(), serde_json::json!(recorded.as_str()));
    }

    #[test]
    fn usage_roles_are_stored_by_their_old_names() {
        for (role, name) in
            [(UsageRole::By, "by"), (UsageRole::Shadowed, "shadowed"), (UsageRole::Authenticated, "authenticated")]
        {
            assert_eq!(role.as_str(), name);
            assert_eq!(UsageRole::parse(name), Some(role));
        }
        assert_eq!(UsageRole::parse("By"), None);
    }

    #[test]
    fn a_grant_id_is_found_by_its_text() {
        let mut used = std::collections::HashSet::new();
        used.insert(GrantId::access_entry("arn:aws:iam::1:role/r"));
        assert!(used.contains("eks-entry:arn:aws:iam::1:role/r"));
        assert_eq!(format!("{:<12}|", GrantId::aws_auth_account("1")), "aws-auth:mapAccounts/1|");
        assert_eq!(format!("{:<25}|", GrantId::aws_auth_account("1")), "aws-auth:mapAccounts/1   |");
    }
}
