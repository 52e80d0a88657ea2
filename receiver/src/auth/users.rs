//! The admin's user management (`/api/users`): create users, set roles and grants, reset
//! passwords, remove users, and invitation links that let a person choose their own password
//! (`/api/auth/invitation`, the only part open to someone not logged in).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Grants, Role, UserPatch};

use crate::auth::client::Client;
use crate::auth::login::start_session;
use crate::auth::{Admin, check_password, check_username, hash_secret, random_token};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::JsonBody;
use crate::state::Shared;

/// `GET /api/users`.
pub async fn list(State(st): State<Shared>, Admin(_): Admin) -> ApiResult<Json<Value>> {
    let users = st.db(|s| s.list_users()).await?;
    Ok(Json(json!({ "users": users })))
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    role: Role,
    #[serde(flatten)]
    grants: Grants,
}

fn taken(e: ApiError) -> ApiError {
    if e.code == Code::Conflict {
        ApiError::new(Code::UsernameTaken, "that user name is taken")
    } else {
        e
    }
}

/// `POST /api/users` `{username, password, role?, can_upload?, can_delete?, can_edit_collections?}`.
pub async fn create(
    State(st): State<Shared>,
    Admin(auth): Admin,
    JsonBody(n): JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_username(&n.username)?;
    check_password(&n.password)?;
    let hash = st.passwords.hash(n.password).await?;
    let name = n.username.trim().to_owned();
    let user = st
        .db(move |s| s.create_user_with(&name, &hash, n.role, n.grants))
        .await
        .map_err(taken)?;
    tracing::info!(by = %auth.user.username, user = %user.username, "user created");
    Ok((StatusCode::CREATED, Json(json!(user))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    role: Option<Role>,
    can_upload: Option<bool>,
    can_delete: Option<bool>,
    can_edit_collections: Option<bool>,
    /// A new password set by the admin; the user's sessions end.
    password: Option<String>,
}

/// `PATCH /api/users/<id>`: role, grants, or a password reset.
pub async fn update(
    State(st): State<Shared>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    JsonBody(c): JsonBody<Change>,
) -> ApiResult<Json<Value>> {
    let hash = match c.password {
        Some(p) => {
            check_password(&p)?;
            Some(st.passwords.hash(p).await?)
        }
        None => None,
    };
    let patch = UserPatch {
        role: c.role,
        can_upload: c.can_upload,
        can_delete: c.can_delete,
        can_edit_collections: c.can_edit_collections,
    };
    let user = st
        .db(move |s| {
            let user = s.update_user(id, &patch)?;
            if let Some(h) = &hash {
                s.set_password(id, h, None, true)?;
            }
            Ok(user)
        })
        .await?;
    Ok(Json(json!(user)))
}

/// `DELETE /api/users/<id>`: the user's sessions, tokens and own metadata go; files stay.
pub async fn delete(
    State(st): State<Shared>,
    Admin(auth): Admin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    st.db(move |s| s.delete_user(id)).await?;
    tracing::info!(by = %auth.user.username, user = id, "user removed");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub struct NewInvitation {
    #[serde(default)]
    role: Role,
    #[serde(flatten)]
    grants: Grants,
}

/// `POST /api/users/invitations`: a link a person opens to choose their name and password.
pub async fn invite(
    State(st): State<Shared>,
    Admin(auth): Admin,
    body: Option<Json<NewInvitation>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let n = body.map(|b| b.0).unwrap_or_default();
    let token = random_token();
    let (hash, uid) = (hash_secret(&token), auth.user.id);
    let ttl = st.config.invitation_ttl.as_secs() as i64;
    let inv = st
        .db(move |s| s.create_invitation(&hash, n.role, n.grants, uid, ttl))
        .await?;
    let mut v = json!(inv);
    v["token"] = json!(token);
    v["path"] = json!(format!("/invite/?token={token}"));
    Ok((StatusCode::CREATED, Json(v)))
}

/// `GET /api/users/invitations`: the links not yet used or expired.
pub async fn invitations(State(st): State<Shared>, Admin(_): Admin) -> ApiResult<Json<Value>> {
    let list = st.db(|s| s.open_invitations()).await?;
    Ok(Json(json!({ "invitations": list })))
}

/// `DELETE /api/users/invitations/<id>`.
pub async fn withdraw(
    State(st): State<Shared>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    st.db(move |s| s.delete_invitation(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn no_invitation() -> ApiError {
    ApiError::new(
        Code::InvalidInvitation,
        "this invitation link is unknown, used or expired; ask for a new one",
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: String,
}

/// `GET /api/auth/invitation?token=`: whether a link is still good, and what it grants.
pub async fn invitation(
    State(st): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    let hash = hash_secret(&q.token);
    let inv = st
        .db(move |s| s.invitation(&hash))
        .await?
        .ok_or_else(no_invitation)?;
    Ok(Json(json!(inv)))
}

#[derive(Deserialize)]
pub struct Acceptance {
    token: String,
    username: String,
    password: String,
}

/// `POST /api/auth/invitation` `{token, username, password}`: creates the user and logs them in.
pub async fn accept(
    State(st): State<Shared>,
    client: Client,
    JsonBody(a): JsonBody<Acceptance>,
) -> ApiResult<Response> {
    check_username(&a.username)?;
    check_password(&a.password)?;
    let (hash, name) = (hash_secret(&a.token), a.username.trim().to_owned());
    // An unknown, used or expired link is refused before any hashing.
    let h = hash.clone();
    if st.db(move |s| s.invitation(&h)).await?.is_none() {
        return Err(no_invitation());
    }
    let pw = st.passwords.hash(a.password).await?;
    let user = st
        .db(move |s| s.accept_invitation(&hash, &name, &pw))
        .await
        .map_err(|e| {
            if e.status == StatusCode::NOT_FOUND {
                no_invitation()
            } else {
                taken(e)
            }
        })?;
    tracing::info!(user = %user.username, "invitation accepted");
    start_session(&st, user, &client, StatusCode::CREATED).await
}
