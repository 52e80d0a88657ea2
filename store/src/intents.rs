//! Crash-safe file moves. An intent row is committed before a rename, and removed in the same
//! transaction that records the rename's result. After a crash the caller looks at the disk:
//! the source gone and the target there means the rename happened (roll forward with
//! `complete_intent`); otherwise it did not (`drop_intent`).

use rusqlite::params;

use crate::error::{Error, Result};
use crate::files::{NewFile, ensure_title, files_of_tx, insert_tx};
use crate::{ContentId, FileId, Store, UploadId, changes, now};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntentKind {
    /// A finished upload's part file becomes a library file.
    FileUpload {
        upload_id: UploadId,
        file: NewFile,
        /// Whether the title's earlier files are replaced.
        replace: bool,
    },
    /// A library file is filed under another title.
    FileMove {
        file_id: FileId,
        content_id: ContentId,
        label: String,
        placeholder_title: String,
        /// The root the file is on (it moves within it).
        #[serde(default = "first_root")]
        root: String,
    },
    /// A title moves between library roots: its files are copied to `to`, then (`switched`)
    /// its rows name `to`, then the copies on `from` are removed.
    TitleMove {
        content_id: ContentId,
        from: String,
        to: String,
        paths: Vec<String>,
        /// Whether the rows name `to` yet.
        switched: bool,
    },
    /// Some files' rows are gone (one version of a title); the files are still to be removed.
    FilesDelete {
        #[serde(default = "first_root")]
        root: String,
        paths: Vec<String>,
    },
    /// A title's rows are gone; its files (and its folder) are still to be removed from disk.
    TitleDelete {
        content_id: ContentId,
        /// The root the title was on.
        #[serde(default = "first_root")]
        root: String,
        paths: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Intent {
    pub id: i64,
    /// Relative to the media root (or, for uploads, the upload's part file relative to it).
    pub from_path: String,
    pub to_path: String,
    pub kind: IntentKind,
}

/// What completing an intent did.
#[derive(Debug, Clone, Default)]
pub struct Completed {
    /// Files the change replaced, to be deleted from disk after the commit.
    pub obsolete_paths: Vec<String>,
}

impl Store {
    /// Records the intent to rename `from_path` to `to_path`, and what that rename means.
    pub fn begin_intent(&self, from_path: &str, to_path: &str, kind: &IntentKind) -> Result<i64> {
        insert_intent(&self.conn(), from_path, to_path, kind)
    }

    /// Every intent not yet completed or dropped, oldest first.
    pub fn intents(&self) -> Result<Vec<Intent>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, from_path, to_path, payload FROM intents ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, from_path, to_path, payload) = row?;
            out.push(Intent {
                id,
                from_path,
                to_path,
                kind: serde_json::from_str(&payload)?,
            });
        }
        Ok(out)
    }

    /// Switches a moving title's rows to the root it was copied to, and marks its intent so,
    /// in one transaction; answers the intent as it is now.
    pub fn switch_title_root(&self, intent: &Intent) -> Result<Intent> {
        let IntentKind::TitleMove {
            content_id,
            from,
            to,
            paths,
            ..
        } = &intent.kind
        else {
            return Err(Error::Refused("not a title move"));
        };
        let kind = IntentKind::TitleMove {
            content_id: content_id.clone(),
            from: from.clone(),
            to: to.clone(),
            paths: paths.clone(),
            switched: true,
        };
        self.tx(|tx| {
            tx.execute(
                "UPDATE library_files SET root = ?2 WHERE content_id = ?1",
                params![content_id.as_str(), to],
            )?;
            let n = tx.execute(
                "UPDATE intents SET payload = ?2 WHERE id = ?1",
                params![intent.id, serde_json::to_string(&kind)?],
            )?;
            if n != 1 {
                return Err(Error::NotFound("intent"));
            }
            changes::record(tx, changes::ChangeKind::FileMoved, Some(content_id), None)?;
            Ok(Intent {
                kind,
                ..intent.clone()
            })
        })
    }

    pub fn drop_intent(&self, id: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM intents WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Records the result of a rename that has happened, in one transaction with removing its
    /// intent. Completing an intent twice is an error (`NotFound`), never a second change.
    pub fn complete_intent(&self, intent: &Intent) -> Result<Completed> {
        self.tx(|tx| {
            if tx.execute("DELETE FROM intents WHERE id = ?1", [intent.id])? != 1 {
                return Err(Error::NotFound("intent"));
            }
            let mut done = Completed::default();
            match &intent.kind {
                IntentKind::FileUpload { upload_id, file, replace } => {
                    if *replace {
                        for old in files_of_tx(tx, &file.content_id)? {
                            tx.execute(
                                "DELETE FROM content_files WHERE file_id = ?1",
                                [old.file_id.as_str()],
                            )?;
                            changes::record(tx, changes::ChangeKind::FileRemoved, Some(&old.content_id), None)?;
                            if old.path != file.path {
                                crate::library_files::delete_path_tx(tx, &file.root, &old.path)?;
                                done.obsolete_paths.push(old.path);
                            }
                            done.obsolete_paths.extend(crate::library_files::drop_derived_tx(
                                tx,
                                &old.content_id,
                                &old.label,
                            )?);
                        }
                    }
                    insert_tx(tx, file)?;
                    tx.execute(
                        "UPDATE uploads SET state = 'complete', finished_at = ?2, result_path = ?3
                         WHERE upload_id = ?1",
                        params![upload_id.as_str(), now(), file.path],
                    )?;
                }
                IntentKind::FileMove { file_id, content_id, label, placeholder_title, .. } => {
                    ensure_title(tx, content_id, placeholder_title)?;
                    let old: Option<(String, String, i64, String, String)> = tx
                        .query_row(
                            "SELECT c.content_id, c.path, c.size, coalesce((SELECT l.root FROM
                                 library_files l WHERE l.path = c.path AND l.kind = 'movie'), ''),
                                 c.label
                             FROM content_files c WHERE c.file_id = ?1",
                            [file_id.as_str()],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                        )
                        .ok();
                    let n = tx.execute(
                        "UPDATE content_files SET content_id = ?2, path = ?3, label = ?4 WHERE file_id = ?1",
                        params![file_id.as_str(), content_id.as_str(), intent.to_path, label],
                    )?;
                    if n != 1 {
                        return Err(Error::NotFound("file"));
                    }
                    if let Some((old_id, old_path, size, root, old_label)) = old {
                        crate::library_files::delete_path_tx(tx, &root, &old_path)?;
                        if let Ok(id) = ContentId::parse(&old_id) {
                            done.obsolete_paths
                                .extend(crate::library_files::drop_derived_tx(tx, &id, &old_label)?);
                        }
                        crate::library_files::upsert_tx(
                            tx,
                            &crate::NewLibraryFile {
                                content_id: content_id.clone(),
                                kind: crate::FileKind::Movie,
                                label: label.clone(),
                                root,
                                path: intent.to_path.clone(),
                                size: size as u64,
                                mtime: now(),
                            },
                        )?;
                        if let Ok(old_id) = ContentId::parse(&old_id) {
                            changes::record(tx, changes::ChangeKind::FileRemoved, Some(&old_id), None)?;
                        }
                    }
                    changes::record(tx, changes::ChangeKind::FileAdded, Some(content_id), None)?;
                }
                IntentKind::TitleDelete { .. }
                | IntentKind::TitleMove { .. }
                | IntentKind::FilesDelete { .. } => {}
            }
            Ok(done)
        })
    }
}

