//! Crash-safe changes to where a file is: a rename under an intent (the intent committed, the
//! file renamed, then the intent completed in the transaction that records the result), filing
//! a file under another title, and at start-up finishing or dropping what a crash interrupted.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use store::{ContentId, FileId, Intent, IntentKind};

use crate::disk::sync_dir;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::Shared;
use store::layout;

/// Files a library file under another title (and optionally another version label). A member
/// without the delete grant may refile only files they uploaded.
pub async fn move_file(
    st: &Shared,
    user: &store::User,
    file_id: &FileId,
    to: &ContentId,
    label: Option<String>,
) -> ApiResult<Value> {
    let _library = st.library_lock.lock().await;
    let fid = file_id.clone();
    let file = st
        .db(move |s| s.file(&fid))
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, "no such file"))?;
    if file.uploaded_by != Some(user.id) && !user.may(store::Permission::Delete) {
        return Err(ApiError::new(
            Code::Forbidden,
            "refiling takes a file from its title; a file someone else uploaded needs the delete grant",
        ));
    }
    let label = label.unwrap_or_else(|| file.label.clone());
    let root = st
        .title_root(&file.content_id)
        .await?
        .unwrap_or_else(|| "1".to_owned());
    if let Some(other) = st.title_root(to).await?
        && other != root
        && &file.content_id != to
    {
        return Err(ApiError::new(
            Code::OtherRoot,
            format!(
                "{to} lives on disk {other} and this file on disk {root}: move one title first"
            ),
        ));
    }
    if &file.content_id == to && file.label == label {
        return Ok(json!({"file_id": file.file_id, "content_id": to, "path": file.path}));
    }
    let to2 = to.clone();
    let taken = st.db(move |s| s.files_of(&to2)).await?;
    if taken
        .iter()
        .any(|f| f.label == label && f.file_id != file.file_id)
    {
        return Err(ApiError::new(
            Code::TitleHasFile,
            format!("{to} already has a file with that label; delete it or pick a label"),
        ));
    }
    let path = layout::movie(to, &label, &file.ext);
    let kind = IntentKind::FileMove {
        file_id: file.file_id.clone(),
        content_id: to.clone(),
        label,
        placeholder_title: store::text::placeholder_title(&file.original_name),
        root: root.clone(),
    };
    move_with_intent(st, &root, "refile", &file.path, &path, kind).await?;
    st.meta.enqueue(to.clone());
    Ok(json!({"file_id": file.file_id, "content_id": to, "path": path}))
}

/// Renames `from` to `to` (both relative to library root `root`) under an intent, then records
/// it. `op` names the operation in crash-test points (`end:after-intent`, `refile:after-rename`).
pub(crate) async fn move_with_intent(
    st: &Shared,
    root_name: &str,
    op: &str,
    from: &str,
    to: &str,
    kind: IntentKind,
) -> ApiResult<()> {
    let root = st.root_path(root_name)?;
    let (from2, to2, kind2) = (from.to_owned(), to.to_owned(), kind.clone());
    let store = st.store.clone();
    let intent_id = tokio::task::spawn_blocking(move || -> ApiResult<i64> {
        let target = root.join(&to2);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
            sync_dir(&root)?;
        }
        Ok(store.begin_intent(&from2, &to2, &kind2)?)
    })
    .await??;
    st.crash_point(&format!("{op}:after-intent"));
    let root = st.root_path(root_name)?;
    let (from2, to2) = (from.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let (src, dst) = (root.join(&from2), root.join(&to2));
        fs::rename(&src, &dst)?;
        for dir in [dst.parent(), src.parent()].into_iter().flatten() {
            sync_dir(dir)?;
        }
        Ok(())
    })
    .await??;
    st.crash_point(&format!("{op}:after-rename"));
    let intent = Intent {
        id: intent_id,
        from_path: from.to_owned(),
        to_path: to.to_owned(),
        kind,
    };
    complete(st, root_name, intent).await
}

/// Records a rename that happened and tidies what it left behind.
async fn complete(st: &Shared, root_name: &str, intent: Intent) -> ApiResult<()> {
    let root = st.root_path(root_name)?;
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || -> ApiResult<()> {
        let done = store.complete_intent(&intent)?;
        tidy(&root, &intent, &done.obsolete_paths);
        Ok(())
    })
    .await?
}

fn tidy(root: &Path, intent: &Intent, obsolete: &[String]) {
    crate::disk::remove_files(root, obsolete);
    if let IntentKind::FileUpload { upload_id, .. } = &intent.kind
        && let Err(e) =
            crate::disk::remove_dir_if_exists(&root.join(store::layout::upload_dir(upload_id)))
    {
        tracing::warn!("removing upload directory {upload_id}: {e}");
    }
}

/// Finishes or drops the file moves a crash interrupted. Runs before the server takes requests.
pub fn recover(roots: &[store::config::Root], store: &store::Store) -> store::Result<usize> {
    let intents = store.intents()?;
    let n = intents.len();
    for intent in intents {
        if let IntentKind::TitleMove { content_id, .. } = &intent.kind {
            tracing::info!("crash recovery: finishing the move of {content_id} between disks");
            if let Err(e) = crate::library::moving::finish_move(roots, store, &intent) {
                tracing::error!("crash recovery: moving {content_id}: {e:#}");
            }
            continue;
        }
        let Some(root) = roots.iter().find(|r| r.name == intent.kind.root()) else {
            tracing::error!(
                "crash recovery: intent {} is on disk {}, which is not configured; left as it is",
                intent.id,
                intent.kind.root()
            );
            continue;
        };
        let root = root.path.as_path();
        if let IntentKind::FilesDelete { paths, .. } = &intent.kind {
            tracing::info!(
                "crash recovery: finishing the deletion of {}",
                paths.join(", ")
            );
            crate::disk::remove_files(root, paths);
            store.drop_intent(intent.id)?;
            continue;
        }
        if let IntentKind::TitleDelete {
            content_id, paths, ..
        } = &intent.kind
        {
            tracing::info!("crash recovery: finishing the deletion of {content_id}");
            remove_title(root, content_id, paths);
            store.drop_intent(intent.id)?;
            continue;
        }
        let (from, to) = (root.join(&intent.from_path), root.join(&intent.to_path));
        if from.exists() {
            tracing::info!(
                "crash recovery: {} was not moved yet; dropping the intent",
                intent.from_path
            );
            store.drop_intent(intent.id)?;
        } else if to.exists() {
            tracing::info!("crash recovery: completing the move to {}", intent.to_path);
            let done = store.complete_intent(&intent)?;
            tidy(root, &intent, &done.obsolete_paths);
        } else {
            tracing::error!(
                "crash recovery: neither {} nor {} exists; dropping the intent",
                intent.from_path,
                intent.to_path
            );
            store.drop_intent(intent.id)?;
        }
    }
    Ok(n)
}

/// Removes a deleted title's files and its folder (posters, trailers and all). Run after the
/// rows are gone, under the delete's intent, so a crash part-way is finished at start-up.
pub fn remove_title(root: &std::path::Path, content_id: &store::ContentId, paths: &[String]) {
    for p in paths {
        if let Err(e) = crate::disk::remove_file_if_exists(&root.join(p)) {
            tracing::warn!("deleting {p}: {e}");
        }
    }
    // The title's folder goes too, with its side files.
    let dir = root.join(content_id.as_str());
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("deleting {}: {e}", dir.display());
    }
    let _ = crate::disk::sync_dir(root);
}
