//! What the protocol's steps share: loading the caller's upload, the states it may be in, the
//! identity rule, cancelling, and answers that carry an offset.

use super::staging;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use store::{ContentId, FileId, Permission, Upload, UploadId, UploadMode, UploadState, User};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Params;
use crate::state::Shared;

/// An answer that carries the offset: JSON `offset`, header `Upload-Offset`, never cached.
pub fn offset_response(status: StatusCode, offset: u64, body: Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    let h = resp.headers_mut();
    h.insert("upload-offset", HeaderValue::from(offset));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The identity rule: a title with a file takes another only as a replacement or a new version,
/// and a file already in the library is not uploaded again. A replacement removes the title's
/// files, so a member without the delete grant may replace only files they uploaded.
pub async fn check_identity(
    st: &Shared,
    user: &User,
    content_id: &ContentId,
    file_id: &FileId,
    mode: UploadMode,
    label: &str,
) -> ApiResult<()> {
    let (cid, fid) = (content_id.clone(), file_id.clone());
    let (files, same) = st
        .db(move |s| Ok((s.files_of(&cid)?, s.file(&fid)?)))
        .await?;
    if let Some(f) = same
        && !(mode == UploadMode::Replace && &f.content_id == content_id)
    {
        return Err(ApiError::new(
            Code::FileExists,
            format!("this file is already in the library as {}", f.content_id),
        ));
    }
    if mode == UploadMode::Replace
        && !user.may(Permission::Delete)
        && files.iter().any(|f| f.uploaded_by != Some(user.id))
    {
        return Err(ApiError::new(
            Code::Forbidden,
            format!(
                "replacing removes {content_id}'s files, and some were uploaded by someone else: that needs the delete grant; add a version instead"
            ),
        ));
    }
    match mode {
        UploadMode::New if !files.is_empty() => Err(ApiError::new(
            Code::TitleHasFile,
            format!(
                "{content_id} already has a file: replace it (mode=replace) or add a version (mode=version&label=…)"
            ),
        )),
        UploadMode::Version if files.iter().any(|f| f.label == label) => Err(ApiError::new(
            Code::VersionExists,
            format!("{content_id} already has a version labelled {label:?}"),
        )),
        _ => Ok(()),
    }
}

/// Ends an unfinished upload and removes its bytes, stopping any request writing to it.
pub async fn cancel(st: &Shared, u: &Upload) -> ApiResult<()> {
    let _slot = st.slots.acquire(u.upload_id.as_str()).await;
    let id = u.upload_id.clone();
    st.db(move |s| s.end_upload(&id, UploadState::Cancelled))
        .await?;
    let (root, id) = (st.root_path(&u.root)?, u.upload_id.clone());
    tokio::task::spawn_blocking(move || staging::remove(&root, &id)).await??;
    Ok(())
}

/// The caller's upload named by `uploadId`, in any state.
pub async fn load(st: &Shared, auth: &Auth, p: &Params) -> ApiResult<Upload> {
    let raw = p.require(&["uploadId", "upload_id"], Code::InvalidUploadId)?;
    let id =
        UploadId::parse(raw).map_err(|e| ApiError::new(Code::InvalidUploadId, e.to_string()))?;
    let found = st.db(move |s| s.upload(&id)).await?;
    match found {
        Some(u) if u.user_id == auth.user.id => Ok(u),
        _ => Err(ApiError::new(Code::UnknownUpload, "no such upload")),
    }
}

/// Refuses uploads that can take no more bytes, saying why.
pub fn require_active(u: &Upload) -> ApiResult<()> {
    match u.state {
        UploadState::Active => Ok(()),
        UploadState::Complete => {
            Err(ApiError::new(Code::UploadComplete, "this upload is finished").with_offset(u.size))
        }
        UploadState::Expired => Err(ApiError::new(
            Code::UploadExpired,
            "this upload expired; start it again with init",
        )),
        UploadState::Cancelled => Err(ApiError::new(
            Code::UploadCancelled,
            "this upload was restarted or cancelled; start it again with init",
        )),
    }
}
