//! The types product code defines, by name: a type other files can import must not share its name
//! with another type of the crate (issue #15: two `Outcome`s, a generator `Request` beside the
//! authorizer's). Types private to their file may share a name with each other (serde mirrors of
//! a format read in one file and written in another).

use crate::imports::{Crate, pub_restricted, tokens};

/// A struct, enum, trait or union: its name, file, line and whether other files can see it.
pub struct Definition {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub visible: bool,
}

pub fn definitions(krate: &Crate) -> Vec<Definition> {
    let mut out = Vec::new();
    for (_, file) in krate.product() {
        let tokens = tokens(&file.code.text);
        for (i, t) in tokens.iter().enumerate() {
            let keyword = matches!(t.text, "struct" | "enum" | "trait" | "union");
            let Some(name) =
                tokens.get(i + 1).filter(|n| keyword && n.text.starts_with(|c: char| c.is_ascii_uppercase()))
            else {
                continue;
            };
            let visible =
                i > 0 && (tokens[i - 1].text == "pub" || (tokens[i - 1].text == ")" && pub_restricted(&tokens, i - 1)));
            out.push(Definition { name: name.text.to_string(), file: file.path.clone(), line: t.line, visible });
        }
    }
    out
}
