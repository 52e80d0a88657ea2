//! Who is asking: the `Auth` extractor every protected handler takes (a session cookie with
//! its CSRF token for changes, or an API token), and what a user name and password must be.
//! `login` has setup, login and logout; `account` and `users` what users manage; `limiter`,
//! `passwords` and `secret` keep guessing slow and secrets unguessable.

pub mod account;
pub mod client;
pub mod limiter;
pub mod login;
pub mod passwords;
pub mod secret;
pub mod users;

pub use secret::{fill_random, hash_secret, random_token};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use serde::Deserialize;
use store::{Permission, User};

use crate::error::{ApiError, ApiResult, Code};
use crate::state::Shared;

pub const SESSION_COOKIE: &str = "oott_session";

const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated request.
pub struct Auth {
    pub user: User,
    /// The token hash of the login session, when the request came with a session cookie.
    pub session: Option<String>,
    /// Whether the request may change state: it came with a bearer token, or with the
    /// session's CSRF header (checked whatever the method).
    pub csrf_ok: bool,
}

impl Auth {
    /// Refuses users who may not do `p`.
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        if self.user.may(p) {
            return Ok(());
        }
        let what = match p {
            Permission::Upload => "add or change files",
            Permission::Delete => "delete from the library",
            Permission::EditCollections => "edit collections",
        };
        Err(ApiError::new(
            Code::Forbidden,
            format!("only an admin, or a member granted it, may {what}"),
        ))
    }

    /// Refuses a state change by a request that carries neither a bearer token nor the
    /// session's CSRF header: for the protocol's `GET` forms of `init` and `end`, which other
    /// sites could otherwise make a browser send.
    pub fn require_csrf(&self) -> ApiResult<()> {
        if self.csrf_ok {
            Ok(())
        } else {
            Err(csrf_failed())
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.user.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(Code::Forbidden, "only an admin may do this"))
        }
    }
}

impl FromRequestParts<Shared> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> ApiResult<Self> {
        authenticate(&parts.headers, &parts.method, state).await
    }
}

/// An authenticated admin: refused with 403 before the request's body is looked at.
pub struct Admin(pub Auth);

impl FromRequestParts<Shared> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> ApiResult<Self> {
        let auth = authenticate(&parts.headers, &parts.method, state).await?;
        auth.require_admin()?;
        Ok(Admin(auth))
    }
}

/// Checks a bearer token or a session cookie; a cookie-authenticated state change must also
/// carry the session's CSRF token.
pub async fn authenticate(headers: &HeaderMap, method: &Method, state: &Shared) -> ApiResult<Auth> {
    if let Some(token) = bearer(headers) {
        let hash = hash_secret(token);
        let user = state.db(move |s| s.user_by_token(&hash)).await?;
        return user
            .map(|user| Auth {
                user,
                session: None,
                csrf_ok: true,
            })
            .ok_or_else(ApiError::unauthorized);
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(ApiError::unauthorized());
    };
    let hash = hash_secret(token);
    let h = hash.clone();
    let session = state
        .db(move |s| s.session(&h))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf_ok = headers
        .get(CSRF_HEADER)
        .is_some_and(|v| constant_time_eq(v.as_bytes(), session.csrf_token.as_bytes()));
    if !safe && !csrf_ok {
        return Err(csrf_failed());
    }
    if store::now() - session.last_seen >= 300 {
        let h = hash.clone();
        state.db(move |s| s.touch_session(&h)).await?;
    }
    Ok(Auth {
        user: session.user,
        session: Some(hash),
        csrf_ok,
    })
}

fn csrf_failed() -> ApiError {
    ApiError::new(
        Code::CsrfFailed,
        "this request needs the X-CSRF-Token header of your session",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

use crate::auth::secret::constant_time_eq;

#[derive(Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

pub fn check_username(name: &str) -> ApiResult<()> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            Code::InvalidUsername,
            "a user name has 1 to 64 characters",
        ));
    }
    Ok(())
}

pub fn check_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ApiError::new(
            Code::WeakPassword,
            "a password has at least 8 characters",
        ));
    }
    Ok(())
}

/// Removes login sessions that have expired: run with the other sweeps.
pub fn sweep_sessions(store: &store::Store) -> store::Result<usize> {
    store.delete_expired_sessions()
}
