//! Which files a list of state paths names, as `kubectl apply -f` reads them: a file is read
//! whatever its name; a directory gives its `*.yaml`, `*.yml` and `*.json` files in name order, and
//! with `recursive` (kubectl's `-R`) those of its subdirectories too.

use super::error::StateError;
use std::path::{Path, PathBuf};

/// The extensions read from a directory, kubectl's.
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The files `paths` name, in order; a directory with no such file is an error, as in kubectl.
pub fn state_files(paths: &[impl AsRef<Path>], recursive: bool) -> Result<Vec<PathBuf>, StateError> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if path.is_dir() {
            let before = files.len();
            directory(path, recursive, &mut files)?;
            if files.len() == before {
                return Err(StateError::NothingRead {
                    file: path.display().to_string(),
                    reason: format!(
                        "the directory holds no *.yaml, *.yml or *.json file{}",
                        if recursive { "" } else { " (-R reads its subdirectories)" }
                    ),
                });
            }
        } else {
            files.push(path.to_path_buf());
        }
    }
    Ok(files)
}

fn directory(dir: &Path, recursive: bool, files: &mut Vec<PathBuf>) -> Result<(), StateError> {
    let read_error = |source| StateError::Read { file: dir.display().to_string(), source };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                directory(&path, recursive, files)?;
            }
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e)) {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_files_read_directories_as_kubectl_apply_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["b.yaml", "a.json", "c.yml", "README.md", "sub/d.yaml", "sub/deeper/e.json"] {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        std::fs::create_dir(root.join("empty")).unwrap();
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files.iter().map(|f| f.strip_prefix(root).unwrap().display().to_string()).collect()
        };
        let cases: [(&str, Vec<PathBuf>, bool, Vec<&str>); 4] = [
            (
                "a directory gives its yaml, yml and json files in name order, not its subdirectories'",
                vec![root.to_path_buf()],
                false,
                vec!["a.json", "b.yaml", "c.yml"],
            ),
            (
                "recursive reads subdirectories too",
                vec![root.to_path_buf()],
                true,
                vec!["a.json", "b.yaml", "c.yml", "sub/d.yaml", "sub/deeper/e.json"],
            ),
            (
                "a file is read whatever its name, in the order given",
                vec![root.join("README.md"), root.join("a.json")],
                false,
                vec!["README.md", "a.json"],
            ),
            (
                "files and directories mix",
                vec![root.join("c.yml"), root.join("sub")],
                false,
                vec!["c.yml", "sub/d.yaml"],
            ),
        ];
        for (name, paths, recursive, want) in cases {
            assert_eq!(names(state_files(&paths, recursive).unwrap()), want, "{name}");
        }
        let err = state_files(&[root.join("empty")], false).unwrap_err().to_string();
        assert!(err.contains("empty: nothing read: the directory holds no *.yaml"), "{err}");
    }
}
