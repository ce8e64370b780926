//! The grantscope command line: parse, load config, dispatch. Nothing else.

use clap::{Args, Parser, Subcommand};
use grantscope::cli::output::{Format, FormatArg};
use grantscope::cli::{self, CommandError, explain::Requester, ingest::Kind};
use grantscope::generate::{GenerateOptions, Profile};
use grantscope::ingest::InputFormat;
use grantscope::model::time;
use grantscope::serve::config::Config;
use grantscope::state::state_files;
use grantscope::store::Horizons;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Examples, exit codes and environment, as written: clap rewraps doc comments into paragraphs,
/// which would run the example commands together.
const AFTER_HELP: &str = "\
Examples:
  grantscope demo
  aws logs filter-log-events --log-group-name /aws/eks/prod/cluster \\
      --log-stream-name-prefix kube-apiserver-audit > audit.json
  grantscope ingest audit --cluster prod audit.json
  grantscope stats

Exit codes:
  0  success (bad records inside inputs are recorded and skipped; see `grantscope errors`)
  1  `explain`: the request is not allowed; `paths`: escalation paths were found
  3  `whatif`: the proposed state would deny requests allowed today
  2  usage: a bad flag, argument, config or input file, a --db that is not a grantscope
     database, a kubeconfig without the --context, --in-cluster outside a pod;
     `state sync`: a part was kept from the previous version
  4  not found: an input file, the database, the kubeconfig or a cluster's stored state
     does not exist
  5  I/O: a file could not be read or written
  6  remote: an AWS or Kubernetes API call failed
  7  data: the database cannot be used (written by a newer grantscope, an SQLite error, a
     stored state or a source's checkpoint that cannot be read)

Environment:
  GRANTSCOPE_DB                      database path (same as --db)
  GRANTSCOPE_STORE_RETENTION_DAYS    [store].retention_days
  GRANTSCOPE_STORE_DEDUPE_DAYS       [store].dedupe_days
  RUST_LOG                           log filter, e.g. grantscope=debug";

const GENERATE_HELP: &str = "\
Examples:
  grantscope generate --out gen
  grantscope generate --profile busy --rate 2 --days 3 --out busy
  grantscope generate --profile busy --events 0 --out busy     # the state file, no events
  grantscope generate --profile busy --events 300000 --out - \\
      | grantscope ingest audit --cluster demo -";

/// Finds the Amazon EKS cluster access nobody uses, and the access broader than what is used.
///
/// grantscope folds Kubernetes audit events and CloudTrail events into a SQLite store of request
/// shapes, then re-evaluates them against the cluster's access configuration.
///
/// Start with `grantscope demo`, or ingest your own logs (examples below).
#[derive(Parser)]
#[command(name = "grantscope", version, after_help = AFTER_HELP, max_term_width = 100)]
struct Cli {
    /// SQLite database file [default: [store].path of --config, or grantscope.db]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// TOML configuration file (see grantscope.example.toml)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More logging (-v debug, -vv trace); -v also shows the whole of an AWS or Kubernetes error
    /// (the SDK's layers, the connection's cause) under its one-line message
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on stderr; no progress bars
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Output format: text or json for every command that prints data; md or html for `report`;
    /// eksctl, terraform, aws-cli or kubectl for `remediate`
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Log format on stderr: text (the default for commands) or json (the default for `serve`)
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
// Parsed once at start: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Ingest events from files (exactly once: re-ingesting adds nothing)
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// Show what the store holds, per cluster
    Stats {
        /// Only this cluster
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Privilege-escalation paths: who can become more than they were granted (impersonation,
    /// pods running as a namespace's service accounts, token creation, secrets, bind/escalate,
    /// aws-auth writes, nodes/proxy, CSR approval), to cluster-admin, secrets in every namespace,
    /// aws-auth write, RBAC write; each step names its grant, and a grant never used in the window
    /// is the cheapest cut. Exit 0 with no path, 1 with paths
    #[command(
        after_help = "Examples:\n  grantscope paths --cluster prod --to cluster-admin\n  grantscope --format dot paths --state cluster.yaml --state rbac.yaml | dot -Tsvg > paths.svg"
    )]
    Paths {
        /// State files or directories instead of the database's latest state (several after one
        /// --state, or --state repeated; a directory gives its *.yaml, *.yml and *.json files)
        #[arg(long, value_name = "PATH", num_args = 1..)]
        state: Vec<PathBuf>,
        /// Read directories given to --state recursively (their subdirectories too)
        #[arg(short = 'R', long)]
        recursive: bool,
        #[arg(long)]
        cluster: Option<String>,
        /// Only paths from this IAM principal ARN
        #[arg(long)]
        from: Option<String>,
        /// Only paths to this capability: cluster-admin, secrets-all-namespaces, aws-auth-write, rbac-write
        #[arg(long)]
        to: Option<String>,
    },
    /// Who changed access to the cluster, when, and what: access entries, policy associations
    /// and their scopes, the authentication mode, IAM principals deleted or re-created (from
    /// CloudTrail, with the caller and session), RBAC and aws-auth (from the stored state
    /// versions' diffs)
    #[command(after_help = "Examples:\n  grantscope timeline --cluster prod --since 30d")]
    Timeline {
        #[arg(long)]
        cluster: Option<String>,
        /// How far back (`30d` or `30`)
        #[arg(long, default_value = "30d", value_parser = cli::parse_days)]
        since: u32,
    },
    /// List bad records that ingest skipped, with file and line
    Errors {
        /// Show at most this many (the newest)
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Delete per-event rows older than the retention and dedupe horizons
    Gc(HorizonArgs),
    /// Write a synthetic, realistic data set: audit events (JSON lines), the CloudTrail records
    /// that set up the cluster's access entries, and its access configuration (state.yaml), the
    /// same bytes for the same options
    #[command(after_help = GENERATE_HELP)]
    Generate(GenerateArgs),
    /// Evaluate every audit event of a file against an access state, and compare with the decision
    /// and grant the API server recorded. `--format json` prints one JSON object per event (JSON lines)
    #[command(
        after_help = "Examples:\n  grantscope evaluate --state cluster.yaml --state rbac.yaml --events audit.jsonl"
    )]
    Evaluate {
        /// State files: eksctl ClusterConfig, kubectl YAML/JSON (RBAC, aws-auth), grantscope
        /// snapshots; several after one --state or --state repeated; a directory gives its *.yaml,
        /// *.yml and *.json files
        #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
        state: Vec<PathBuf>,
        /// Read directories given to --state recursively (their subdirectories too)
        #[arg(short = 'R', long)]
        recursive: bool,
        /// Audit events, in any format `ingest audit` reads
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        /// Cluster name, if the state files do not give one
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
        input_format: InputFormat,
    },
    /// Could this caller do this? Like `kubectl auth can-i`, with the authentication result and which
    /// grant allowed it, which were shadowed, and why the others did not apply. Exit 0 allowed, 1 not
    #[command(after_help = "Examples:
  grantscope explain --state cluster.yaml --arn arn:aws:iam::111122223333:role/dev get pods -n dev
  grantscope explain --state rbac.yaml --user system:serviceaccount:ci:deployer \\
      patch deployments.apps -n prod
  grantscope explain --state rbac.yaml --user alice --group ops get --path /metrics")]
    Explain(ExplainCli),
    /// Access-state versions stored in the database
    #[command(subcommand)]
    State(StateCommand),
    /// Decide every request shape of the window against the cluster's current access state, and
    /// count each grant's use (new shapes only, unless the state changed)
    #[command(after_help = "Examples:\n  grantscope replay --cluster prod --window 90d")]
    Replay {
        #[arg(long)]
        cluster: Option<String>,
        /// Analysis window, in days (`90d` or `90`)
        #[arg(long, default_value = "90d", value_parser = cli::parse_days)]
        window: u32,
    },
    /// What would a proposed access state break? The window's requests decided under it: which flip
    /// from allowed to denied (exit 3, for pull-request checks) and from denied to allowed
    #[command(
        after_help = "Examples:\n  grantscope whatif --cluster prod --proposed cluster.yaml --proposed rbac.yaml"
    )]
    Whatif {
        #[arg(long)]
        cluster: Option<String>,
        /// Analysis window, in days (`90d` or `90`)
        #[arg(long, default_value = "90d", value_parser = cli::parse_days)]
        window: u32,
        /// The proposed state: eksctl ClusterConfig, kubectl YAML/JSON, a grantscope snapshot;
        /// several files after one --proposed or --proposed repeated; directories as for --state
        #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
        proposed: Vec<PathBuf>,
        /// Read directories given to --proposed recursively (their subdirectories too)
        #[arg(short = 'R', long)]
        recursive: bool,
    },
    /// Grants nobody used, used only in part, shadowed, or risky (replays what is new first)
    #[command(after_help = "Examples:\n  grantscope findings --cluster prod --kind unused-access-entry --format json")]
    Findings {
        #[command(flatten)]
        assess: AssessArgs,
        /// Only this kind: unused-access-entry, unused-policy-association, unused-aws-auth-mapping,
        /// unused-rbac-binding, unused-kubernetes-group, shadowed-grant, overbroad-scope, overbroad-policy, risky,
        /// escalation-path, insufficient-evidence
        #[arg(long)]
        kind: Option<grantscope::analysis::FindingKind>,
        /// Only findings bearing on this control: cis-eks-4.1.1, -4.1.2, -4.1.4, -4.1.7, -4.1.8, -4.1.12 (or just 4.1.8),
        /// cis-k8s-5.1.7, cis-k8s-5.1.11, nsa-cisa-rbac (see the README's compliance section)
        #[arg(long)]
        control: Option<String>,
        /// Also list the findings an exception accepts (after the others, marked ACCEPTED)
        #[arg(long)]
        show_accepted: bool,
    },
    /// Accept a finding's risk: append an entry for it to the exceptions file (created if missing),
    /// to be reviewed in git. The finding is then listed apart, not counted by severity, not
    /// remediated and not alerted on, until the exception expires or the grant changes
    #[command(after_help = "Examples:
  grantscope accept GS-3f1c0a9b2e47 --reason \"break-glass role, used only in incidents\" \\
      --owner platform-security --expires 2026-12-31
  grantscope accept GS-3f1c0a9b2e47 --reason \"sandbox\" --exceptions gitops/grantscope.exceptions.yaml")]
    Accept {
        /// The finding's id, as `grantscope findings` prints it
        id: String,
        /// Why the risk is accepted
        #[arg(long)]
        reason: String,
        /// Who answers for it [default: the USER running the command]
        #[arg(long)]
        owner: Option<String>,
        /// From this day (YYYY-MM-DD, UTC) the exception no longer accepts; must be after today
        #[arg(long, value_parser = parse_day)]
        expires: Option<i64>,
        #[command(flatten)]
        assess: AssessArgs,
    },
    /// Write the recommendations as something to apply: --format aws-cli (a shell script, the
    /// default), eksctl (the recommended accessConfig), terraform, kubectl (generated RBAC and the
    /// aws-auth ConfigMap), or json. Only recommendations proven safe by replay are written.
    ///
    /// With --out DIR every format is written to DIR, with CLUSTER.snapshot.json: the recommended
    /// state, which `grantscope whatif --proposed` takes.
    #[command(after_help = "Examples:\n  grantscope remediate --cluster prod --format terraform > least-privilege.tf")]
    Remediate {
        #[command(flatten)]
        assess: AssessArgs,
        /// The cluster's AWS region, which an eksctl ClusterConfig names
        #[arg(long, env = "AWS_REGION")]
        region: Option<String>,
        /// Write the files into this directory instead of printing one
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// The least-privilege report: summary (grants used and unused, top risks, biggest reductions,
    /// agreement with recorded decisions, data coverage), charts, every finding and grant. --format
    /// md (the default), html (one self-contained file) or json (schemas/report.schema.json)
    #[command(after_help = "Examples:
  grantscope report --cluster prod --format html --out report.html
  grantscope report --cluster prod --format json --out week-50.json
  grantscope report --cluster prod --format html --since-report week-49.json --out week-50.html")]
    Report {
        #[command(flatten)]
        assess: AssessArgs,
        /// Write the report to this file instead of printing it
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Add a "since the previous report" section: findings new and resolved, grants added and
        /// removed, and the headline figures then and now, against this earlier JSON report
        #[arg(long, value_name = "FILE.json")]
        since_report: Option<PathBuf>,
    },
    /// Run as a service: follow every [[clusters]] source of --config, assess each cluster on an
    /// interval, and serve /metrics (Prometheus), /healthz, /readyz, /api/v1/findings and
    /// /api/v1/reports/latest on [server] listen. Stops cleanly on SIGTERM or SIGINT.
    #[command(after_help = "Examples:\n  grantscope serve --config /etc/grantscope/grantscope.toml")]
    Serve,
    /// Check a configuration file and print the effective configuration (file, then environment)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Generate a small cluster's data, ingest it and show the result
    Demo {
        /// Directory for the data and its database
        #[arg(long, default_value = "grantscope-demo")]
        out: PathBuf,
        #[command(flatten)]
        horizons: HorizonArgs,
    },
}

