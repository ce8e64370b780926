//! Synthetic, realistic EKS audit and CloudTrail data from a seed: for the demo, the benchmarks and
//! tests at volume. The same options always write the same bytes.
//!
//! Two profiles: `small`, a handful of callers asking about a few dozen fixed objects (any volume
//! folds into a few hundred request shapes), and `busy`, a 300-node cluster whose object names and
//! sessions churn as a real busy cluster's do, so most events are a request shape of their own.

mod busy;
mod cloudtrail;
mod options;
mod population;
mod rbac;
mod record;
pub(crate) mod rng;
mod small;

pub use options::{GenerateOptions, Profile};
pub use rbac::{rbac_list_json, rbac_yaml};

use std::io::{self, Write};

/// Writes `opts.events` audit events as JSON lines in time order; returns how many were written.
pub fn write_audit(out: &mut dyn Write, opts: &GenerateOptions) -> io::Result<u64> {
    match opts.profile {
        Profile::Small => small::write_audit(out, opts),
        Profile::Busy => busy::write_audit(out, opts),
    }
}

/// Writes the CloudTrail side (an S3 delivery file): the calls that set up the cluster's access
/// entries, and noise; returns how many records.
pub fn write_cloudtrail(out: &mut dyn Write, opts: &GenerateOptions) -> io::Result<u64> {
    match opts.profile {
        Profile::Small => cloudtrail::write_cloudtrail(out, opts, &small::access_entries(), Some("data-team")),
        Profile::Busy => cloudtrail::write_cloudtrail(out, opts, &busy::access_entries(), None),
    }
}

/// The state file for a generated cluster: its access configuration (eksctl + kubectl YAML),
/// written by hand from the profile's population, so replaying the generated events against it
/// is an independent check.
pub fn state_yaml(opts: &GenerateOptions) -> String {
    let template = match opts.profile {
        Profile::Small => include_str!("state.yaml"),
        Profile::Busy => busy::STATE_TEMPLATE,
    };
    template
        .replace("111122223333", &opts.account)
        .replace("demo-node-role", &format!("{}-node-role", opts.cluster))
        .replace("\n  name: demo\n", &format!("\n  name: {}\n", opts.cluster))
}

#[cfg(test)]
mod tests {
    use super::options::received_ms;
    use super::*;
    use crate::model::time;

    fn options(profile: Profile, seed: u64, events: u64) -> GenerateOptions {
        GenerateOptions {
            profile,
            seed,
            events,
            days: 3,
            end_day: time::day_of(time::parse_timestamp("2026-11-20T00:00:00Z").unwrap()),
            cluster: "demo".into(),
            account: "111122223333".into(),
        }
    }

    /// All three outputs, hashed.
    fn written(opts: &GenerateOptions) -> [u128; 3] {
        let (mut audit, mut cloudtrail) = (Vec::new(), Vec::new());
        assert_eq!(write_audit(&mut audit, opts).unwrap(), opts.events);
        write_cloudtrail(&mut cloudtrail, opts).unwrap();
        [&audit[..], &cloudtrail[..], state_yaml(opts).as_bytes()].map(xxhash_rust::xxh3::xxh3_128)
    }

    /// Tests and BENCHMARKS.md depend on the small profile's data: these hashes are those of
    /// `generate --events 3000 --days 3 --end 2026-11-20 --seed 7` before the busy profile existed.
    #[test]
    fn the_small_profile_writes_the_bytes_it_always_has() {
        assert_eq!(
            written(&options(Profile::Small, 7, 3000)),
            [
                320060091867581601618142662293795525949,
                157183302767940678962780682979093858293,
                314470226331785935056255233567065620901
            ],
            "audit.jsonl, cloudtrail.json, state.yaml"
        );
    }

    #[test]
    fn same_options_write_the_same_bytes_and_another_seed_other_bytes() {
        for profile in [Profile::Small, Profile::Busy] {
            let opts = options(profile, 42, 5000);
            assert_eq!(written(&opts), written(&opts), "{profile:?}");
            let other = written(&options(profile, 43, 5000));
            assert_ne!(written(&opts)[0], other[0], "{profile:?}: the seed changes the events");
        }
    }

    #[test]
    fn events_are_spread_evenly_in_order_over_the_days() {
        let opts = options(Profile::Busy, 1, 30_000);
        let (first, last) = (received_ms(&opts, 0), received_ms(&opts, 29_999));
        assert_eq!(first, (opts.end_day - 2) * time::MS_PER_DAY, "the first day's midnight");
        assert!(last < (opts.end_day + 1) * time::MS_PER_DAY && last > opts.end_day * time::MS_PER_DAY);
        assert!((1..30_000).all(|i| received_ms(&opts, i) >= received_ms(&opts, i - 1)));
    }
}
