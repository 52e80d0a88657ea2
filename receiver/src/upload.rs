//! The upload protocol's requests other than the chunk itself: `info` (what the server holds of
//! a file), `init` (start or restart an upload), `HEAD` (the offset), and the dispatch on `type`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{
    ContentId, FileId, NewUpload, Permission, Upload, UploadId, UploadMode, UploadState, User,
};

use crate::auth::{Auth, fill_random};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, Params};
use crate::names::{check_label, check_name};
use crate::space::Space;
use crate::state::Shared;
use crate::{chunk, finish, staging};

/// `GET /api/library/upload/?type=info|init|end…`
pub async fn get(State(st): State<Shared>, auth: Auth, p: Params) -> ApiResult<Response> {
    match p.get(&["type"]) {
        Some("info") => info_one(st, auth, p).await,
        // The notes' GET forms change state: they need the CSRF header or a bearer token too.
        Some("init") => {
            auth.require_csrf()?;
            init(st, auth, p).await
        }
        Some("end") => {
            auth.require_csrf()?;
            finish::end(st, auth, p).await
        }
        Some("offset") => offset(st, auth, p).await,
        _ => Err(bad_type()),
    }
}

/// `POST /api/library/upload/?type=chunk|init|end…`
pub async fn post(
    State(st): State<Shared>,
    auth: Auth,
    p: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    match p.get(&["type"]) {
        Some("chunk") => chunk::chunk(st, auth, p, headers, body).await,
        Some("init") => init(st, auth, p).await,
        Some("end") => finish::end(st, auth, p).await,
        _ => Err(bad_type()),
    }
}

/// `HEAD /api/library/upload/?uploadId=`: the offset in the `Upload-Offset` header.
pub async fn head(State(st): State<Shared>, auth: Auth, p: Params) -> ApiResult<Response> {
    offset(st, auth, p).await
}

fn bad_type() -> ApiError {
    ApiError::new(
        Code::InvalidType,
        "type must be one of info, init, chunk, end",
    )
}