/// What `findings`, `remediate` and `report` assess.
#[derive(Args)]
struct AssessArgs {
    #[arg(long)]
    cluster: Option<String>,
    /// Analysis window, in days (`90d` or `90`)
    #[arg(long, default_value = "90d", value_parser = cli::parse_days)]
    window: u32,
    /// With fewer days of events than this, nothing is called unused: it is insufficient-evidence
    #[arg(long, default_value_t = 14)]
    min_observed_days: u32,
    /// Exceptions file (accepted risk; the README's "Accepted risk" section) [default: [analysis]
    /// exceptions of --config, else grantscope.exceptions.yaml in the working directory, if it is
    /// there]
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
}

impl AssessArgs {
    /// The scope to assess; `configured` is `[analysis] exceptions`, which `--exceptions` overrides.
    fn scope<'a>(&'a self, configured: Option<&'a Path>) -> cli::findings::AssessScope<'a> {
        cli::findings::AssessScope {
            cluster: self.cluster.as_deref(),
            window_days: self.window,
            min_observed_days: self.min_observed_days,
            exceptions: self.exceptions.as_deref().or(configured),
        }
    }
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate --config (and GRANTSCOPE_* variables); print the effective configuration
    #[command(after_help = "Examples:\n  grantscope config check --config grantscope.toml")]
    Check,
}

