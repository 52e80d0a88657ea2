//! The upload protocol (`/api/library/upload/`): the dispatch on `type`, and the offset of an
//! upload (`HEAD`). One file per step: `info`, `init`, `chunk`, `end`; `staging` keeps the bytes,
//! `slots` the per-upload locks, `expiry` sweeps what was left.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use store::UploadState;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Params;
use crate::state::Shared;

pub mod chunk;
pub mod common;
pub mod end;
pub mod expiry;
pub mod info;
pub mod init;
pub mod names;
pub mod slots;
pub mod staging;

use common::{load, offset_response, require_active};
use info::info_one;
use init::init;

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
            end::end(st, auth, p).await
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
        Some("end") => end::end(st, auth, p).await,
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
