//! The CloudTrail parser: one record in, access-relevant events out. Pure: no I/O.
//!
//! A record is a CloudTrail event, or a `lookup-events` row whose `CloudTrailEvent` holds the event
//! as a JSON string, or a `{"Records":[...]}` file on one line. Only calls that change who can
//! access a cluster are kept ([`crate::model::ACCESS_EVENTS`]); the rest are counted as skipped.

use super::json::JsonStr;
use super::record_error::{ErrorKind, RecordError};
use crate::model::{AccessChange, EventId, is_access_event, time};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// What one record yields.
#[derive(Debug)]
pub enum CloudTrailItem {
    Access(Box<AccessChange>),
    /// Not an access-changing call.
    NotRelevant,
    /// A record list with nothing in it (`{"Records":[]}`, `[]`).
    EmptyList,
    /// An access-changing call that failed (`errorCode` set): it changed nothing.
    FailedCall,
    Error(RecordError),
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, rename = "eventID")]
    event_id: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "eventTime")]
    event_time: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "eventSource")]
    event_source: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "eventName")]
    event_name: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "errorCode")]
    error_code: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "recipientAccountId")]
    account: Option<JsonStr<'a>>,
    #[serde(rename = "userIdentity")]
    user_identity: Option<Value>,
    #[serde(rename = "requestParameters")]
    request: Option<Value>,
    #[serde(rename = "responseElements")]
    response: Option<Value>,

    // Envelopes.
    #[serde(borrow, rename = "CloudTrailEvent")]
    lookup_event: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "Records")]
    records: Option<Vec<&'a RawValue>>,
    /// `aws cloudtrail lookup-events` output on one line.
    #[serde(borrow, rename = "Events")]
    lookup_events: Option<Vec<&'a RawValue>>,
    /// CloudTrail delivered to CloudWatch Logs: CLI output (`events`) or subscription records
    /// (`logEvents`), each event's `message` holding the record as a string.
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "logEvents")]
    log_events: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    message: Option<JsonStr<'a>>,

    // Marker of a Kubernetes audit event, to say so when one is fed to this parser.
    #[serde(rename = "auditID")]
    audit_id: Option<serde::de::IgnoredAny>,
}

/// Parses one record.
pub fn parse_record(text: &str, out: &mut dyn FnMut(CloudTrailItem)) {
    parse_nested(text, 0, out)
}

fn parse_nested(text: &str, depth: usize, out: &mut dyn FnMut(CloudTrailItem)) {
    let bytes = text.as_bytes();
    if depth > super::audit::MAX_ENVELOPE_DEPTH {
        let reason = "envelopes nested too deep".to_string();
        return out(CloudTrailItem::Error(RecordError::new(ErrorKind::OtherKind, reason, bytes)));
    }
    if text.trim_ascii() == "[]" {
        return out(CloudTrailItem::EmptyList);
    }
    let record: Record = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return out(CloudTrailItem::Error(RecordError::from_json(&e, bytes))),
    };
    if let Some(inner) = &record.lookup_event {
        return parse_nested(inner.as_str(), depth + 1, out);
    }
    let list = record
        .records
        .as_ref()
        .or(record.lookup_events.as_ref())
        .or(record.events.as_ref())
        .or(record.log_events.as_ref());
    if let Some(list) = list {
        if list.is_empty() {
            return out(CloudTrailItem::EmptyList);
        }
        for (i, r) in list.iter().enumerate() {
            parse_nested(r.get(), depth + 1, &mut |item| {
                out(match item {
                    CloudTrailItem::Error(e) => CloudTrailItem::Error(e.at(i as u64)),
                    other => other,
                })
            });
        }
        return;
    }
    if let (None, Some(message)) = (&record.event_source, &record.message) {
        return parse_nested(message.as_str(), depth + 1, out);
    }
    out(normalize(record, bytes))
}

