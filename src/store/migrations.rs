//! Schema migrations: `migrations/NNNN_name.sql`, embedded at compile time, applied in name order
//! by rusqlite_migration inside one transaction and recorded in SQLite's `user_version`.

use super::StoreError;
use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};
use std::path::Path;

static MIGRATIONS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// The `.sql` files of `migrations/`, in name order.
fn migration_files() -> Vec<&'static include_dir::File<'static>> {
    let mut files: Vec<_> =
        MIGRATIONS_DIR.files().filter(|f| f.path().extension().is_some_and(|e| e == "sql")).collect();
    files.sort_by_key(|f| f.path());
    files
}

/// How many migrations this binary knows: the schema version of a database it migrated.
pub(super) fn count() -> usize {
    migration_files().len()
}

fn migrations() -> Migrations<'static> {
    Migrations::new(
        migration_files().into_iter().map(|f| M::up(f.contents_utf8().expect("migrations are UTF-8"))).collect(),
    )
}

pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let migrations = migrations();
    match migrations.to_latest(conn) {
        Ok(()) => Ok(()),
        Err(rusqlite_migration::Error::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead)) => {
            let found = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Err(StoreError::TooNew { path: path.into(), found, known: migration_files().len() })
        }
        Err(source) => Err(StoreError::Migrate { path: path.into(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_numbered_in_order() {
        migrations().validate().expect("every migration applies on an empty database");
        let names: Vec<_> = migration_files().iter().map(|f| f.path().to_string_lossy().into_owned()).collect();
        for (i, name) in {
            let mut n = names.clone();
            n.sort();
            n
        }
        .iter()
        .enumerate()
        {
            assert!(name.starts_with(&format!("{:04}_", i + 1)), "{name} must be numbered {:04}", i + 1);
        }
    }

    #[test]
    fn shapes_stored_before_callers_existed_get_their_caller() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 3).unwrap();
        for (key, principal, groups) in [(1u8, "arn:a", "[\"g\"]"), (2, "arn:a", "[\"g\"]"), (3, "arn:b", "[]")] {
            conn.execute(
                "INSERT INTO shapes (key, cluster, principal, iam, username, groups, session_name, verb, api_group,
                                     resource, subresource, namespace, name, path, examples)
                 VALUES (?1, 'c', ?2, 1, 'u', ?3, '', 'get', '', 'pods', '', 'ns', '', '', '[]')",
                rusqlite::params![vec![key], principal, groups],
            )
            .unwrap();
        }
        apply(&mut conn, Path::new(":memory:")).unwrap();
        let callers: i64 = conn.query_row("SELECT count(*) FROM callers", [], |r| r.get(0)).unwrap();
        let orphans: i64 =
            conn.query_row("SELECT count(*) FROM shapes WHERE caller_id IS NULL", [], |r| r.get(0)).unwrap();
        let shared: i64 = conn
            .query_row("SELECT count(DISTINCT caller_id) FROM shapes WHERE principal = 'arn:a'", [], |r| r.get(0))
            .unwrap();
        assert_eq!((callers, orphans, shared), (2, 0, 1));
    }

    #[test]
    fn a_database_from_a_newer_binary_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let mut conn = Connection::open(&path).unwrap();
        apply(&mut conn, &path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = apply(&mut conn, &path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("upgrade grantscope"), "{err}");
    }
}
