//! A progress bar for long file ingests: bytes read and events per second, on a terminal only.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub struct Progress {
    bar: Option<ProgressBar>,
    raw_read: Arc<AtomicU64>,
    started: Instant,
}

impl Progress {
    /// A bar on stderr when `enabled` and stderr is a terminal; otherwise nothing is drawn.
    pub fn new(enabled: bool, name: &str, len: Option<u64>, raw_read: Arc<AtomicU64>) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
            let template = if len.is_some() {
                "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}"
            } else {
                "{prefix} {spinner} {bytes} {bytes_per_sec} {msg}"
            };
            bar.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
            bar.set_prefix(name.to_string());
            bar
        });
        Progress { bar, raw_read, started: Instant::now() }
    }

    /// Shows how far the input has been read and the event rate so far.
    pub fn update(&self, events: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.raw_read.load(Ordering::Relaxed));
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{events} events, {:.0} events/s", events as f64 / secs));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
