//! How commands print data: human text or JSON (`--format json`), always on stdout.

use serde::Serialize;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Readable text (`table` is the same).
    #[default]
    #[value(alias = "table")]
    Text,
    /// JSON for scripts and `jq`: one document, or one object per line where a command prints a
    /// stream (`evaluate`; `jsonl` is the same).
    #[value(alias = "jsonl")]
    Json,
}

/// `--format` as given: every command prints `text` or `json`; `report` also writes `md` and
/// `html`, and `remediate` writes `eksctl`, `terraform`, `aws-cli` and `kubectl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FormatArg {
    /// Readable text (`table` is the same)
    #[default]
    #[value(alias = "table")]
    Text,
    /// JSON for scripts and jq (`jsonl` is the same)
    #[value(alias = "jsonl")]
    Json,
    /// Markdown (report)
    #[value(alias = "markdown")]
    Md,
    /// One self-contained HTML file (report)
    Html,
    /// eksctl ClusterConfig accessConfig (remediate)
    Eksctl,
    /// Terraform HCL (remediate)
    Terraform,
    /// AWS CLI and kubectl commands, as a shell script (remediate)
    AwsCli,
    /// Kubernetes YAML manifests (remediate)
    Kubectl,
    /// Graphviz DOT (paths)
    Dot,
}

impl FormatArg {
    /// The text-or-JSON format of a command that prints data, or why `--format` does not apply.
    pub fn data(self) -> Result<Format, String> {
        match self {
            FormatArg::Text => Ok(Format::Text),
            FormatArg::Json => Ok(Format::Json),
            FormatArg::Md | FormatArg::Html => {
                Err(format!("--format {} is for `grantscope report`; this command prints text or json", self.name()))
            }
            FormatArg::Dot => {
                Err("--format dot is for `grantscope paths`; this command prints text or json".to_string())
            }
            _ => {
                Err(format!("--format {} is for `grantscope remediate`; this command prints text or json", self.name()))
            }
        }
    }

    /// The name as typed on the command line.
    pub fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// Prints `value` as pretty JSON followed by a newline.
pub fn print_json<T: Serialize>(value: &T) {
    write_stdout_exact(&format!("{}\n", crate::model::text::to_json(value, true)));
}

/// Writes text for people to stdout, with every control character from a cluster or a log shown,
/// not acted on.
pub fn write_stdout(text: &str) {
    write_stdout_exact(&crate::model::text::printable(text));
}

/// Writes a file format to stdout exactly (JSON, YAML, HCL, a script: their own escaping keeps
/// names exact, and changing a character would change what they mean). A closed pipe
/// (`grantscope errors | head`) ends the program quietly with success, as for other Unix tools.
pub fn write_stdout_exact(text: &str) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("grantscope: writing output failed: {e}");
        std::process::exit(2);
    }
}

/// A line on stderr (errors, warnings, summaries), control characters shown as on stdout.
pub fn write_stderr_line(text: &str) {
    eprintln!("{}", crate::model::text::printable(text));
}

/// `eprintln!` through [`write_stderr_line`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stderr_line(&format!($($arg)*))
    };
}

/// `println!` through [`write_stdout`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}
