//! The model's typed names as SQLite stores them: as the text they always were, so the schema and
//! every existing database stay as they are. A value no type accepts is an error naming the column's
//! type, never a guess.

use crate::model::{GrantId, UsageRole};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

impl ToSql for GrantId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for GrantId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<GrantId> {
        value.as_str().map(GrantId::parse)
    }
}

impl ToSql for UsageRole {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for UsageRole {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<UsageRole> {
        let text = value.as_str()?;
        UsageRole::parse(text).ok_or_else(|| {
            FromSqlError::Other(format!("grant usage role `{text}`: expected by, shadowed or authenticated").into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn typed_names_are_stored_as_their_old_text_and_read_back() {
        let conn = Connection::open_in_memory().unwrap();
        let id =
            GrantId::access_policy("arn:aws:iam::1:role/r", "AmazonEKSViewPolicy", &crate::model::AccessScope::Cluster);
        for role in UsageRole::ALL {
            let (text, role_text): (String, String) =
                conn.query_row("SELECT ?1, ?2", rusqlite::params![id, role], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            assert_eq!((text.as_str(), role_text.as_str()), (id.as_str(), role.as_str()));
            let (read, read_role): (GrantId, UsageRole) =
                conn.query_row("SELECT ?1, ?2", [&text, &role_text], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            assert_eq!((read.without_scope(), read_role), (id.without_scope(), role));
        }
    }

    #[test]
    fn an_unknown_usage_role_is_an_error_naming_it() {
        let conn = Connection::open_in_memory().unwrap();
        let err = conn.query_row("SELECT 'owner'", [], |r| r.get::<_, UsageRole>(0)).unwrap_err().to_string();
        assert!(err.contains("grant usage role `owner`"), "{err}");
    }
}
