//! The last agreement-at-the-time figures of each cluster, with the basis they were computed on
//! (state versions, ingest generation, access changes, today's agreement): recomputed only when
//! the basis moves.

use super::Store;
use crate::model::AtTheTime;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// The cached figures of `cluster` if they were computed on `basis`.
    pub fn cached_agreement(&self, cluster: &str, basis: &str) -> rusqlite::Result<Option<AtTheTime>> {
        let cached: Option<(String, AtTheTime)> = self
            .conn
            .query_row(
                "SELECT basis, compared, agreeing, excluded FROM agreement_at_the_time WHERE cluster = ?1",
                [cluster],
                |r| Ok((r.get(0)?, AtTheTime { compared: r.get(1)?, agreeing: r.get(2)?, excluded: r.get(3)? })),
            )
            .optional()?;
        Ok(cached.filter(|(b, _)| b == basis).map(|(_, figures)| figures))
    }

    /// Stores the figures of `cluster` computed on `basis`, replacing the previous ones.
    pub fn cache_agreement(&self, cluster: &str, basis: &str, figures: AtTheTime) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO agreement_at_the_time (cluster, basis, compared, agreeing, excluded) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cluster, basis, figures.compared, figures.agreeing, figures.excluded],
        )?;
        Ok(())
    }
}
