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

/// Prints `value` as pretty JSON followed by a newline.
pub fn print_json<T: Serialize>(value: &T) {
    write_stdout(&format!("{}\n", serde_json::to_string_pretty(value).expect("output serializes")));
}

/// Writes to stdout. A closed pipe (`grantscope errors | head`) ends the program quietly with
/// success, as for other Unix tools, instead of a panic.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("grantscope: writing output failed: {e}");
        std::process::exit(2);
    }
}

/// `println!` through [`write_stdout`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}
