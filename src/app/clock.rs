//! The one clock the application reads: commands and the daemon take "now" from here and hand it
//! down, so everything below (store, analysis) is told the time instead of reading it.

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
