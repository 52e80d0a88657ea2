//! First-run setup, login (limited per account and address), logout, the auth check for
//! nginx, and API tokens.

use super::secret::{hash_secret, random_token};
use super::{Auth, Credentials, SESSION_COOKIE, check_password, check_username, cookie};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use store::{Origin, User};

use crate::auth::client::Client;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::JsonBody;
use crate::state::Shared;

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
