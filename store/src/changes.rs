//! The change log: every change to what the catalogue shows, in commit order, so readers (the
//! renderer, the sync agent) can follow it by sequence number.

use rusqlite::{Transaction, params};

use crate::error::Result;
use crate::{ContentId, Store, now};

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub seq: i64,
    pub at: i64,
    /// What happened: `file_added`, `file_removed`, `file_moved`, `title_deleted`,
    /// `metadata_changed`, `collection_changed`, `collection_deleted`.
    pub kind: String,
    pub content_id: Option<String>,
    pub collection_id: Option<i64>,
}

/// Records a change inside the transaction that makes it.
pub(crate) fn record(
    tx: &Transaction<'_>,
    kind: &str,
    content_id: Option<&ContentId>,
    collection_id: Option<i64>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO changes (at, kind, content_id, collection_id) VALUES (?1, ?2, ?3, ?4)",
        params![now(), kind, content_id.map(|c| c.as_str()), collection_id],
    )?;
    Ok(())
}

impl Store {
    /// Changes after `seq`, oldest first, at most `limit`.
    pub fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, at, kind, content_id, collection_id FROM changes
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit], |r| {
            Ok(Change {
                seq: r.get(0)?,
                at: r.get(1)?,
                kind: r.get(2)?,
                content_id: r.get(3)?,
                collection_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
