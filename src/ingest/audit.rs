//! The Kubernetes audit event parser: one record (a line, or an item of a document) in, normalized
//! events out. Pure: no I/O.
//!
//! Deserialization is typed and borrowed: only the fields grantscope keeps are read into structs,
//! strings without escapes are borrowed from the input, and everything else (request and response
//! bodies at `RequestResponse` level) is skipped without allocating.
//!
//! A record may be an audit event or any envelope CloudWatch Logs wraps events in: a log event
//! (`message` holds the event as a string), a subscription-filter record (`logEvents`), an
//! `EventList` (`items`), CLI output (`events`), or a Logs Insights export row (`@message`).

use super::json::{JsonStr, first};
use super::record_error::{ErrorKind, RecordError};
use crate::model::{
    AuditEvent, EventId, RecordedDecision, RequestShape, canonical_principal_arn, session_name_of, time,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Why a valid record is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A non-final stage (`RequestReceived`, `ResponseStarted`): the same request is logged again
    /// at `ResponseComplete`.
    NonFinalStage,
    /// A CloudWatch Logs subscription `CONTROL_MESSAGE`.
    ControlMessage,
    /// A record list with nothing in it (`{"Records":[]}`, `[]`): counted, so no input vanishes.
    EmptyList,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NonFinalStage => "non-final-stage",
            SkipReason::ControlMessage => "control-message",
            SkipReason::EmptyList => "empty-record-list",
        }
    }
}

/// What one record yields, possibly several times for an envelope.
#[derive(Debug)]
// Handed by value to a callback and never stored: boxing the event would allocate once per event.
#[allow(clippy::large_enum_variant)]
pub enum AuditItem<'a> {
    Event(AuditEvent<'a>),
    /// Valid, but nothing to keep.
    Skipped(SkipReason),
    Error(RecordError),
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    kind: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "auditID")]
    audit_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    stage: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "requestURI")]
    request_uri: Option<JsonStr<'a>>,
    #[serde(borrow)]
    verb: Option<JsonStr<'a>>,
    #[serde(borrow)]
    user: Option<User<'a>>,
    /// Set when the caller impersonated someone (`kubectl --as`): the request was authorized, and its
    /// decision recorded, as this user.
    #[serde(borrow, rename = "impersonatedUser")]
    impersonated_user: Option<User<'a>>,
    #[serde(borrow, rename = "objectRef")]
    object_ref: Option<ObjectRef<'a>>,
    #[serde(rename = "responseStatus")]
    response_status: Option<ResponseStatus>,
    #[serde(borrow, rename = "requestReceivedTimestamp")]
    received: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "stageTimestamp")]
    stage_timestamp: Option<JsonStr<'a>>,
    /// audit.k8s.io/v1alpha1 and v1beta1 events from before `requestReceivedTimestamp` (Kubernetes
    /// 1.10) carry only this: when the event was recorded, which for them is the request's time.
    /// (Raw: a CloudWatch Logs event wrapping an audit event has a numeric `timestamp`.)
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, rename = "sourceIPs")]
    source_ips: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    annotations: Option<Annotations<'a>>,

    // Envelopes.
    #[serde(borrow)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "logEvents")]
    log_events: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "logGroup")]
    log_group: Option<JsonStr<'a>>,
    #[serde(borrow)]
    message: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "@message")]
    at_message: Option<&'a RawValue>,
    #[serde(borrow, rename = "@log")]
    at_log: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "messageType")]
    message_type: Option<JsonStr<'a>>,

    // Markers of a CloudTrail record, to say so when one is fed to this parser.
    #[serde(rename = "eventID")]
    cloudtrail_event_id: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    username: Option<JsonStr<'a>>,
    #[serde(borrow)]
    uid: Option<JsonStr<'a>>,
    #[serde(borrow)]
    groups: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    extra: Option<Extra<'a>>,
}

#[derive(Deserialize)]
struct Extra<'a> {
    #[serde(borrow, rename = "canonicalArn")]
    canonical_arn: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    arn: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow, rename = "sessionName")]
    session_name: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow, rename = "accessKeyId")]
    access_key_id: Option<Vec<JsonStr<'a>>>,
}

#[derive(Deserialize)]
struct ObjectRef<'a> {
    #[serde(borrow)]
    resource: Option<JsonStr<'a>>,
    #[serde(borrow)]
    subresource: Option<JsonStr<'a>>,
    #[serde(borrow)]
    namespace: Option<JsonStr<'a>>,
    #[serde(borrow)]
    name: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "apiGroup")]
    api_group: Option<JsonStr<'a>>,
}

