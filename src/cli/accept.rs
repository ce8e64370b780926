//! `grantscope accept ID --reason ...`: accept a finding's risk, as an entry appended to the
//! exceptions file for review in git. Only a current finding of the cluster is accepted (a typo
//! must not accept nothing silently), with a reason, an owner and, if given, a future expiry.

use super::CommandError;
use super::findings::{AssessScope, assessment_with};
use crate::analysis::exceptions::{NewEntry, fingerprint, is_finding_id};
use crate::app::clock::now_ms;
use crate::cli::output::{Format, print_json};
use crate::model::time::{day_of, format_day};
use crate::store::Store;
use std::path::Path;

pub struct AcceptArgs<'a> {
    pub scope: AssessScope<'a>,
    pub id: &'a str,
    pub reason: &'a str,
    /// Who answers for it; by default the user running the command (`USER`, `LOGNAME`).
    pub owner: Option<&'a str>,
    /// The UTC day from which the exception no longer accepts.
    pub expires: Option<i64>,
}

pub fn run(db: &Path, args: AcceptArgs, format: Format) -> Result<(), CommandError> {
    // What can be checked without the (slow) assessment fails first.
    if !is_finding_id(args.id) {
        return Err(CommandError::Usage(format!(
            "`{}` is not a finding id (GS- and 12 hex digits, as `grantscope findings` prints them)",
            args.id
        )));
    }
    if args.reason.trim().is_empty() {
        return Err(CommandError::Usage("--reason is empty: say why the risk is accepted".into()));
    }
    let today = day_of(now_ms());
    if let Some(day) = args.expires.filter(|d| *d <= today) {
        return Err(CommandError::Usage(format!(
            "--expires {} is not after today ({}): an exception expires at the start of its day, UTC",
            format_day(day),
            format_day(today)
        )));
    }
    let owner = match args.owner {
        Some(o) if !o.trim().is_empty() => o.to_string(),
        Some(_) => return Err(CommandError::Usage("--owner is empty: name who answers for the risk".into())),
        None => ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
            .ok_or_else(|| CommandError::Usage("give --owner: USER and LOGNAME are not set".into()))?,
    };
    // The file accept writes to may not be there yet: then nothing is accepted so far.
    let path = args.scope.exceptions_file();
    let existing = if path.exists() { Some(crate::app::exceptions::load(&path)?) } else { None };
    let mut store = Store::open_existing(db)?;
    let a = assessment_with(&mut store, args.scope, existing.as_ref())?;
    let cluster = a.replay.cluster.as_str();
    if let Some(f) = a.accepted.iter().find(|f| f.id == args.id) {
        let by = f.accepted.as_ref().map_or(0, |x| x.entry);
        return Err(CommandError::Usage(format!(
            "{} is already accepted by entry {by} of {}",
            args.id,
            path.display()
        )));
    }
    let Some(f) = a.findings.iter().find(|f| f.id == args.id) else {
        return Err(CommandError::Usage(format!(
            "{} is not a finding of cluster {cluster} now (over the last {} days); `grantscope findings` lists them",
            args.id, args.scope.window_days
        )));
    };
    let entry = NewEntry {
        id: f.id.clone(),
        cluster: cluster.to_string(),
        reason: args.reason.to_string(),
        owner,
        expires: args.expires,
        accepted_on: today,
        grant: f.grant.to_string(),
        fingerprint: fingerprint(&a.state, &f.grant),
    };
    let read = crate::app::exceptions::append(&path, &entry)?;
    match format {
        Format::Text => crate::outln!(
            "accepted {} ({} {}) as entry {} of {}",
            f.id,
            f.kind,
            f.grant,
            read.entries.len(),
            path.display()
        ),
        Format::Json => print_json(&serde_json::json!({
            "id": f.id,
            "kind": f.kind,
            "grant": f.grant,
            "file": path,
            "entry": read.entries.len(),
            "fingerprint": entry.fingerprint,
        })),
    }
    Ok(())
}
