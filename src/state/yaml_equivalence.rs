//! The fast YAML reader changes nothing but speed: every YAML file the repository holds loads to
//! the same state and warnings, or fails with the same error, through it as through serde-saphyr
//! alone; and the bootstrap RBAC copied into every state is what serde-saphyr decodes from its files.

use super::builder::{Builder, Loaded};
use super::load::load_text;
use super::{bootstrap, documents, fast_yaml};
use crate::generate::rbac_yaml;
use crate::model::AccessState;
use serde::de::IgnoredAny;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// Each YAML file under `dir`, with its path from the repository's root.
fn yaml_files(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    walk(&root.join(dir), &mut paths);
    paths.sort();
    let name = |p: &Path| p.strip_prefix(root).unwrap().display().to_string();
    paths.iter().map(|p| (name(p), std::fs::read_to_string(p).unwrap())).collect()
}

/// Every YAML the repository has: real files, fixtures (bad ones included), the bootstrap RBAC,
/// the demo's state and generated RBAC.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        ["tests/fixtures/real", "tests/fixtures/state", "src/state/bootstrap", "src/generate"]
            .iter()
            .flat_map(|dir| yaml_files(dir))
            .collect();
    files.push(("generate::rbac_yaml(400)".into(), rbac_yaml(400)));
    files
}

fn load(name: &str, text: &str, full_parser_only: bool) -> Result<(AccessState, Vec<String>), String> {
    let mut b = bootstrap::builder();
    b.full_yaml_parser_only = full_parser_only;
    load_text(&mut b, name, text).map_err(|e| e.to_string())?;
    let Loaded { state, warnings } = b.finish(Some("c"));
    Ok((state, warnings))
}

#[test]
fn every_yaml_file_loads_the_same_through_the_fast_reader_and_serde_saphyr() {
    let files = corpus();
    assert!(files.len() > 70, "{} files", files.len());
    let mut errors = 0;
    for (name, text) in &files {
        let fast = load(name, text, false);
        errors += usize::from(fast.is_err());
        assert_eq!(fast, load(name, text, true), "{name}");
    }
    assert!(errors >= 6, "the bad inputs fail, the same way: {errors}");
}

#[test]
fn the_files_helm_template_and_kubectl_print_are_read_by_the_fast_reader() {
    let given_up = |text: &str| -> Vec<String> {
        documents::yaml_documents(text)
            .filter_map(|d| {
                fast_yaml::deserialize(d.text, PhantomData::<IgnoredAny>).err().map(|e| format!("{}: {e}", d.line))
            })
            .collect()
    };
    for (name, text) in corpus() {
        let given_up = given_up(&text);
        let expected = name.contains("bootstrap/")
            || name.contains("rbac")
            || name.ends_with("hostile-names.yaml")
            || name.ends_with("eksctl-cluster.yaml");
        if expected {
            assert_eq!(given_up, Vec::<String>::new(), "{name}: every document read by the fast reader");
        }
        if name.ends_with("helm-template.yaml") {
            let all = documents::yaml_documents(&text).count();
            let n = given_up.len();
            assert!(n > 0 && n < all, "{name}: block scalars are left to serde-saphyr, the rest is read: {given_up:?}");
        }
    }
}

#[test]
fn the_bootstrap_copied_into_every_state_is_what_serde_saphyr_decodes() {
    let copied = bootstrap::builder().finish(Some("c"));
    let mut full_parser_only = Builder::default();
    full_parser_only.full_yaml_parser_only = true;
    let decoded = bootstrap::decode(full_parser_only).finish(Some("c"));
    assert_eq!((copied.state, copied.warnings), (decoded.state, decoded.warnings));
}
