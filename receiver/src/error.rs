//! The HTTP error: a status, a stable machine-readable code and a message, answered as
//! `{"error": {"code", "message"}}` (plus the current `offset` where a client can resume).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Declares the catalogue: each code once, with its status and what it means.
macro_rules! codes {
    ($($variant:ident = $code:literal, $status:ident, $meaning:literal;)*) => {
        /// Every error code the API answers. The README's protocol section lists them all.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }
            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    Unauthorized = "unauthorized", UNAUTHORIZED, "no session or API token, or one that has ended: log in";
    BadCredentials = "bad_credentials", UNAUTHORIZED, "wrong user name or password";
    WrongPassword = "wrong_password", FORBIDDEN, "the current password given to change it is wrong";
    TooManyAttempts = "too_many_attempts", TOO_MANY_REQUESTS, "too many failed logins for the account or the address; Retry-After says when to try again";
    Busy = "busy", SERVICE_UNAVAILABLE, "too many logins at once; try again in a moment (Retry-After)";
    CsrfFailed = "csrf_failed", FORBIDDEN, "a change made with a session cookie lacks the session's X-CSRF-Token header";
    Forbidden = "forbidden", FORBIDDEN, "the user's role or grants do not allow this";
    AlreadySetUp = "already_set_up", CONFLICT, "the first-run setup is done; log in";
    UsernameTaken = "username_taken", CONFLICT, "another user has that name";
    WeakPassword = "weak_password", BAD_REQUEST, "a password has at least 8 characters";
    InvalidUsername = "invalid_username", BAD_REQUEST, "a user name has 1 to 64 characters";
    InvalidInvitation = "invalid_invitation", NOT_FOUND, "the invitation link is unknown, used or expired";
    InvalidSetting = "invalid_setting", BAD_REQUEST, "a setting's value is not one it takes";
    UnknownSetting = "unknown_setting", BAD_REQUEST, "no such setting";
    InvalidType = "invalid_type", BAD_REQUEST, "the upload request's type is not info, init, chunk or end";
    InvalidName = "invalid_name", BAD_REQUEST, "the file name is empty, too long, has a path or starts with a dot";
    UnsupportedType = "unsupported_type", UNSUPPORTED_MEDIA_TYPE, "the file is not a video container the library takes";
    InvalidSize = "invalid_size", BAD_REQUEST, "the size is not a whole number of bytes, is 0, or no file is that large";
    InvalidLastModified = "invalid_last_modified", BAD_REQUEST, "last_modified is not a whole number";
    InvalidContentId = "invalid_content_id", BAD_REQUEST, "not an IMDb title id (tt and 7 or 8 digits)";
    InvalidMode = "invalid_mode", BAD_REQUEST, "mode is not new, replace or version";
    InvalidLabel = "invalid_label", BAD_REQUEST, "a version label has 1 to 32 of a-z, 0-9, - and _";
    InvalidUploadId = "invalid_upload_id", BAD_REQUEST, "not an upload id";
    InvalidOffset = "invalid_offset", BAD_REQUEST, "offset is not a whole number of bytes";
    InvalidChunkNr = "invalid_chunk_nr", BAD_REQUEST, "chunkNr is not a whole number";
    InvalidContentLength = "invalid_content_length", BAD_REQUEST, "Content-Length is not a number";
    InvalidDigest = "invalid_digest", BAD_REQUEST, "Content-Digest is not sha-256=:<base64>:";
    UnsupportedDigest = "unsupported_digest", BAD_REQUEST, "Content-Digest has no sha-256 value";
    TooManyFiles = "too_many_files", BAD_REQUEST, "info asks about more than 10,000 files";
    FileExists = "file_exists", CONFLICT, "this file is already in the library";
    TitleHasFile = "title_has_file", CONFLICT, "the title has a file: replace it or add a version";
    VersionExists = "version_exists", CONFLICT, "the title already has a version with that label";
    OtherRoot = "other_root", CONFLICT, "the title lives on another disk than the upload or file: start again or move the title";
    DiskFull = "disk_full", INSUFFICIENT_STORAGE, "no disk has room for it after the reserve and what unfinished uploads were promised";
    QuotaExceeded = "quota_exceeded", INSUFFICIENT_STORAGE, "the library quota would be exceeded";
    UnknownUpload = "unknown_upload", NOT_FOUND, "no such upload (of this user)";
    UploadExpired = "upload_expired", GONE, "the upload expired or its bytes are gone; start again with init";
    UploadCancelled = "upload_cancelled", GONE, "the upload was restarted or cancelled; start again with init";
    UploadComplete = "upload_complete", CONFLICT, "the upload is finished";
    OffsetMismatch = "offset_mismatch", CONFLICT, "the chunk is not at the offset the server holds; resume at `offset`";
    ChunkTooLarge = "chunk_too_large", PAYLOAD_TOO_LARGE, "the chunk is larger than max_chunk_size";
    SizeExceeded = "size_exceeded", PAYLOAD_TOO_LARGE, "the chunk goes past the size declared at init";
    DigestMismatch = "digest_mismatch", BAD_REQUEST, "the chunk does not match its Content-Digest; it was discarded";
    UploadTakenOver = "upload_taken_over", CONFLICT, "a newer request for the upload arrived; this chunk was discarded";
    BodyTimeout = "body_timeout", REQUEST_TIMEOUT, "the chunk stopped arriving; resume at `offset`";
    BodyIncomplete = "body_incomplete", BAD_REQUEST, "the request body broke off; resume at `offset`";
    IncompleteUpload = "incomplete_upload", CONFLICT, "end before every byte arrived; send the rest from `offset`";
    InvalidJson = "invalid_json", BAD_REQUEST, "the body is not the JSON this takes";
    InvalidQuery = "invalid_query", BAD_REQUEST, "the query string could not be read";
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE, "the request body is too large";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "the body is not of a type this takes (send application/json)";
    InvalidId = "invalid_id", BAD_REQUEST, "not a content id or a file id";
    InvalidPage = "invalid_page", BAD_REQUEST, "page or per_page is not a whole number";
    NotFound = "not_found", NOT_FOUND, "no such title, file, page or resource";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "this address does not take that method";
    BadRequest = "bad_request", BAD_REQUEST, "the request could not be read";
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT, "the request took too long";
    InvalidRequest = "invalid_request", UNPROCESSABLE_ENTITY, "the request could not be understood";
    TooManyRequests = "too_many_requests", TOO_MANY_REQUESTS, "too many requests; slow down";
    Conflict = "conflict", CONFLICT, "it already exists";
    Refused = "refused", CONFLICT, "the change would break a rule of the library (the last admin, say)";
    InvalidField = "invalid_field", BAD_REQUEST, "not a metadata field one can set";
    InvalidValue = "invalid_value", BAD_REQUEST, "a value has the wrong type, or a URL is not http(s)";
    MissingField = "missing_field", BAD_REQUEST, "a required field is missing";
    NoSuchTitle = "no_such_title", NOT_FOUND, "IMDb has no such title";
    MetadataUnavailable = "metadata_unavailable", BAD_GATEWAY, "IMDb could not be reached or read; the error says why";
    TooManyNames = "too_many_names", BAD_REQUEST, "too many file names in one request";
    TooManyTitles = "too_many_titles", BAD_REQUEST, "too many titles in one collection";
    InvalidLanguage = "invalid_language", BAD_REQUEST, "a subtitle language has 1 to 32 of a-z, 0-9, - and _";
    NotAVideo = "not_a_video", UNPROCESSABLE_ENTITY, "ffprobe cannot read the upload as a video; it stays an upload, not filed";
    InvalidSubtitle = "invalid_subtitle", UNPROCESSABLE_ENTITY, "the body is neither SRT nor WebVTT";
    UnknownRoot = "unknown_root", BAD_REQUEST, "there is no such disk";
    FfmpegMissing = "ffmpeg_missing", UNPROCESSABLE_ENTITY, "ffmpeg is not installed here, so transcoding cannot run";
    JobFinished = "job_finished", CONFLICT, "the transcoding job has ended; only a queued or running one can be cancelled";
    ReadOnlyMirror = "read_only_mirror", FORBIDDEN, "this server is a read-only mirror: make changes on the primary";
    JobActive = "job_active", CONFLICT, "the transcoding job is queued or running; only a failed or cancelled one can be tried again";
    Internal = "internal", INTERNAL_SERVER_ERROR, "the server failed; its log says why";
    Error = "error", INTERNAL_SERVER_ERROR, "another failure";
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    /// The bytes held, for errors a client recovers from by resuming there.
    pub offset: Option<u64>,
    /// Seconds after which trying again may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with its code's status.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status: code.status(),
            code,
            message: message.into(),
            offset: None,
            retry_after: None,
        }
    }
    /// An error answered with another status than its code's (the framework's own refusals).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    pub fn unauthorized() -> Self {
        Self::new(Code::Unauthorized, "log in or send an API token")
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound(what) => {
                ApiError::new(Code::NotFound, format!("{what} not found"))
            }
            store::Error::Conflict(what) => {
                ApiError::new(Code::Conflict, format!("{what} already exists"))
            }
            store::Error::Refused(why) => ApiError::new(Code::Refused, why),
            other => {
                tracing::error!("store: {other}");
                ApiError::internal("the database failed; see the server log")
            }
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        if is_disk_full(&e) {
            return ApiError::new(Code::DiskFull, "the media disk is full");
        }
        tracing::error!("i/o: {e}");
        ApiError::internal("a file operation failed; see the server log")
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!("task: {e}");
        ApiError::internal("a background task failed")
    }
}

pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        if let Some(off) = self.offset {
            body["offset"] = json!(off);
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(off) = self.offset {
            let h = resp.headers_mut();
            h.insert("upload-offset", HeaderValue::from(off));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's protocol section lists every code with its status.
    #[test]
    fn every_code_is_in_the_readme() {
        let readme = include_str!("../../README.md");
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} is declared twice");
            let row = format!("| `{}` | {} |", code.as_str(), code.status().as_u16());
            assert!(readme.contains(&row), "the README lacks the row {row}");
        }
    }
}
