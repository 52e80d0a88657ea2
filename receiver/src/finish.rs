//! Filing: `end` moves a complete upload into the library, and a library file can be filed under
//! another title. Both are crash-safe through the store's intents: the intent is committed, the
//! file renamed, then the intent completed in the transaction that records the result. At
//! start-up `recover` finishes or drops whatever a crash interrupted.

use std::fs;
use std::path::Path;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use store::{ContentId, FileId, Intent, IntentKind, NewFile, Upload, UploadState};

use crate::auth::Auth;
use crate::disk::{remove_file_if_exists, sync_dir};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Params;
use crate::names::placeholder_title;
use crate::staging;
use crate::state::Shared;
use crate::upload::{check_identity, load, offset_response, require_active};
use store::layout;

/// `end`: files a complete upload. Asked again after a lost answer, it answers the same.
pub async fn end(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
    auth.require(store::Permission::Upload)?;
    let u = load(&st, &auth, &p).await?;
    let _slot = st.slots.acquire(u.upload_id.as_str()).await;
    let uid = u.upload_id.clone();
    let u = st
        .db(move |s| s.upload(&uid))
        .await?
        .ok_or_else(|| ApiError::new(Code::UnknownUpload, "no such upload"))?;
    if u.state == UploadState::Complete {
        return Ok(offset_response(
            StatusCode::OK,
            u.size,
            result(&u, u.result_path.as_deref()),
        ));
    }
    require_active(&u)?;
    let (root, id) = (st.root_path(&u.root)?, u.upload_id.clone());
    let held = tokio::task::spawn_blocking(move || staging::held(&root, &id))
        .await??
        .unwrap_or(0);
    if held != u.size {
        return Err(ApiError::new(
            Code::IncompleteUpload,
            format!(
                "the server holds {held} of {} bytes; send the rest first",
                u.size
            ),
        )
        .with_offset(held));
    }

    let _library = st.library_lock.lock().await;
    let mode = u.mode;
    check_identity(&st, &auth.user, &u.content_id, &u.file_id, mode, &u.label).await?;
    // A title lives on one root. Another upload of the same title may have been filed first,
    // on another disk (both started before the title had a file).
    if let Some(other) = st.title_root(&u.content_id).await?
        && other != u.root
        && mode != store::UploadMode::Replace
    {
        return Err(ApiError::new(
            Code::OtherRoot,
            format!(
                "{} now lives on disk {other}, this upload on disk {}: start it again with init",
                u.content_id, u.root
            ),
        ));
    }
    let path = layout::movie(&u.content_id, &u.label, &u.ext);
    let kind = IntentKind::FileUpload {
        upload_id: u.upload_id.clone(),
        file: NewFile {
            file_id: u.file_id.clone(),
            content_id: u.content_id.clone(),
            label: u.label.clone(),
            path: path.clone(),
            root: u.root.clone(),
            ext: u.ext.clone(),
            size: u.size,
            original_name: u.name.clone(),
            last_modified: u.last_modified,
            uploaded_by: Some(u.user_id),
            placeholder_title: placeholder_title(&u.name),
        },
        replace: mode == store::UploadMode::Replace,
    };
    let from = staging::part_rel(&u.upload_id);
    move_with_intent(&st, &u.root, "end", &from, &path, kind).await?;
    tracing::info!(upload = %u.upload_id, content = %u.content_id, %path, "filed");
    st.meta.enqueue(u.content_id.clone());
    Ok(offset_response(
        StatusCode::OK,
        u.size,
        result(&u, Some(&path)),
    ))
}

fn result(u: &Upload, path: Option<&str>) -> Value {
    json!({
        "upload_id": u.upload_id,
        "content_id": u.content_id,
        "file_id": u.file_id,
        "path": path,
        "url": path.map(|p| format!("/media/{p}")),
        "size": u.size,
        "offset": u.size,
    })
}

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
        placeholder_title: placeholder_title(&file.original_name),
        root: root.clone(),
    };
    move_with_intent(st, &root, "refile", &file.path, &path, kind).await?;
    st.meta.enqueue(to.clone());
    Ok(json!({"file_id": file.file_id, "content_id": to, "path": path}))
}

/// Renames `from` to `to` (both relative to library root `root`) under an intent, then records
/// it. `op` names the operation in crash-test points (`end:after-intent`, `refile:after-rename`).
async fn move_with_intent(
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
    for p in obsolete {
        if let Err(e) = remove_file_if_exists(&root.join(p)) {
            tracing::warn!("removing replaced file {p}: {e}");
        }
    }
    if let IntentKind::FileUpload { upload_id, .. } = &intent.kind
        && let Err(e) = staging::remove(root, upload_id)
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
            if let Err(e) = crate::moving::finish_move(roots, store, &intent) {
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
        if let IntentKind::TitleDelete {
            content_id, paths, ..
        } = &intent.kind
        {
            tracing::info!("crash recovery: finishing the deletion of {content_id}");
            crate::library::remove_title(root, content_id, paths);
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

/// Removes expired uploads and the directories no upload owns, on every root. Answers how many
/// it removed.
pub fn sweep(
    roots: &[store::config::Root],
    store: &store::Store,
    expiry: std::time::Duration,
) -> store::Result<usize> {
    let mut removed = 0;
    for root in roots {
        removed += sweep_root(root, store, expiry)?;
    }
    store.forget_ended_uploads(store::now() - 30 * 86_400)?;
    store.delete_expired_sessions()?;
    Ok(removed)
}

fn sweep_root(
    root: &store::config::Root,
    store: &store::Store,
    expiry: std::time::Duration,
) -> store::Result<usize> {
    let (name, root) = (root.name.as_str(), root.path.as_path());
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    let active: Vec<Upload> = store
        .active_uploads()?
        .into_iter()
        .filter(|u| u.root == name)
        .collect();
    for u in &active {
        let dir = staging::dir(root, &u.upload_id);
        let last = fs::metadata(staging::part(root, &u.upload_id))
            .or_else(|_| fs::metadata(&dir))
            .and_then(|m| m.modified())
            .ok();
        let idle = last.and_then(|t| now.duration_since(t).ok());
        if last.is_none() || idle.is_some_and(|d| d > expiry) {
            store.end_upload(&u.upload_id, UploadState::Expired)?;
            if let Err(e) = staging::remove(root, &u.upload_id) {
                tracing::warn!("removing expired upload {}: {e}", u.upload_id);
            }
            tracing::info!(upload = %u.upload_id, "expired");
            removed += 1;
        }
    }
    // Directories with no active upload: finished, cancelled, or created by an init that
    // crashed before recording it (those are left alone for an hour).
    let Ok(entries) = fs::read_dir(root.join(store::layout::UPLOADS)) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if active.iter().any(|u| u.upload_id.as_str() == name) {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok());
        let owned = store::UploadId::parse(&name)
            .ok()
            .map(|id| store.upload(&id))
            .transpose()?
            .flatten()
            .is_some();
        if (owned || age.is_some_and(|a| a.as_secs() > 3600))
            && fs::remove_dir_all(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}
