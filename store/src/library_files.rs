//! Every file in the library is a row: movies (beside their upload details in
//! `content_files`), posters and their cards, trailers, subtitles. A row is written in the
//! same transaction as its change-log entry, so readers (the renderer, the library check, the
//! sync agent) learn what the library holds from the database, never from the folders.

use rusqlite::{Transaction, params};

use crate::error::Result;
use crate::layout::FileKind;
use crate::{ContentId, Store, changes};

/// A file of a title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LibraryFile {
    pub content_id: ContentId,
    pub kind: FileKind,
    /// The version label (movies), the language (subtitles), or empty.
    pub label: String,
    /// The library root it is on; empty for the one media root.
    pub root: String,
    /// Relative to its root, as `layout` builds it.
    pub path: String,
    pub size: u64,
    /// Last modification, seconds since the epoch.
    pub mtime: i64,
    pub sha256: Option<String>,
}

/// A file to record.
#[derive(Debug, Clone)]
pub struct NewLibraryFile {
    pub content_id: ContentId,
    pub kind: FileKind,
    pub label: String,
    /// The library root it is on.
    pub root: String,
    pub path: String,
    pub size: u64,
    pub mtime: i64,
}

const COLS: &str = "content_id, kind, label, root, path, size, mtime, sha256";

/// A title's side files by its id (`?1`), by kind and path, read by `from_row`.
pub(crate) static BY_TITLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {COLS} FROM library_files WHERE content_id = ?1 ORDER BY kind, path")
});

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LibraryFile> {
    let text = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let id: String = r.get(0)?;
    let kind: String = r.get(1)?;
    Ok(LibraryFile {
        content_id: ContentId::parse(&id).map_err(|e| text(0, e.to_string()))?,
        kind: FileKind::parse(&kind).ok_or_else(|| text(1, format!("unknown kind {kind}")))?,
        label: r.get(2)?,
        root: r.get(3)?,
        path: r.get(4)?,
        size: r.get(5)?,
        mtime: r.get(6)?,
        sha256: r.get(7)?,
    })
}

/// Records a file (replacing the row of the same path), inside the caller's transaction.
pub(crate) fn upsert_tx(tx: &Transaction<'_>, f: &NewLibraryFile) -> Result<()> {
    tx.execute(
        "INSERT INTO library_files (content_id, kind, label, root, path, size, mtime)
         VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6)
         ON CONFLICT (root, path) DO UPDATE SET content_id = excluded.content_id,
             kind = excluded.kind, label = excluded.label, size = excluded.size,
             mtime = excluded.mtime, sha256 = NULL",
        params![
            f.content_id.as_str(),
            f.kind.as_str(),
            f.label,
            f.path,
            f.size,
            f.mtime,
            f.root
        ],
    )?;
    Ok(())
}

pub(crate) fn delete_path_tx(tx: &Transaction<'_>, root: &str, path: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM library_files WHERE root = ?1 AND path = ?2",
        [root, path],
    )?;
    Ok(())
}

/// Removes what was made from a title's version (its remuxed copy, its HLS ladder and the job
/// that makes it), when its movie file is going or changing; answers the paths, for the caller to
/// delete from disk after the commit.
pub(crate) fn drop_derived_tx(
    tx: &Transaction<'_>,
    id: &ContentId,
    label: &str,
) -> Result<Vec<String>> {
    let paths: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT path FROM library_files
             WHERE content_id = ?1 AND kind IN ('remux', 'hls') AND label = ?2 ORDER BY path",
        )?;
        let rows = stmt.query_map(params![id.as_str(), label], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    tx.execute(
        "DELETE FROM library_files WHERE content_id = ?1 AND kind IN ('remux', 'hls') AND label = ?2",
        params![id.as_str(), label],
    )?;
    tx.execute(
        "DELETE FROM transcode_jobs WHERE file_id IN
             (SELECT file_id FROM content_files WHERE content_id = ?1 AND label = ?2)",
        params![id.as_str(), label],
    )?;
    Ok(paths)
}

/// A title's files of every kind, ordered by kind and path.
pub(crate) fn files_of_title_tx(tx: &Transaction<'_>, id: &ContentId) -> Result<Vec<LibraryFile>> {
    side_files_with(&mut *tx.prepare_cached(&BY_TITLE)?, id)
}

