//! Synthetic, realistic EKS audit and CloudTrail data from a seed: for the demo, the benchmarks and
//! tests at volume. The same options always write the same bytes.

mod audit;
mod cloudtrail;
mod population;
mod rbac;
pub(crate) mod rng;

pub use audit::write_audit;
pub use cloudtrail::write_cloudtrail;
pub use rbac::{rbac_list_json, rbac_yaml};

/// The generated cluster's access configuration (eksctl + kubectl YAML), written by hand from the
/// population, so replaying the generated events against it is an independent check.
const STATE_TEMPLATE: &str = include_str!("state.yaml");

/// The state file for a generated cluster.
pub fn state_yaml(opts: &GenerateOptions) -> String {
    STATE_TEMPLATE
        .replace("111122223333", &opts.account)
        .replace("demo-node-role", &format!("{}-node-role", opts.cluster))
        .replace("\n  name: demo\n", &format!("\n  name: {}\n", opts.cluster))
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    /// Audit events in total, spread evenly over the days.
    pub events: u64,
    pub days: u32,
    /// The last day (UTC day number) the data covers.
    pub end_day: i64,
    pub cluster: String,
    pub account: String,
}