#[derive(Subcommand)]
enum IngestCommand {
    /// Kubernetes audit events: JSON lines, EventList, `aws logs filter-log-events` or
    /// `get-log-events` output, CloudWatch Logs S3 exports and subscription records, Logs Insights
    /// exports; gzip or not (detected from content)
    #[command(after_help = "Examples:\n  grantscope ingest audit --cluster prod audit-*.jsonl.gz")]
    Audit {
        /// Cluster the events belong to; needed unless the input names its /aws/eks/NAME/cluster log group
        #[arg(long)]
        cluster: Option<String>,
        #[command(flatten)]
        files: FileArgs,
    },
    /// CloudTrail events: S3 delivery files ({"Records":[...]}), `aws cloudtrail lookup-events`
    /// output, JSON lines; gzip or not. Keeps EKS access-entry and cluster-config calls and IAM
    /// role/user lifecycle; counts the rest as skipped. With --live, straight from the CloudTrail
    /// API (LookupEvents, one lookup per kept event name, paced to its 2 requests/s; IAM events
    /// from us-east-1, where CloudTrail records them); needs cloudtrail:LookupEvents
    #[command(
        after_help = "Examples:\n  grantscope ingest cloudtrail AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/*/*.json.gz\n  grantscope ingest cloudtrail --live --region eu-west-1 --since 30d --follow"
    )]
    Cloudtrail {
        /// Read the CloudTrail API instead of files
        #[arg(long, conflicts_with_all = ["files", "input_format", "batch_records"])]
        live: bool,
        #[command(flatten)]
        files: FileArgs<false>,
        #[command(flatten)]
        aws: LiveCli,
    },
    /// A cluster's audit log straight from CloudWatch Logs (FilterLogEvents on
    /// /aws/eks/CLUSTER/cluster, streams kube-apiserver-audit-*), from where the last run stopped
    /// (or --since) up to now, and on with --follow. Credentials: the AWS default chain (env,
    /// profile, IRSA, ECS/Pod Identity, instance role); needs logs:FilterLogEvents on the log group
    #[command(
        after_help = "Examples:\n  grantscope ingest cloudwatch --cluster prod --region eu-west-1 --since 7d --follow"
    )]
    Cloudwatch {
        #[arg(long)]
        cluster: String,
        /// Log group [default: /aws/eks/CLUSTER/cluster]
        #[arg(long)]
        log_group: Option<String>,
        /// Only streams whose name starts with this
        #[arg(long, default_value_t = grantscope::sources::cloudwatch::config::default_stream_prefix())]
        stream_prefix: String,
        #[command(flatten)]
        live: LiveCli,
        #[command(flatten)]
        horizons: HorizonArgs,
    },
}

