//! One file's text into the builder: a snapshot, one JSON document, or YAML documents one at a
//! time, each read by the fast reader when it can and by serde-saphyr otherwise.

use super::builder::Builder;
use super::documents::{self, yaml_options};
use super::error::StateError;
use super::{decode, fast_yaml, snapshot};

/// Loads one file's text into the builder: a snapshot, one JSON document, or YAML documents one
/// at a time. A file that gives nothing grantscope reads is an error: an empty, truncated or wrong
/// file must never pass for a cluster without access.
pub(crate) fn load_text(b: &mut Builder, file: &str, text: &str) -> Result<(), StateError> {
    let before = b.read;
    if snapshot::is_snapshot(text) {
        b.at(file, 1, 1);
        snapshot::load(b, text).map_err(|e| StateError::Invalid {
            file: file.into(),
            document: 1,
            line: 1,
            path: e.path,
            message: e.message,
        })?;
    } else if documents::is_json(text) {
        load_json(b, file, text)?;
    } else {
        for doc in documents::yaml_documents(text) {
            load_yaml_document(b, file, &doc)?;
        }
    }
    if b.read > before {
        return Ok(());
    }
    let reason = if text.trim().is_empty() {
        "the file is empty"
    } else if !documents::is_json(text) && documents::is_blank(text) {
        "the file holds only comments"
    } else {
        "no document in it is an object grantscope reads (Role, ClusterRole, RoleBinding, ClusterRoleBinding, the kube-system/aws-auth ConfigMap, an eksctl ClusterConfig, a List of them, a grantscope snapshot)"
    };
    Err(StateError::NothingRead { file: file.into(), reason: reason.into() })
}

/// One JSON document (kubectl's `-o json`: one object or a `List`), items streamed.
fn load_json(b: &mut Builder, file: &str, text: &str) -> Result<(), StateError> {
    b.at(file, 1, 1);
    let mut sink = decode::ObjectSink { builder: b, error: None };
    let mut de = serde_json::Deserializer::from_str(text);
    let outcome = serde::de::DeserializeSeed::deserialize(
        decode::DocumentSeed { sink: &mut sink, prefix: String::new() },
        &mut de,
    )
    .and_then(|()| de.end());
    outcome.map_err(|e| match sink.error.take() {
        Some(f) => {
            StateError::Invalid { file: file.into(), document: 1, line: e.line(), path: f.path, message: f.message }
        }
        None => StateError::Syntax { file: file.into(), document: 1, line: e.line(), message: e.to_string() },
    })
}

/// One YAML document, with its own parsing limits; errors name its number and the file's line.
/// The fast reader reads what `helm template` and kubectl print. What it leaves, serde-saphyr reads
/// from the document's start (nothing of it reached the builder); an invalid value it met,
/// serde-saphyr meets again and reports, so every error reads the same whichever reader found it
/// (the load stops there: what the document put into the builder twice is never used).
fn load_yaml_document(b: &mut Builder, file: &str, doc: &documents::Document) -> Result<(), StateError> {
    b.at(file, doc.number, doc.line);
    if !b.full_yaml_parser_only {
        let read = b.read;
        let mut sink = decode::ObjectSink { builder: b, error: None };
        let seed = decode::DocumentSeed { sink: &mut sink, prefix: String::new() };
        match fast_yaml::deserialize(doc.text, seed) {
            Ok(()) => return Ok(()),
            Err(fast_yaml::Error::Unsupported { .. }) => debug_assert_eq!(b.read, read, "given up before loading"),
            Err(fast_yaml::Error::Custom(_)) => {}
        }
    }
    let mut sink = decode::ObjectSink { builder: b, error: None };
    let outcome = serde_saphyr::with_deserializer_from_str_with_options(doc.text, yaml_options(), |de| {
        serde::de::DeserializeSeed::deserialize(decode::DocumentSeed { sink: &mut sink, prefix: String::new() }, de)
    });
    outcome.map_err(|e| {
        // The parser counts lines from the document's first; the user counts from the file's.
        let line = e.location().map_or(doc.line, |l| doc.line + l.line() as usize - 1);
        match sink.error.take() {
            Some(f) => {
                StateError::Invalid { file: file.into(), document: doc.number, line, path: f.path, message: f.message }
            }
            None => {
                let options = serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                    line_offset: doc.line as u64 - 1,
                };
                let mut message = e.render_with_options(options);
                if message.contains("budget breached") {
                    message.insert_str(
                        0,
                        "the document expands past the parser's limits (repeated YAML aliases: a YAML bomb?): ",
                    );
                }
                StateError::Syntax { file: file.into(), document: doc.number, line, message }
            }
        }
    })
}
