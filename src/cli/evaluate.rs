//! `grantscope evaluate --state FILE... --events FILE`: every audit event in the file evaluated
//! against the state, in input order, compared with the decision and grant the API server recorded.
//!
//! The events are read by the same file source as `ingest audit` (every format, gzip, bad records
//! recorded with their position), into an in-memory store that is thrown away.

use super::CommandError;
use crate::authz::reason::grant_in_reason;
use crate::authz::{Authorizer, Decision};
use crate::cli::output::{Format, write_stdout};
use crate::ingest::audit::{AuditItem, parse_record};
use crate::ingest::sink::{Position, Sink, SinkError, Tally, record_error};
use crate::ingest::{InputFormat, InputPath};
use crate::model::{AuditEvent, GrantId, RecordedDecision, RecordedGrant, time};
use crate::sources::files::{DEFAULT_BATCH_RECORDS, FileOptions};
use crate::store::{Store, Tx};
use serde::Serialize;
use std::path::PathBuf;

pub struct EvaluateArgs {
    pub state: Vec<PathBuf>,
    pub events: PathBuf,
    pub cluster: Option<String>,
    pub input_format: InputFormat,
}

/// How replay compares with what was recorded.
#[derive(Debug, Default, Serialize)]
pub struct EventAgreement {
    pub evaluated: u64,
    pub not_evaluated: u64,
    pub unauthenticated: u64,
    /// Events with a recorded decision that grantscope decided too.
    pub decisions_compared: u64,
    pub decisions_agree: u64,
    /// Recorded allows whose reason names a grant, that grantscope also allowed.
    pub attributions_compared: u64,
    pub attributions_agree: u64,
}

impl EventAgreement {
    fn rate(agree: u64, compared: u64) -> String {
        if compared == 0 { "n/a".into() } else { format!("{:.2}%", agree as f64 * 100.0 / compared as f64) }
    }
}

#[derive(Serialize)]
struct EvaluatedEvent<'a> {
    #[serde(rename = "auditID")]
    audit_id: &'a str,
    time: String,
    principal: &'a str,
    verb: &'a str,
    resource: String,
    namespace: &'a str,
    name: &'a str,
    path: &'a str,
    allowed: Option<bool>,
    authenticated: bool,
    outcome: crate::authz::Outcome,
    authenticated_by: Option<GrantId>,
    by: Option<GrantId>,
    shadowed: Vec<GrantId>,
    undocumented: Vec<GrantId>,
    recorded: Option<&'static str>,
    recorded_by: Option<RecordedGrant>,
    agrees: Option<bool>,
    attribution_agrees: Option<bool>,
}

struct EvaluateSink<'a> {
    authz: Authorizer<'a>,
    cluster: Option<String>,
    format: Format,
    agreement: EventAgreement,
}

impl EvaluateSink<'_> {
    fn evaluate(&mut self, e: &AuditEvent) {
        let d: Decision = self.authz.authorize(&e.shape);
        let id = |g| self.authz.grant_id(g);
        let recorded = e.decision;
        let recorded_by = match recorded {
            Some(RecordedDecision::Allow) => grant_in_reason(&e.reason),
            _ => None,
        };
        let agrees = match (recorded, d.allowed) {
            (Some(r), Some(a)) => Some((r == RecordedDecision::Allow) == a),
            _ => None,
        };
        let by = d.by.map(id);
        let shadowed: Vec<GrantId> = d.shadowed.iter().map(|&g| id(g)).collect();
        // Kubernetes visits bindings in its informer cache's order, not ours: any grant of the same
        // authorizer that allows the request may be the one the API server named.
        let attribution_agrees = match (&recorded_by, d.allowed) {
            (Some(rec), Some(true)) => Some(by.iter().chain(&shadowed).any(|found| rec.is(found))),
            _ => None,
        };
        let a = &mut self.agreement;
        a.evaluated += 1;
        match d.outcome {
            crate::authz::Outcome::NotEvaluated => a.not_evaluated += 1,
            crate::authz::Outcome::Unauthenticated => a.unauthenticated += 1,
            _ => {}
        }
        if let Some(ok) = agrees {
            a.decisions_compared += 1;
            a.decisions_agree += u64::from(ok);
        }
        if let Some(ok) = attribution_agrees {
            a.attributions_compared += 1;
            a.attributions_agree += u64::from(ok);
        }
        let s = &e.shape;
        let resource =
            if s.subresource.is_empty() { s.resource.to_string() } else { format!("{}/{}", s.resource, s.subresource) };
        let recorded = recorded.map(|r| if r == RecordedDecision::Allow { "allow" } else { "forbid" });
        match self.format {
            Format::Json => {
                let line = EvaluatedEvent {
                    audit_id: &e.audit_id,
                    time: time::format_rfc3339(e.time_ms),
                    principal: &s.principal,
                    verb: &s.verb,
                    resource,
                    namespace: &s.namespace,
                    name: &s.name,
                    path: &s.path,
                    allowed: d.allowed,
                    authenticated: d.authenticated,
                    outcome: d.outcome,
                    authenticated_by: d.authenticated_by.map(id),
                    by,
                    shadowed,
                    undocumented: d.undocumented.iter().map(|&g| id(g)).collect(),
                    recorded,
                    recorded_by,
                    agrees,
                    attribution_agrees,
                };
                crate::cli::output::write_stdout_exact(&(crate::model::text::to_json(&line, false) + "\n"));
            }
            Format::Text => {
                let replayed = match d.allowed {
                    Some(true) => "allow",
                    Some(false) => "deny",
                    None => "not-evaluated",
                };
                let what = if s.path.is_empty() {
                    format!("{} {resource} {}", s.verb, s.namespace)
                } else {
                    format!("{} {}", s.verb, s.path)
                };
                let mark = if agrees == Some(false) { "  <- differs" } else { "" };
                write_stdout(&format!(
                    "{:<36}  {:<8} {:<13} {:<60} {}{mark}\n",
                    e.audit_id,
                    recorded.unwrap_or("-"),
                    replayed,
                    by.as_ref().map_or("-", GrantId::as_str),
                    what
                ));
            }
        }
    }
}

