//! The change log: every change to what the catalogue shows, in commit order, so readers (the
//! renderer, the sync agent) can follow it by sequence number.

use rusqlite::{Transaction, params};

use crate::error::Result;
use crate::{ContentId, Store, now};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A file of a title arrived (a movie, a poster, a trailer, a subtitle).
    FileAdded,
    FileRemoved,
    /// A title's files moved to another library root.
    FileMoved,
    TitleDeleted,
    MetadataChanged,
    CollectionChanged,
    CollectionDeleted,
}

impl ChangeKind {
    const ALL: [ChangeKind; 7] = [
        ChangeKind::FileAdded,
        ChangeKind::FileRemoved,
        ChangeKind::FileMoved,
        ChangeKind::TitleDeleted,
        ChangeKind::MetadataChanged,
        ChangeKind::CollectionChanged,
        ChangeKind::CollectionDeleted,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::FileAdded => "file_added",
            ChangeKind::FileRemoved => "file_removed",
            ChangeKind::FileMoved => "file_moved",
            ChangeKind::TitleDeleted => "title_deleted",
            ChangeKind::MetadataChanged => "metadata_changed",
            ChangeKind::CollectionChanged => "collection_changed",
            ChangeKind::CollectionDeleted => "collection_deleted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub seq: i64,
    pub at: i64,
    pub kind: ChangeKind,
    pub content_id: Option<String>,
    pub collection_id: Option<i64>,
}

/// Records a change inside the transaction that makes it.
pub(crate) fn record(
    tx: &Transaction<'_>,
    kind: ChangeKind,
    content_id: Option<&ContentId>,
    collection_id: Option<i64>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO changes (at, kind, content_id, collection_id) VALUES (?1, ?2, ?3, ?4)",
        params![
            now(),
            kind.as_str(),
            content_id.map(|c| c.as_str()),
            collection_id
        ],
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
                kind: {
                    let k: String = r.get(2)?;
                    ChangeKind::parse(&k).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            2,
                            rusqlite::types::Type::Text,
                            format!("unknown change kind {k}").into(),
                        )
                    })?
                },
                content_id: r.get(3)?,
                collection_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
