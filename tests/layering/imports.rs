//! The imports of the crate's files, each resolved to the file that defines what it names.
//!
//! An import is a `use` declaration (its tree expanded: `use crate::a::{b, c::D}` is two) or a
//! path written in code (`crate::store::read(...)`, `super::Store`, `store::read(...)` after
//! `use crate::store`, `child::f()` for a child module). A path is followed through modules to
//! the file defining its item, and through the `use` declarations of a module that re-exports it,
//! so `crate::store::WindowShape` leads to the file that defines `WindowShape`. The top-level
//! module of an import is the first one its path enters, as written: `crate::store::X` is an
//! import of `store` even when `store` re-exports `X` from elsewhere (then `store` imports that).
//!
//! Not followed: glob imports into the importing file's names (there are none outside test code),
//! macros by textual scope (the crate's exported macros are followed: `crate::outln!`), and names
//! that are not paths (a method call on a value of an imported type is covered by the import).

use crate::source::Code;
use std::collections::BTreeMap;
use std::path::Path;

/// One source file of the crate.
pub struct File {
    /// `src/store/usage.rs`
    pub path: String,
    /// `["store", "usage"]`; `[]` for `lib.rs` and `main.rs`.
    pub module: Vec<String>,
    /// The top-level module: `store`; `main` and `lib` for those files.
    pub top: String,
    /// main.rs is the binary crate: it names the library `grantscope::`, and `crate::` is itself.
    pub binary: bool,
    /// Declared `#[cfg(test)]` (or inside such a module): exempt from the rules.
    pub test_code: bool,
    pub code: Code,
    pub uses: Vec<Use>,
    /// Multi-segment paths written in code, outside `use` declarations.
    pub paths: Vec<Written>,
    /// Every identifier outside `use` declarations, to tell a re-export from an import.
    idents: Vec<String>,
}

/// One name bound by a `use` declaration.
pub struct Use {
    /// The bound name (the alias of `as`); None for `as _` and globs.
    pub name: Option<String>,
    /// The path as written; a glob's is its module's.
    pub path: Vec<String>,
    /// `pub use`, `pub(crate) use`...: it may only re-export.
    pub public: bool,
    pub line: usize,
}

/// A path as written in code.
pub struct Written {
    pub path: Vec<String>,
    pub line: usize,
}

/// An import of one file by another.
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// The top-level module the path enters first.
    pub to_top: String,
    pub line: usize,
    /// As written: `use crate::store::WindowShape` or `super::Store`.
    pub text: String,
    /// A `pub use` whose name the file itself never uses: a re-export, not a dependency of the file
    /// (it is one of its module: the module graph counts it).
    pub reexport_only: bool,
}

pub struct Crate {
    pub files: Vec<File>,
    /// Module path to the file that defines it.
    modules: BTreeMap<Vec<String>, usize>,
    /// `#[macro_export]` macros, which live at the crate root: name to the defining module.
    macros: BTreeMap<String, Vec<String>>,
}

impl Crate {
    /// Reads every `.rs` file under `src`.
    pub fn read(src: &Path) -> Crate {
        let mut paths = Vec::new();
        collect_rs(src, &mut paths);
        paths.sort();
        let mut files: Vec<File> = paths.iter().map(|p| File::read(src, p)).collect();
        let modules: BTreeMap<Vec<String>, usize> =
            files.iter().enumerate().filter(|(_, f)| !f.binary).map(|(i, f)| (f.module.clone(), i)).collect();
        // A file is test code if any module on its path is declared `#[cfg(test)] mod x;`.
        let test_modules: Vec<Vec<String>> = files
            .iter()
            .filter(|f| !f.binary)
            .flat_map(|f| f.code.test_modules.iter().map(|m| [f.module.clone(), vec![m.clone()]].concat()))
            .collect();
        for f in &mut files {
            f.test_code = test_modules.iter().any(|m| !f.binary && f.module.starts_with(m));
        }
        let mut macros = BTreeMap::new();
        for f in &files {
            for name in exported_macros(&f.code.text) {
                macros.insert(name, f.module.clone());
            }
        }
        Crate { files, modules, macros }
    }

