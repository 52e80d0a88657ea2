//! Serving the rendered site at `/` and the library at `/media/` when nginx is not in front:
//! Range requests, no dot-paths (upload staging, temporary files), and nothing without a login
//! but the login and setup pages and their assets.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::state::Shared;

/// The pages anyone may open: logging in, the first-run setup, accepting an invitation.
pub const PUBLIC_PAGES: &[&str] = &["/login/", "/setup/", "/invite/"];

/// What those pages load.
const PUBLIC_FILES: &[&str] = &["/assets/", "/favicon.ico"];

/// Guards everything outside `/api/` (the API's handlers check for themselves).
pub async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path
        .split('/')
        .any(|seg| seg.starts_with('.') || seg.starts_with("%2e") || seg.starts_with("%2E"))
    {
        return ApiError::not_found("not_found", "no such page").into_response();
    }
    let public = PUBLIC_PAGES.iter().chain(PUBLIC_FILES);
    if path.starts_with("/api/") || public.into_iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    match authenticate(req.headers(), req.method(), &st).await {
        Ok(_) => next.run(req).await,
        Err(e) => {
            let wants_html = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
            if wants_html && e.status == StatusCode::UNAUTHORIZED {
                let mut resp = StatusCode::SEE_OTHER.into_response();
                resp.headers_mut()
                    .insert(header::LOCATION, HeaderValue::from_static("/login/"));
                resp
            } else {
                e.into_response()
            }
        }
    }
}

/// The home page before the renderer has written one.
pub async fn home(State(st): State<Shared>) -> Response {
    let index = st.config.site_dir().join("index.html");
    match tokio::fs::read(&index).await {
        Ok(bytes) => Html(bytes).into_response(),
        Err(_) => Html(WELCOME).into_response(),
    }
}

const WELCOME: &str = "<!doctype html><html lang=en><meta charset=utf-8>\
<meta name=viewport content='width=device-width,initial-scale=1'><title>Open OTT</title>\
<body style='font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem'>\
<h1>Open OTT is running</h1><p>No catalogue has been rendered yet. The upload API is at \
<code>/api/library/upload/</code> and the library at <code>/api/library/movies/</code>.</p></body></html>";
