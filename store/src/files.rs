//! Movie files in the library: one row each, keyed by file id, filed under a content id.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::{ContentId, FileId, Store, changes, now};

/// A file about to be filed in the library.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewFile {
    pub file_id: FileId,
    pub content_id: ContentId,
    /// Empty for the main version, else the version's label (`4k`, `directors-cut`).
    pub label: String,
    /// Relative to its library root.
    pub path: String,
    /// The library root it is on.
    #[serde(default = "crate::intents::first_root_name")]
    pub root: String,
    pub ext: String,
    pub size: u64,
    pub original_name: String,
    pub last_modified: i64,
    pub uploaded_by: Option<i64>,
    /// A title to show until the metadata is fetched.
    pub placeholder_title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContentFile {
    pub file_id: FileId,
    pub content_id: ContentId,
    pub label: String,
    pub path: String,
    pub ext: String,
    pub size: u64,
    pub original_name: String,
    pub last_modified: i64,
    pub created_at: i64,
    pub duration_ms: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// What ffprobe read of it, once it has (`None` before, or when it could not).
    pub technical: Option<Technical>,
    /// Who uploaded it (none for files filed otherwise, or whose uploader was removed).
    #[serde(skip)]
    pub uploaded_by: Option<i64>,
}

const COLS: &str = "file_id, content_id, label, path, ext, size, original_name, last_modified,
                    created_at, duration_ms, width, height, video_codec, audio_codec, uploaded_by,
                    container, bit_rate, video_profile, bit_depth, hdr, audio_tracks,
                    subtitle_tracks, playable";

/// A title's files by its id (`?1`), in the order of their labels, read by `from_row`.
pub(crate) static BY_TITLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {COLS} FROM content_files WHERE content_id = ?1 ORDER BY label")
});

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContentFile> {
    let bad = |i, e: crate::IdError| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(ContentFile {
        file_id: FileId::parse(&r.get::<_, String>(0)?).map_err(|e| bad(0, e))?,
        content_id: ContentId::parse(&r.get::<_, String>(1)?).map_err(|e| bad(1, e))?,
        label: r.get(2)?,
        path: r.get(3)?,
        ext: r.get(4)?,
        size: r.get(5)?,
        original_name: r.get(6)?,
        last_modified: r.get(7)?,
        created_at: r.get(8)?,
        duration_ms: r.get(9)?,
        width: r.get(10)?,
        height: r.get(11)?,
        video_codec: r.get(12)?,
        audio_codec: r.get(13)?,
        uploaded_by: r.get(14)?,
        technical: technical_from_row(r)?,
    })
}

