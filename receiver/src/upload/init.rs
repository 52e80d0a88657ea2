//! `init`: starts (or restarts) an upload, with the space it needs reserved.

use super::common::{cancel, check_identity, offset_response};
use super::staging;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use store::{FileId, NewUpload, UploadId, UploadMode};

use crate::auth::{Auth, fill_random};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Params;
use crate::extract::check_label;
use crate::space::Space;
use crate::state::Shared;
use crate::upload::names::check_name;

/// `init`: checks the title, the name, the identity rule and the space, ends any earlier
/// unfinished upload of the same file, and creates a new upload.
pub(crate) async fn init(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
    auth.require(store::Permission::Upload)?;
    let name = p.require(&["name"], Code::InvalidName)?.to_owned();
    let ext = check_name(&name)?;
    let size = p.u64(&["size"], Code::InvalidSize)?;
    if size == 0 {
        return Err(ApiError::new(
            Code::InvalidSize,
            "an empty file is not a movie",
        ));
    }
    let last_modified = p.i64(
        &["last_modified", "lastModified"],
        Code::InvalidLastModified,
    )?;
    let content_id = p.content_id(&["id", "content_id"])?;
    let mode_text = p.get(&["mode"]).unwrap_or("new");
    let (mode, label) = match UploadMode::parse(mode_text) {
        Some(m @ (UploadMode::New | UploadMode::Replace)) => (m, String::new()),
        Some(UploadMode::Version) => (
            UploadMode::Version,
            check_label(p.require(&["label"], Code::InvalidLabel)?)?,
        ),
        None => {
            let other = mode_text;
            return Err(ApiError::new(
                Code::InvalidMode,
                format!("mode must be new, replace or version, not {other:?}"),
            ));
        }
    };
    if size > i64::MAX as u64 {
        return Err(ApiError::new(Code::InvalidSize, "no file is that large"));
    }
    let file_id = FileId::of(&name, size, last_modified);
    // From the identity check to the upload's row, one init at a time: the space it is
    // promised is then no other init's, and an earlier upload of the same file is ended
    // before this one starts.
    let _init = st.init_lock.lock().await;
    check_identity(&st, &auth.user, &content_id, &file_id, mode, &label).await?;

    let uid = auth.user.id;
    let fid = file_id.clone();
    let earlier = st.db(move |s| s.active_uploads_of_file(uid, &fid)).await?;
    let earlier_ids: Vec<UploadId> = earlier.iter().map(|u| u.upload_id.clone()).collect();
    // A title lives on one root: a new version or a replacement goes where the title is.
    let on = st.title_root(&content_id).await?;
    let root_name = Space::measure(&st)
        .await?
        .pick(size, &earlier_ids, on.as_deref())?;
    for u in earlier {
        cancel(&st, &u).await?;
    }

    let mut rnd = [0u8; 16];
    fill_random(&mut rnd);
    let new = NewUpload {
        upload_id: UploadId::from_random(rnd),
        user_id: uid,
        file_id: file_id.clone(),
        content_id: content_id.clone(),
        name,
        size,
        last_modified,
        ext,
        mode,
        label,
        root: root_name.clone(),
    };
    let root = st.root_path(&root_name)?;
    let n2 = new.clone();
    tokio::task::spawn_blocking(move || staging::create(&root, &n2)).await??;
    let n3 = new.clone();
    st.db(move |s| s.insert_upload(&n3)).await?;
    tracing::info!(upload = %new.upload_id, content = %content_id, size, "upload started");
    // The title's metadata comes while the bytes do: the page knows it when the file is filed,
    // and an unfinished upload is listed by its title.
    st.meta.enqueue(content_id.clone());
    Ok(offset_response(
        StatusCode::CREATED,
        0,
        json!({
            "upload_id": new.upload_id,
            "file_id": file_id,
            "content_id": content_id,
            "offset": 0,
            "size": size,
            "chunk_size": st.config.chunk_size_hint.min(st.config.max_chunk_size),
            "max_chunk_size": st.config.max_chunk_size,
            "expires_in": st.live().upload_expiry.as_secs(),
        }),
    ))
}
