//! Why a connection to an API failed, in a few words, for the AWS and the Kubernetes clients alike:
//! read off the `io::Error` somewhere under the client's error (its kind, never its text), or,
//! when there is none (a TLS failure), the innermost error's own message.

use std::error::Error;
use std::io::ErrorKind;

/// Every error of the chain, `err` first.
pub fn chain<'a>(err: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// `err` and the errors under it on one line (`a: b: c`), each said once (SDK errors often repeat
/// their source's message in their own), cut at `max_chars`: some layers write a whole request
/// into theirs, which `-v` shows.
pub fn one_line(err: &(dyn Error + 'static), max_chars: usize) -> String {
    let mut line = String::new();
    for e in chain(err) {
        let text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    if let Some((cut, _)) = line.char_indices().nth(max_chars) {
        line.truncate(cut);
        line.push('…');
    }
    crate::model::text::inline(&line).into_owned()
}

/// Why the connection under `err` failed: `connection refused`, `timed out`, ... .
pub fn cause(err: &(dyn Error + 'static)) -> String {
    let io = chain(err).find_map(|e| e.downcast_ref::<std::io::Error>());
    let said = match io.map(std::io::Error::kind) {
        Some(ErrorKind::ConnectionRefused) => "connection refused",
        Some(ErrorKind::TimedOut) => "timed out",
        Some(ErrorKind::ConnectionReset) => "connection reset",
        Some(ErrorKind::ConnectionAborted) => "connection aborted",
        Some(ErrorKind::HostUnreachable) => "host unreachable",
        Some(ErrorKind::NetworkUnreachable) => "network unreachable",
        Some(ErrorKind::AddrNotAvailable) => "address not available",
        // A name that does not resolve comes as an uncategorised error: its message says so.
        _ => {
            let innermost = io.map_or_else(|| chain(err).last().unwrap_or(err), |e| e as &(dyn Error + 'static));
            return crate::model::text::inline(&innermost.to_string()).into_owned();
        }
    };
    said.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Wrapper(#[source] std::io::Error);

    #[test]
    fn the_cause_is_read_off_the_io_error_kind_under_the_client_s_error() {
        let cases = [
            ("a closed port is refused", std::io::Error::from(ErrorKind::ConnectionRefused), "connection refused"),
            ("a silent host times out", std::io::Error::from(ErrorKind::TimedOut), "timed out"),
            (
                "an unresolvable name gives its own words",
                std::io::Error::other("failed to lookup address information: Name or service not known"),
                "failed to lookup address information: Name or service not known",
            ),
        ];
        for (name, io, want) in cases {
            assert_eq!(cause(&Wrapper(io)), want, "{name}");
        }
    }

    #[test]
    fn one_line_says_each_layer_once_and_keeps_no_line_break() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure: {0}")]
        struct Repeats(#[source] Wrapper);
        let e = Repeats(Wrapper(std::io::Error::other("no\nroute")));
        assert_eq!(one_line(&e, 100), "dispatch failure: client error (Connect): no route");
        assert_eq!(one_line(&e, 8), "dispatch…", "cut where asked");
    }
}
