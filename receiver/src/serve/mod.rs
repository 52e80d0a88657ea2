//! Serving the rendered site at `/` and the library at `/media/` when nginx is not in front:
//! Range requests, no dot-paths (upload staging, temporary files), and nothing without a login
//! but the login and setup pages and their assets.

pub mod listen;
pub mod nginx;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::authenticate;
use crate::error::{ApiError, Code};
use crate::state::Shared;

/// The headers every answer carries, from nginx or from the receiver's own serving alike,
/// beside the content security policy (`security_headers`).
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
];

/// The content security policy: this origin only, but for images, and for the media and the
/// answer-time probes of the mirrors browsers may stream from (`[[mirror]]` `web`).
pub fn content_security_policy(c: &store::config::Config) -> String {
    let mirrors: String = c
        .mirror
        .iter()
        .filter_map(|m| m.web.as_deref())
        .filter_map(|w| {
            let w = w.trim().trim_end_matches('/');
            let ok = (w.starts_with("http://") || w.starts_with("https://"))
                && w.bytes()
                    .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\''));
            ok.then(|| format!(" {w}"))
        })
        .collect();
    format!(
        "default-src 'self'; img-src * data: blob:; media-src 'self' blob:{mirrors}; \
         connect-src 'self'{mirrors}; style-src 'self' 'unsafe-inline'; script-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The headers every answer carries, with their values for this configuration.
pub fn security_headers(c: &store::config::Config) -> Vec<(&'static str, String)> {
    SECURITY_HEADERS
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .chain([("Content-Security-Policy", content_security_policy(c))])
        .collect()
}

/// Gives every answer the security headers, and every error the API's JSON shape: the
/// framework's own refusals (a path that does not parse, a method a route does not take, no
/// such route) are plain text or empty otherwise.
pub async fn shape(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    // A browser asking for a page that is not there gets the site's own 404 page.
    let wants_html = !api
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let mut resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let empty = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0");
    let reshape = status.is_client_error() || status.is_server_error();
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let reshape = reshape
        && !is_json
        && !(wants_html && html && status == StatusCode::NOT_FOUND)
        && status != StatusCode::RANGE_NOT_SATISFIABLE
        && (api || empty || matches!(status.as_u16(), 404 | 405));
    if reshape {
        let (parts, body) = resp.into_parts();
        let text = axum::body::to_bytes(body, 16 << 10)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .unwrap_or_default();
        let (code, default) = match status.as_u16() {
            400 => (Code::BadRequest, "the request could not be read"),
            401 => (Code::Unauthorized, "log in or send an API token"),
            403 => (Code::Forbidden, "not allowed"),
            404 => (Code::NotFound, "no such page or resource"),
            405 => (
                Code::MethodNotAllowed,
                "this address does not take that method",
            ),
            408 => (Code::RequestTimeout, "the request took too long"),
            413 => (Code::BodyTooLarge, "the request body is too large"),
            415 => (
                Code::UnsupportedMediaType,
                "the body is not of a type this takes",
            ),
            422 => (Code::InvalidRequest, "the request could not be understood"),
            429 => (Code::TooManyRequests, "too many requests; slow down"),
            _ if status.is_server_error() => (Code::Internal, "the server failed; see its log"),
            _ => (Code::Error, "the request failed"),
        };
        let message = if text.is_empty() {
            default.to_owned()
        } else {
            text
        };
        let mut fresh = ApiError::new(code, message)
            .with_status(status)
            .into_response();
        for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
            if let Some(v) = parts.headers.get(&name) {
                fresh.headers_mut().insert(name, v.clone());
            }
        }
        resp = fresh;
    }
    let h = resp.headers_mut();
    for (k, v) in st.security_headers.iter() {
        h.entry(k.clone()).or_insert_with(|| v.clone());
    }
    resp
}

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
        return ApiError::new(Code::NotFound, "no such page").into_response();
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
                // Back to the page asked for after the login.
                let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let to = HeaderValue::from_str(&format!("/login/?next={next}"))
                    .unwrap_or_else(|_| HeaderValue::from_static("/login/"));
                let mut resp = StatusCode::SEE_OTHER.into_response();
                resp.headers_mut().insert(header::LOCATION, to);
                resp
            } else {
                e.into_response()
            }
        }
    }
}

/// `/media/<path>` when nginx is not in front: a library file from whichever root holds it,
/// with Range requests. Dot-paths never reach here (the guard refuses them).
pub async fn media(
    State(st): State<Shared>,
    axum::extract::Path(rel): axum::extract::Path<String>,
    req: Request,
) -> Response {
    use tower::ServiceExt;
    let bad = rel
        .split('/')
        .any(|s| s.is_empty() || s.starts_with('.') || s.contains('\\'));
    if !bad {
        for root in st.config.roots() {
            let path = root.path.join(&rel);
            if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) {
                // HLS gets the types nginx gives it too (`templates/nginx.conf`).
                let hls = match path.extension().and_then(|e| e.to_str()) {
                    Some("m3u8") => Some("application/vnd.apple.mpegurl"),
                    Some("m4s") => Some("video/iso.segment"),
                    _ => None,
                };
                let Ok(mut resp) = tower_http::services::ServeFile::new(path)
                    .oneshot(req)
                    .await;
                if let Some(t) = hls.filter(|_| resp.status().is_success()) {
                    resp.headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
                }
                return resp.map(axum::body::Body::new);
            }
        }
    }
    ApiError::new(Code::NotFound, "no such file in the library").into_response()
}

/// The site's own 404 page, under the site directory.
pub const MISSING_PAGE: &str = "missing/index.html";

/// A title's page, `/movie/<id>/`: the file `movie/<id>.html` (`renderer::movie_file`), as
/// nginx serves it; `/movie/<id>` is sent there. Any other id, or a title without a page, gets
/// the site's 404 page.
pub async fn movie_page(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    req: Request,
) -> Response {
    use tower::ServiceExt;
    let site = st.config.site_dir();
    let (file, status) = match store::ContentId::parse(&id) {
        Ok(id) if !req.uri().path().ends_with('/') => {
            return axum::response::Redirect::permanent(&format!("/movie/{id}/")).into_response();
        }
        Ok(id) => {
            let file = site.join(renderer::movie_file(id.as_str()));
            match tokio::fs::metadata(&file).await {
                Ok(m) if m.is_file() => (file, StatusCode::OK),
                _ => (site.join(MISSING_PAGE), StatusCode::NOT_FOUND),
            }
        }
        Err(_) => (site.join(MISSING_PAGE), StatusCode::NOT_FOUND),
    };
    let Ok(mut resp) = tower_http::services::ServeFile::new(file)
        .oneshot(req)
        .await;
    if resp.status().is_success() {
        *resp.status_mut() = status;
    }
    resp.map(axum::body::Body::new)
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
