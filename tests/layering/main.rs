//! The layers of `src/` as a test, so they cannot drift (issue #15): which top-level module may
//! import which, no cycle between modules or between files, a pure core without I/O, SQL only in
//! the store, and a name of its own for every type other files can import. It reads the crate's
//! own sources (see `imports.rs` for what counts as an import).
//!
//! Test code is exempt: `#[cfg(test)]` items and the files of modules declared `#[cfg(test)] mod x;`
//! (`app/tests.rs`, `state/yaml_equivalence.rs`). It is not part of what ships, and it may build
//! fixtures with the generator or read a database row directly, as the integration tests do.
//!
//! When a rule fails, move the code rather than the rule; an edge that is right goes into the table
//! below with the reason.

mod cycles;
mod imports;
mod names;
mod source;

use imports::{Crate, Edge};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One layer: its top-level modules, and the modules of lower layers it may not import all the same.
struct Layer {
    modules: &'static [&'static str],
    except: &'static [&'static str],
}

/// The layers, top to bottom. An import points down, to any module of a lower layer but those the
/// layer's `except` names; an import inside a layer must be one of `SIDEWAYS`.
const LAYERS: &[Layer] = &[
    // main.rs: parses the command line and hands each command to cli/, `serve` to the daemon.
    Layer { modules: &["main"], except: &[] },
    // The two faces: the commands (cli/) and the daemon (serve/). Both call app/ and may read the
    // layers below directly. Only main.rs imports cli/.
    Layer { modules: &["cli", "serve"], except: &[] },
    // Orchestration both faces share: store a state version, sync, replay, assess, agreement,
    // timeline, one clock. It knows no face, and no generator (the faces' `demo` and `generate`).
    Layer { modules: &["app"], except: &["generate"] },
    // The work: the sources' run loops, findings and what-if, renderers, remediation commands, the
    // synthetic cluster generator (demo and tests). They take a store or data, never a face or app.
    Layer { modules: &["sources", "analysis", "report", "remediate", "generate"], except: &[] },
    // The data: record parsers and the sink folding them, access state from files and APIs, SQLite.
    // They know nothing of findings.
    Layer { modules: &["ingest", "state", "store"], except: &[] },
    // The pure core: identities, shapes, grants, decisions, the authorizer chain. No I/O (see
    // `PURE_CORE_CRATES`), nothing but each other.
    Layer { modules: &["authz", "model"], except: &[] },
];

/// Imports inside a layer, and why each is right. The cycle checks keep them one-way.
const SIDEWAYS: &[(&str, &str, &str)] = &[
    (
        "cli",
        "serve",
        "`grantscope serve` starts the daemon, and its errors get exit codes; the daemon never imports cli",
    ),
    ("report", "analysis", "a report renders findings"),
    ("remediate", "analysis", "remediation turns findings into commands"),
    ("ingest", "store", "the sink folds parsed records into the store, in the transaction of the source's batch"),
    ("authz", "model", "the authorizer decides over the domain types"),
];

/// What the pure core (model/, authz/) may name from outside the crate: no I/O, no clock, no async
/// runtime, no database, no AWS SDK, no metrics.
const PURE_CORE_CRATES: &[&str] = &["std", "core", "alloc", "serde", "serde_json", "xxhash_rust"];
const PURE_CORE_NOT_STD: &[&str] = &["fs", "io", "net", "process", "env", "thread", "time", "os"];

fn the_crate() -> Crate {
    Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.modules.contains(&module))
}

/// `src/x.rs:12: `use crate::y::Z``
fn at(krate: &Crate, e: &Edge) -> String {
    format!("{}:{}: `{}`", krate.files[e.from].path, e.line, e.text)
}

/// Whether the rules allow top-level module `from` to import `to`; if not, why.
fn allowed(from: &str, to: &str) -> Result<(), String> {
    let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else {
        return Err(format!("{from} or {to} is in no layer of LAYERS: add it, with a comment"));
    };
    if (a < b && !LAYERS[a].except.contains(&to)) || SIDEWAYS.iter().any(|(f, t, _)| (*f, *t) == (from, to)) {
        return Ok(());
    }
    Err(if a == b {
        format!("{from} may not import {to}: they are in the same layer, and SIDEWAYS does not list it")
    } else if a > b {
        format!("{from} may not import {to}: {to} is a layer above it")
    } else {
        format!("{from} may not import {to}: its layer's `except` names it")
    })
}

