//! The globs of an exceptions file's `match` patterns: `*` is any run of characters (`/` and `:`
//! included, so `arn:aws:iam::*:role/break-glass` spans accounts), `?` is one character, and
//! everything else is itself. No classes or escapes: ARNs, grant ids and namespace names hold no
//! `*` or `?`, and a `[` in a grant id must stay a `[`.

/// Whether `text` matches `pattern` as a whole.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Greedy with one backtrack point (the last `*`): linear in practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` take one more character and try again from there.
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    (pi, ti) = (sp + 1, st + 1);
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_whole_strings_with_star_and_question_mark() {
        let cases = [
            ("a plain pattern matches itself only", "role/admin", "role/admin", true),
            ("a plain pattern does not match a longer text", "role/admin", "role/admins", false),
            ("a star matches nothing", "role/admin*", "role/admin", true),
            (
                "a star spans slashes and colons",
                "arn:aws:iam::*:role/break-glass",
                "arn:aws:iam::1:role/break-glass",
                true,
            ),
            ("a star spans a path", "arn:aws:iam::*:role/*", "arn:aws:iam::1:role/team/a", true),
            ("the text must end where the pattern does", "arn:*:role/ops", "arn:x:role/ops-2", false),
            ("a question mark is one character", "ns-?", "ns-a", true),
            ("a question mark is not zero characters", "ns-?", "ns-", false),
            ("a star alone matches the empty text", "*", "", true),
            ("an empty pattern matches only the empty text", "", "x", false),
            ("the last star backtracks", "*a*b", "xaxaxb", true),
            ("several stars that cannot all be placed", "*a*b*c", "abab", false),
            ("a bracket is a literal", "rbac:[x]", "rbac:[x]", true),
            ("case matters", "Role/Admin", "role/admin", false),
            ("characters, not bytes", "ns-?", "ns-é", true),
        ];
        for (name, pattern, text, want) in cases {
            assert_eq!(glob_matches(pattern, text), want, "{name}: {pattern:?} vs {text:?}");
        }
    }
}