/// What ffprobe read of a movie file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Technical {
    /// `mp4`, `matroska`, `webm`, `avi`, `mov`, …
    pub container: String,
    pub duration_ms: Option<i64>,
    pub bit_rate: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub video_codec: Option<String>,
    pub video_profile: Option<String>,
    pub bit_depth: Option<i64>,
    /// `HDR10` (PQ) or `HLG`, when the video is HDR.
    pub hdr: Option<String>,
    pub audio: Vec<AudioTrack>,
    pub subtitles: Vec<SubtitleTrack>,
    /// How a browser plays it: `direct`, `remux` (another container, no re-encoding) or
    /// `transcode`.
    pub playable: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioTrack {
    pub codec: String,
    pub channels: Option<i64>,
    pub language: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubtitleTrack {
    pub codec: String,
    pub language: Option<String>,
    /// Text (extractable to WebVTT) rather than pictures (PGS, VobSub).
    pub text: bool,
}

fn technical_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Technical>> {
    let Some(playable) = r.get::<_, Option<String>>(22)? else {
        return Ok(None);
    };
    let json = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
    Ok(Some(Technical {
        container: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        duration_ms: r.get(9)?,
        bit_rate: r.get(16)?,
        width: r.get(10)?,
        height: r.get(11)?,
        video_codec: r.get(12)?,
        video_profile: r.get(17)?,
        bit_depth: r.get(18)?,
        hdr: r.get(19)?,
        audio: json(20)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        subtitles: json(21)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        playable,
    }))
}

pub(crate) fn files_of_tx(
    tx: &Transaction<'_>,
    content_id: &ContentId,
) -> Result<Vec<ContentFile>> {
    files_with(&mut *tx.prepare_cached(&BY_TITLE)?, content_id)
}

/// A title's files through `BY_TITLE` prepared once (for many titles in a row).
pub(crate) fn files_with(
    stmt: &mut rusqlite::Statement<'_>,
    id: &ContentId,
) -> Result<Vec<ContentFile>> {
    let rows = stmt.query_map([id.as_str()], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Makes sure the title has a metadata row (a placeholder until the metadata is fetched).
pub(crate) fn ensure_title(tx: &Transaction<'_>, id: &ContentId, title: &str) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO metadata (content_id, title, updated_at) VALUES (?1, ?2, ?3)",
        params![id.as_str(), title, now()],
    )?;
    Ok(())
}

/// Inserts a file row, failing with `Conflict` when its id, path or (title, label) is taken.
pub(crate) fn insert_tx(tx: &Transaction<'_>, f: &NewFile) -> Result<()> {
    ensure_title(tx, &f.content_id, &f.placeholder_title)?;
    let r = tx.execute(
        "INSERT INTO content_files (file_id, content_id, label, path, ext, size, original_name,
             last_modified, uploaded_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            f.file_id.as_str(),
            f.content_id.as_str(),
            f.label,
            f.path,
            f.ext,
            f.size,
            f.original_name,
            f.last_modified,
            f.uploaded_by,
            now()
        ],
    );
    match r {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::Conflict("file"))
        }
        other => {
            other?;
            crate::library_files::upsert_tx(
                tx,
                &crate::NewLibraryFile {
                    content_id: f.content_id.clone(),
                    kind: crate::FileKind::Movie,
                    label: f.label.clone(),
                    root: f.root.clone(),
                    path: f.path.clone(),
                    size: f.size,
                    mtime: now(),
                },
            )?;
            changes::record(
                tx,
                changes::ChangeKind::FileAdded,
                Some(&f.content_id),
                None,
            )
        }
    }
}

impl Store {
    pub fn file(&self, id: &FileId) -> Result<Option<ContentFile>> {
        let sql = format!("SELECT {COLS} FROM content_files WHERE file_id = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [id.as_str()], from_row)
            .optional()?)
    }

    /// The title's files, main version first.
    pub fn files_of(&self, content_id: &ContentId) -> Result<Vec<ContentFile>> {
        self.tx(|tx| files_of_tx(tx, content_id))
    }

    /// Removes a title's files from the database and records, in the same transaction, the
    /// intent to remove them from disk: answers that intent's id and the paths. The caller
    /// removes the files, then drops the intent; a crash in between is finished at start-up.
    pub fn delete_title_files(&self, content_id: &ContentId) -> Result<(i64, String, Vec<String>)> {
        self.tx(|tx| {
            let files = files_of_tx(tx, content_id)?;
            if files.is_empty() {
                return Err(Error::NotFound("title"));
            }
            // Every file of the title goes: its movies and its side files.
            let mut paths: Vec<String> = files.into_iter().map(|f| f.path).collect();
            let mut root = String::new();
            for f in crate::library_files::files_of_title_tx(tx, content_id)? {
                if f.kind == crate::FileKind::Movie {
                    root = f.root.clone();
                }
                if !paths.contains(&f.path) {
                    paths.push(f.path);
                }
            }
            tx.execute(
                "DELETE FROM content_files WHERE content_id = ?1",
                [content_id.as_str()],
            )?;
            tx.execute(
                "DELETE FROM library_files WHERE content_id = ?1",
                [content_id.as_str()],
            )?;
            // The title's folder goes, and its poster with it.
            tx.execute(
                "UPDATE metadata SET poster_file = NULL WHERE content_id = ?1",
                [content_id.as_str()],
            )?;
            changes::record(
                tx,
                changes::ChangeKind::TitleDeleted,
                Some(content_id),
                None,
            )?;
            let kind = crate::intents::IntentKind::TitleDelete {
                content_id: content_id.clone(),
                root: root.clone(),
                paths: paths.clone(),
            };
            let id = crate::intents::insert_intent(tx, "", content_id.as_str(), &kind)?;
            Ok((id, root, paths))
        })
    }

