//! Subtitles for a title: `POST /api/library/subtitles/<content_id>?lang=<code>` with an SRT or
//! WebVTT file as the body, `DELETE` the same address to remove a language. Browsers play
//! WebVTT, so an SRT is kept as given (`<id>.<lang>.srt`) and served converted
//! (`<id>.<lang>.vtt`, by `srt`). Both files are rows of the library.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use store::{ContentId, FileKind, NewLibraryFile, layout};

use super::srt;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{Params, parse_content_id};
use crate::state::Shared;

/// The largest subtitle file taken.
pub const MAX_BYTES: usize = 4 << 20;

/// The language asked for: `lang=en`, `pt-BR` (folded to lowercase).
fn language(p: &Params) -> ApiResult<String> {
    let lang = p
        .require(&["lang", "language"], Code::InvalidLanguage)?
        .trim()
        .to_ascii_lowercase();
    if layout::is_label(&lang) {
        Ok(lang)
    } else {
        Err(ApiError::new(
            Code::InvalidLanguage,
            "a subtitle language is 1 to 32 of a-z, 0-9, - and _ (en, pt-br)",
        ))
    }
}

/// The root of a title in the library, or 404.
async fn title_root(st: &Shared, cid: &ContentId) -> ApiResult<String> {
    st.title_root(cid)
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("{cid} is not in the library")))
}

/// `POST /api/library/subtitles/<content_id>?lang=`.
pub async fn post(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Upload)?;
    let cid = parse_content_id(&id)?;
    let lang = language(&p)?;
    if body.len() > MAX_BYTES {
        return Err(ApiError::new(
            Code::BodyTooLarge,
            format!("a subtitle file has at most {MAX_BYTES} bytes"),
        ));
    }
    let text = srt::decode(&body);
    let (vtt, source) = if text.trim_start().starts_with("WEBVTT") {
        (text.replace("\r\n", "\n").replace('\r', "\n"), None)
    } else {
        let vtt = srt::convert(&body).ok_or_else(|| {
            ApiError::new(
                Code::InvalidSubtitle,
                "the body is neither SRT nor WebVTT: no cue was found in it",
            )
        })?;
        (vtt, Some(body.clone()))
    };
    let _library = st.library_lock.lock().await;
    let root_name = title_root(&st, &cid).await?;
    let root = st.root_path(&root_name)?;
    let (c3, l3, r3) = (cid.clone(), lang.clone(), root_name.clone());
    let rows = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<NewLibraryFile>> {
        std::fs::create_dir_all(root.join(layout::title_dir(&c3)))?;
        let mut rows = Vec::new();
        let mut write = |kind, path: String, bytes: &[u8]| -> std::io::Result<()> {
            crate::disk::write_atomic(&root.join(&path), bytes)?;
            rows.push(NewLibraryFile {
                content_id: c3.clone(),
                kind,
                label: l3.clone(),
                root: r3.clone(),
                size: bytes.len() as u64,
                mtime: store::now(),
                path,
            });
            Ok(())
        };
        if let Some(srt) = &source {
            write(
                FileKind::SubtitleSource,
                layout::subtitle_source(&c3, &l3),
                srt,
            )?;
        }
        write(
            FileKind::Subtitle,
            layout::subtitle(&c3, &l3),
            vtt.as_bytes(),
        )?;
        Ok(rows)
    })
    .await??;
    let paths: Vec<String> = rows.iter().map(|r| r.path.clone()).collect();
    st.db(move |s| rows.iter().try_for_each(|f| s.record_library_file(f)))
        .await?;
    Ok(Json(json!({
        "content_id": cid,
        "lang": lang,
        "url": format!("/media/{}", layout::subtitle(&cid, &lang)),
        "files": paths,
    })))
}

/// `DELETE /api/library/subtitles/<content_id>?lang=`: removes that language's files.
pub async fn delete(
    State(st): State<Shared>,
    auth: Auth,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Delete)?;
    let cid = parse_content_id(&id)?;
    let lang = language(&p)?;
    let _library = st.library_lock.lock().await;
    let c2 = cid.clone();
    let files: Vec<store::LibraryFile> = st
        .db(move |s| s.library_files_of(&c2))
        .await?
        .into_iter()
        .filter(|f| {
            matches!(f.kind, FileKind::Subtitle | FileKind::SubtitleSource) && f.label == lang
        })
        .collect();
    if files.is_empty() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{cid} has no {lang} subtitles"),
        ));
    }
    for f in &files {
        let f2 = f.clone();
        st.db(move |s| s.forget_library_file(&f2)).await?;
        let path = st.root_path(&f.root)?.join(&f.path);
        tokio::task::spawn_blocking(move || crate::disk::remove_file_if_exists(&path)).await??;
    }
    Ok(Json(
        json!({"content_id": cid, "lang": lang, "removed": files.len()}),
    ))
}

/// A title's subtitles as the API lists them.
pub fn listed(files: &[store::LibraryFile]) -> Vec<Value> {
    files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Subtitle | FileKind::SubtitleEmbedded))
        .map(|f| {
            let embedded = f.kind == FileKind::SubtitleEmbedded;
            json!({
                "lang": f.label,
                "label": if embedded { format!("{} (in the file)", f.label) } else { f.label.clone() },
                "source": if embedded { "embedded" } else { "uploaded" },
                "url": format!("/media/{}", f.path),
            })
        })
        .collect()
}
