//! Who is asking: first-run setup, login sessions (HttpOnly cookie plus a CSRF token for state
//! changes), API tokens for programs, and the `Auth` extractor every protected handler takes.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{Origin, Permission, User};

use crate::client::Client;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::JsonBody;
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

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

use crate::passwords::constant_time_eq;

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    fill_random(&mut b);
    store::hex(&b)
}

pub fn fill_random(buf: &mut [u8]) {
    // The OS random source failing is not something a server can carry on without.
    #[allow(clippy::expect_used, reason = "no randomness, no secure ids: stop")]
    getrandom::getrandom(buf).expect("the operating system's random source failed");
}

/// Tokens are stored only as their SHA-256: a stolen database holds no usable token.
pub fn hash_secret(token: &str) -> String {
    store::hex(&Sha256::digest(token.as_bytes()))
}

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

/// `GET /api/auth/setup`: whether the first-run setup is still open.
pub async fn setup_status(State(st): State<Shared>) -> ApiResult<Json<serde_json::Value>> {
    let n = st.db(|s| s.user_count()).await?;
    Ok(Json(json!({"setup_required": n == 0})))
}

/// `POST /api/auth/setup`: creates the admin while no user exists, and logs them in.
pub async fn setup(
    State(st): State<Shared>,
    client: Client,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Response> {
    check_username(&c.username)?;
    check_password(&c.password)?;
    // Refused before any hashing once set up: hashing is what costs memory and time.
    if st.db(|s| s.user_count()).await? > 0 {
        return Err(already_set_up());
    }
    let hash = st.passwords.hash(c.password).await?;
    let name = c.username.trim().to_owned();
    let user = st
        .db(move |s| s.create_first_admin(&name, &hash))
        .await
        .map_err(|e| {
            if e.status == StatusCode::CONFLICT {
                already_set_up()
            } else {
                e
            }
        })?;
    start_session(&st, user, &client, StatusCode::CREATED).await
}

fn already_set_up() -> ApiError {
    ApiError::new(
        Code::AlreadySetUp,
        "the server has an admin already; log in",
    )
}

/// `POST /api/auth/login`, limited per account and per address; a failure is logged with the
/// name and the address, never the password.
pub async fn login(
    State(st): State<Shared>,
    client: Client,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Response> {
    let name = c.username.trim().to_owned();
    let keys = st.logins.keys(&name, &client.address);
    st.logins.begin(&keys)?;
    let n = name.clone();
    let found = st.db(move |s| s.user_by_name(&n)).await?;
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    if !st.passwords.verify(c.password, hash).await? {
        tracing::warn!(username = %name, address = %client.address, "failed login");
        return Err(ApiError::new(
            Code::BadCredentials,
            "wrong user name or password",
        ));
    }
    st.logins.succeeded(&keys);
    let user = user.ok_or_else(ApiError::unauthorized)?;
    start_session(&st, user, &client, StatusCode::OK).await
}

/// Logs `user` in: a new session, its cookie, and the CSRF token in the body.
pub async fn start_session(
    st: &Shared,
    user: User,
    client: &Client,
    status: StatusCode,
) -> ApiResult<Response> {
    let token = random_token();
    let csrf = random_token();
    let ttl = st.config.session_ttl.as_secs() as i64;
    let (hash, csrf2, uid) = (hash_secret(&token), csrf.clone(), user.id);
    let origin = Origin {
        user_agent: client.user_agent.clone(),
        address: client.address.clone(),
    };
    st.db(move |s| {
        s.create_session_from(uid, &hash, &csrf2, ttl, &origin)?;
        s.record_login(uid)
    })
    .await?;
    let secure = if client.https { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={ttl}{secure}"
    );
    let mut resp = (status, Json(json!({"user": user, "csrf_token": csrf}))).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(resp)
}

/// `POST /api/auth/logout`: ends this session.
pub async fn logout(
    State(st): State<Shared>,
    auth: Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let _ = auth;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let hash = hash_secret(token);
        st.db(move |s| s.delete_session(&hash)).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(resp)
}

/// `GET /api/auth/check`: 204 for a valid session or token (nginx's `auth_request`).
pub async fn check(_auth: Auth) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `GET /api/auth/me`: the user, and for a cookie session its CSRF token (pages need it after a
/// reload, since the cookie itself is out of their reach).
pub async fn me(
    State(st): State<Shared>,
    auth: Auth,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let csrf = match cookie(&headers, SESSION_COOKIE) {
        Some(token) => {
            let hash = hash_secret(token);
            st.db(move |s| s.session(&hash))
                .await?
                .map(|s| s.csrf_token)
        }
        None => None,
    };
    Ok(Json(json!({"user": auth.user, "csrf_token": csrf})))
}

#[derive(Deserialize, Default)]
pub struct NewToken {
    #[serde(default)]
    name: String,
}

/// `POST /api/auth/tokens`: a new API token for the caller; shown once, stored hashed.
pub async fn create_token(
    State(st): State<Shared>,
    auth: Auth,
    body: Option<Json<NewToken>>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let name = body.map(|b| b.0.name).unwrap_or_default();
    let name = if name.trim().is_empty() {
        "api token".to_owned()
    } else {
        name.trim().to_owned()
    };
    let token = random_token();
    let (hash, uid) = (hash_secret(&token), auth.user.id);
    let id = st
        .db(move |s| s.create_api_token(uid, &hash, &name))
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"token": token, "id": id}))))
}
