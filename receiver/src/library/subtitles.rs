//! Subtitles for a title: `PUT /api/library/movies/<content_id>/subtitles/<lang>` with an SRT
//! or WebVTT file as the body. Browsers play WebVTT, so SRT is kept as given (`.srt`) and
//! served converted (`.vtt`); text that is not UTF-8 is read as Windows-1252, the usual
//! encoding of older subtitle files. Both files are rows of the library.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use store::{FileKind, NewLibraryFile, layout};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::parse_content_id;
use crate::state::Shared;

/// The largest subtitle file taken.
pub const MAX_BYTES: usize = 4 << 20;

/// `PUT /api/library/movies/<content_id>/subtitles/<lang>`.
pub async fn put(
    State(st): State<Shared>,
    auth: Auth,
    Path((id, lang)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    auth.require(store::Permission::Upload)?;
    let cid = parse_content_id(&id)?;
    let lang = lang.trim().to_ascii_lowercase();
    if !layout::is_label(&lang) {
        return Err(ApiError::new(
            Code::InvalidLanguage,
            "a subtitle language is 1 to 32 of a-z, 0-9, - and _ (en, pt-br)",
        ));
    }
    if body.len() > MAX_BYTES {
        return Err(ApiError::new(
            Code::BodyTooLarge,
            format!("a subtitle file has at most {MAX_BYTES} bytes"),
        ));
    }
    let text = decode(&body);
    let (vtt, srt) = if text.trim_start().starts_with("WEBVTT") {
        (text, None)
    } else if looks_like_srt(&text) {
        (srt_to_vtt(&text), Some(body.clone()))
    } else {
        return Err(ApiError::new(
            Code::InvalidSubtitle,
            "the body is neither SRT nor WebVTT",
        ));
    };
    let c2 = cid.clone();
    if st.db(move |s| s.files_of(&c2)).await?.is_empty() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{cid} is not in the library"),
        ));
    }
    let _library = st.library_lock.lock().await;
    let root_name = st.title_root(&cid).await?.unwrap_or_else(|| "1".to_owned());
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
        if let Some(srt) = &srt {
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
    Ok(Json(
        json!({"content_id": cid, "language": lang, "files": paths}),
    ))
}

/// UTF-8 (without its byte-order mark) when it is that, Windows-1252 otherwise.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

/// One Windows-1252 byte as a character.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

fn is_timing(line: &str) -> bool {
    line.contains("-->") && line.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn looks_like_srt(text: &str) -> bool {
    text.lines().take(50).any(is_timing)
}

/// SRT to WebVTT: the header, `.` for `,` in the timings, and the rest as it is.
fn srt_to_vtt(text: &str) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if is_timing(line) {
            out.push_str(&line.replace(',', "."));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_becomes_webvtt_and_latin_text_is_read() {
        let srt = "1\r\n00:00:01,000 --> 00:00:02,500\r\nOl\u{e1}, mundo\r\n\r\n";
        let vtt = srt_to_vtt(&decode(srt.as_bytes()));
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nOl\u{e1}, mundo\n\n"
        );
        // The same text in Windows-1252: á is 0xE1, and “” are 0x93 0x94.
        let latin = b"1\n00:00:01,000 --> 00:00:02,000\nOl\xe1 \x93mundo\x94\n";
        assert!(decode(latin).contains("Olá “mundo”"));
        assert!(looks_like_srt(&decode(latin)));
        assert!(!looks_like_srt("just some text"));
    }
}
