//! The metadata API: a title's metadata (cache first), title search, file-name parsing and
//! guessing, and each user's own values for a title's fields.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{ContentId, Metadata, MetadataRecord};

use super::filename;
use super::service::MetaError;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, Params, parse_content_id};
use crate::state::Shared;

impl From<MetaError> for ApiError {
    fn from(e: MetaError) -> Self {
        match e {
            MetaError::NoSuchTitle(id) => {
                ApiError::new(Code::NoSuchTitle, format!("IMDb has no title {id}"))
            }
            MetaError::Store(e) => e.into(),
            other => ApiError::new(Code::MetadataUnavailable, other.to_string()),
        }
    }
}

/// The metadata as the API answers it: the notes' fields, and how it was fetched.
pub fn record_json(rec: &MetadataRecord) -> Value {
    let mut v = serde_json::to_value(&rec.metadata).unwrap_or(Value::Null);
    v["fetched_at"] = json!(rec.fetched_at);
    v["pending"] = json!(rec.fetched_at.is_none());
    v["fetch_error"] = json!(rec.fetch_error);
    v["poster"] = json!(rec.poster_file.as_ref().map(|p| format!("/media/{p}")));
    v["poster_card"] = json!(
        rec.poster_file
            .as_ref()
            .map(|p| format!("/media/{}", store::layout::card_of_poster(p)))
    );
    v
}

/// The metadata with the user's own values laid over it, and the names of those fields.
pub fn merged(rec: &MetadataRecord, own: &Map<String, Value>) -> Value {
    let mut v = record_json(rec);
    for (k, val) in own {
        v[k] = val.clone();
    }
    v["user_fields"] = json!(own.keys().collect::<Vec<_>>());
    v
}

/// `GET /api/metadata/<content_id>`.
pub async fn get(
    State(st): State<Shared>,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    let rec = st.meta.get(&id).await?;
    Ok(Json(record_json(&rec)))
}

/// `POST /api/metadata/<content_id>/refresh`: fetch again now.
pub async fn refresh(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Upload)?;
    let id = parse_content_id(&id)?;
    let rec = st.meta.refresh(&id).await?;
    Ok(Json(record_json(&rec)))
}

/// `GET /api/metadata/search?q=`.
pub async fn search(State(st): State<Shared>, _auth: Auth, p: Params) -> ApiResult<Json<Value>> {
    let q = p.require(&["q"], Code::InvalidQuery)?.trim().to_owned();
    if q.chars().count() > 200 {
        return Err(ApiError::new(
            Code::InvalidQuery,
            "a search has at most 200 characters",
        ));
    }
    let results = st.meta.search(&q).await?;
    Ok(Json(json!({"query": q, "results": results})))
}

#[derive(Deserialize)]
pub struct Names {
    names: Vec<String>,
    /// For `guess`: each file's own title tag, when the container has one (read by the client
    /// from the file's first and last bytes), in the order of `names`.
    #[serde(default)]
    titles: Vec<Option<String>>,
}

fn check_names(n: &Names) -> ApiResult<()> {
    let long = |s: &String| s.len() > 4096;
    if n.names.len() > 1000
        || n.names.iter().any(long)
        || n.titles.len() > n.names.len()
        || n.titles.iter().flatten().any(long)
    {
        return Err(ApiError::new(
            Code::TooManyNames,
            "at most 1,000 names of at most 4 KiB each",
        ));
    }
    Ok(())
}

/// `POST /api/metadata/parse-filename` with `{"names": [...]}`: no network access at all.
pub async fn parse_filename(_auth: Auth, JsonBody(n): JsonBody<Names>) -> ApiResult<Json<Value>> {
    check_names(&n)?;
    let results: Vec<_> = n.names.iter().map(|s| filename::parse(s)).collect();
    Ok(Json(json!({"results": results})))
}