    /// The files that are product code.
    pub fn product(&self) -> impl Iterator<Item = (usize, &File)> {
        self.files.iter().enumerate().filter(|(_, f)| !f.test_code)
    }

    /// Every import of product code by product code, resolved.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges = Vec::new();
        for (from, file) in self.product() {
            let mut push = |path: &[String], line: usize, text: String, reexport_only: bool| {
                let Some(absolute) = self.absolute(file, path, 0) else { return };
                let Some((to_top, to)) = self.locate(&absolute, 0) else { return };
                if to != from {
                    edges.push(Edge { from, to, to_top, line, text, reexport_only });
                }
            };
            for u in &file.uses {
                let used = u.name.as_ref().is_none_or(|n| file.idents.contains(n));
                push(&u.path, u.line, format!("use {}", u.path.join("::")), u.public && !used);
            }
            for w in &file.paths {
                push(&w.path, w.line, w.path.join("::"), false);
            }
        }
        edges
    }

    /// Every path product code names, made absolute where it starts with an outside crate
    /// (`std::fs::read`, `fs::read` after `use std::fs`), with its file and line.
    pub fn external_paths(&self) -> Vec<(usize, usize, Vec<String>)> {
        let mut out = Vec::new();
        for (i, file) in self.product() {
            let written =
                file.uses.iter().map(|u| (&u.path, u.line)).chain(file.paths.iter().map(|w| (&w.path, w.line)));
            for (path, line) in written {
                if let Some(external) = self.external(file, path, 0) {
                    out.push((i, line, external));
                }
            }
        }
        out
    }

    /// `path` as written in `file`, from the crate root; None if it names another crate or an
    /// item of the file itself (a type's associated item: `Decision::Allow`).
    fn absolute(&self, file: &File, path: &[String], depth: usize) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        let root: Vec<String> = match first.as_str() {
            "crate" if !file.binary => vec![],
            "grantscope" if file.binary => vec![],
            "self" if !file.binary => file.module.clone(),
            "super" if !file.binary => {
                let supers = 1 + rest.iter().take_while(|s| *s == "super").count();
                let module = file.module.get(..file.module.len().checked_sub(supers)?)?.to_vec();
                return Some([module, rest[supers - 1..].to_vec()].concat());
            }
            name => {
                if let Some(bound) = file.binding(name).filter(|b| b.path[0] != *name && depth < 8) {
                    return self.absolute(file, &[bound.path.clone(), rest.to_vec()].concat(), depth + 1);
                }
                let child = [file.module.clone(), vec![name.to_string()]].concat();
                if file.binary || !self.modules.contains_key(&child) {
                    return None;
                }
                return Some([child, rest.to_vec()].concat());
            }
        };
        Some([root, rest.to_vec()].concat())
    }

    /// Like `absolute`, for a path that leads out of the crate: that path from its crate.
    fn external(&self, file: &File, path: &[String], depth: usize) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        if matches!(first.as_str(), "crate" | "self" | "super" | "Self") || (file.binary && first == "grantscope") {
            return None;
        }
        if let Some(bound) = file.binding(first).filter(|b| b.path[0] != *first && depth < 8) {
            return self.external(file, &[bound.path.clone(), rest.to_vec()].concat(), depth + 1);
        }
        let child = [file.module.clone(), vec![first.to_string()]].concat();
        let local = !file.binary && self.modules.contains_key(&child);
        // Lower-case: a crate; upper-case: a type of this file.
        let external = !local && first.starts_with(|c: char| c.is_ascii_lowercase()) && !is_primitive(first);
        external.then(|| path.to_vec())
    }

    /// The top-level module an absolute path enters first, and the file defining what it names:
    /// through modules, then through the `use` declarations of the module it stops in.
    fn locate(&self, path: &[String], depth: usize) -> Option<(String, usize)> {
        let mut module: Vec<String> = vec![];
        for (i, segment) in path.iter().enumerate() {
            let child = [module.clone(), vec![segment.clone()]].concat();
            if self.modules.contains_key(&child) {
                module = child;
                continue;
            }
            let file = &self.files[self.modules[&module]];
            let through = match (module.is_empty(), self.macros.get(segment)) {
                (true, Some(defined_in)) => Some([defined_in.clone(), path[i..].to_vec()].concat()),
                _ => file
                    .binding(segment)
                    .filter(|_| depth < 8)
                    .and_then(|b| self.absolute(file, &[b.path.clone(), path[i + 1..].to_vec()].concat(), 0)),
            };
            return match through {
                Some(onward) => {
                    let (top, to) = self.locate(&onward, depth + 1)?;
                    Some((module.first().cloned().unwrap_or(top), to))
                }
                None => Some((module.first()?.clone(), self.modules[&module])),
            };
        }
        Some((module.first()?.clone(), self.modules[&module]))
    }
}