/// An answer that carries the offset: JSON `offset`, header `Upload-Offset`, never cached.
pub fn offset_response(status: StatusCode, offset: u64, body: Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    let h = resp.headers_mut();
    h.insert("upload-offset", HeaderValue::from(offset));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A file as the client describes it.
#[derive(Debug, Deserialize)]
pub struct FileDesc {
    name: String,
    size: u64,
    #[serde(alias = "lastModified")]
    last_modified: i64,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum InfoRequest {
    List(Vec<FileDesc>),
    Wrapped { files: Vec<FileDesc> },
}

/// `POST /api/library/upload/info`: what the server holds of each file, and whether the rest
/// of them fits.
pub async fn info_list(
    State(st): State<Shared>,
    auth: Auth,
    JsonBody(req): JsonBody<InfoRequest>,
) -> ApiResult<Json<Value>> {
    let files = match req {
        InfoRequest::List(f) | InfoRequest::Wrapped { files: f } => f,
    };
    if files.len() > 10_000 {
        return Err(ApiError::new(
            Code::TooManyFiles,
            "ask about at most 10,000 files at once",
        ));
    }
    for (i, f) in files.iter().enumerate() {
        check_name(&f.name).map_err(|e| ApiError {
            message: format!("file {i}: {}", e.message),
            ..e
        })?;
    }
    Ok(Json(info(&st, &auth, files).await?))
}

async fn info_one(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
    let f = FileDesc {
        name: p.require(&["name"], Code::InvalidName)?.to_owned(),
        size: p.u64(&["size"], Code::InvalidSize)?,
        last_modified: p.i64(
            &["last_modified", "lastModified"],
            Code::InvalidLastModified,
        )?,
    };
    check_name(&f.name)?;
    let mut v = info(&st, &auth, vec![f]).await?;
    let mut file = v["files"][0].take();
    let offset = file["offset"].as_u64().unwrap_or(0);
    if let Some(o) = file.as_object_mut() {
        for k in ["fits", "needed_bytes", "space"] {
            o.insert(k.into(), v[k].take());
        }
    }
    Ok(offset_response(StatusCode::OK, offset, file))
}

async fn info(st: &Shared, auth: &Auth, files: Vec<FileDesc>) -> ApiResult<Value> {
    let uid = auth.user.id;
    let roots = st.config.roots();
    let store = st.store.clone();
    let rows =
        tokio::task::spawn_blocking(move || -> ApiResult<Vec<(Value, u64, Option<UploadId>)>> {
            let mut out = Vec::with_capacity(files.len());
            for f in files {
                let file_id = FileId::of(&f.name, f.size, f.last_modified);
                if let Some(done) = store.file(&file_id)? {
                    let v = json!({"name": f.name, "file_id": file_id, "status": "complete",
                    "offset": f.size, "size": f.size, "content_id": done.content_id});
                    out.push((v, 0, None));
                    continue;
                }
                let partial = store
                    .active_uploads_of_file(uid, &file_id)?
                    .into_iter()
                    .next();
                let held = match &partial {
                    Some(u) => match roots.iter().find(|r| r.name == u.root) {
                        Some(root) => staging::held(&root.path, &u.upload_id)?,
                        None => None,
                    },
                    None => None,
                };
                let v = match (&partial, held) {
                    (Some(u), Some(held)) => json!({"name": f.name, "file_id": file_id,
                    "status": "partial", "offset": held, "size": f.size,
                    "content_id": u.content_id, "upload_id": u.upload_id}),
                    _ => json!({"name": f.name, "file_id": file_id, "status": "none", "offset": 0,
                    "size": f.size, "content_id": null}),
                };
                let needed = f.size.saturating_sub(held.unwrap_or(0));
                out.push((
                    v,
                    needed,
                    partial.filter(|_| held.is_some()).map(|u| u.upload_id),
                ));
            }
            Ok(out)
        })
        .await??;
    let space = Space::measure(st).await?;
    // Sizes are the client's word: their sum saturates rather than wraps.
    let needed: u64 = rows.iter().fold(0u64, |a, r| a.saturating_add(r.1));
    let partials: Vec<UploadId> = rows.iter().filter_map(|r| r.2.clone()).collect();
    let sizes: Vec<u64> = rows.iter().map(|r| r.1).collect();
    let verdict = space.fits_all(&sizes, &partials);
    let mut out = json!({
        "files": rows.into_iter().map(|r| r.0).collect::<Vec<_>>(),
        "needed_bytes": needed,
        "fits": verdict.is_ok(),
        "space": space,
    });
    if let Err(e) = verdict {
        out["reason"] = json!({"code": e.code, "message": e.message});
    }
    Ok(out)
}

/// `init`: checks the title, the name, the identity rule and the space, ends any earlier
/// unfinished upload of the same file, and creates a new upload.
async fn init(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
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
            "expires_in": st.config.upload_expiry.as_secs(),
        }),
    ))
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

async fn offset(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
    let u = load(&st, &auth, &p).await?;
    let held = match u.state {
        UploadState::Complete => u.size,
        _ => {
            require_active(&u)?;
            let (root, id) = (st.root_path(&u.root)?, u.upload_id.clone());
            tokio::task::spawn_blocking(move || staging::held(&root, &id))
                .await??
                .ok_or_else(|| ApiError::new(Code::UploadExpired, "this upload's bytes are gone"))?
        }
    };
    let mut resp = offset_response(
        StatusCode::OK,
        held,
        json!({"upload_id": u.upload_id, "offset": held, "size": u.size, "state": u.state}),
    );
    resp.headers_mut()
        .insert("upload-length", HeaderValue::from(u.size));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_accepts_both_shapes() {
        let a: InfoRequest =
            serde_json::from_str(r#"[{"name":"a.mkv","size":1,"last_modified":2}]"#).expect("list");
        let b: InfoRequest =
            serde_json::from_str(r#"{"files":[{"name":"a.mkv","size":1,"lastModified":2}]}"#)
                .expect("wrapped");
        for r in [a, b] {
            let (InfoRequest::List(f) | InfoRequest::Wrapped { files: f }) = r;
            assert_eq!((f[0].size, f[0].last_modified), (1, 2));
        }
        assert!(
            Params::from_pairs(&[("size", "-1")])
                .u64(&["size"], Code::InvalidSize)
                .is_err()
        );
    }
}
