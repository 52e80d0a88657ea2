//! `POST …?type=chunk`: appends one chunk to an upload. The body is streamed to the part file
//! (never held whole), the offset is acknowledged only once the bytes are durable, and a chunk
//! that fails its digest, overruns the declared size or is taken over by a newer request is cut
//! off again, so the part file only ever holds bytes the client meant for that position.

use std::fs::File;
use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code, is_disk_full};
use crate::extract::Params;
use crate::space::Space;
use crate::state::Shared;
use crate::upload::common::{load, offset_response, require_active};
use crate::upload::staging;

/// How a chunk's body ended.
enum Outcome {
    Done,
    TakenOver,
    TimedOut,
    Broken(String),
    TooLarge,
    Overrun,
}

pub async fn chunk(
    st: Shared,
    auth: Auth,
    p: Params,
    headers: HeaderMap,
    mut body: Body,
) -> ApiResult<Response> {
    auth.require(store::Permission::Upload)?;
    let u = load(&st, &auth, &p).await?;
    require_active(&u)?;
    let offset = p.u64(&["offset"], Code::InvalidOffset)?;
    if let Some(nr) = p.get(&["chunkNr", "chunk_nr"]) {
        nr.parse::<u64>()
            .map_err(|_| ApiError::new(Code::InvalidChunkNr, "chunkNr must be a whole number"))?;
    }
    let max = st.config.max_chunk_size;
    let declared = content_length(&headers)?;
    if declared.is_some_and(|n| n > max) {
        return Err(chunk_too_large(max));
    }
    if declared.is_some_and(|n| offset.saturating_add(n) > u.size) {
        return Err(overrun(u.size));
    }
    let want_digest = content_digest(&headers)?;

    let slot = st.slots.acquire(u.upload_id.as_str()).await;
    // The upload may have changed while we waited for it.
    let uid = u.upload_id.clone();
    let u = st
        .db(move |s| s.upload(&uid))
        .await?
        .ok_or_else(|| ApiError::new(Code::UnknownUpload, "no such upload"))?;
    require_active(&u)?;
    let root = st.root_path(&u.root)?;
    let (r2, id2) = (root.clone(), u.upload_id.clone());
    let (held, file) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let held = staging::held(&r2, &id2)?;
        let file = match held {
            Some(_) => Some(staging::open_part(&r2, &id2)?),
            None => None,
        };
        Ok((held, file))
    })
    .await??;
    let (Some(held), Some(file)) = (held, file) else {
        return Err(ApiError::new(
            Code::UploadExpired,
            "this upload's bytes are gone",
        ));
    };
    if offset != held {
        return Err(ApiError::new(
            Code::OffsetMismatch,
            format!("the server holds {held} bytes; send the chunk at that offset"),
        )
        .with_offset(held));
    }

    // The space was promised at init; it is checked again as the bytes land, so an upload
    // never eats into the reserve or into what other uploads were promised, whatever else
    // filled the disk meanwhile.
    let coming = declared.unwrap_or(max.min(u.size - offset));
    Space::measure(&st)
        .await?
        .pick(coming, std::slice::from_ref(&u.upload_id), Some(&u.root))
        .map_err(|e| e.with_offset(offset))?;

    let hashing = want_digest.is_some();
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let writer = tokio::task::spawn_blocking(move || write_frames(file, rx, hashing));
    let limit = max.min(u.size - offset);
    let mut received = 0u64;
    let outcome = loop {
        let frame = tokio::select! {
            biased;
            _ = slot.stop_requested() => break Outcome::TakenOver,
            f = tokio::time::timeout(st.config.body_timeout, body.frame()) => f,
        };
        let data = match frame {
            Err(_) => break Outcome::TimedOut,
            Ok(None) => break Outcome::Done,
            Ok(Some(Err(e))) => break Outcome::Broken(e.to_string()),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(d) => d,
                Err(_) => continue,
            },
        };
        received += data.len() as u64;
        if received > limit {
            break if received > max {
                Outcome::TooLarge
            } else {
                Outcome::Overrun
            };
        }
        if tx.send(data).await.is_err() {
            break Outcome::Done; // the writer failed; its error is reported below
        }
    };
    drop(tx);
    let (file, written, digest, write_error) = writer.await?;
    st.count_received(written);

    let keep = match (&outcome, &write_error) {
        (_, Some(_)) => false,
        (Outcome::Done, None) => want_digest.is_none_or(|want| digest == Some(want)),
        // A broken or stalled body keeps what arrived, unless it cannot be verified.
        (Outcome::TimedOut | Outcome::Broken(_), None) => want_digest.is_none(),
        (Outcome::TakenOver | Outcome::TooLarge | Outcome::Overrun, None) => false,
    };
    let new_offset = if keep { offset + written } else { offset };
    if keep && written > 0 {
        st.crash_point("chunk:before-sync");
    }
    let settle = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if !keep {
            file.set_len(offset)?;
        }
        file.sync_data()
    })
    .await?;
    drop(slot);
    if let Some(e) = write_error {
        return Err(if is_disk_full(&e) {
            ApiError::new(
                Code::DiskFull,
                "the media disk is full; the chunk was discarded",
            )
        } else {
            ApiError::from(e)
        }
        .with_offset(offset));
    }
    settle?;

    let err = match outcome {
        Outcome::Done if keep => {
            let body = json!({"upload_id": u.upload_id, "offset": new_offset, "size": u.size,
                "complete": new_offset == u.size});
            return Ok(offset_response(StatusCode::OK, new_offset, body));
        }
        Outcome::Done => ApiError::new(
            Code::DigestMismatch,
            "the chunk does not match its Content-Digest; it was discarded",
        ),
        Outcome::TakenOver => ApiError::new(
            Code::UploadTakenOver,
            "another request for this upload arrived; this chunk was discarded",
        ),
        Outcome::TimedOut => ApiError::new(
            Code::BodyTimeout,
            "the chunk stopped arriving; resume at the offset",
        ),
        Outcome::Broken(why) => {
            tracing::info!(upload = %u.upload_id, "chunk body broke off: {why}");
            ApiError::new(
                Code::BodyIncomplete,
                "the chunk broke off; resume at the offset",
            )
        }
        Outcome::TooLarge => chunk_too_large(max),
        Outcome::Overrun => overrun(u.size),
    };
    Err(err.with_offset(new_offset))
}

