//! Text from clusters and logs, made safe to show. Any name may carry an escape sequence (ESC sets
//! a terminal's title, clears its screen, or rewrites what was printed before it) or a bidi override
//! that makes a line read differently from what it says; shown, each becomes its visible `\u{..}`.
//! Line breaks and tabs stay: the text around a name is ours and uses them.

use std::borrow::Cow;

/// A character a terminal or a viewer would act on instead of showing.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every hidden control character written as `\u{..}`; unchanged (no copy) when it has none.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, is_hidden_control, shown)
}

/// A name from outside (an endpoint, a profile, a path from the environment) inside a one-line
/// message: as [`printable`], and line breaks and tabs shown too, so it cannot break the line.
pub fn inline(s: &str) -> Cow<'_, str> {
    escape(s, |c| is_hidden_control(c) || c.is_control(), shown)
}

/// How a terminal shows a character it would otherwise act on: `\u{1b}`.
fn shown(c: char) -> String {
    format!("\\u{{{:x}}}", c as u32)
}

/// `s` with every character `hidden` picks replaced by what `escape_one` writes for it.
fn escape(s: &str, hidden: impl Fn(char) -> bool, escape_one: impl Fn(char) -> String) -> Cow<'_, str> {
    if !s.chars().any(&hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&escape_one(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` on one line: every line break (with YAML's U+0085, U+2028 and U+2029) and control
/// character replaced by U+FFFD, so a name cannot end a comment line and start a command.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') { '\u{fffd}' } else { c })
        .collect()
}

/// JSON text with the hidden control characters its serializer leaves raw (DEL, C1, bidi
/// controls: JSON only requires escaping U+0000-U+001F) written as `\uXXXX` escapes. They can only
/// sit inside strings, so the JSON means exactly the same, and `jq` reads it.
pub fn json_escaped(json: &str) -> Cow<'_, str> {
    escape(json, is_hidden_control, |c| format!("\\u{:04x}", c as u32)) // all of them are in the BMP
}

/// `value` as JSON (pretty or one line), with every control character escaped: safe to show on a
/// terminal, and still the same JSON.
pub fn to_json<T: serde::Serialize>(value: &T, pretty: bool) -> String {
    let json = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    json_escaped(&json.expect("output serializes")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_shows_what_a_terminal_would_act_on() {
        let cases = [
            ("plain text is unchanged", "role/dev-ops", "role/dev-ops"),
            ("ESC becomes visible", "a\u{1b}]0;pwned\u{7}b", "a\\u{1b}]0;pwned\\u{7}b"),
            ("a clear-screen sequence is inert", "\u{1b}[2J", "\\u{1b}[2J"),
            ("carriage return cannot overwrite the line", "ok\rFAKE", "ok\\u{d}FAKE"),
            ("NUL and DEL are shown", "\0\u{7f}", "\\u{0}\\u{7f}"),
            ("C1 CSI is shown", "\u{9b}31m", "\\u{9b}31m"),
            ("a bidi override is shown", "admin\u{202e}txt", "admin\\u{202e}txt"),
            ("line breaks and tabs stay", "a\n\tb", "a\n\tb"),
            ("other Unicode stays", "équipe-日本", "équipe-日本"),
            ("the Arabic letter mark is a bidi control too", "a\u{61c}b", "a\\u{61c}b"),
        ];
        for (name, input, want) in cases {
            assert_eq!(printable(input), want, "{name}");
        }
    }

    #[test]
    fn inline_names_cannot_break_the_line() {
        assert_eq!(inline("http://evil\n\u{1b}[2Jx\tz"), "http://evil\\u{a}\\u{1b}[2Jx\\u{9}z");
        assert_eq!(inline("dev-profile"), "dev-profile", "a plain name is unchanged");
    }

    #[test]
    fn json_escaped_keeps_json_valid_and_equal() {
        for name in ["admin\u{202e}txt", "del\u{7f}", "csi\u{9b}31m", "plain", "esc\u{1b}"] {
            let json = serde_json::to_string(&serde_json::json!({ "name": name })).unwrap();
            let escaped = json_escaped(&json);
            assert!(!escaped.chars().any(is_hidden_control), "{escaped}");
            let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
            assert_eq!(back["name"], name, "the same string after a round trip");
        }
    }
}
