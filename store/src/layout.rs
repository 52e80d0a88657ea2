//! The library's layout: the only code that builds or parses a path inside a library root.
//! Every path here is relative to its root and uses `/`:
//!
//! - `<id>/<id>.<ext>` the movie, `<id>/<id>.<label>.<ext>` another version of it
//! - `<id>/<id>.jpg` the poster, `<id>/<id>.card.jpg` its card-sized copy
//! - `<id>/<id>_preview.<ext>` the trailer
//! - `<id>/<id>.<lang>.vtt` a subtitle as the player takes it, `<id>/<id>.<lang>.srt` its source
//! - `<id>/<id>[.<label>].remux.mp4` a movie file remuxed to MP4 for browsers
//! - `<id>/<id>[.<label>].hls/<name>` a movie file's HLS ladder: `master.m3u8`, and a playlist
//!   (`<rung>.m3u8`) and its one fragmented-MP4 file (`<rung>.m4s`) per quality and audio track
//! - `.uploads/<upload_id>/part` and `info.json` an upload in progress
//! - `.orphans/…` files the library check found without a row
//! - `.<name>.tmp-<pid>` beside its target: a file being written, renamed into place when whole

use serde::{Deserialize, Serialize};

use crate::{ContentId, UploadId};

/// What a file of a title is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Movie,
    Poster,
    Card,
    Trailer,
    /// WebVTT, as browsers play it.
    Subtitle,
    /// The subtitle as it was given (SRT).
    SubtitleSource,
    /// A movie file remuxed to MP4 (the same streams, another container) so browsers play it.
    Remux,
    /// A text subtitle track of a movie file, extracted to WebVTT.
    SubtitleEmbedded,
    /// A file of a movie file's HLS ladder (playlists and their media), made by transcoding.
    Hls,
}

impl FileKind {
    pub const ALL: [FileKind; 9] = [
        FileKind::Movie,
        FileKind::Poster,
        FileKind::Card,
        FileKind::Trailer,
        FileKind::Subtitle,
        FileKind::SubtitleSource,
        FileKind::Remux,
        FileKind::SubtitleEmbedded,
        FileKind::Hls,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Movie => "movie",
            FileKind::Poster => "poster",
            FileKind::Card => "card",
            FileKind::Trailer => "trailer",
            FileKind::Subtitle => "subtitle",
            FileKind::SubtitleSource => "subtitle_source",
            FileKind::Remux => "remux",
            FileKind::SubtitleEmbedded => "subtitle_embedded",
            FileKind::Hls => "hls",
        }
    }

    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The folder of uploads in progress.
pub const UPLOADS: &str = ".uploads";
/// Where the library check puts files it found without a row.
pub const ORPHANS: &str = ".orphans";
/// The file at the top of a library root that holds the root's name.
pub const ROOT_MARKER: &str = ".oott-root";
/// An upload's part file: its length is the upload's offset.
pub const PART: &str = "part";
/// An upload's description.
pub const UPLOAD_INFO: &str = "info.json";

/// A title's folder.
pub fn title_dir(id: &ContentId) -> String {
    id.to_string()
}

/// A movie file: the main version (`label` empty) or another one.
pub fn movie(id: &ContentId, label: &str, ext: &str) -> String {
    if label.is_empty() {
        format!("{id}/{id}.{ext}")
    } else {
        format!("{id}/{id}.{label}.{ext}")
    }
}

pub fn poster(id: &ContentId) -> String {
    format!("{id}/{id}.jpg")
}

pub fn card(id: &ContentId) -> String {
    format!("{id}/{id}.card.jpg")
}

pub fn trailer(id: &ContentId, ext: &str) -> String {
    format!("{id}/{id}_preview.{ext}")
}

/// The browser-playable MP4 of a movie file whose container browsers do not play.
pub fn remux(id: &ContentId, label: &str) -> String {
    if label.is_empty() {
        format!("{id}/{id}.remux.mp4")
    } else {
        format!("{id}/{id}.{label}.remux.mp4")
    }
}

/// The folder of a movie file's HLS ladder.
pub fn hls_dir(id: &ContentId, label: &str) -> String {
    if label.is_empty() {
        format!("{id}/{id}.hls")
    } else {
        format!("{id}/{id}.{label}.hls")
    }
}

/// The ladder's master playlist, the one a player opens.
pub const HLS_MASTER: &str = "master.m3u8";

/// A file of a movie file's HLS ladder, `name` one `is_hls_name` accepts.
pub fn hls_file(id: &ContentId, label: &str, name: &str) -> String {
    format!("{}/{name}", hls_dir(id, label))
}

/// A name inside a ladder's folder: 1 to 24 of `a-z 0-9 _`, then `.m3u8` or `.m4s`.
pub fn is_hls_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "m3u8" | "m4s")
        && (1..=24).contains(&stem.len())
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub fn subtitle(id: &ContentId, lang: &str) -> String {
    format!("{id}/{id}.{lang}.vtt")
}

pub fn subtitle_source(id: &ContentId, lang: &str) -> String {
    format!("{id}/{id}.{lang}.srt")
}

/// The card-sized copy of a poster path.
pub fn card_of_poster(poster: &str) -> String {
    match poster.strip_suffix(".jpg") {
        Some(stem) => format!("{stem}.card.jpg"),
        None => format!("{poster}.card.jpg"),
    }
}

pub fn upload_dir(id: &UploadId) -> String {
    format!("{UPLOADS}/{id}")
}

pub fn upload_part(id: &UploadId) -> String {
    format!("{UPLOADS}/{id}/{PART}")
}