#[derive(Deserialize)]
struct ResponseStatus {
    code: Option<i64>,
}

#[derive(Deserialize)]
struct Annotations<'a> {
    #[serde(borrow, rename = "authorization.k8s.io/decision")]
    decision: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "authorization.k8s.io/reason")]
    reason: Option<JsonStr<'a>>,
}

/// The cluster name in an EKS control-plane log group, `/aws/eks/NAME/cluster`; Logs Insights
/// prefixes it with the account (`111122223333:/aws/eks/NAME/cluster`).
pub fn cluster_from_log_group(group: &str) -> Option<&str> {
    let group = group.rsplit_once(':').map_or(group, |(_, g)| g);
    let name = group.strip_prefix("/aws/eks/")?.strip_suffix("/cluster")?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// Parses one record. `cluster` is the cluster the events belong to when the caller knows it
/// (`--cluster`, or a log group the document named); otherwise a log group inside the record
/// decides, and failing that the events carry an empty cluster for the caller to reject.
pub fn parse_record(text: &str, cluster: Option<&str>, out: &mut dyn FnMut(AuditItem<'_>)) {
    parse_nested(text, cluster, 0, out)
}

/// Envelopes nest at most a couple of levels in real exports (a subscription record's log event's
/// message); anything deeper is hostile input, refused before it can exhaust the stack.
pub const MAX_ENVELOPE_DEPTH: usize = 4;

fn parse_nested(text: &str, cluster: Option<&str>, depth: usize, out: &mut dyn FnMut(AuditItem<'_>)) {
    let bytes = text.as_bytes();
    if depth > MAX_ENVELOPE_DEPTH {
        let reason = format!("envelopes nested more than {MAX_ENVELOPE_DEPTH} deep");
        return out(AuditItem::Error(RecordError::new(ErrorKind::OtherKind, reason, bytes)));
    }
    if text.trim_ascii() == "[]" {
        return out(AuditItem::Skipped(SkipReason::EmptyList));
    }
    // From &str, serde_json does not validate UTF-8 again: the caller already did, once per record.
    let mut record: Record = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return out(AuditItem::Error(RecordError::from_json(&e, bytes))),
    };
    let log_group = record.log_group.take().or(record.at_log.take());
    let group_cluster = log_group.as_ref().and_then(|g| cluster_from_log_group(g.as_str()));
    let cluster = cluster.or(group_cluster);
    if record.message_type.as_ref().is_some_and(|t| t.as_str() == "CONTROL_MESSAGE") {
        // CloudWatch Logs' subscription health check: carries no events.
        return out(AuditItem::Skipped(SkipReason::ControlMessage));
    }
    // An audit event never carries these lists; an envelope always does.
    if let Some(list) = record.items.as_ref().or(record.events.as_ref()).or(record.log_events.as_ref()) {
        if list.is_empty() {
            return out(AuditItem::Skipped(SkipReason::EmptyList));
        }
        for (i, item) in list.iter().enumerate() {
            parse_nested(item.get(), cluster, depth + 1, &mut |it| out(at_index(it, i as u64)));
        }
        return;
    }
    // An Insights export row holds the event in `@message`, next to any fields the query selected
    // (`fields @timestamp, @message, verb`), so it is unpacked before looking for event fields.
    if let Some(inner) = record.at_message {
        return match serde_json::from_str::<String>(inner.get()) {
            Ok(text) => parse_nested(&text, cluster, depth + 1, out),
            Err(_) => parse_nested(inner.get(), cluster, depth + 1, out),
        };
    }
    let event_like =
        record.audit_id.is_some() || record.stage.is_some() || record.verb.is_some() || record.kind.is_some();
    if !event_like {
        if let Some(message) = &record.message {
            return parse_nested(message.as_str(), cluster, depth + 1, out);
        }
        let reason = if record.cloudtrail_event_id.is_some() {
            "a CloudTrail record, not a Kubernetes audit event (ingest it with `grantscope ingest cloudtrail`)"
        } else {
            "a JSON object that is not a Kubernetes audit event (no auditID, stage or verb)"
        };
        return out(AuditItem::Error(RecordError::new(ErrorKind::OtherKind, reason, bytes)));
    }
    out(normalize(record, cluster.unwrap_or(""), bytes))
}

fn at_index(item: AuditItem<'_>, index: u64) -> AuditItem<'_> {
    match item {
        AuditItem::Error(e) => AuditItem::Error(e.at(index)),
        other => other,
    }
}

fn missing(field: &str, bytes: &[u8]) -> AuditItem<'static> {
    AuditItem::Error(RecordError::new(ErrorKind::MissingField, format!("missing field `{field}`"), bytes))
}

fn normalize<'a>(r: Record<'a>, cluster: &'a str, bytes: &[u8]) -> AuditItem<'a> {
    if let Some(kind) = &r.kind
        && kind.as_str() != "Event"
    {
        let reason = format!("kind `{}` is not an audit Event", kind.as_str());
        return AuditItem::Error(RecordError::new(ErrorKind::OtherKind, reason, bytes));
    }
    let Some(stage) = r.stage else { return missing("stage", bytes) };
    match stage.as_str() {
        "ResponseComplete" | "Panic" => {}
        "RequestReceived" | "ResponseStarted" => return AuditItem::Skipped(SkipReason::NonFinalStage),
        other => {
            let reason = format!(
                "unknown stage `{other}` (expected RequestReceived, ResponseStarted, ResponseComplete or Panic)"
            );
            return AuditItem::Error(RecordError::new(ErrorKind::UnknownStage, reason, bytes));
        }
    }
    let Some(audit_id) = r.audit_id else { return missing("auditID", bytes) };
    let Some(verb) = r.verb else { return missing("verb", bytes) };
    let Some(user) = r.impersonated_user.or(r.user) else { return missing("user", bytes) };
    let Some(username) = user.username else { return missing("user.username", bytes) };
    let legacy = r.timestamp.and_then(|t| serde_json::from_str::<&str>(t.get()).ok()).map(|t| JsonStr(t.into()));
    let Some(stamp) = r.received.or(r.stage_timestamp).or(legacy) else {
        return missing("requestReceivedTimestamp", bytes);
    };
    let Some(time_ms) = time::parse_timestamp(stamp.as_str()) else {
        let reason = format!("timestamp `{}` is not RFC 3339", stamp.as_str());
        return AuditItem::Error(RecordError::new(ErrorKind::BadValue, reason, bytes));
    };

    let extra = user.extra;
    let from_iam_authenticator = user.uid.as_ref().is_some_and(|u| u.as_str().starts_with("aws-iam-authenticator:"));
    let principal_arn = extra
        .as_ref()
        .and_then(|x| first(&x.canonical_arn).or(first(&x.arn)))
        .and_then(|a| canonical_principal_arn(a.as_str()))
        .or_else(|| from_iam_authenticator.then(|| canonical_principal_arn(username.as_str())).flatten());
    let session_name = extra.as_ref().and_then(|x| {
        first(&x.session_name).map(|s| s.0.clone()).or_else(|| {
            // Only the session ARN: its last segment is the session name.
            let arn = first(&x.arn)?;
            match &arn.0 {
                Cow::Borrowed(a) => session_name_of(a).map(Cow::Borrowed),
                Cow::Owned(a) => session_name_of(a).map(|s| Cow::Owned(s.to_string())),
            }
        })
    });

    let (api_group, resource, subresource, namespace, name, path) = match r.object_ref {
        Some(o) => {
            (cow(o.api_group), cow(o.resource), cow(o.subresource), cow(o.namespace), cow(o.name), Cow::Borrowed(""))
        }
        None => {
            let Some(uri) = r.request_uri else { return missing("requestURI", bytes) };
            let path = match uri.0 {
                Cow::Borrowed(s) => Cow::Borrowed(s.split('?').next().unwrap_or(s)),
                Cow::Owned(s) => Cow::Owned(s.split('?').next().unwrap_or(&s).to_string()),
            };
            let empty = || Cow::Borrowed("");
            (empty(), empty(), empty(), empty(), empty(), path)
        }
    };
    let (decision, reason) = match r.annotations {
        Some(a) => (a.decision.and_then(|d| RecordedDecision::from_annotation(d.as_str())), cow(a.reason)),
        None => (None, Cow::Borrowed("")),
    };
    let iam = principal_arn.is_some();
    let principal = principal_arn.map_or_else(|| username.0.clone(), Cow::Owned);
    AuditItem::Event(AuditEvent {
        id: EventId::from_str_id(audit_id.as_str()),
        audit_id: audit_id.0,
        time_ms,
        shape: RequestShape {
            cluster: Cow::Borrowed(cluster),
            principal,
            iam,
            username: username.0,
            groups: user.groups.unwrap_or_default().into_iter().map(|g| g.0).collect(),
            session_name: session_name.unwrap_or_default(),
            verb: verb.0,
            api_group,
            resource,
            subresource,
            namespace,
            name,
            path,
            access_key_id: extra
                .as_ref()
                .and_then(|x| first(&x.access_key_id))
                .map(|k| k.0.clone())
                .unwrap_or_default(),
            unkept: crate::model::Unkept::NONE,
        },
        decision,
        reason,
        response_code: r.response_status.and_then(|s| s.code).and_then(|c| u16::try_from(c).ok()),
        source_ip: r.source_ips.and_then(|ips| ips.into_iter().next()).map(|s| s.0).unwrap_or_default(),
    })
}

fn cow(s: Option<JsonStr<'_>>) -> Cow<'_, str> {
    s.map(|s| s.0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str, cluster: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        parse_record(json, cluster, &mut |item| {
            out.push(match item {
                AuditItem::Event(e) => format!(
                    "event {} {} {} {} {}/{}/{} {} {}",
                    e.shape.cluster,
                    e.shape.principal,
                    e.shape.verb,
                    e.shape.api_group,
                    e.shape.resource,
                    e.shape.subresource,
                    e.shape.namespace,
                    e.shape.path,
                    e.time_ms
                ),
                AuditItem::Skipped(r) => format!("skipped {}", r.as_str()),
                AuditItem::Error(e) => format!("error {} {:?}", e.kind, e.index),
            })
        });
        out
    }

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"fb5dba68-6262-4718-b45e-d293b03e434d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/dev/pods/p/log?container=c","verb":"get","user":{"username":"u","uid":"aws-iam-authenticator:111122223333:AROAX","groups":["system:authenticated"],"extra":{"arn":["arn:aws:sts::111122223333:assumed-role/R/s"],"sessionName":["s"]}},"objectRef":{"resource":"pods","subresource":"log","namespace":"dev","name":"p","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"1970-01-01T00:00:01.000Z","stageTimestamp":"1970-01-01T00:00:02Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"r"}}"#;

    #[test]
    fn parse_record_unpacks_every_envelope() {
        let escaped = serde_json::to_string(EVENT).unwrap();
        let cases: Vec<(&str, String, Option<&str>, Vec<&str>)> = vec![
            (
                "a plain event",
                EVENT.to_string(),
                Some("c1"),
                vec!["event c1 arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"],
            ),
            (
                "a CloudWatch log event holds it as a string",
                format!(r#"{{"timestamp":1,"message":{escaped}}}"#),
                Some("c1"),
                vec!["event c1 arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"],
            ),
            (
                "a subscription record names the cluster by its log group",
                format!(
                    r#"{{"logGroup":"/aws/eks/prod/cluster","logEvents":[{{"id":"1","message":{escaped}}},{{"id":"2","message":{escaped}}}]}}"#
                ),
                None,
                vec!["event prod arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"; 2],
            ),
            (
                "an Insights export row with an object",
                format!(r#"{{"@log":"111122223333:/aws/eks/ins/cluster","@message":{EVENT}}}"#),
                None,
                vec!["event ins arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"],
            ),
            (
                "an Insights export row with a string",
                format!(r#"{{"@message":{escaped}}}"#),
                Some("c1"),
                vec!["event c1 arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"],
            ),
            (
                "an EventList",
                format!(r#"{{"kind":"EventList","items":[{EVENT},{{"kind":"Event"}}]}}"#),
                Some("c1"),
                vec![
                    "event c1 arn:aws:iam::111122223333:role/R get  pods/log/dev  1000",
                    "error missing-field Some(1)",
                ],
            ),
            (
                "the explicit cluster wins over the log group",
                format!(r#"{{"logGroup":"/aws/eks/prod/cluster","logEvents":[{{"message":{escaped}}}]}}"#),
                Some("flag"),
                vec!["event flag arn:aws:iam::111122223333:role/R get  pods/log/dev  1000"],
            ),
        ];
        for (name, input, cluster, want) in cases {
            assert_eq!(parse(&input, cluster), want, "{name}");
        }
    }

    #[test]
    fn parse_record_normalizes_requests() {
        let non_resource = r#"{"auditID":"d976bfc6-a2bc-49d5-bdeb-074441e0b875","stage":"ResponseComplete","requestURI":"/version?timeout=32s","verb":"get","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"requestReceivedTimestamp":"2024-11-13 18:34:10.595141000"}"#;
        assert_eq!(
            parse(non_resource, Some("c")),
            vec!["event c system:anonymous get  // /version 1731522850595"],
            "non-resource: path without query, username as principal"
        );
        let user_only = EVENT
            .replace(
                r#""extra":{"arn":["arn:aws:sts::111122223333:assumed-role/R/s"],"sessionName":["s"]}"#,
                r#""extra":{}"#,
            )
            .replace(r#""username":"u""#, r#""username":"arn:aws:iam::111122223333:user/bob""#);
        assert_eq!(
            parse(&user_only, Some("c"))[0].split(' ').nth(2),
            Some("arn:aws:iam::111122223333:user/bob"),
            "an authenticator user ARN username is the principal"
        );
        let stage = EVENT.replace("ResponseComplete", "ResponseStarted");
        assert_eq!(parse(&stage, Some("c")), vec!["skipped non-final-stage"]);
        let panic = EVENT.replace("ResponseComplete", "Panic");
        assert!(parse(&panic, Some("c"))[0].starts_with("event"), "Panic is a final stage");
    }

    #[test]
    fn parse_record_reports_bad_input_by_kind() {
        let cases = [
            ("truncated", &EVENT[..200], "error truncated None"),
            ("not JSON", "this is not json", "error invalid-json None"),
            ("array", "[1,2,3]", "error not-an-object None"),
            ("CloudTrail record", r#"{"eventID":"x","eventName":"CreateRole"}"#, "error other-kind None"),
            ("other object", r#"{"hello":"world"}"#, "error other-kind None"),
            ("unknown stage", &EVENT.replace("ResponseComplete", "Exploded"), "error unknown-stage None"),
            ("missing verb", &EVENT.replace(r#""verb":"get","#, ""), "error missing-field None"),
            ("bad timestamp", &EVENT.replace("1970-01-01T00:00:01.000Z", "yesterday"), "error bad-value None"),
            ("other kind", &EVENT.replace(r#""kind":"Event""#, r#""kind":"Status""#), "error other-kind None"),
        ];
        for (name, input, want) in cases {
            assert_eq!(parse(input, Some("c")), vec![want], "{name}");
        }
    }

    #[test]
    fn an_event_from_before_request_received_timestamp_takes_its_timestamp() {
        let old = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2018-03-08T20:59:42Z"},"level":"Metadata","timestamp":"2018-03-08T20:59:42Z","auditID":"0f3c5a5f-4c2e-4d7b-9a3c-2f1e2d3c4b5a","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200}}"#;
        let got = parse(old, Some("c"));
        assert!(got[0].starts_with("event c alice list"), "{got:?}");
        assert!(got[0].contains("1520542782000"), "the request time is `timestamp`: {got:?}");
    }

    #[test]
    fn parse_record_handles_the_envelope_edge_cases() {
        let deep = format!("{}{EVENT}{}", r#"{"@message":"#.repeat(50), "}".repeat(50));
        assert_eq!(parse(&deep, Some("c")), vec!["error other-kind None"], "hostile nesting is refused, not recursed");
        let insights_with_fields = format!(r#"{{"@timestamp":"x","verb":"get","@message":{EVENT}}}"#);
        assert!(parse(&insights_with_fields, Some("c"))[0].starts_with("event"), "@message wins over selected fields");
        let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
        assert_eq!(parse(control, None), vec!["skipped control-message"]);
        for empty in ["[]", r#"{"kind":"EventList","items":[]}"#, r#"{"logGroup":"g","logEvents":[]}"#] {
            assert_eq!(parse(empty, Some("c")), vec!["skipped empty-record-list"], "an empty list is counted: {empty}");
        }
        let impersonating = EVENT.replace(
            r#""objectRef""#,
            r#""impersonatedUser":{"username":"system:serviceaccount:dev:app","groups":["system:serviceaccounts"]},"objectRef""#,
        );
        let got = parse(&impersonating, Some("c"));
        assert!(
            got[0].starts_with("event c system:serviceaccount:dev:app get"),
            "authorized as the impersonated user: {got:?}"
        );
    }

    #[test]
    fn cluster_from_log_group_reads_eks_groups_only() {
        let cases = [
            ("plain", "/aws/eks/prod/cluster", Some("prod")),
            ("with account", "111122223333:/aws/eks/prod/cluster", Some("prod")),
            ("other service", "/aws/lambda/prod", None),
            ("empty name", "/aws/eks//cluster", None),
        ];
        for (name, input, want) in cases {
            assert_eq!(cluster_from_log_group(input), want, "{name}");
        }
    }
}
