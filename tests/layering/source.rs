//! A Rust source file as the layering rules read it: comments, string and char literals blanked, so
//! a path in a doc comment or in a message is not an import, and test code left out.
//!
//! Blanking writes spaces and keeps every newline: offsets and line numbers stay those of the file,
//! so a finding names its line.

use std::ops::Range;

/// The code of one file, everything else blanked.
pub struct Code {
    pub text: String,
    /// Each string literal of product code: the line it starts on and its contents as written
    /// (escapes not processed). SQL is looked for there.
    pub strings: Vec<(usize, String)>,
    /// Child modules declared `#[cfg(test)] mod name;`: their files are test code.
    pub test_modules: Vec<String>,
}

impl Code {
    pub fn read(source: &str) -> Code {
        let (text, strings) = blank_literals_and_comments(source);
        let mut bytes = text.into_bytes();
        let (test_modules, test_code) = blank_test_code(&mut bytes);
        let text = String::from_utf8(bytes).expect("blanking writes ASCII spaces only");
        let strings = strings
            .into_iter()
            .filter(|(at, ..)| !test_code.iter().any(|range| range.contains(at)))
            .map(|(_, line, text)| (line, text))
            .collect();
        Code { text, strings, test_modules }
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Blanks comments (nested block comments too), string literals (plain, byte, C and raw, with any
/// number of `#`) and char literals, but not lifetimes (`'a`). Returns the text and each string
/// literal's offset, line and contents.
fn blank_literals_and_comments(source: &str) -> (String, Vec<(usize, usize, String)>) {
    let src = source.as_bytes();
    let mut out = src.to_vec();
    let mut strings = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    while i < src.len() {
        let start = i;
        if src[i..].starts_with(b"//") {
            i = src[i..].iter().position(|&b| b == b'\n').map_or(src.len(), |n| i + n);
        } else if src[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < src.len() {
                if src[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if src[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some((quote, hashes)) = raw_string_start(src, i) {
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let end = src[quote + 1..].windows(close.len()).position(|w| w == close.as_slice()).map(|n| quote + 1 + n);
            let end = end.unwrap_or(src.len());
            strings.push((start, line, String::from_utf8_lossy(&src[quote + 1..end]).into_owned()));
            i = (end + close.len()).min(src.len());
        } else if src[i] == b'"' {
            i += 1;
            while i < src.len() && src[i] != b'"' {
                i += if src[i] == b'\\' { 2 } else { 1 };
            }
            strings.push((start, line, String::from_utf8_lossy(&src[start + 1..i.min(src.len())]).into_owned()));
            i = (i + 1).min(src.len());
        } else if src[i] == b'\'' {
            match char_literal_end(source, i) {
                Some(end) => i = end,
                None => {
                    i += 1;
                    continue; // a lifetime or a label: code
                }
            }
        } else {
            if src[i] == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        line += src[start..i].iter().filter(|&&b| b == b'\n').count();
        blank(&mut out, start, i);
    }
    (String::from_utf8(out).expect("only whole literals and comments are blanked"), strings)
}

/// At `i`, the start of a raw string (`r"`, `r#"`, `br"`, `cr##"`...): where its opening quote is
/// and how many `#` close it.
fn raw_string_start(src: &[u8], i: usize) -> Option<(usize, usize)> {
    if i > 0 && is_ident(src[i - 1]) {
        return None;
    }
    let mut j = i;
    if matches!(src.get(j), Some(b'b' | b'c')) {
        j += 1;
    }
    if src.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = src[j..].iter().take_while(|&&b| b == b'#').count();
    (src.get(j + hashes) == Some(&b'"')).then_some((j + hashes, hashes))
}

/// At the `'` at `i`: the end of a char literal (`'a'`, `'\n'`, `'\''`, `'é'`), or None for a
/// lifetime or a label.
fn char_literal_end(source: &str, i: usize) -> Option<usize> {
    let rest = &source[i + 1..];
    if rest.starts_with('\\') {
        // An escape: the closing quote is the first one after the escaped character.
        return rest[2..].find('\'').map(|n| i + 1 + 2 + n + 1);
    }
    let c = rest.chars().next()?;
    rest[c.len_utf8()..].starts_with('\'').then(|| i + 1 + c.len_utf8() + 1)
}

/// Blanks every item marked `#[cfg(test)]` (a `mod tests { ... }`, a helper `impl`, a `use`).
/// Returns the names of the child modules declared `#[cfg(test)] mod name;` and the ranges blanked.
fn blank_test_code(code: &mut [u8]) -> (Vec<String>, Vec<Range<usize>>) {
    const ATTRIBUTE: &[u8] = b"#[cfg(test)]";
    let mut modules = Vec::new();
    let mut blanked = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].windows(ATTRIBUTE.len()).position(|w| w == ATTRIBUTE).map(|n| from + n) {
        let mut i = at + ATTRIBUTE.len();
        // Further attributes on the same item.
        loop {
            i += code[i..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            if !code[i..].starts_with(b"#[") {
                break;
            }
            i = matching_close(code, i + 1).map_or(code.len(), |n| n + 1);
        }
        if let Some(name) = declared_module(&code[i..]) {
            modules.push(name);
        }
        let end = item_end(code, i);
        for b in &mut code[at..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        blanked.push(at..end);
        from = end;
    }
    (modules, blanked)
}

/// `mod name;` (with any visibility) at the start of `item`: the module's name.
fn declared_module(item: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(item).ok()?;
    let words: Vec<&str> = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ';')).take(4).collect();
    let words: Vec<&str> = words.into_iter().filter(|w| !w.is_empty()).collect();
    let at = words.iter().position(|w| *w == "mod")?;
    let name = words.get(at + 1)?.strip_suffix(';')?;
    Some(name.to_string())
}

/// The end of the item starting at `i`: after its first `;` outside brackets, or after the brace
/// that closes its body.
fn item_end(code: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    for (n, &b) in code[i..].iter().enumerate() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + n + 1;
                }
            }
            b';' if depth == 0 => return i + n + 1,
            _ => {}
        }
    }
    code.len()
}

/// The bracket closing the one opened at `open`.
fn matching_close(code: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (n, &b) in code[open..].iter().enumerate() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + n);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_literals_are_blanked_and_lines_kept() {
        let source = "use a::b; // use c::d;\n/* use e::f; /* nested */ use g::h; */\nlet s = \"crate::x::Y\";\nlet r = r#\"say \"crate::z\"\"#; let c = '\"'; let l: &'static str = s;\n";
        let code = Code::read(source);
        assert_eq!(code.text.lines().count(), source.lines().count());
        assert!(code.text.contains("use a::b;"));
        for gone in ["c::d", "e::f", "g::h", "crate::x", "crate::z", "'\"'"] {
            assert!(!code.text.contains(gone), "{gone} is blanked in {:?}", code.text);
        }
        assert!(code.text.contains("&'static str"), "a lifetime is code: {:?}", code.text);
        let strings: Vec<_> = code.strings.iter().map(|(l, s)| (*l, s.as_str())).collect();
        assert_eq!(strings, [(3, "crate::x::Y"), (4, "say \"crate::z\"")]);
    }

    #[test]
    fn test_items_are_left_out_and_test_module_files_named() {
        let source = "use a::b;\n#[cfg(test)]\nmod tests {\n    use crate::up::X;\n    fn f() { let s = \"SELECT 1 FROM t\"; }\n}\n#[cfg(test)]\n#[path = \"t.rs\"]\nmod fixtures;\n#[cfg(test)]\nimpl A { fn g(x: [u8; 2]) {} }\nfn product() {}\n";
        let code = Code::read(source);
        assert!(!code.text.contains("crate::up") && !code.text.contains("fixtures") && !code.text.contains("impl A"));
        assert!(code.text.contains("use a::b;") && code.text.contains("fn product() {}"), "{:?}", code.text);
        assert!(code.strings.is_empty(), "{:?}", code.strings);
        assert_eq!(code.test_modules, ["fixtures"]);
    }
}
