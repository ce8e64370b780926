//! `grantscope generate`: writes a synthetic data set (audit JSON lines, a CloudTrail file, and the
//! cluster's access configuration), or streams the audit events to stdout.

use super::CommandError;
use crate::cli::output::{Format, print_json};
use crate::generate::{GenerateOptions, Profile, state_yaml, write_audit, write_cloudtrail};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub struct Generated {
    pub audit: PathBuf,
    pub audit_events: u64,
    pub cloudtrail: PathBuf,
    pub cloudtrail_events: u64,
    /// The cluster's access configuration, for `--state` and `state import`.
    pub state: PathBuf,
}

/// The small profile's volume when neither `--events` nor `--days` is given.
const SMALL_EVENTS: u64 = 100_000;
const SMALL_DAYS: u32 = 14;
/// The busy profile's: a busy cluster's 8.6 million events a day (100 a second), for one day.
pub const BUSY_RATE: u64 = 100;
const BUSY_DAYS: u32 = 1;

/// The volume asked for, as (events, days): `--events` when given; otherwise, for the busy
/// profile, `--rate` events a second over the days, and for the small profile 100,000.
pub fn volume(
    profile: Profile,
    events: Option<u64>,
    rate: Option<u64>,
    days: Option<u32>,
) -> Result<(u64, u32), CommandError> {
    let days = days.unwrap_or(match profile {
        Profile::Small => SMALL_DAYS,
        Profile::Busy => BUSY_DAYS,
    });
    let events = match (profile, events, rate) {
        (Profile::Small, _, Some(_)) => {
            return Err(CommandError::Usage(
                "--rate sets the busy profile's volume: add --profile busy, or give the small profile --events".into(),
            ));
        }
        (_, Some(events), _) => events,
        (Profile::Small, None, None) => SMALL_EVENTS,
        (Profile::Busy, None, rate) => rate.unwrap_or(BUSY_RATE).saturating_mul(86_400 * u64::from(days)),
    };
    Ok((events, days))
}

/// Writes the data set into `out`, or the audit events alone to stdout when `out` is `-`.
pub fn run(out: &Path, opts: &GenerateOptions, format: Format) -> Result<(), CommandError> {
    if out == Path::new("-") {
        let stdout = std::io::stdout();
        let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
        // stdout carries the events alone: no summary (the reader counts what it reads).
        return match write_audit(&mut w, opts).and_then(|_| w.flush()) {
            Ok(()) => Ok(()),
            // The reader stopped early (`| head`): as for other Unix tools, not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(source) => Err(CommandError::Io { path: "<stdout>".into(), source }),
        };
    }
    let generated = write_files(out, opts)?;
    match format {
        Format::Json => print_json(&generated),
        Format::Text => crate::outln!(
            "wrote {} audit events to {}, {} CloudTrail events to {} and the access configuration to {}",
            generated.audit_events,
            generated.audit.display(),
            generated.cloudtrail_events,
            generated.cloudtrail.display(),
            generated.state.display()
        ),
    }
    Ok(())
}

/// Writes `audit.jsonl`, `cloudtrail.json` and `state.yaml` into `out`.
pub fn write_files(out: &Path, opts: &GenerateOptions) -> Result<Generated, CommandError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CommandError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let audit = out.join("audit.jsonl");
    let cloudtrail = out.join("cloudtrail.json");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&audit).map_err(io(&audit))?);
    let audit_events = write_audit(&mut w, opts).map_err(io(&audit))?;
    w.flush().map_err(io(&audit))?;
    let mut w = BufWriter::new(File::create(&cloudtrail).map_err(io(&cloudtrail))?);
    let cloudtrail_events = write_cloudtrail(&mut w, opts).map_err(io(&cloudtrail))?;
    w.flush().map_err(io(&cloudtrail))?;
    let state = out.join("state.yaml");
    std::fs::write(&state, state_yaml(opts)).map_err(io(&state))?;
    Ok(Generated { audit, audit_events, cloudtrail, cloudtrail_events, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        name: &'static str,
        profile: Profile,
        events: Option<u64>,
        rate: Option<u64>,
        days: Option<u32>,
        want: Option<(u64, u32)>,
    }

    #[test]
    fn volume_follows_events_then_rate_then_the_profile_default() {
        use Profile::{Busy, Small};
        let case = |name, profile, events, rate, days, want| Case { name, profile, events, rate, days, want };
        let cases = [
            case("the small profile writes 100,000 events over 14 days", Small, None, None, None, Some((100_000, 14))),
            case("the busy profile writes a day at 100 events a second", Busy, None, None, None, Some((8_640_000, 1))),
            case(
                "the busy profile's rate is per second of every day",
                Busy,
                None,
                Some(20),
                Some(3),
                Some((5_184_000, 3)),
            ),
            case("--events wins over --rate", Busy, Some(300_000), Some(20), None, Some((300_000, 1))),
            case("--events and --days for the small profile", Small, Some(5_000), None, Some(3), Some((5_000, 3))),
            case("--rate means nothing to the small profile", Small, None, Some(20), None, None),
            case("not even beside --events", Small, Some(5_000), Some(20), None, None),
        ];
        for c in cases {
            assert_eq!(volume(c.profile, c.events, c.rate, c.days).ok(), c.want, "{}", c.name);
        }
    }
}