fn normalize(r: Record, bytes: &[u8]) -> CloudTrailItem {
    let error = |kind, reason: String| CloudTrailItem::Error(RecordError::new(kind, reason, bytes));
    let (Some(source), Some(name)) = (&r.event_source, &r.event_name) else {
        let reason = if r.audit_id.is_some() {
            "a Kubernetes audit event, not a CloudTrail record (ingest it with `grantscope ingest audit`)"
        } else {
            "not a CloudTrail record (no eventSource/eventName)"
        };
        return error(ErrorKind::OtherKind, reason.to_string());
    };
    if !is_access_event(source.as_str(), name.as_str()) {
        return CloudTrailItem::NotRelevant;
    }
    if r.error_code.is_some() {
        return CloudTrailItem::FailedCall;
    }
    let Some(event_id) = r.event_id else { return error(ErrorKind::MissingField, "missing field `eventID`".into()) };
    let Some(stamp) = r.event_time else { return error(ErrorKind::MissingField, "missing field `eventTime`".into()) };
    let Some(time_ms) = time::parse_timestamp(stamp.as_str()) else {
        return error(ErrorKind::BadValue, format!("eventTime `{}` is not RFC 3339", stamp.as_str()));
    };
    let request = r.request.unwrap_or(Value::Null);
    let response = r.response.unwrap_or(Value::Null);
    let account = r.account.map(|a| a.0.into_owned());
    let is_eks = source.as_str() == "eks.amazonaws.com";
    let cluster = if is_eks {
        str_at(&request, &["name"]).or_else(|| str_at(&request, &["clusterName"])).map(str::to_string)
    } else {
        None
    };
    let principal_arn = if is_eks {
        str_at(&request, &["principalArn"]).map(url_decode)
    } else {
        iam_principal_arn(&request, &response, account.as_deref())
    };
    CloudTrailItem::Access(Box::new(AccessChange {
        id: EventId::from_str_id(event_id.as_str()),
        event_id: event_id.0.into_owned(),
        time_ms,
        source: source.as_str().to_string(),
        name: name.as_str().to_string(),
        cluster,
        principal_arn,
        policy_arn: str_at(&request, &["policyArn"]).map(url_decode),
        account,
        actor_arn: r.user_identity.as_ref().and_then(|u| str_at(u, &["arn"])).map(str::to_string),
        raw: String::from_utf8_lossy(bytes).into_owned(),
    }))
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// The role or user an IAM lifecycle call is about: the ARN in the response when there is one
/// (Create*), else built from the name and the account (Delete* answers nothing).
fn iam_principal_arn(request: &Value, response: &Value, account: Option<&str>) -> Option<String> {
    for (kind, name_key) in [("role", "roleName"), ("user", "userName")] {
        if let Some(arn) = str_at(response, &[kind, "arn"]) {
            return Some(arn.to_string());
        }
        if let (Some(name), Some(account)) = (str_at(request, &[name_key]), account) {
            return Some(format!("arn:aws:iam::{account}:{kind}/{name}"));
        }
    }
    None
}

/// CloudTrail URL-encodes path parameters of some EKS calls (`arn%3Aaws%3Aiam%3A%3A...`).
fn url_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Vec<String> {
        let mut out = Vec::new();
        parse_record(json, &mut |item| {
            out.push(match item {
                CloudTrailItem::Access(c) => format!(
                    "{} {} {:?} {:?} {:?}",
                    c.name,
                    c.time_ms,
                    c.cluster.as_deref(),
                    c.principal_arn.as_deref(),
                    c.policy_arn.as_deref()
                ),
                CloudTrailItem::NotRelevant => "not-relevant".into(),
                CloudTrailItem::EmptyList => "empty".into(),
                CloudTrailItem::FailedCall => "failed".into(),
                CloudTrailItem::Error(e) => format!("error {} {:?}", e.kind, e.index),
            })
        });
        out
    }

    #[test]
    fn parse_record_keeps_access_changes_with_their_subject() {
        let associate = r#"{"eventID":"8d0c2b8a-0000-4000-8000-000000000001","eventTime":"2026-11-02T10:00:00Z","eventSource":"eks.amazonaws.com","eventName":"AssociateAccessPolicy","recipientAccountId":"111122223333","requestParameters":{"name":"prod","principalArn":"arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fci","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy","accessScope":{"type":"cluster"}}}"#;
        let delete_role = r#"{"eventID":"8d0c2b8a-0000-4000-8000-000000000002","eventTime":"2026-11-02T10:00:01Z","eventSource":"iam.amazonaws.com","eventName":"DeleteRole","recipientAccountId":"111122223333","requestParameters":{"roleName":"ci"},"responseElements":null}"#;
        let create_user = r#"{"eventID":"8d0c2b8a-0000-4000-8000-000000000003","eventTime":"2026-11-02T10:00:02Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"bob"},"responseElements":{"user":{"arn":"arn:aws:iam::111122223333:user/bob"}}}"#;
        let cases = [
            (
                "EKS call: cluster, URL-decoded principal, policy",
                associate.to_string(),
                vec![
                    r#"AssociateAccessPolicy 1793613600000 Some("prod") Some("arn:aws:iam::111122223333:role/ci") Some("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy")"#,
                ],
            ),
            (
                "IAM deletion: ARN from name and account",
                delete_role.to_string(),
                vec![r#"DeleteRole 1793613601000 None Some("arn:aws:iam::111122223333:role/ci") None"#],
            ),
            (
                "IAM creation: ARN from the response",
                create_user.to_string(),
                vec![r#"CreateUser 1793613602000 None Some("arn:aws:iam::111122223333:user/bob") None"#],
            ),
            (
                "lookup-events row holds the event as a string",
                format!(r#"{{"EventId":"x","CloudTrailEvent":{}}}"#, serde_json::to_string(delete_role).unwrap()),
                vec![r#"DeleteRole 1793613601000 None Some("arn:aws:iam::111122223333:role/ci") None"#],
            ),
            (
                "S3 file on one line",
                format!(
                    r#"{{"Records":[{delete_role},{{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}]}}"#
                ),
                vec![r#"DeleteRole 1793613601000 None Some("arn:aws:iam::111122223333:role/ci") None"#, "not-relevant"],
            ),
            (
                "failed call changes nothing",
                associate.replace(r#""recipientAccountId""#, r#""errorCode":"AccessDenied","recipientAccountId""#),
                vec!["failed"],
            ),
            (
                "read-only call is not relevant",
                associate.replace("AssociateAccessPolicy", "ListAccessEntries"),
                vec!["not-relevant"],
            ),
            (
                "an abridged record without eventID cannot be stored",
                r#"{"eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","requestParameters":{}}"#
                    .to_string(),
                vec!["error missing-field None"],
            ),
            (
                "an audit event is another kind",
                r#"{"auditID":"x","verb":"get"}"#.to_string(),
                vec!["error other-kind None"],
            ),
            (
                "lookup-events output on one line",
                format!(r#"{{"Events":[{{"CloudTrailEvent":{}}}]}}"#, serde_json::to_string(delete_role).unwrap()),
                vec![r#"DeleteRole 1793613601000 None Some("arn:aws:iam::111122223333:role/ci") None"#],
            ),
            (
                "CloudTrail delivered to CloudWatch Logs",
                format!(
                    r#"{{"logGroup":"trail","logEvents":[{{"id":"1","message":{}}}]}}"#,
                    serde_json::to_string(delete_role).unwrap()
                ),
                vec![r#"DeleteRole 1793613601000 None Some("arn:aws:iam::111122223333:role/ci") None"#],
            ),
            (
                "hostile nesting is refused",
                format!("{}{delete_role}{}", r#"{"Records":["#.repeat(20), "]}".repeat(20)),
                vec!["error other-kind Some(0)"],
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(parse(&input), want, "{name}");
        }
    }

    #[test]
    fn parse_record_counts_an_empty_record_list() {
        for empty in ["[]", r#"{"Records":[]}"#, r#"{"Events":[]}"#] {
            assert_eq!(parse(empty), ["empty"], "{empty}");
        }
    }

    #[test]
    fn url_decode_leaves_plain_and_malformed_text_alone() {
        assert_eq!(url_decode("arn%3Aaws"), "arn:aws");
        assert_eq!(url_decode("arn:aws"), "arn:aws");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz"), "%zz");
    }
}
