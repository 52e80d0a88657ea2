//! What every user manages for themselves: their password, their login sessions, their API
//! tokens and their settings (`/api/users/me/…`, `/api/auth/sessions`, `/api/auth/tokens`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::{Auth, check_password};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::JsonBody;
use crate::state::Shared;

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `PUT /api/users/me/password`: needs the current password; ends the user's other sessions.
pub async fn change_password(
    State(st): State<Shared>,
    auth: Auth,
    JsonBody(p): JsonBody<PasswordChange>,
) -> ApiResult<StatusCode> {
    check_password(&p.new_password)?;
    let uid = auth.user.id;
    let hash = st.db(move |s| s.user_by_id(uid)).await?.map(|(_, h)| h);
    if !st.passwords.verify(p.current_password, hash).await? {
        return Err(ApiError::new(
            Code::WrongPassword,
            "the current password is wrong",
        ));
    }
    let new = st.passwords.hash(p.new_password).await?;
    let keep = auth.session.clone();
    st.db(move |s| s.set_password(uid, &new, keep.as_deref(), false))
        .await?;
    tracing::info!(user = %auth.user.username, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/auth/sessions`: the caller's live sessions; `current` marks the one asking.
pub async fn sessions(State(st): State<Shared>, auth: Auth) -> ApiResult<Json<Value>> {
    let uid = auth.user.id;
    let list = st.db(move |s| s.sessions_of(uid)).await?;
    let current = auth.session.as_deref().map(store::Store::session_id);
    let list: Vec<Value> = list
        .into_iter()
        .map(|s| {
            let mine = Some(s.id.as_str()) == current;
            let mut v = json!(s);
            v["current"] = json!(mine);
            v
        })
        .collect();
    Ok(Json(json!({ "sessions": list })))
}

/// `DELETE /api/auth/sessions/<id>`: logs that session out.
pub async fn revoke_session(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let uid = auth.user.id;
    st.db(move |s| s.revoke_session(uid, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/auth/tokens`: the caller's API tokens (names and use, never the tokens).
pub async fn tokens(State(st): State<Shared>, auth: Auth) -> ApiResult<Json<Value>> {
    let uid = auth.user.id;
    let list = st.db(move |s| s.api_tokens_of(uid)).await?;
    Ok(Json(json!({ "tokens": list })))
}

/// `DELETE /api/auth/tokens/<id>`.
pub async fn revoke_token(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let uid = auth.user.id;
    st.db(move |s| s.revoke_api_token(uid, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A setting the pages apply, its default, and what values it takes.
struct Setting {
    key: &'static str,
    default: fn() -> Value,
    valid: fn(&Value) -> bool,
}

fn one_of(v: &Value, allowed: &[&str]) -> bool {
    v.as_str().is_some_and(|s| allowed.contains(&s))
}

/// A language tag like `en`, `pt-BR`, or empty for none.
fn language(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

const SETTINGS: &[Setting] = &[
    Setting {
        key: "theme",
        default: || json!("system"),
        valid: |v| one_of(v, &["system", "dark", "light"]),
    },
    Setting {
        key: "language",
        default: || json!("en"),
        valid: language,
    },
    Setting {
        key: "autoplay",
        default: || json!(false),
        valid: Value::is_boolean,
    },
    Setting {
        key: "autoplay_trailers",
        default: || json!(false),
        valid: Value::is_boolean,
    },
    Setting {
        key: "subtitle_language",
        default: || json!(""),
        valid: language,
    },
    Setting {
        key: "audio_language",
        default: || json!(""),
        valid: language,
    },
    Setting {
        key: "preferred_quality",
        default: || json!("auto"),
        valid: |v| one_of(v, &["auto", "original", "2160p", "1080p", "720p", "480p"]),
    },
    Setting {
        key: "card_size",
        default: || json!("medium"),
        valid: |v| one_of(v, &["small", "medium", "large"]),
    },
];

async fn settings_of(st: &Shared, uid: i64) -> ApiResult<Value> {
    let stored = st.db(move |s| s.settings(uid)).await?;
    let mut out = Map::new();
    for s in SETTINGS {
        let v = stored
            .iter()
            .find(|(k, _)| k == s.key)
            .and_then(|(_, v)| serde_json::from_str(v).ok())
            .filter(|v| (s.valid)(v))
            .unwrap_or_else(s.default);
        out.insert(s.key.into(), v);
    }
    Ok(Value::Object(out))
}

/// `GET /api/users/me/settings`: every setting, the caller's value or the default.
pub async fn get_settings(State(st): State<Shared>, auth: Auth) -> ApiResult<Json<Value>> {
    Ok(Json(settings_of(&st, auth.user.id).await?))
}

/// `PUT /api/users/me/settings` `{key: value, …}`: sets the keys given; all or none.
pub async fn put_settings(
    State(st): State<Shared>,
    auth: Auth,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let mut values = Vec::with_capacity(body.len());
    for (k, v) in body {
        let Some(s) = SETTINGS.iter().find(|s| s.key == k) else {
            let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
            return Err(ApiError::new(
                Code::UnknownSetting,
                format!("no setting {k:?}; the settings are {}", known.join(", ")),
            ));
        };
        if !(s.valid)(&v) {
            return Err(ApiError::new(
                Code::InvalidSetting,
                format!("{v} is not a value for {k}"),
            ));
        }
        values.push((k, v.to_string()));
    }
    let uid = auth.user.id;
    st.db(move |s| s.put_settings(uid, &values)).await?;
    Ok(Json(settings_of(&st, uid).await?))
}
