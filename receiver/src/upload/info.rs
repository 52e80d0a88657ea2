//! `info`: what the server holds of each file, and whether the rest of them fits.

use super::common::offset_response;
use super::staging;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{FileId, UploadId};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, Params};
use crate::space::Space;
use crate::state::Shared;
use crate::upload::names::check_name;

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

pub(crate) async fn info_one(st: Shared, auth: Auth, p: Params) -> ApiResult<Response> {
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

/// `GET /api/library/uploads`: the caller's unfinished uploads, so that a page opened again
/// (or another device) can say what is left to resume: name, size, how much the server holds,
/// and the title.
pub async fn unfinished(
    axum::extract::State(st): axum::extract::State<Shared>,
    auth: Auth,
) -> ApiResult<axum::Json<Value>> {
    let uid = auth.user.id;
    let roots = st.config.roots();
    let store = st.store.clone();
    let list = tokio::task::spawn_blocking(move || -> ApiResult<Vec<Value>> {
        let mut out = Vec::new();
        for u in store
            .active_uploads()?
            .into_iter()
            .filter(|u| u.user_id == uid)
        {
            let Some(root) = roots.iter().find(|r| r.name == u.root) else {
                continue;
            };
            let Some(held) = staging::held(&root.path, &u.upload_id)? else {
                continue;
            };
            // As people read it, from the cached metadata the upload was identified by.
            let title = store
                .metadata(&u.content_id)?
                .map(|r| match r.metadata.year {
                    Some(y) => format!("{} ({y})", r.metadata.title),
                    None => r.metadata.title,
                });
            out.push(json!({
                "upload_id": u.upload_id, "name": u.name, "size": u.size, "offset": held,
                "last_modified": u.last_modified, "content_id": u.content_id,
                "title": title, "label": u.label, "created_at": u.created_at,
            }));
        }
        Ok(out)
    })
    .await??;
    Ok(axum::Json(json!({ "uploads": list })))
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