impl From<FileArgs<false>> for FileArgs {
    fn from(f: FileArgs<false>) -> FileArgs {
        FileArgs { input_format: f.input_format, batch_records: f.batch_records, horizons: f.horizons, files: f.files }
    }
}

/// How a live source reads: region, how far back a first run goes, whether it follows.
#[derive(Args)]
struct LiveCli {
    /// AWS region [default: the chain's: AWS_REGION, the profile, the instance]
    #[arg(long)]
    region: Option<String>,
    /// On a first run, start this far back (`7d` or `7`) [default: 7d for CloudWatch, 30d for CloudTrail]
    #[arg(long, value_parser = cli::parse_days)]
    since: Option<u32>,
    /// Keep polling every --poll-seconds until SIGINT/SIGTERM (the page in flight is committed)
    #[arg(long)]
    follow: bool,
    /// Seconds between polls with --follow [default: the source's poll_seconds, 10 for
    /// CloudWatch, 300 for CloudTrail]
    #[arg(long, requires = "follow", value_parser = clap::value_parser!(u64).range(1..))]
    poll_seconds: Option<u64>,
}

impl LiveCli {
    fn resolve(&self, horizons: Horizons) -> cli::ingest::LiveArgs {
        cli::ingest::LiveArgs {
            region: self.region.clone(),
            since_days: self.since,
            follow: self.follow,
            poll_seconds: self.poll_seconds,
            horizons,
        }
    }
}