    /// Records what ffprobe read of a file, with a change so that its page shows it.
    pub fn set_technical(&self, file_id: &FileId, t: &Technical) -> Result<()> {
        self.tx(|tx| {
            let content: Option<String> = tx
                .query_row(
                    "SELECT content_id FROM content_files WHERE file_id = ?1",
                    [file_id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(content) = content.and_then(|c| ContentId::parse(&c).ok()) else {
                return Err(Error::NotFound("file"));
            };
            tx.execute(
                "UPDATE content_files SET duration_ms = ?2, width = ?3, height = ?4,
                     video_codec = ?5, audio_codec = ?6, container = ?7, bit_rate = ?8,
                     video_profile = ?9, bit_depth = ?10, hdr = ?11, audio_tracks = ?12,
                     subtitle_tracks = ?13, playable = ?14
                 WHERE file_id = ?1",
                params![
                    file_id.as_str(),
                    t.duration_ms,
                    t.width,
                    t.height,
                    t.video_codec,
                    t.audio.first().map(|a| a.codec.clone()),
                    t.container,
                    t.bit_rate,
                    t.video_profile,
                    t.bit_depth,
                    t.hdr,
                    serde_json::to_string(&t.audio)?,
                    serde_json::to_string(&t.subtitles)?,
                    t.playable,
                ],
            )?;
            changes::record(tx, changes::ChangeKind::FileAdded, Some(&content), None)
        })
    }

    /// Movie files ffprobe has not read yet, for the background pass that reads them.
    pub fn files_without_technical(&self, limit: i64) -> Result<Vec<ContentFile>> {
        let sql = format!(
            "SELECT {COLS} FROM content_files WHERE playable IS NULL ORDER BY created_at LIMIT ?1"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Movie files whose container browsers do not play, and that have no remuxed copy yet.
    pub fn files_to_remux(&self, limit: i64) -> Result<Vec<ContentFile>> {
        let sql = format!(
            "SELECT {COLS} FROM content_files c WHERE c.playable = 'remux' AND NOT EXISTS
                 (SELECT 1 FROM library_files l WHERE l.content_id = c.content_id
                      AND l.kind = 'remux' AND l.label = c.label)
             ORDER BY created_at LIMIT ?1"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes one version of a title that has others: its row, its remuxed copy's, and the
    /// intent to remove their files, in one transaction. Answers the intent's id, the root and
    /// the paths. The title's last file is removed with the title instead (`Refused`).
    pub fn delete_version(&self, file_id: &FileId) -> Result<(i64, String, Vec<String>)> {
        self.tx(|tx| {
            let file = tx
                .query_row(
                    &format!("SELECT {COLS} FROM content_files WHERE file_id = ?1"),
                    [file_id.as_str()],
                    from_row,
                )
                .optional()?
                .ok_or(Error::NotFound("file"))?;
            if files_of_tx(tx, &file.content_id)?.len() < 2 {
                return Err(Error::Refused(
                    "this is the title's only file: delete the title instead",
                ));
            }
            let root: String = tx
                .query_row(
                    "SELECT root FROM library_files WHERE path = ?1 AND kind = 'movie'",
                    [file.path.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_else(|| "1".to_owned());
            tx.execute(
                "DELETE FROM content_files WHERE file_id = ?1",
                [file_id.as_str()],
            )?;
            crate::library_files::delete_path_tx(tx, &root, &file.path)?;
            let mut paths = vec![file.path.clone()];
            paths.extend(crate::library_files::drop_derived_tx(
                tx,
                &file.content_id,
                &file.label,
            )?);
            changes::record(
                tx,
                changes::ChangeKind::FileRemoved,
                Some(&file.content_id),
                None,
            )?;
            let kind = crate::intents::IntentKind::FilesDelete {
                root: root.clone(),
                paths: paths.clone(),
            };
            let id = crate::intents::insert_intent(tx, "", file.content_id.as_str(), &kind)?;
            Ok((id, root, paths))
        })
    }

    /// Files a file directly (no upload), as a restore or an import would.
    pub fn insert_file(&self, f: &NewFile) -> Result<()> {
        self.tx(|tx| insert_tx(tx, f))
    }
}
