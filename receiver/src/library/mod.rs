//! The library API: listing titles, one title or file, deleting a title, filing a file under
//! another title.

pub mod check;
pub mod collection;
pub mod digest;
pub mod filing;
pub mod moving;
pub mod srt;
pub mod subtitles;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use store::FileId;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, Params, parse_content_id};
use crate::library::filing::move_file;
use crate::state::Shared;

/// `GET /api/library/movies/?page=&per_page=`: cards only (id, title, year, poster, stars).
pub async fn list(State(st): State<Shared>, _auth: Auth, p: Params) -> ApiResult<Json<Value>> {
    let page = p
        .get(&["page"])
        .map(|_| p.u64(&["page"], Code::InvalidPage))
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let per_page = p
        .get(&["per_page"])
        .map(|_| p.u64(&["per_page"], Code::InvalidPage))
        .transpose()?
        .unwrap_or(50)
        .clamp(1, 500);
    let offset = ((page - 1) * per_page) as i64;
    let (movies, total) = st
        .db(move |s| s.list_movies(offset, per_page as i64))
        .await?;
    Ok(Json(
        json!({"page": page, "per_page": per_page, "total": total, "movies": movies}),
    ))
}

/// `GET /api/library/movies/<content_id>` (the identity check) or `…/<file_id>`.
pub async fn get(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if id.starts_with("tt") {
        let cid = parse_content_id(&id)?;
        let uid = auth.user.id;
        let (movie, rec, own, files) = st
            .db(move |s| {
                Ok((
                    s.movie(&cid)?,
                    s.metadata(&cid)?,
                    s.overrides(uid, &cid)?,
                    s.library_files_of(&cid)?,
                ))
            })
            .await?;
        let movie = movie
            .ok_or_else(|| ApiError::new(Code::NotFound, format!("{id} is not in the library")))?;
        let has_file = !movie.files.is_empty();
        let listed: Vec<Value> = movie.files.iter().map(file_json).collect();
        let mut v = serde_json::to_value(movie).map_err(|e| ApiError::internal(e.to_string()))?;
        v["has_file"] = json!(has_file);
        v["files"] = json!(listed);
        v["subtitles"] = json!(subtitles::listed(&files));
        if let Some(rec) = rec {
            let merged = crate::meta::api::merged(&rec, &own);
            v["user_fields"] = merged["user_fields"].clone();
            v["fetch_error"] = merged["fetch_error"].clone();
            v["metadata"] = merged;
        }
        return Ok(Json(v));
    }
    let fid = FileId::parse(&id).map_err(|_| {
        ApiError::new(
            Code::InvalidId,
            "expected a content id (tt…) or a file id (64 hex digits)",
        )
    })?;
    let file = st.db(move |s| s.file(&fid)).await?;
    let file = file.ok_or_else(|| ApiError::new(Code::NotFound, "no such file"))?;
    Ok(Json(json!({"file": file, "content_id": file.content_id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refile {
    content_id: String,
    label: Option<String>,
}

/// `PATCH /api/library/movies/<file_id>` with `{"content_id", "label"?}`: files the file under
/// another title, moving it on disk.
pub async fn refile(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Refile>,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Upload)?;
    let fid =
        FileId::parse(&id).map_err(|_| ApiError::new(Code::InvalidId, "expected a file id"))?;
    let to = parse_content_id(&body.content_id)?;
    let label = body
        .label
        .map(|l| {
            if l.is_empty() {
                Ok(l)
            } else {
                crate::extract::check_label(&l)
            }
        })
        .transpose()?;
    Ok(Json(move_file(&st, &auth.user, &fid, &to, label).await?))
}

/// `DELETE /api/library/movies/<file_id>`: one version of a title that has others (its
/// remuxed copy goes with it); the rows first, under an intent, then the files.
pub async fn delete_version(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Delete)?;
    let fid = FileId::parse(&id)
        .map_err(|_| ApiError::new(Code::InvalidId, "expected a file id (64 hex digits)"))?;
    let _library = st.library_lock.lock().await;
    let f2 = fid.clone();
    let (intent, root, paths) = st.db(move |s| s.delete_version(&f2)).await?;
    let (root, store) = (st.root_path(&root)?, st.store.clone());
    let n = paths.len();
    tokio::task::spawn_blocking(move || {
        crate::disk::remove_files(&root, &paths);
        store.drop_intent(intent)
    })
    .await??;
    Ok(Json(json!({"deleted": fid, "files": n})))
}

/// `DELETE /api/library/delete/?content_id=`: the database first, then the files.
pub async fn delete(State(st): State<Shared>, auth: Auth, p: Params) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Delete)?;
    let cid = p.content_id(&["content_id", "id"])?;
    let _library = st.library_lock.lock().await;
    let c2 = cid.clone();
    let (intent, root, paths) = st
        .db(move |s| s.delete_title_files(&c2))
        .await
        .map_err(|e| {
            if e.status == axum::http::StatusCode::NOT_FOUND {
                ApiError::new(Code::NotFound, format!("{cid} has no file in the library"))
            } else {
                e
            }
        })?;
    st.crash_point("delete:after-db");
    let (root, store) = (st.root_path(&root)?, st.store.clone());
    let (c3, n) = (cid.clone(), paths.len());
    tokio::task::spawn_blocking(move || {
        filing::remove_title(&root, &c3, &paths);
        store.drop_intent(intent)
    })
    .await??;
    tracing::info!(content = %cid, files = n, "deleted");
    Ok(Json(json!({"deleted": cid, "files": n})))
}

/// A file as the API lists it: its row, and what ffprobe read of it (null until it has).
fn file_json(f: &store::ContentFile) -> Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    let t = f.technical.as_ref();
    v["container"] = json!(t.map(|t| &t.container));
    v["duration_s"] = json!(t.and_then(|t| t.duration_ms).map(|ms| ms as f64 / 1000.0));
    v["bit_rate"] = json!(t.and_then(|t| t.bit_rate));
    v["video_profile"] = json!(t.and_then(|t| t.video_profile.as_ref()));
    v["bit_depth"] = json!(t.and_then(|t| t.bit_depth));
    v["hdr"] = json!(t.and_then(|t| t.hdr.as_ref()));
    v["audio_codecs"] =
        json!(t.map(|t| t.audio.iter().map(|a| a.codec.clone()).collect::<Vec<_>>()));
    v["audio"] = json!(t.map(|t| &t.audio));
    v["subtitle_tracks"] = json!(t.map(|t| &t.subtitles));
    v["playable"] = json!(t.map(|t| &t.playable));
    if let Some(o) = v.as_object_mut() {
        o.remove("technical");
    }
    v
}