fn is_primitive(name: &str) -> bool {
    matches!(
        name,
        "bool"
            | "char"
            | "str"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
    )
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

impl File {
    fn read(src: &Path, path: &Path) -> File {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let relative = path.strip_prefix(src).unwrap();
        let mut module: Vec<String> = relative.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        let last = module.pop().unwrap();
        let stem = last.strip_suffix(".rs").unwrap();
        let root = module.is_empty() && (stem == "lib" || stem == "main");
        if stem != "mod" && !root {
            module.push(stem.to_string());
        }
        let top = module.first().cloned().unwrap_or_else(|| stem.to_string());
        let code = Code::read(&text);
        let tokens = tokens(&code.text);
        let (uses, used_by_uses) = uses(&tokens);
        let paths = written_paths(&tokens, &used_by_uses);
        let idents = tokens
            .iter()
            .enumerate()
            .filter(|(i, t)| !used_by_uses[*i] && t.text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
            .map(|(_, t)| t.text.to_string())
            .collect();
        File {
            path: format!("src/{}", relative.display()),
            module,
            top,
            binary: root && stem == "main",
            test_code: false,
            code,
            uses,
            paths,
            idents,
        }
    }

    /// The `use` declaration binding `name` in this file.
    fn binding(&self, name: &str) -> Option<&Use> {
        self.uses.iter().find(|u| u.name.as_deref() == Some(name))
    }
}

/// `#[macro_export] macro_rules! name`: the names.
fn exported_macros(code: &str) -> Vec<String> {
    code.split("#[macro_export]")
        .skip(1)
        .filter_map(|after| {
            let after = after.trim_start().strip_prefix("macro_rules!")?;
            Some(after.trim_start().split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?.to_string())
        })
        .collect()
}

pub struct Token<'a> {
    pub text: &'a str,
    pub line: usize,
}

/// Identifiers (keywords and numbers too), `::`, and every other character alone.
pub fn tokens(code: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut line = 1;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let len = if b.is_ascii_alphanumeric() || b == b'_' {
            bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
        } else if bytes[i..].starts_with(b"::") {
            2
        } else {
            code[i..].chars().next().unwrap().len_utf8()
        };
        if b == b'\n' {
            line += 1;
        } else if !b.is_ascii_whitespace() {
            out.push(Token { text: &code[i..i + len], line });
        }
        i += len;
    }
    out
}

/// The `use` declarations, expanded, and which tokens they cover.
fn uses(tokens: &[Token]) -> (Vec<Use>, Vec<bool>) {
    let mut out = Vec::new();
    let mut covered = vec![false; tokens.len()];
    for (i, t) in tokens.iter().enumerate() {
        // `use` starting an item (not `+ use<'a>` in a bound).
        let item_start = i == 0 || matches!(tokens[i - 1].text, ";" | "{" | "}" | "]" | ")" | "pub");
        if t.text != "use" || !item_start {
            continue;
        }
        let public =
            i > 0 && (tokens[i - 1].text == "pub" || (tokens[i - 1].text == ")" && pub_restricted(tokens, i - 1)));
        let mut at = i + 1;
        let mut bound = Vec::new();
        use_tree(tokens, &mut at, &mut Vec::new(), &mut bound);
        let end = tokens[at..].iter().position(|t| t.text == ";").map_or(tokens.len(), |n| at + n + 1);
        covered[i..end].fill(true);
        out.extend(bound.into_iter().map(|(name, path)| Use { name, path, public, line: t.line }));
    }
    (out, covered)
}