/// Appends frames until the channel closes; answers the file, the bytes written, their SHA-256
/// (when asked) and the first write error.
fn write_frames(
    mut file: File,
    mut rx: mpsc::Receiver<Bytes>,
    hashing: bool,
) -> (File, u64, Option<[u8; 32]>, Option<std::io::Error>) {
    let mut hasher = hashing.then(Sha256::new);
    let mut written = 0u64;
    let mut flushed = 0u64;
    let start = file.metadata().map(|m| m.len()).unwrap_or(0);
    while let Some(data) = rx.blocking_recv() {
        if let Err(e) = file.write_all(&data) {
            return (file, written, None, Some(e));
        }
        if let Some(h) = &mut hasher {
            h.update(&data);
        }
        written += data.len() as u64;
        if written - flushed >= WRITEBACK_STEP {
            start_writeback(&file, start + flushed, written - flushed);
            flushed = written;
        }
    }
    (file, written, hasher.map(|h| h.finalize().into()), None)
}

/// Bytes after which the writer asks the kernel to start writing them to disk.
const WRITEBACK_STEP: u64 = 8 << 20;

/// Starts writing a range of the file to disk without waiting, so the `fdatasync` that
/// acknowledges the chunk finds most of it done (the disk works while the network does).
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the whole call; the flag only starts writeback.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as i64,
            len as i64,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

fn content_length(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    headers
        .get(header::CONTENT_LENGTH)
        .map(|v| {
            v.to_str().ok().and_then(|s| s.parse().ok()).ok_or_else(|| {
                ApiError::new(Code::InvalidContentLength, "Content-Length is not a number")
            })
        })
        .transpose()
}

/// The SHA-256 of an RFC 9530 `Content-Digest: sha-256=:<base64>:` header, if one was sent.
fn content_digest(headers: &HeaderMap) -> ApiResult<Option<[u8; 32]>> {
    let Some(v) = headers.get("content-digest") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            Code::InvalidDigest,
            "Content-Digest must be sha-256=:<base64>:",
        )
    };
    let v = v.to_str().map_err(|_| bad())?;
    for item in v.split(',') {
        let Some((alg, val)) = item.trim().split_once('=') else {
            return Err(bad());
        };
        if !alg.trim().eq_ignore_ascii_case("sha-256") {
            continue;
        }
        let b64 = val
            .trim()
            .strip_prefix(':')
            .and_then(|s| s.strip_suffix(':'))
            .ok_or_else(bad)?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| bad())?;
        return <[u8; 32]>::try_from(raw.as_slice())
            .map(Some)
            .map_err(|_| bad());
    }
    Err(ApiError::new(
        Code::UnsupportedDigest,
        "Content-Digest needs a sha-256 value",
    ))
}

fn chunk_too_large(max: u64) -> ApiError {
    ApiError::new(
        Code::ChunkTooLarge,
        format!("a chunk may carry at most {max} bytes"),
    )
}

fn overrun(size: u64) -> ApiError {
    ApiError::new(
        Code::SizeExceeded,
        format!("the chunk goes past the {size} bytes declared at init"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(v: &str) -> ApiResult<Option<[u8; 32]>> {
        let mut h = HeaderMap::new();
        h.insert("content-digest", v.parse().expect("header"));
        content_digest(&h)
    }

    #[test]
    fn content_digest_forms() {
        let sum: [u8; 32] = Sha256::digest(b"hello").into();
        let b64 = base64::engine::general_purpose::STANDARD.encode(sum);
        assert_eq!(
            digest_of(&format!("sha-256=:{b64}:")).ok().flatten(),
            Some(sum)
        );
        assert_eq!(
            digest_of(&format!("sha-512=:AAAA:, SHA-256=:{b64}:"))
                .ok()
                .flatten(),
            Some(sum)
        );
        assert_eq!(
            digest_of("sha-256=abc").err().map(|e| e.code),
            Some(Code::InvalidDigest)
        );
        assert_eq!(
            digest_of("sha-256=:AAAA:").err().map(|e| e.code),
            Some(Code::InvalidDigest)
        );
        assert_eq!(
            digest_of("md5=:AAAA:").err().map(|e| e.code),
            Some(Code::UnsupportedDigest)
        );
        assert!(content_digest(&HeaderMap::new()).ok().flatten().is_none());
    }
}
