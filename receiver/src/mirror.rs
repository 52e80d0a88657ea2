//! A read-only mirror (`mode = "mirror"`): it serves the copy of the library, the site and the
//! database the sync agent keeps, answers nginx's login check from that copy, and refuses every
//! change with one clear error. `promote` makes a mirror's copy a primary's.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};
use crate::state::Shared;

/// Whether a request would change something: any method but GET and HEAD, and the upload
/// protocol's GET forms (`init`, `end`).
pub fn is_change(method: &Method, path: &str, query: Option<&str>) -> bool {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return true;
    }
    path.starts_with("/api/library/upload")
        && query.is_some_and(|q| {
            q.split('&')
                .any(|kv| matches!(kv, "type=init" | "type=end" | "type=chunk"))
        })
}

/// Refuses changes on a mirror; everything else goes on.
pub async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if st.config.is_mirror() && is_change(req.method(), req.uri().path(), req.uri().query()) {
        return ApiError::new(
            Code::ReadOnlyMirror,
            "this server is a read-only mirror of the library: upload, edit and log in on the primary",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_mirror_refuses() {
        for (method, path, query, change) in [
            (Method::GET, "/api/library/movies/tt0133093", None, false),
            (
                Method::HEAD,
                "/api/library/upload/",
                Some("uploadId=x"),
                false,
            ),
            (Method::GET, "/api/auth/check", None, false),
            (Method::POST, "/api/auth/login", None, true),
            (
                Method::GET,
                "/api/library/upload/",
                Some("type=init&name=a.mkv"),
                true,
            ),
            (Method::PUT, "/api/users/me/progress/tt0133093", None, true),
            (Method::DELETE, "/api/library/movies/x", None, true),
        ] {
            assert_eq!(is_change(&method, path, query), change, "{method} {path}");
        }
    }
}