/// Whether the `)` at `close` ends a `pub(...)`.
pub fn pub_restricted(tokens: &[Token], close: usize) -> bool {
    let open = tokens[..close].iter().rposition(|t| t.text == "(");
    open.is_some_and(|o| o > 0 && tokens[o - 1].text == "pub")
}

/// One use tree at `at`, under `prefix`: each bound name (None for `_` and globs) and its path.
fn use_tree(tokens: &[Token], at: &mut usize, prefix: &mut Vec<String>, out: &mut Vec<(Option<String>, Vec<String>)>) {
    let depth = prefix.len();
    if tokens.get(*at).is_some_and(|t| t.text == "::") {
        *at += 1; // `use ::std::x`: a crate, as `use std::x`
    }
    while let Some(t) = tokens.get(*at) {
        match t.text {
            "{" => {
                *at += 1;
                while tokens.get(*at).is_some_and(|t| t.text != "}") {
                    use_tree(tokens, at, prefix, out);
                    if tokens.get(*at).is_some_and(|t| t.text == ",") {
                        *at += 1;
                    }
                }
                *at += 1;
                break;
            }
            "*" => {
                *at += 1;
                out.push((None, prefix.clone()));
                break;
            }
            name => {
                prefix.push(name.to_string());
                *at += 1;
                if tokens.get(*at).is_some_and(|t| t.text == "::") {
                    *at += 1;
                    continue;
                }
                let mut bound = Some(name.to_string());
                if tokens.get(*at).is_some_and(|t| t.text == "as") {
                    bound = tokens.get(*at + 1).map(|t| t.text.to_string()).filter(|n| n != "_");
                    *at += 2;
                }
                // `use crate::store::{self, X}`: `self` binds the module.
                let mut path = prefix.clone();
                if name == "self" {
                    path.pop();
                    if bound.as_deref() == Some("self") {
                        bound = path.last().cloned();
                    }
                }
                out.push((bound, path));
                break;
            }
        }
    }
    prefix.truncate(depth);
}

/// Paths of two or more segments outside `use` declarations: `crate::store::read`, `super::X`,
/// `store::read`. A turbofish or a generic ends the path (`Vec::<u8>::new` is `Vec`).
fn written_paths(tokens: &[Token], covered: &[bool]) -> Vec<Written> {
    let is_name = |t: &Token| t.text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts = !covered[i] && is_name(&tokens[i]) && (i == 0 || tokens[i - 1].text != "::");
        if !starts {
            i += 1;
            continue;
        }
        let mut path = vec![tokens[i].text.to_string()];
        let mut j = i + 1;
        while j + 1 < tokens.len() && tokens[j].text == "::" && is_name(&tokens[j + 1]) {
            path.push(tokens[j + 1].text.to_string());
            j += 2;
        }
        if path.len() > 1 {
            out.push(Written { path, line: tokens[i].line });
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(code: &str) -> Vec<(Option<String>, String, bool)> {
        let tokens = tokens(code);
        uses(&tokens).0.into_iter().map(|u| (u.name, u.path.join("::"), u.public)).collect()
    }

    #[test]
    fn use_trees_are_expanded_to_one_name_each() {
        let got = bound(
            "use crate::a::{self, b::{C, D as E}, f::*};\npub(crate) use super::G as _;\nimpl X for Y + use<'a> {}",
        );
        let want = [
            (Some("a"), "crate::a", false),
            (Some("C"), "crate::a::b::C", false),
            (Some("E"), "crate::a::b::D", false),
            (None, "crate::a::f", false),
            (None, "super::G", true),
        ];
        let want: Vec<_> = want.iter().map(|(n, p, public)| (n.map(String::from), p.to_string(), *public)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn written_paths_exclude_use_declarations_and_stop_at_generics() {
        let tokens = tokens("use crate::a::B;\nfn f() { crate::c::d(); Vec::<u8>::new(); super::E::F }");
        let (_, covered) = uses(&tokens);
        let paths: Vec<String> = written_paths(&tokens, &covered).iter().map(|w| w.path.join("::")).collect();
        assert_eq!(paths, ["crate::c::d", "super::E::F"]);
    }
}
