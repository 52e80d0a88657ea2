//! Upload rows: who is uploading which file for which title. The bytes held are never recorded
//! here: the offset is always the part file's length on disk.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::{ContentId, FileId, Store, UploadId, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadState {
    Active,
    Complete,
    Expired,
    Cancelled,
}

impl UploadState {
    fn as_str(self) -> &'static str {
        match self {
            UploadState::Active => "active",
            UploadState::Complete => "complete",
            UploadState::Expired => "expired",
            UploadState::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "active" => UploadState::Active,
            "complete" => UploadState::Complete,
            "expired" => UploadState::Expired,
            _ => UploadState::Cancelled,
        }
    }
}

/// What an upload does to its title when it is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadMode {
    /// The title's first file.
    New,
    /// Takes the place of the title's files.
    Replace,
    /// Another version beside them, under a label.
    Version,
}

impl UploadMode {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadMode::New => "new",
            UploadMode::Replace => "replace",
            UploadMode::Version => "version",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [UploadMode::New, UploadMode::Replace, UploadMode::Version]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// What `init` records.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub upload_id: UploadId,
    pub user_id: i64,
    pub file_id: FileId,
    pub content_id: ContentId,
    pub name: String,
    pub size: u64,
    pub last_modified: i64,
    pub ext: String,
    pub mode: UploadMode,
    pub label: String,
    /// The library root it is staged on, and will be filed on.
    pub root: String,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub upload_id: UploadId,
    pub user_id: i64,
    pub file_id: FileId,
    pub content_id: ContentId,
    pub name: String,
    pub size: u64,
    pub last_modified: i64,
    pub ext: String,
    pub mode: UploadMode,
    pub label: String,
    pub state: UploadState,
    pub created_at: i64,
    /// The library root it is staged on.
    pub root: String,
    /// Where the finished file went, relative to the media root.
    pub result_path: Option<String>,
}

const COLS: &str = "upload_id, user_id, file_id, content_id, name, size, last_modified, ext, mode,
                    label, state, created_at, result_path, root";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Upload> {
    let bad = |i, e: crate::IdError| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(Upload {
        upload_id: UploadId::parse(&r.get::<_, String>(0)?).map_err(|e| bad(0, e))?,
        user_id: r.get(1)?,
        file_id: FileId::parse(&r.get::<_, String>(2)?).map_err(|e| bad(2, e))?,
        content_id: ContentId::parse(&r.get::<_, String>(3)?).map_err(|e| bad(3, e))?,
        name: r.get(4)?,
        size: r.get(5)?,
        last_modified: r.get(6)?,
        ext: r.get(7)?,
        mode: UploadMode::parse(&r.get::<_, String>(8)?).unwrap_or(UploadMode::New),
        label: r.get(9)?,
        state: UploadState::parse(&r.get::<_, String>(10)?),
        created_at: r.get(11)?,
        result_path: r.get(12)?,
        root: r.get(13)?,
    })
}

impl Store {
    pub fn insert_upload(&self, u: &NewUpload) -> Result<()> {
        self.conn().execute(
            "INSERT INTO uploads (upload_id, user_id, file_id, content_id, name, size,
                 last_modified, ext, mode, label, state, created_at, root)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'active', ?11, ?12)",
            params![
                u.upload_id.as_str(),
                u.user_id,
                u.file_id.as_str(),
                u.content_id.as_str(),
                u.name,
                u.size,
                u.last_modified,
                u.ext,
                u.mode.as_str(),
                u.label,
                now(),
                u.root
            ],
        )?;
        Ok(())
    }

    pub fn upload(&self, id: &UploadId) -> Result<Option<Upload>> {
        let sql = format!("SELECT {COLS} FROM uploads WHERE upload_id = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [id.as_str()], from_row)
            .optional()?)
    }

    /// The user's unfinished uploads of this file, newest first.
    pub fn active_uploads_of_file(&self, user_id: i64, file_id: &FileId) -> Result<Vec<Upload>> {
        let sql = format!(
            "SELECT {COLS} FROM uploads WHERE user_id = ?1 AND file_id = ?2 AND state = 'active'
             ORDER BY created_at DESC, rowid DESC"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![user_id, file_id.as_str()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every unfinished upload.
    pub fn active_uploads(&self) -> Result<Vec<Upload>> {
        let sql = format!("SELECT {COLS} FROM uploads WHERE state = 'active'");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ends an unfinished upload (expired or cancelled); a finished one is left as it is.
    pub fn end_upload(&self, id: &UploadId, state: UploadState) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE uploads SET state = ?2, finished_at = ?3 WHERE upload_id = ?1 AND state = 'active'",
            params![id.as_str(), state.as_str(), now()],
        )?;
        Ok(n == 1)
    }

    /// Forgets ended uploads older than `before`, so the table does not grow without bound.
    pub fn forget_ended_uploads(&self, before: i64) -> Result<usize> {
        Ok(self.conn().execute(
            "DELETE FROM uploads WHERE state != 'active' AND finished_at < ?1",
            [before],
        )?)
    }
}