/// `POST /api/metadata/guess` with `{"names": [...]}`: ranked IMDb candidates per name.
pub async fn guess(
    State(st): State<Shared>,
    _auth: Auth,
    JsonBody(n): JsonBody<Names>,
) -> ApiResult<Json<Value>> {
    check_names(&n)?;
    if n.names.len() > 100 {
        return Err(ApiError::new(
            Code::TooManyNames,
            "guess at most 100 names at once",
        ));
    }
    let mut results = Vec::with_capacity(n.names.len());
    for (i, name) in n.names.iter().enumerate() {
        let mut parsed = filename::parse(name);
        if let Some(Some(tag)) = n.titles.get(i) {
            parsed = filename::with_container_title(parsed, tag);
        }
        let v = match st.meta.guess(&parsed).await {
            Ok(c) => json!({"name": name, "parsed": parsed, "candidates": c}),
            Err(e) => {
                json!({"name": name, "parsed": parsed, "candidates": [], "error": e.to_string()})
            }
        };
        results.push(v);
    }
    Ok(Json(json!({"results": results})))
}

/// The fields a user may set, as the API names them.
const EDITABLE: &[&str] = &[
    "title",
    "original_title",
    "year",
    "kind",
    "stars",
    "cast",
    "directors",
    "writers",
    "genres",
    "duration",
    "plot_short",
    "plot_long",
    "rating",
    "poster_url",
    "parental_rating",
    "metascore",
    "suggestions",
    "tagline",
    "wikidata_id",
    "rotten_tomatoes",
    "metacritic_url",
    "metacritic_rating",
    "details",
    "awards",
    "trailer_url",
];

/// `PUT /api/users/me/metadata/<content_id>` with `{field: value, …}`: the user's own values.
pub async fn put_own(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    if body.is_empty() {
        return Err(ApiError::new(Code::InvalidField, "name at least one field"));
    }
    if let Some(bad) = body.keys().find(|k| !EDITABLE.contains(&k.as_str())) {
        return Err(ApiError::new(
            Code::InvalidField,
            format!("{bad:?} is not a metadata field one can set"),
        ));
    }
    if let Some(bad) = store::URL_FIELDS.iter().find(|k| {
        body.get(**k)
            .is_some_and(|v| !v.is_null() && !v.as_str().is_some_and(store::is_web_url))
    }) {
        return Err(ApiError::new(
            Code::InvalidValue,
            format!("{bad} must be an http or https address"),
        ));
    }
    let rec = st.meta.get(&id).await.or_else(|e| known_or(&st, &id, e))?;
    // The merged view must still be valid metadata: this checks every value's type.
    let mut probe =
        serde_json::to_value(&rec.metadata).map_err(|e| ApiError::internal(e.to_string()))?;
    for (k, v) in &body {
        probe[k] = v.clone();
    }
    serde_json::from_value::<Metadata>(probe).map_err(|e| {
        ApiError::new(
            Code::InvalidValue,
            format!("a value has the wrong type: {e}"),
        )
    })?;
    let (uid, i) = (auth.user.id, id.clone());
    let own = st
        .db(move |s| {
            s.set_overrides(uid, &i, &body)?;
            s.overrides(uid, &i)
        })
        .await?;
    Ok(Json(merged(&rec, &own)))
}

/// `DELETE /api/users/me/metadata/<content_id>[?fields=a,b]`: back to the fetched values.
pub async fn delete_own(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<Json<Value>> {
    let id = parse_content_id(&id)?;
    let fields: Option<Vec<String>> = p
        .get(&["fields", "field"])
        .map(|f| f.split(',').map(|s| s.trim().to_owned()).collect());
    let (uid, i) = (auth.user.id, id.clone());
    let removed = st
        .db(move |s| s.clear_overrides(uid, &i, fields.as_deref()))
        .await?;
    Ok(Json(json!({"content_id": id, "removed": removed})))
}

/// The cached record even when fetching failed, if the title is known at all.
fn known_or(st: &Shared, id: &ContentId, e: MetaError) -> Result<MetadataRecord, ApiError> {
    match st.store.metadata(id) {
        Ok(Some(rec)) => Ok(rec),
        _ => Err(e.into()),
    }
}
