//! The collections API, as the notes give it: `name`, `type` (franchise | sequel | custom) and
//! `content` (content ids, in order).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Collection, CollectionKind, CollectionPatch, ContentId};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, parse_content_id};
use crate::state::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    content: Option<Vec<String>>,
}

impl Body {
    fn into_patch(self) -> ApiResult<CollectionPatch> {
        let name = self.name.map(|n| n.trim().to_owned());
        if name
            .as_ref()
            .is_some_and(|n| n.is_empty() || n.chars().count() > 200)
        {
            return Err(ApiError::new(
                Code::InvalidName,
                "a collection name has 1 to 200 characters",
            ));
        }
        let kind = self
            .kind
            .map(|k| match k.as_str() {
                "franchise" => Ok(CollectionKind::Franchise),
                "sequel" => Ok(CollectionKind::Sequel),
                "custom" => Ok(CollectionKind::Custom),
                _ => Err(ApiError::new(
                    Code::InvalidType,
                    "type must be franchise, sequel or custom",
                )),
            })
            .transpose()?;
        let content = self
            .content
            .map(|c| {
                c.iter()
                    .map(|s| parse_content_id(s))
                    .collect::<ApiResult<Vec<ContentId>>>()
            })
            .transpose()?;
        if content.as_ref().is_some_and(|c| c.len() > 10_000) {
            return Err(ApiError::new(
                Code::TooManyTitles,
                "a collection holds at most 10,000 titles",
            ));
        }
        Ok(CollectionPatch {
            name,
            kind,
            content,
        })
    }
}

fn parse_id(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::new(Code::InvalidId, "a collection id is a number"))
}

fn not_found(e: ApiError) -> ApiError {
    if e.status == StatusCode::NOT_FOUND {
        ApiError::new(Code::NotFound, "no such collection")
    } else {
        e
    }
}

pub async fn list(State(st): State<Shared>, _auth: Auth) -> ApiResult<Json<Value>> {
    let all = st.db(|s| s.collections()).await?;
    Ok(Json(json!({"collections": all})))
}

pub async fn get(
    State(st): State<Shared>,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Collection>> {
    let id = parse_id(&id)?;
    let c = st.db(move |s| s.collection(id)).await?;
    c.map(Json)
        .ok_or_else(|| ApiError::new(Code::NotFound, "no such collection"))
}

/// `POST`: `name` and `type` are required.
pub async fn create(
    State(st): State<Shared>,
    auth: Auth,
    JsonBody(body): JsonBody<Body>,
) -> ApiResult<(StatusCode, Json<Collection>)> {
    auth.require(store::Permission::EditCollections)?;
    let p = body.into_patch()?;
    let (Some(name), Some(kind)) = (p.name, p.kind) else {
        return Err(ApiError::new(
            Code::MissingField,
            "name and type are required",
        ));
    };
    let content = p.content.unwrap_or_default();
    let c = st
        .db(move |s| s.create_collection(&name, kind, &content))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `PUT` replaces every field (`content` defaults to empty); `PATCH` replaces those given.
pub async fn update(
    st: State<Shared>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<Body>,
    full: bool,
) -> ApiResult<Json<Collection>> {
    auth.require(store::Permission::EditCollections)?;
    let id = parse_id(&id.0)?;
    let mut p = body.0.into_patch()?;
    if full {
        if p.name.is_none() || p.kind.is_none() {
            return Err(ApiError::new(Code::MissingField, "PUT needs name and type"));
        }
        p.content.get_or_insert_with(Vec::new);
    }
    let c = st
        .db(move |s| s.update_collection(id, &p))
        .await
        .map_err(not_found)?;
    Ok(Json(c))
}

pub async fn put(
    st: State<Shared>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<Body>,
) -> ApiResult<Json<Collection>> {
    update(st, auth, id, body, true).await
}

pub async fn patch(
    st: State<Shared>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<Body>,
) -> ApiResult<Json<Collection>> {
    update(st, auth, id, body, false).await
}

pub async fn delete(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require(store::Permission::EditCollections)?;
    let id = parse_id(&id)?;
    st.db(move |s| s.delete_collection(id))
        .await
        .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}