impl Sink for EvaluateSink<'_> {
    fn kind(&self) -> &'static str {
        "audit"
    }

    fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    fn record(
        &mut self,
        tx: &Tx,
        text: &str,
        log_group_cluster: Option<&str>,
        pos: Position,
        now_ms: i64,
        tally: &mut Tally,
    ) -> Result<(), SinkError> {
        let cluster = self.cluster.clone();
        let mut failure = None;
        parse_record(text, cluster.as_deref().or(log_group_cluster), &mut |item| match item {
            AuditItem::Event(e) => {
                tally.ingested += 1;
                self.evaluate(&e);
            }
            AuditItem::Skipped(reason) => *tally.skipped.entry(reason.as_str()).or_default() += 1,
            AuditItem::Error(err) => {
                if let Err(e) = record_error(tx, "audit", None, pos, err, now_ms, tally) {
                    failure = Some(e);
                }
            }
        });
        failure.map_or(Ok(()), |e| Err(e.into()))
    }

    fn flush(&mut self, _tx: &Tx) -> Result<(), SinkError> {
        Ok(())
    }

    fn reset(&mut self) {}
}

pub fn run(args: EvaluateArgs, format: Format) -> Result<EventAgreement, CommandError> {
    let events = InputPath::parse(&args.events);
    crate::sources::files::check_inputs(std::slice::from_ref(&events))?;
    let state = crate::app::state_versions::load(&args.state, args.cluster.as_deref())?;
    let authz = Authorizer::new(&state);
    for w in &authz.warnings {
        tracing::warn!("{w}");
    }
    if format == Format::Text {
        write_stdout(&format!("{:<36}  {:<8} {:<13} {:<60} {}\n", "AUDIT ID", "RECORDED", "REPLAYED", "BY", "REQUEST"));
    }
    let mut sink = EvaluateSink { authz, cluster: args.cluster, format, agreement: EventAgreement::default() };
    let mut scratch = Store::open_in_memory()?;
    let opts = FileOptions {
        format: args.input_format,
        batch_records: DEFAULT_BATCH_RECORDS,
        progress: false,
        stop: None,
        clock: crate::app::clock::now_ms,
    };
    let tally = crate::sources::files::ingest_files(&mut scratch, &[events], &mut sink, &opts)?;
    let a = sink.agreement;
    crate::errln!(
        "evaluated {} events ({} skipped, {} bad records); decisions agree with the recorded ones on {} of {} ({}); the allowing grant agrees on {} of {} ({}); {} not evaluated (nodes, EKS's own identities), {} unauthenticated",
        a.evaluated,
        tally.skipped_total(),
        tally.errors,
        a.decisions_agree,
        a.decisions_compared,
        EventAgreement::rate(a.decisions_agree, a.decisions_compared),
        a.attributions_agree,
        a.attributions_compared,
        EventAgreement::rate(a.attributions_agree, a.attributions_compared),
        a.not_evaluated,
        a.unauthenticated
    );
    Ok(a)
}