fn first_root() -> String {
    first_root_name()
}

/// The name of the first library root, for intents written before there were several.
pub(crate) fn first_root_name() -> String {
    "1".to_owned()
}

impl IntentKind {
    /// The library root the intent's paths are on.
    pub fn root(&self) -> &str {
        match self {
            IntentKind::FileUpload { file, .. } => &file.root,
            IntentKind::FileMove { root, .. }
            | IntentKind::TitleDelete { root, .. }
            | IntentKind::FilesDelete { root, .. } => root,
            IntentKind::TitleMove { from, .. } => from,
        }
    }
}

/// Writes an intent row, on its own or inside a caller's transaction.
pub(crate) fn insert_intent(
    conn: &rusqlite::Connection,
    from_path: &str,
    to_path: &str,
    kind: &IntentKind,
) -> Result<i64> {
    let tag = match kind {
        IntentKind::FileUpload { .. } => "file_upload",
        IntentKind::FileMove { .. } => "file_move",
        IntentKind::TitleDelete { .. } => "title_delete",
        IntentKind::TitleMove { .. } => "title_move",
        IntentKind::FilesDelete { .. } => "files_delete",
    };
    conn.execute(
        "INSERT INTO intents (kind, from_path, to_path, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![tag, from_path, to_path, serde_json::to_string(kind)?, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;
    use crate::{NewUpload, UploadState};

    fn upload(s: &Store, id: u8, cid: &ContentId, name: &str) -> (UploadId, NewFile) {
        let upload_id = UploadId::from_random([id; 16]);
        let user = s
            .create_user(&format!("u{id}"), "h", crate::Role::Admin)
            .expect("user");
        let file_id = FileId::of(name, 10, 1);
        s.insert_upload(&NewUpload {
            upload_id: upload_id.clone(),
            user_id: user.id,
            file_id: file_id.clone(),
            content_id: cid.clone(),
            name: name.into(),
            size: 10,
            last_modified: 1,
            ext: "mkv".into(),
            mode: crate::UploadMode::New,
            label: String::new(),
            root: String::new(),
        })
        .expect("upload");
        let file = NewFile {
            file_id,
            content_id: cid.clone(),
            label: String::new(),
            path: format!("{cid}/{cid}.{}", &name[name.len() - 3..]),
            root: String::new(),
            ext: name[name.len() - 3..].into(),
            size: 10,
            original_name: name.into(),
            last_modified: 1,
            uploaded_by: Some(user.id),
            placeholder_title: name.into(),
        };
        (upload_id, file)
    }

    #[test]
    fn completing_files_the_upload_once() {
        let (_d, s) = test_store();
        let cid = ContentId::parse("tt0133093").expect("id");
        let (uid, file) = upload(&s, 1, &cid, "a.mkv");
        let kind = IntentKind::FileUpload {
            upload_id: uid.clone(),
            file: file.clone(),
            replace: false,
        };
        let id = s
            .begin_intent(".uploads/x/part", &file.path, &kind)
            .expect("begin");
        let intent = s.intents().expect("list").pop().expect("one intent");
        assert_eq!((intent.id, &intent.kind), (id, &kind));
        s.complete_intent(&intent).expect("complete");
        assert!(
            matches!(s.complete_intent(&intent), Err(Error::NotFound(_))),
            "never twice"
        );
        assert!(s.intents().expect("list").is_empty());
        assert_eq!(
            s.upload(&uid).expect("q").map(|u| u.state),
            Some(UploadState::Complete)
        );
        assert_eq!(s.files_of(&cid).expect("files").len(), 1);
        let kinds: Vec<&str> = s
            .changes_since(0, 9)
            .expect("log")
            .into_iter()
            .map(|c| c.kind.as_str())
            .collect();
        assert_eq!(kinds, ["file_added"]);
    }

    #[test]
    fn a_replacement_reports_the_files_it_makes_obsolete() {
        let (_d, s) = test_store();
        let cid = ContentId::parse("tt0133093").expect("id");
        let (_, old) = upload(&s, 1, &cid, "a.avi");
        s.insert_file(&old).expect("old file");
        let (uid, new) = upload(&s, 2, &cid, "b.mkv");
        let kind = IntentKind::FileUpload {
            upload_id: uid,
            file: new.clone(),
            replace: true,
        };
        s.begin_intent("p", &new.path, &kind).expect("begin");
        let intent = s.intents().expect("list").pop().expect("intent");
        let done = s.complete_intent(&intent).expect("complete");
        assert_eq!(done.obsolete_paths, vec![old.path]);
        let files = s.files_of(&cid).expect("files");
        assert_eq!(
            files.iter().map(|f| f.file_id.clone()).collect::<Vec<_>>(),
            vec![new.file_id]
        );
    }

    #[test]
    fn a_dropped_intent_changes_nothing() {
        let (_d, s) = test_store();
        let cid = ContentId::parse("tt0133093").expect("id");
        let (uid, file) = upload(&s, 1, &cid, "a.mkv");
        let kind = IntentKind::FileUpload {
            upload_id: uid.clone(),
            file,
            replace: false,
        };
        let id = s.begin_intent("p", "q", &kind).expect("begin");
        s.drop_intent(id).expect("drop");
        assert!(s.files_of(&cid).expect("files").is_empty());
        assert_eq!(
            s.upload(&uid).expect("q").map(|u| u.state),
            Some(UploadState::Active)
        );
    }
}