/// A title's side files through `BY_TITLE` prepared once (for many titles in a row).
pub(crate) fn side_files_with(
    stmt: &mut rusqlite::Statement<'_>,
    id: &ContentId,
) -> Result<Vec<LibraryFile>> {
    let rows = stmt.query_map([id.as_str()], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Records a side file of a title (poster, card, trailer, subtitle) that has just been
    /// written into place, with its change-log entry. A poster also becomes the title's poster.
    pub fn record_library_file(&self, f: &NewLibraryFile) -> Result<()> {
        self.tx(|tx| {
            upsert_tx(tx, f)?;
            if f.kind == FileKind::Poster {
                tx.execute(
                    "UPDATE metadata SET poster_file = ?2 WHERE content_id = ?1",
                    params![f.content_id.as_str(), f.path],
                )?;
            }
            changes::record(
                tx,
                changes::ChangeKind::FileAdded,
                Some(&f.content_id),
                None,
            )
        })
    }

    /// Forgets the row of a file that is gone, with its change-log entry; a poster stops being
    /// the title's poster.
    pub fn forget_library_file(&self, f: &LibraryFile) -> Result<()> {
        self.tx(|tx| {
            delete_path_tx(tx, &f.root, &f.path)?;
            if f.kind == FileKind::Poster {
                tx.execute(
                    "UPDATE metadata SET poster_file = NULL WHERE content_id = ?1 AND poster_file = ?2",
                    params![f.content_id.as_str(), f.path],
                )?;
            }
            changes::record(tx, changes::ChangeKind::FileRemoved, Some(&f.content_id), None)
        })
    }

    /// Corrects the size and modification time a row holds.
    pub fn set_library_file_size(&self, f: &LibraryFile, size: u64, mtime: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE library_files SET size = ?3, mtime = ?4, sha256 = NULL
             WHERE root = ?1 AND path = ?2",
            params![f.root, f.path, size, mtime],
        )?;
        Ok(())
    }

    /// Files whose contents have no recorded SHA-256 yet (new, or changed since), a few at a
    /// time, oldest rows first.
    pub fn library_files_without_sha256(&self, limit: usize) -> Result<Vec<LibraryFile>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLS} FROM library_files WHERE sha256 IS NULL ORDER BY rowid LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The SHA-256 a file's row recorded (none: not read yet, or changed since). `root` is the
    /// root's name; the first root's rows may carry an empty one.
    pub fn library_file_sha256(&self, root: &str, path: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT sha256 FROM library_files
             WHERE (root = ?1 OR (?1 = '1' AND root = '')) AND path = ?2",
        )?;
        Ok(stmt
            .query_row(params![root, path], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Records the SHA-256 of a file's contents, read while its row said `f`'s size and time:
    /// a row rewritten meanwhile (the file replaced or changed) keeps none. Answers whether it
    /// was recorded.
    pub fn set_library_file_sha256(&self, f: &LibraryFile, sha256: &str) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE library_files SET sha256 = ?5
             WHERE root = ?1 AND path = ?2 AND size = ?3 AND mtime = ?4 AND sha256 IS NULL",
            params![f.root, f.path, f.size, f.mtime, sha256],
        )? == 1)
    }

    /// The root a title lives on: that of its files, if it has any.
    pub fn title_root(&self, id: &ContentId) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                "SELECT root FROM library_files WHERE content_id = ?1 ORDER BY kind = 'movie' DESC LIMIT 1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Bytes of the library on each root.
    pub fn bytes_per_root(&self) -> Result<Vec<(String, u64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT root, coalesce(sum(size), 0) FROM library_files GROUP BY root ORDER BY root",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A title's files of every kind.
    pub fn library_files_of(&self, id: &ContentId) -> Result<Vec<LibraryFile>> {
        self.tx(|tx| files_of_title_tx(tx, id))
    }

    /// Every file of the library, ordered by path.
    pub fn library_files(&self) -> Result<Vec<LibraryFile>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {COLS} FROM library_files ORDER BY path"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;
    use crate::layout;

    #[test]
    fn side_files_are_rows_with_a_change_each() {
        let (_d, s) = test_store();
        let id = ContentId::parse("tt0133093").expect("id");
        let before = s.last_change().expect("seq");
        s.record_library_file(&NewLibraryFile {
            content_id: id.clone(),
            kind: FileKind::Trailer,
            label: String::new(),
            root: String::new(),
            path: layout::trailer(&id, "mp4"),
            size: 10,
            mtime: 1,
        })
        .expect("record");
        assert!(s.last_change().expect("seq") > before, "a change-log entry");
        let files = s.library_files_of(&id).expect("files");
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].kind, files[0].size), (FileKind::Trailer, 10));
        s.forget_library_file(&files[0]).expect("forget");
        assert!(s.library_files_of(&id).expect("files").is_empty());
    }

    #[test]
    fn a_sha256_is_recorded_only_for_the_row_it_was_read_for() {
        let (_d, s) = test_store();
        let id = ContentId::parse("tt0133093").expect("id");
        let row = |size: u64| NewLibraryFile {
            content_id: id.clone(),
            kind: FileKind::Trailer,
            label: String::new(),
            root: String::new(),
            path: layout::trailer(&id, "mp4"),
            size,
            mtime: 1,
        };
        s.record_library_file(&row(10)).expect("record");
        let pending = s.library_files_without_sha256(8).expect("pending");
        assert_eq!(pending.len(), 1);
        // The file changed while it was read: its row was rewritten, the sum is not kept.
        s.record_library_file(&row(11)).expect("rewrite");
        assert!(!s.set_library_file_sha256(&pending[0], "ab").expect("set"));
        let pending = s.library_files_without_sha256(8).expect("pending");
        assert!(s.set_library_file_sha256(&pending[0], "cd").expect("set"));
        assert_eq!(
            s.library_files().expect("files")[0].sha256.as_deref(),
            Some("cd")
        );
        let path = layout::trailer(&id, "mp4");
        assert_eq!(
            s.library_file_sha256("1", &path).expect("sum").as_deref(),
            Some("cd")
        );
        assert_eq!(s.library_file_sha256("2", &path).expect("sum"), None);
        assert!(
            s.library_files_without_sha256(8)
                .expect("pending")
                .is_empty()
        );
        // A corrected size forgets it.
        let f = &s.library_files().expect("files")[0];
        s.set_library_file_size(f, 12, 2).expect("size");
        assert_eq!(s.library_files_without_sha256(8).expect("pending").len(), 1);
    }
}
