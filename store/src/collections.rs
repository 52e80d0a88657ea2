//! Collections (franchises, sequels, the user's own): a name, a kind and an ordered list of
//! content ids, which need not all be in the library.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::{ContentId, Store, changes, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CollectionKind {
    Franchise,
    Sequel,
    Custom,
}

impl CollectionKind {
    fn as_str(self) -> &'static str {
        match self {
            CollectionKind::Franchise => "franchise",
            CollectionKind::Sequel => "sequel",
            CollectionKind::Custom => "custom",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "franchise" => CollectionKind::Franchise,
            "sequel" => CollectionKind::Sequel,
            _ => CollectionKind::Custom,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Collection {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CollectionKind,
    pub content: Vec<ContentId>,
}

/// A partial update: the fields that are `Some` are replaced.
#[derive(Debug, Clone, Default)]
pub struct CollectionPatch {
    pub name: Option<String>,
    pub kind: Option<CollectionKind>,
    pub content: Option<Vec<ContentId>>,
}

fn load(tx: &Transaction<'_>, id: i64) -> Result<Option<Collection>> {
    let head = tx
        .query_row(
            "SELECT name, kind FROM collections WHERE id = ?1",
            [id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((name, kind)) = head else {
        return Ok(None);
    };
    let mut stmt = tx.prepare_cached(
        "SELECT content_id FROM collection_items WHERE collection_id = ?1 ORDER BY position",
    )?;
    let content = stmt
        .query_map([id], |r| r.get::<_, String>(0))?
        .filter_map(|c| c.ok().and_then(|c| ContentId::parse(&c).ok()))
        .collect();
    Ok(Some(Collection {
        id,
        name,
        kind: CollectionKind::parse(&kind),
        content,
    }))
}

fn set_items(tx: &Transaction<'_>, id: i64, content: &[ContentId]) -> Result<()> {
    tx.execute(
        "DELETE FROM collection_items WHERE collection_id = ?1",
        [id],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO collection_items (collection_id, position, content_id)
         VALUES (?1, ?2, ?3)",
    )?;
    for (pos, c) in content.iter().enumerate() {
        stmt.execute(params![id, pos as i64, c.as_str()])?;
    }
    Ok(())
}

impl Store {
    pub fn collections(&self) -> Result<Vec<Collection>> {
        self.tx(|tx| {
            let ids: Vec<i64> = tx
                .prepare("SELECT id FROM collections ORDER BY name COLLATE NOCASE, id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(load(tx, id)?);
            }
            Ok(out)
        })
    }

    pub fn collection(&self, id: i64) -> Result<Option<Collection>> {
        self.tx(|tx| load(tx, id))
    }

    pub fn create_collection(
        &self,
        name: &str,
        kind: CollectionKind,
        content: &[ContentId],
    ) -> Result<Collection> {
        self.tx(|tx| {
            let t = now();
            tx.execute(
                "INSERT INTO collections (name, kind, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                params![name, kind.as_str(), t],
            )?;
            let id = tx.last_insert_rowid();
            set_items(tx, id, content)?;
            changes::record(tx, changes::ChangeKind::CollectionChanged, None, Some(id))?;
            load(tx, id)?.ok_or(Error::NotFound("collection"))
        })
    }

    pub fn update_collection(&self, id: i64, patch: &CollectionPatch) -> Result<Collection> {
        self.tx(|tx| {
            if load(tx, id)?.is_none() {
                return Err(Error::NotFound("collection"));
            }
            if let Some(name) = &patch.name {
                tx.execute(
                    "UPDATE collections SET name = ?2 WHERE id = ?1",
                    params![id, name],
                )?;
            }
            if let Some(kind) = patch.kind {
                tx.execute(
                    "UPDATE collections SET kind = ?2 WHERE id = ?1",
                    params![id, kind.as_str()],
                )?;
            }
            if let Some(content) = &patch.content {
                set_items(tx, id, content)?;
            }
            tx.execute(
                "UPDATE collections SET updated_at = ?2 WHERE id = ?1",
                params![id, now()],
            )?;
            changes::record(tx, changes::ChangeKind::CollectionChanged, None, Some(id))?;
            load(tx, id)?.ok_or(Error::NotFound("collection"))
        })
    }

    pub fn delete_collection(&self, id: i64) -> Result<()> {
        self.tx(|tx| {
            if tx.execute("DELETE FROM collections WHERE id = ?1", [id])? != 1 {
                return Err(Error::NotFound("collection"));
            }
            changes::record(tx, changes::ChangeKind::CollectionDeleted, None, Some(id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;

    fn ids(v: &[&str]) -> Vec<ContentId> {
        v.iter().map(|s| ContentId::parse(s).expect("id")).collect()
    }

    #[test]
    fn crud_keeps_order_and_logs_changes() {
        let (_d, s) = test_store();
        let c = s
            .create_collection(
                "Matrix",
                CollectionKind::Franchise,
                &ids(&["tt0234215", "tt0133093"]),
            )
            .expect("create");
        assert_eq!(c.content, ids(&["tt0234215", "tt0133093"]));
        let patch = CollectionPatch {
            name: Some("The Matrix".into()),
            ..Default::default()
        };
        let c2 = s.update_collection(c.id, &patch).expect("patch");
        assert_eq!((c2.name.as_str(), c2.content.len()), ("The Matrix", 2));
        s.delete_collection(c.id).expect("delete");
        assert!(s.collection(c.id).expect("get").is_none());
        assert!(matches!(s.delete_collection(c.id), Err(Error::NotFound(_))));
        let kinds: Vec<&str> = s
            .changes_since(0, 10)
            .expect("log")
            .into_iter()
            .map(|c| c.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "collection_changed",
                "collection_changed",
                "collection_deleted"
            ]
        );
    }
}
