//! What a person has watched and where they stopped, theirs alone (the rendered pages are the
//! same for everyone and fetch it):
//!
//! - `GET /api/users/me/progress`: every title they have a place in or have watched, the latest
//!   first, each with its card (title, year, poster) for the *Continue watching* row;
//! - `PUT /api/users/me/progress/<content_id>` `{file_id, position_s, duration_s}`: where they
//!   are (90% played marks it watched); `DELETE` forgets it;
//! - `PUT /api/users/me/watched/<content_id>` `{watched: bool}`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{FileId, WatchState};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, parse_content_id};
use crate::state::Shared;

fn shape(s: &WatchState, card: Option<&store::MovieCard>) -> Value {
    let fraction = if s.duration_s > 0.0 {
        (s.position_s / s.duration_s).clamp(0.0, 1.0)
    } else {
        0.0
    };
    json!({
        "content_id": s.content_id,
        "file_id": s.file_id,
        "position_s": s.position_s,
        "duration_s": s.duration_s,
        "progress": (fraction * 1000.0).round() / 1000.0,
        "watched": s.watched,
        "updated_at": s.updated_at,
        "title": card.map(|c| c.title.clone()),
        "year": card.and_then(|c| c.year),
        "poster": card.and_then(|c| c.poster.clone()),
    })
}

/// `GET /api/users/me/progress`: titles no longer in the library are left out.
pub async fn list(State(st): State<Shared>, auth: Auth) -> ApiResult<Json<Value>> {
    let user = auth.user.id;
    let titles = st
        .db(move |s| {
            let mut out = Vec::new();
            for w in s.watch_states(user)? {
                if let Some(m) = s.movie(&w.content_id)?.filter(|m| !m.files.is_empty()) {
                    out.push(shape(&w, Some(&m.card)));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({ "titles": titles })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    #[serde(default)]
    file_id: Option<String>,
    position_s: f64,
    duration_s: f64,
}

/// `PUT /api/users/me/progress/<content_id>`.
pub async fn put(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(p): JsonBody<Position>,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    let finite = |v: f64| (0.0..1e7).contains(&v);
    if !finite(p.position_s) || !finite(p.duration_s) {
        return Err(ApiError::new(
            Code::InvalidValue,
            "position_s and duration_s are seconds: numbers from 0",
        ));
    }
    let file = p
        .file_id
        .as_deref()
        .filter(|f| !f.is_empty())
        .map(|f| {
            FileId::parse(f)
                .map_err(|_| ApiError::new(Code::InvalidId, "file_id is a file id (64 hex digits)"))
        })
        .transpose()?;
    let (id2, file2) = (id.clone(), file.clone());
    let files = st
        .db(move |s| Ok(s.movie(&id2)?.map(|m| m.files).unwrap_or_default()))
        .await?;
    if files.is_empty() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{id} has no file in the library"),
        ));
    }
    if let Some(f) = &file2
        && !files.iter().any(|x| &x.file_id == f)
    {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{f} is not a file of {id}"),
        ));
    }
    let user = auth.user.id;
    let position = p.position_s.min(p.duration_s.max(p.position_s));
    let saved = st
        .db(move |s| s.save_position(user, &id, file.as_ref(), position, p.duration_s))
        .await?;
    Ok(Json(shape(&saved, None)))
}

/// `DELETE /api/users/me/progress/<content_id>`.
pub async fn clear(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    let user = auth.user.id;
    let id2 = id.clone();
    let had = st.db(move |s| s.clear_watch_state(user, &id2)).await?;
    Ok(Json(json!({"content_id": id, "cleared": had})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watched {
    watched: bool,
}

/// `PUT /api/users/me/watched/<content_id>`.
pub async fn watched(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(w): JsonBody<Watched>,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    let id2 = id.clone();
    let known = st
        .db(move |s| Ok(s.movie(&id2)?.is_some_and(|m| !m.files.is_empty())))
        .await?;
    if !known {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{id} has no file in the library"),
        ));
    }
    let user = auth.user.id;
    let saved = st.db(move |s| s.set_watched(user, &id, w.watched)).await?;
    Ok(Json(shape(&saved, None)))
}
