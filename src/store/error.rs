//! Failures opening or using the store.

use std::path::PathBuf;

/// Failures opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The path exists but does not hold an SQLite database; it is left untouched.
    #[error("{path}: not a grantscope database (not an SQLite file); refusing to touch it. Pass another --db path")]
    NotSqlite { path: PathBuf },
    /// An SQLite database of some other program; it is left untouched.
    #[error(
        "{path}: an SQLite database, but not grantscope's (it holds tables {tables} and no grantscope schema); refusing to touch it. Pass another --db path"
    )]
    Foreign { path: PathBuf, tables: String },
    /// A command that only reads found a database an older grantscope wrote, which it cannot upgrade.
    #[error(
        "{path}: the database has schema version {found} and this grantscope reads version {known}; run any command that writes (e.g. grantscope gc) once to upgrade it"
    )]
    NeedsUpgrade { path: PathBuf, found: i64, known: usize },
    /// A newer grantscope migrated this database further than this binary knows.
    #[error(
        "{path}: the database was written by a newer grantscope (schema version {found}, this binary knows up to {known}); upgrade grantscope"
    )]
    TooNew { path: PathBuf, found: i64, known: usize },
    /// A command that only reads was pointed at a database that does not exist.
    #[error("{path}: no such database; ingest something first (grantscope ingest audit ...) or pass --db")]
    Missing { path: PathBuf },
    #[error("{path}: cannot open database: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: cannot read database: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: migrating the database failed: {source}")]
    Migrate { path: PathBuf, source: rusqlite_migration::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}