#[derive(Args)]
struct ExplainCli {
    /// State files: eksctl ClusterConfig, kubectl YAML/JSON (RBAC, aws-auth), grantscope snapshots;
    /// several after one --state (end them with another option or `--` before VERB) or --state
    /// repeated; a directory gives its *.yaml, *.yml and *.json files
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    state: Vec<PathBuf>,
    /// Read directories given to --state recursively (their subdirectories too)
    #[arg(short = 'R', long)]
    recursive: bool,
    /// Cluster name, if the state files do not give one
    #[arg(long)]
    cluster: Option<String>,
    /// IAM principal: role, user or assumed-role session ARN (re-authenticated through access entries and aws-auth)
    #[arg(long, conflicts_with_all = ["user", "group"], required_unless_present = "user")]
    arn: Option<String>,
    /// STS session name, for username templates ({{SessionName}})
    #[arg(long, requires = "arn")]
    session: Option<String>,
    /// Access key id of the session, for {{AccessKeyID}} templates
    #[arg(long, requires = "arn")]
    access_key_id: Option<String>,
    /// Kubernetes username, taken as given
    #[arg(long)]
    user: Option<String>,
    /// Kubernetes group of --user (repeatable); system:authenticated is added (not for system:anonymous)
    #[arg(long, requires = "user")]
    group: Vec<String>,
    /// Verb: get, list, watch, create, update, patch, delete, ...
    verb: String,
    /// Resource: pods, pods/log, deployments.apps (omit with --path)
    #[arg(required_unless_present = "path")]
    resource: Option<String>,
    #[arg(short, long)]
    namespace: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    subresource: Option<String>,
    #[arg(long)]
    api_group: Option<String>,
    /// Non-resource URL, like /version or /metrics
    #[arg(long, conflicts_with = "resource")]
    path: Option<String>,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Store the access state of files as the cluster's next version (only if it changed). A file
    /// from which nothing is read (empty, only comments, other kinds) is an error, and so, without
    /// --allow-shrink, is a state removing more than half the stored grants
    #[command(
        after_help = "Examples:\n  grantscope state import --cluster prod cluster.yaml rbac.yaml aws-auth.yaml\n  grantscope state import --cluster prod -R gitops/rbac/"
    )]
    Import {
        #[arg(long)]
        cluster: String,
        /// eksctl ClusterConfig, kubectl YAML/JSON (RBAC, aws-auth), grantscope snapshots; a
        /// directory gives its *.yaml, *.yml and *.json files
        #[arg(required = true, value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Read directories recursively (their subdirectories too)
        #[arg(short = 'R', long)]
        recursive: bool,
        /// Store the state even if it removes more than half the grants of the stored version
        /// (without it, such a state is refused as a likely truncated or wrong file)
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Read the cluster's access state from the live APIs; store it as the next version if it
    /// changed, and print what changed
    ///
    /// The EKS API gives the authentication mode, access entries and their access policies
    /// (eks:DescribeCluster, ListAccessEntries, DescribeAccessEntry, ListAssociatedAccessPolicies);
    /// the Kubernetes API gives Roles, ClusterRoles, their bindings and kube-system/aws-auth (the
    /// Helm chart's read-only ClusterRole). A part that cannot be read is kept from the previous
    /// version and reported, exit 2; a first sync needs both.
    #[command(
        after_help = "Examples:\n  grantscope state sync --cluster prod --region eu-west-1 --context prod-admin\n  grantscope state sync --cluster prod --eks-token   # no kubeconfig, as in ECS"
    )]
    Sync {
        #[arg(long)]
        cluster: String,
        /// AWS region [default: the chain's: AWS_REGION, the profile, the instance]
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        kubernetes: KubernetesCli,
    },
    /// Summarize a stored version (the latest by default); --format json gives the snapshot
    Show {
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Write a stored version as a snapshot file, which --state and `state import` read back
    Export {
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        version: Option<i64>,
        /// Write here instead of stdout
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// How `state sync` reaches the Kubernetes API.
#[derive(Args)]
struct KubernetesCli {
    /// kubeconfig file [default: KUBECONFIG, then ~/.kube/config]; exec plugins such as
    /// `aws eks get-token` work
    #[arg(long, value_name = "PATH", conflicts_with_all = ["in_cluster", "eks_token"])]
    kubeconfig: Option<PathBuf>,
    /// kubeconfig context [default: its current context]
    #[arg(long, conflicts_with_all = ["in_cluster", "eks_token"])]
    context: Option<String>,
    /// Use the pod's service account (running inside the cluster)
    #[arg(long, conflicts_with = "eks_token")]
    in_cluster: bool,
    /// Use the endpoint and CA from DescribeCluster and an EKS token signed with the AWS
    /// credentials (the daemon's IAM role needs an access entry bound to read RBAC)
    #[arg(long)]
    eks_token: bool,
}

impl KubernetesCli {
    fn access(self) -> grantscope::sources::state_sync::kubernetes::KubernetesAccess {
        use grantscope::sources::state_sync::kubernetes::KubernetesAccess;
        match (self.in_cluster, self.eks_token) {
            (true, _) => KubernetesAccess::InCluster,
            (_, true) => KubernetesAccess::EksToken,
            _ => KubernetesAccess::Kubeconfig { path: self.kubeconfig, context: self.context },
        }
    }
}

/// Input files and how to read them; `REQUIRED` is false where another source can stand in (--live).
#[derive(Args)]
struct FileArgs<const REQUIRED: bool = true> {
    /// How records are laid out (auto: decided from the first line)
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    input_format: InputFormat,
    /// Records per transaction: a crash loses at most this much work, which the next run redoes
    #[arg(long, value_name = "N", default_value_t = grantscope::sources::files::DEFAULT_BATCH_RECORDS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    batch_records: u64,
    #[command(flatten)]
    horizons: HorizonArgs,
    /// Input files; `-` reads stdin
    #[arg(required = REQUIRED, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args, Clone, Copy)]
struct HorizonArgs {
    /// Keep raw normalized events this many days [default: [store].retention_days or 2]
    #[arg(long, value_name = "DAYS")]
    retention_days: Option<u32>,
    /// Remember event ids of events ingested in the last DAYS, so overlapping inputs count once
    /// [default: [store].dedupe_days or 2]
    #[arg(long, value_name = "DAYS")]
    dedupe_days: Option<u32>,
}

#[derive(Args)]
struct GenerateArgs {
    /// Directory to write audit.jsonl, cloudtrail.json and state.yaml into; `-` writes the audit
    /// events alone, to stdout (for `| grantscope ingest audit -`, without a file on disk)
    #[arg(long)]
    out: PathBuf,
    /// Which cluster the data describes
    #[arg(long, value_enum, default_value_t)]
    profile: Profile,
    /// Same seed, same data
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Audit events in total; wins over --rate [default: 100000 for small; --rate x 86,400 x --days
    /// for busy]
    #[arg(long)]
    events: Option<u64>,
    /// Busy profile only: audit events per second, when --events is not given [default: 100, about
    /// 8.6 million events (9.5 GB) a day]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    rate: Option<u64>,
    /// Days the events span [default: 14 for small, 1 for busy]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    days: Option<u32>,
    /// Last day covered, YYYY-MM-DD [default: today, UTC]
    #[arg(long, value_parser = parse_day)]
    end: Option<i64>,
    /// Cluster name in the CloudTrail records
    #[arg(long, default_value = "demo")]
    cluster: String,
    /// AWS account id of the generated principals
    #[arg(long, default_value = "111122223333")]
    account: String,
}

fn parse_day(s: &str) -> Result<i64, String> {
    time::parse_day(s).ok_or_else(|| format!("`{s}` is not a date like 2026-11-25"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon logs JSON for log pipelines unless told otherwise; commands log text for people.
    let json = match cli.log_format {
        Some(f) => f == LogFormat::Json,
        None => matches!(cli.command, Command::Serve),
    };
    init_logging(cli.verbose, cli.quiet, json);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            grantscope::errln!("grantscope: {e}");
            ExitCode::from(e.class().exit_code())
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, json: bool) {
    // The AWS credential chain warns with a dump of each provider's failure, and kube-rs logs each
    // failed request as an error of its own: at the default level the failure's one line says what
    // was tried and what to do, and `-v` shows what the libraries said.
    let default = match (quiet, verbose) {
        (true, _) => "error,kube_client=off",
        (false, 0) if json => "info,aws_config=error,kube_client=off",
        (false, 0) => "warn,aws_config=error,kube_client=off",
        (false, 1) => "grantscope=debug,info",
        (false, _) => "grantscope=trace,debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        logs.json().with_current_span(false).init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).with_target(false).init();
    }
}

fn run(cli: Cli) -> Result<u8, CommandError> {
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    let names: Vec<String> = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).collect();
    for (name, meant) in grantscope::serve::config::unknown_environment(names.iter().map(String::as_str)) {
        tracing::warn!("{name} is not a grantscope setting and is ignored (did you mean {meant}?)");
    }
    let db = cli.db.unwrap_or(config.store.path.clone());
    let horizons = |h: HorizonArgs| Horizons {
        retention_days: h.retention_days.unwrap_or(config.store.retention_days),
        dedupe_days: h.dedupe_days.unwrap_or(config.store.dedupe_days),
    };
    let progress = !cli.quiet;
    let data_format = cli.format.data().map_err(CommandError::Usage);
    match cli.command {
        Command::Ingest(IngestCommand::Cloudwatch { cluster, log_group, stream_prefix, live, horizons: h }) => {
            let live = live.resolve(horizons(h));
            cli::ingest::cloudwatch(&db, &cluster, log_group, stream_prefix, live, data_format?).map(|_| 0)
        }
        Command::Ingest(IngestCommand::Cloudtrail { live: true, aws, files }) => {
            let live = aws.resolve(horizons(files.horizons));
            cli::ingest::cloudtrail_live(&db, live, data_format?).map(|_| 0)
        }
        Command::Ingest(cmd) => {
            let (kind, cluster, files) = match cmd {
                IngestCommand::Audit { cluster, files } => (Kind::Audit, cluster, files),
                IngestCommand::Cloudtrail { files, .. } if files.files.is_empty() => {
                    return Err(CommandError::Usage("give CloudTrail files to read, or --live to read the API".into()));
                }
                IngestCommand::Cloudtrail { files, .. } => (Kind::CloudTrail, None, files.into()),
                IngestCommand::Cloudwatch { .. } => unreachable!("handled above"),
            };
            let args = cli::ingest::IngestArgs {
                kind,
                cluster,
                input_format: files.input_format,
                batch_records: files.batch_records as usize,
                files: files.files,
                progress,
                horizons: horizons(files.horizons),
            };
            cli::ingest::run(&db, args, data_format?).map(|_| 0)
        }
        Command::Stats { cluster } => cli::stats::run(&db, cluster.as_deref(), data_format?).map(|_| 0),
        Command::Paths { state, recursive, cluster, from, to } => {
            let args = cli::paths::PathsArgs { state: state_files(&state, recursive)?, cluster, from, to };
            cli::paths::run(&db, args, cli.format).map(|n| u8::from(n > 0))
        }
        Command::Timeline { cluster, since } => {
            cli::timeline::run(&db, cluster.as_deref(), since, data_format?).map(|_| 0)
        }
        Command::Errors { limit } => cli::errors::run(&db, limit, data_format?).map(|_| 0),
        Command::Gc(h) => cli::gc::run(&db, horizons(h), data_format?).map(|_| 0),
        Command::Evaluate { state, recursive, events, cluster, input_format } => {
            let state = state_files(&state, recursive)?;
            let args = cli::evaluate::EvaluateArgs { state, events, cluster, input_format };
            cli::evaluate::run(args, data_format?).map(|_| 0)
        }
        Command::Explain(x) => {
            let caller = match (x.arn, x.user) {
                (Some(arn), _) => Requester::Iam { arn, session: x.session },
                (None, Some(user)) => Requester::Kubernetes { user, groups: x.group },
                (None, None) => unreachable!("clap requires --arn or --user"),
            };
            let args = cli::explain::ExplainArgs {
                state: state_files(&x.state, x.recursive)?,
                cluster: x.cluster,
                caller,
                verb: x.verb,
                resource: x.resource,
                api_group: x.api_group,
                subresource: x.subresource,
                namespace: x.namespace,
                name: x.name,
                path: x.path,
                access_key_id: x.access_key_id,
            };
            cli::explain::run(args, data_format?).map(|allowed| if allowed { 0 } else { 1 })
        }
        Command::Replay { cluster, window } => {
            cli::replay::replay(&db, cluster.as_deref(), window, data_format?).map(|_| 0)
        }
        Command::Findings { assess, kind, control, show_accepted } => {
            let args = cli::findings::FindingsArgs {
                scope: assess.scope(config.analysis.exceptions.as_deref()),
                kind,
                control: control.as_deref(),
                show_accepted,
            };
            cli::findings::findings(&db, args, data_format?).map(|_| 0)
        }
        Command::Accept { id, reason, owner, expires, assess } => {
            let args = cli::accept::AcceptArgs {
                scope: assess.scope(config.analysis.exceptions.as_deref()),
                id: &id,
                reason: &reason,
                owner: owner.as_deref(),
                expires,
            };
            cli::accept::run(&db, args, data_format?).map(|()| 0)
        }
        Command::Report { assess, out, since_report } => {
            let args = cli::report::ReportArgs {
                scope: assess.scope(config.analysis.exceptions.as_deref()),
                out: out.as_deref(),
                since_report: since_report.as_deref(),
            };
            cli::report::run(&db, args, cli.format).map(|()| 0)
        }
        Command::Remediate { assess, region, out } => {
            let args = cli::remediate::RemediateArgs {
                scope: assess.scope(config.analysis.exceptions.as_deref()),
                region: region.as_deref(),
                out: out.as_deref(),
            };
            cli::remediate::run(&db, args, cli.format).map(|()| 0)
        }
        Command::Whatif { cluster, window, proposed, recursive } => {
            let proposed = state_files(&proposed, recursive)?;
            let args =
                cli::whatif::WhatifArgs { cluster: cluster.as_deref(), window_days: window, proposed: &proposed };
            cli::whatif::whatif(&db, args, data_format?).map(|breaks| if breaks { 3 } else { 0 })
        }
        Command::State(cmd) => match cmd {
            StateCommand::Import { cluster, files, recursive, allow_shrink } => {
                cli::state::import(&db, &cluster, &state_files(&files, recursive)?, allow_shrink, data_format?)
            }
            StateCommand::Sync { cluster, region, kubernetes } => {
                let opts = grantscope::app::sync::SyncOptions { cluster, region, kubernetes: kubernetes.access() };
                return cli::state::sync(&db, &opts, data_format?);
            }
            StateCommand::Show { cluster, version } => cli::state::show(&db, cluster.as_deref(), version, data_format?),
            StateCommand::Export { cluster, version, out } => {
                cli::state::export(&db, cluster.as_deref(), version, out.as_deref())
            }
        }
        .map(|()| 0),
        Command::Generate(g) => {
            let (events, days) = cli::generate::volume(g.profile, g.events, g.rate, g.days)?;
            let opts = GenerateOptions {
                profile: g.profile,
                seed: g.seed,
                events,
                days,
                end_day: g.end.unwrap_or_else(|| time::day_of(grantscope::app::clock::now_ms())),
                cluster: g.cluster,
                account: g.account,
            };
            cli::generate::run(&g.out, &opts, data_format?).map(|()| 0)
        }
        Command::Serve => {
            let runtime = tokio::runtime::Runtime::new().map_err(CommandError::Runtime)?;
            Ok(runtime.block_on(grantscope::serve::run(config, db)).map(|()| 0)?)
        }
        Command::Config(ConfigCommand::Check) => {
            match data_format? {
                Format::Json => grantscope::cli::output::print_json(&config),
                // Tables of strings, numbers and lists: TOML writes every one.
                Format::Text => grantscope::cli::output::write_stdout(
                    &toml::to_string_pretty(&config).expect("the configuration is plain TOML"),
                ),
            }
            Ok(0)
        }
        Command::Demo { out, horizons: h } => cli::demo::run(&out, horizons(h), progress, data_format?).map(|()| 0),
    }
}