#[test]
fn the_layer_table_names_every_module_once_and_points_down() {
    let krate = the_crate();
    let tops: BTreeSet<&str> = krate.files.iter().map(|f| f.top.as_str()).filter(|t| *t != "lib").collect();
    let listed: Vec<&str> = LAYERS.iter().flat_map(|l| l.modules.iter().copied()).collect();
    for top in &tops {
        assert_eq!(listed.iter().filter(|m| *m == top).count(), 1, "src/{top} is not in exactly one layer of LAYERS");
    }
    for (i, layer) in LAYERS.iter().enumerate() {
        for m in layer.except {
            assert!(
                layer_of(m).is_some_and(|l| l > i),
                "{:?} excepts {m}, which is not in a layer below",
                layer.modules
            );
        }
    }
    for (from, to, _) in SIDEWAYS {
        assert!(
            layer_of(from).is_some() && layer_of(from) == layer_of(to),
            "SIDEWAYS {from} -> {to} is not inside a layer"
        );
    }
}

#[test]
fn every_import_points_down_the_layers() {
    let krate = the_crate();
    let mut wrong: Vec<String> = Vec::new();
    for e in krate.edges() {
        let from = &krate.files[e.from].top;
        if *from != e.to_top
            && let Err(why) = allowed(from, &e.to_top)
        {
            wrong.push(format!("{}: {why}", at(&krate, &e)));
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let krate = the_crate();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut witness: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let edges = krate.edges();
    for e in &edges {
        let from = krate.files[e.from].top.as_str();
        if from != e.to_top {
            graph.entry(from).or_default().insert(&e.to_top);
            witness.entry((from, &e.to_top)).or_insert_with(|| at(&krate, e));
        }
    }
    let found: Vec<String> = cycles::cycles(&graph)
        .iter()
        .map(|c| describe(c, |m| m.to_string(), |a, b| witness[&(*a, *b)].clone()))
        .collect();
    assert!(found.is_empty(), "cycles between top-level modules:\n{}", found.join("\n"));
}

#[test]
fn files_import_each_other_without_a_cycle() {
    let krate = the_crate();
    let mut graph: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut witness: BTreeMap<(usize, usize), String> = BTreeMap::new();
    let edges = krate.edges();
    for e in edges.iter().filter(|e| !e.reexport_only) {
        graph.entry(e.from).or_default().insert(e.to);
        witness.entry((e.from, e.to)).or_insert_with(|| at(&krate, e));
    }
    let name = |f: &usize| krate.files[*f].path.clone();
    let found: Vec<String> =
        cycles::cycles(&graph).iter().map(|c| describe(c, name, |a, b| witness[&(*a, *b)].clone())).collect();
    assert!(found.is_empty(), "cycles between files:\n{}", found.join("\n"));
}

/// The way round, one line per step with the import that makes it, then every member of the cycle.
fn describe<N>(cycle: &cycles::Cycle<N>, name: impl Fn(&N) -> String, step: impl Fn(&N, &N) -> String) -> String {
    let round = &cycle.way_round;
    let steps: Vec<String> =
        (0..round.len()).map(|i| format!("  {}", step(&round[i], &round[(i + 1) % round.len()]))).collect();
    let members: Vec<String> = cycle.members.iter().map(name).collect();
    format!("a cycle:\n{}\n  (each of these is on a cycle with the others: {})", steps.join("\n"), members.join(", "))
}

#[test]
fn the_pure_core_names_no_io_crate() {
    let krate = the_crate();
    let mut wrong = Vec::new();
    for (file, line, path) in krate.external_paths() {
        let f = &krate.files[file];
        if f.top != "model" && f.top != "authz" {
            continue;
        }
        let allowed = PURE_CORE_CRATES.contains(&path[0].as_str())
            && !(path[0] == "std" && path.get(1).is_some_and(|m| PURE_CORE_NOT_STD.contains(&m.as_str())));
        if !allowed {
            wrong.push(format!("{}:{line}: `{}`", f.path, path.join("::")));
        }
    }
    assert!(
        wrong.is_empty(),
        "the pure core names what does I/O (allowed: {PURE_CORE_CRATES:?}, not std::{PURE_CORE_NOT_STD:?}):\n{}",
        wrong.join("\n")
    );
}

/// The words that open an SQL statement, each with the word that must follow it somewhere in the
/// same literal (None: the opening word is enough).
const SQL_STATEMENTS: &[(&str, Option<&str>)] = &[
    ("SELECT", Some("FROM")),
    ("INSERT", Some("INTO")),
    ("REPLACE", Some("INTO")),
    ("UPDATE", Some("SET")),
    ("DELETE", Some("FROM")),
    ("CREATE", None),
    ("DROP", None),
    ("ALTER", None),
    ("PRAGMA", None),
    ("WITH", Some("SELECT")),
    ("BEGIN", None),
    ("COMMIT", None),
    ("VACUUM", None),
    ("ATTACH", None),
];

/// The rusqlite calls that run SQL text.
const SQL_CALLS: &[&str] = &[
    "execute",
    "execute_batch",
    "prepare",
    "prepare_cached",
    "query_row",
    "query_map",
    "query_and_then",
    "pragma_update",
    "pragma_query",
    "pragma_query_value",
];

/// Whether a string literal reads as an SQL statement: it opens, in capitals, with a statement's
/// first word, and holds the word that must follow it. Prose ("Delete the entry from ...") is not
/// in capitals; the store writes its SQL so.
fn is_sql(literal: &str) -> bool {
    let words: Vec<&str> =
        literal.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else { return false };
    SQL_STATEMENTS.iter().any(|(open, then)| first == open && then.is_none_or(|t| words[1..].contains(&t)))
}

#[test]
fn sql_is_written_and_run_only_in_the_store() {
    let krate = the_crate();
    let mut wrong = Vec::new();
    for (_, f) in krate.product().filter(|(_, f)| f.top != "store") {
        for (line, literal) in &f.code.strings {
            if is_sql(literal) {
                wrong.push(format!("{}:{line}: SQL text {:?}", f.path, literal.trim()));
            }
        }
        for (n, text) in f.code.text.lines().enumerate() {
            for call in SQL_CALLS {
                if text.contains(&format!(".{call}(")) {
                    wrong.push(format!("{}:{}: `.{call}(` runs SQL", f.path, n + 1));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside src/store (add a function there and call it):\n{}", wrong.join("\n"));
}

#[test]
fn sql_is_told_from_prose() {
    let cases: &[(&str, &str, bool)] = &[
        ("a query with its FROM is SQL", "SELECT value FROM checkpoints WHERE key = ?1", true),
        ("an insert is SQL", "\n  INSERT INTO events (id) VALUES (?1) ON CONFLICT DO NOTHING", true),
        ("a pragma is SQL", "PRAGMA journal_mode = WAL", true),
        ("prose in lower case is not", "delete from the cluster's aws-auth map", false),
        ("a capitalised word alone is not", "SELECT an option", false),
        ("a verb list is not", "create", false),
    ];
    for (name, literal, want) in cases {
        assert_eq!(is_sql(literal), *want, "{name}: {literal:?}");
    }
}

#[test]
fn an_importable_type_has_a_name_of_its_own() {
    let krate = the_crate();
    let mut by_name: BTreeMap<String, Vec<names::Definition>> = BTreeMap::new();
    for d in names::definitions(&krate) {
        by_name.entry(d.name.clone()).or_default().push(d);
    }
    let shared: BTreeMap<&String, &Vec<names::Definition>> =
        by_name.iter().filter(|(_, defs)| defs.len() > 1 && defs.iter().any(|d| d.visible)).collect();
    let wrong: Vec<String> = shared
        .iter()
        .map(|(name, defs)| {
            let at: Vec<String> = defs.iter().map(|d| format!("{}:{}", d.file, d.line)).collect();
            format!("{name}: {}", at.join(", "))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "types sharing a name (rename the less central one to say what it is):\n{}",
        wrong.join("\n")
    );
}
