//! Request extractors whose failures answer in the API's JSON error shape.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use store::ContentId;

use crate::error::{ApiError, ApiResult, Code};

/// A JSON body; a malformed one is a 400 `invalid_json`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| JsonBody(j.0))
            .map_err(json_rejection)
    }
}

/// Why a JSON body was refused, in the API's error shape with the status that fits.
fn json_rejection(e: JsonRejection) -> ApiError {
    use axum::http::StatusCode;
    match e {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            Code::UnsupportedMediaType,
            "send the body as application/json",
        ),
        JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(Code::BodyTooLarge, "the request body is too large")
        }
        JsonRejection::BytesRejection(b) => ApiError::new(Code::BodyIncomplete, b.body_text()),
        other => ApiError::new(Code::InvalidJson, other.body_text()),
    }
}

/// The query string as names and values, read with typed getters that name what is wrong.
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::new(Code::InvalidQuery, e.body_text()))
    }
}

impl Params {
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        )
    }

    /// The first of `names` that is present.
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.0.get(*n))
            .map(String::as_str)
    }

    pub fn require(&self, names: &[&str], code: Code) -> ApiResult<&str> {
        self.get(names)
            .ok_or_else(|| ApiError::new(code, format!("{} is required", names[0])))
    }

    pub fn u64(&self, names: &[&str], code: Code) -> ApiResult<u64> {
        let v = self.require(names, code)?;
        v.parse().map_err(|_| {
            ApiError::new(
                code,
                format!("{} must be a whole number of bytes, not {v:?}", names[0]),
            )
        })
    }

    pub fn i64(&self, names: &[&str], code: Code) -> ApiResult<i64> {
        let v = self.require(names, code)?;
        v.parse()
            .map_err(|_| ApiError::new(code, format!("{} must be a whole number", names[0])))
    }

    pub fn content_id(&self, names: &[&str]) -> ApiResult<ContentId> {
        let v = self.require(names, Code::InvalidContentId)?;
        parse_content_id(v)
    }
}

pub fn parse_content_id(v: &str) -> ApiResult<ContentId> {
    ContentId::parse(v).map_err(|e| ApiError::new(Code::InvalidContentId, e.to_string()))
}

/// Checks a version label: 1 to 32 of `a-z 0-9 - _`.
pub fn check_label(label: &str) -> ApiResult<String> {
    let label = label.trim().to_ascii_lowercase();
    if store::layout::is_label(&label) {
        Ok(label)
    } else {
        Err(ApiError::new(
            Code::InvalidLabel,
            "a version label has 1 to 32 of a-z, 0-9, - and _",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(check_label(" 4K ").ok().as_deref(), Some("4k"));
        assert!(check_label("../x").is_err());
        assert!(check_label("").is_err());
    }
}
