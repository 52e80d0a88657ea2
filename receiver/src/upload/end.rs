//! `end`: files a complete upload in the library (a rename under an intent).

use crate::library::filing::move_with_intent;
use crate::media::probe::{ProbeError, probe};

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use store::{IntentKind, NewFile, Upload, UploadState};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Params;
use crate::state::Shared;
use crate::upload::common::{check_identity, load, offset_response, require_active};
use crate::upload::staging;
use store::layout;
use store::text::placeholder_title;

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

    // Only a video is filed: what ffprobe cannot read as one stays an upload (resumable,
    // removable), never a library file.
    let part = staging::part(&st.root_path(&u.root)?, &u.upload_id);
    let ext = u.ext.clone();
    let technical = match tokio::task::spawn_blocking(move || probe(&part, &ext)).await? {
        Ok(t) => Some(t),
        Err(ProbeError::Missing) => {
            tracing::warn!("ffprobe is not installed: filing without reading the file");
            None
        }
        Err(e) => {
            return Err(ApiError::new(
                Code::NotAVideo,
                format!("this is not a video the library can read ({e}); the upload stays, to resume or to let expire"),
            )
            .with_offset(held));
        }
    };

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
    if let Some(t) = technical {
        let (fid, t2) = (u.file_id.clone(), t.clone());
        if let Err(e) = st.db(move |s| s.set_technical(&fid, &t2)).await {
            tracing::warn!(upload = %u.upload_id, "recording what ffprobe read: {}", e.message);
        }
        // Its text subtitle tracks, in the background: the answer does not wait for them.
        let (st2, fid) = (st.clone(), u.file_id.clone());
        tokio::spawn(async move {
            if let Ok(Some(file)) = st2.db(move |s| s.file(&fid)).await {
                crate::media::extract::embedded_subtitles(&st2, &file, &t).await;
            }
        });
    }
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