pub fn upload_info(id: &UploadId) -> String {
    format!("{UPLOADS}/{id}/{UPLOAD_INFO}")
}

/// Where the library check moves a file it found without a row.
pub fn orphan(rel: &str) -> String {
    format!("{ORPHANS}/{rel}")
}

/// The temporary name a file is written under, in its own folder, before it is renamed into
/// place: a dot-name, so nothing serves it and the library check passes it by.
pub fn temp_name(file_name: &str) -> String {
    format!(".{file_name}.tmp-{}", std::process::id())
}

/// Whether a file name is a temporary one (`temp_name`) or a download in progress.
pub fn is_temp(file_name: &str) -> bool {
    file_name.starts_with('.') && file_name.contains(".tmp-")
}

/// A version label or subtitle language as a path may carry it: 1 to 32 of `a-z 0-9 - _`.
pub fn is_label(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// What a path inside a root names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub content_id: ContentId,
    pub kind: FileKind,
    /// The version label (movies), the language (subtitles), or empty.
    pub label: String,
    pub ext: String,
}

/// Parses a path inside a root; `None` for anything the layout does not name (staging,
/// orphans, temporary files, strangers).
pub fn parse(rel: &str) -> Option<Parsed> {
    let (dir, name) = rel.split_once('/')?;
    let id = ContentId::parse(dir).ok()?;
    if id.as_str() != dir {
        return None;
    }
    if let Some((folder, inner)) = name.split_once('/') {
        let label = folder
            .strip_prefix(id.as_str())?
            .strip_suffix(".hls")?
            .strip_prefix('.')
            .map_or(Some(""), |l| is_label(l).then_some(l))?;
        let ok = hls_dir(&id, label) == format!("{dir}/{folder}") && is_hls_name(inner);
        return ok.then(|| Parsed {
            content_id: id.clone(),
            kind: FileKind::Hls,
            label: label.to_owned(),
            ext: inner.rsplit_once('.').map_or("", |(_, e)| e).to_owned(),
        });
    }
    let rest = name.strip_prefix(id.as_str())?;
    let parsed = |kind, label: &str, ext: &str| {
        Some(Parsed {
            content_id: id.clone(),
            kind,
            label: label.to_owned(),
            ext: ext.to_owned(),
        })
    };
    if let Some(ext) = rest.strip_prefix("_preview.") {
        return (is_ext(ext))
            .then(|| parsed(FileKind::Trailer, "", ext))
            .flatten();
    }
    let rest = rest.strip_prefix('.')?;
    match rest.split('.').collect::<Vec<_>>().as_slice() {
        ["jpg"] => parsed(FileKind::Poster, "", "jpg"),
        ["card", "jpg"] => parsed(FileKind::Card, "", "jpg"),
        ["remux", "mp4"] => parsed(FileKind::Remux, "", "mp4"),
        [label, "remux", "mp4"] if is_label(label) => parsed(FileKind::Remux, label, "mp4"),
        [lang, "vtt"] if is_label(lang) => parsed(FileKind::Subtitle, lang, "vtt"),
        [lang, "srt"] if is_label(lang) => parsed(FileKind::SubtitleSource, lang, "srt"),
        [ext] if is_ext(ext) => parsed(FileKind::Movie, "", ext),
        [label, ext] if is_label(label) && is_ext(ext) => parsed(FileKind::Movie, label, ext),
        _ => None,
    }
}

fn is_ext(s: &str) -> bool {
    (1..=8).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_parses_back() {
        let id = ContentId::parse("tt0133093").expect("id");
        for (path, kind, label) in [
            (movie(&id, "", "mkv"), FileKind::Movie, ""),
            (movie(&id, "4k", "mp4"), FileKind::Movie, "4k"),
            (poster(&id), FileKind::Poster, ""),
            (card(&id), FileKind::Card, ""),
            (trailer(&id, "mp4"), FileKind::Trailer, ""),
            (subtitle(&id, "en"), FileKind::Subtitle, "en"),
            (
                subtitle_source(&id, "pt-br"),
                FileKind::SubtitleSource,
                "pt-br",
            ),
            (remux(&id, ""), FileKind::Remux, ""),
            (remux(&id, "4k"), FileKind::Remux, "4k"),
            (hls_file(&id, "", HLS_MASTER), FileKind::Hls, ""),
            (hls_file(&id, "4k", "v1080.m4s"), FileKind::Hls, "4k"),
        ] {
            let p = parse(&path).unwrap_or_else(|| panic!("{path} parses"));
            assert_eq!(
                (p.kind, p.label.as_str(), &p.content_id),
                (kind, label, &id),
                "{path}"
            );
        }
        assert_eq!(card_of_poster(&poster(&id)), card(&id));
        for stranger in [
            "tt0133093/notes.txt",
            "tt0133093/tt0133094.mkv",
            "tt00133093/tt00133093.mkv",
            ".uploads/x/part",
            "tt0133093/.tt0133093.mkv.tmp-1",
            "tt0133093/tt0133093_preview.mp4.part-download",
            "tt0133093/sub/tt0133093.mkv",
            "tt0133093/tt0133093.hls/../x.m3u8",
            "tt0133093/tt0133093.hls/a/b.m3u8",
            "tt0133093/tt0133093.hls/master.mp4",
            "tt0133093/tt0133094.hls/master.m3u8",
            "tt0133093/tt0133093.4K.hls/master.m3u8",
            "tt0133093/.tt0133093.hls.tmp-9/master.m3u8",
            "tt0133093.mkv",
        ] {
            assert_eq!(parse(stranger), None, "{stranger}");
        }
        assert!(is_temp(&temp_name("index.html")));
    }
}
