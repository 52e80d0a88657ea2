//! Finding the movies under the paths given: video files by their extension and their first
//! bytes; samples, extras, hidden files and partial downloads left out with the reason; the
//! subtitle files beside each movie.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The containers the library takes (the receiver refuses others).
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg", "ts", "m2ts", "wmv", "ogv", "flv",
];

const SUBTITLE_EXTENSIONS: &[&str] = &["srt", "vtt"];

/// What downloaders name a file they have not finished.
const PARTIAL_EXTENSIONS: &[&str] = &[
    "part",
    "partial",
    "crdownload",
    "download",
    "!qb",
    "!ut",
    "tmp",
    "temp",
    "opdownload",
    "aria2",
    "filepart",
    "crswap",
];

/// Folders that hold a movie's extras, not movies (the names media servers use).
const EXTRA_FOLDERS: &[&str] = &[
    "extras",
    "extra",
    "featurettes",
    "featurette",
    "behind the scenes",
    "deleted scenes",
    "interviews",
    "scenes",
    "shorts",
    "trailers",
    "trailer",
    "bonus",
    "bonus features",
    "other",
    "others",
    "clips",
    "samples",
    "sample",
];

/// Name endings that mark an extra beside its movie (`Movie-trailer.mkv`).
const EXTRA_SUFFIXES: &[&str] = &[
    "trailer",
    "featurette",
    "behindthescenes",
    "deleted",
    "deletedscene",
    "interview",
    "scene",
    "short",
    "extra",
    "clip",
    "other",
    "teaser",
];

/// A movie file found.
#[derive(Debug, Clone)]
pub struct Movie {
    pub path: PathBuf,
    /// The file name, as the server knows it.
    pub name: String,
    /// The folder and the file name (`Dark City (1998)/dc-720p.mkv`): what the guess reads.
    pub guess_name: String,
    pub size: u64,
    /// Modification time in milliseconds, as browsers give it: the same file is the same
    /// upload from either.
    pub last_modified: i64,
    /// Subtitle files beside it, with their language.
    pub subtitles: Vec<(PathBuf, String)>,
}

/// A file left out, and why.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Found {
    pub movies: Vec<Movie>,
    pub left_out: Vec<LeftOut>,
}

/// Walks `paths` (files or folders), in name order.
pub fn scan(paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    let mut subtitles = Vec::new();
    for root in paths {
        let mut walk = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    found.left_out.push(LeftOut {
                        path: e
                            .path()
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|| root.clone()),
                        reason: format!("cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let path = entry.path().to_path_buf();
            let is_dir = entry.file_type().is_dir();
            // The paths given are walked even when their own names start with a dot.
            if entry.depth() > 0 && hidden(entry.file_name()) {
                if is_dir {
                    walk.skip_current_dir();
                    found.left_out.push(left(&path, "a hidden folder"));
                } else {
                    found.left_out.push(left(&path, "a hidden file"));
                }
                continue;
            }
            if is_dir {
                continue;
            }
            let ext = extension(&path);
            if SUBTITLE_EXTENSIONS.contains(&ext.as_str()) {
                subtitles.push(path);
                continue;
            }
            match classify(&path, &ext) {
                Ok(movie) => found.movies.push(movie),
                Err(reason) => found.left_out.push(left(&path, &reason)),
            }
        }
    }
    attach_subtitles(&mut found.movies, subtitles);
    found
}

fn left(path: &Path, reason: &str) -> LeftOut {
    LeftOut {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The words of a name, lowercase.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A movie, or the reason the file is left out.
fn classify(path: &Path, ext: &str) -> Result<Movie, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.starts_with('.') {
        return Err("a hidden file".into());
    }
    if PARTIAL_EXTENSIONS.contains(&ext) || name.ends_with('~') {
        return Err("a partial download".into());
    }
    if !VIDEO_EXTENSIONS.contains(&ext) {
        return Err("not a video file, by its extension".into());
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folders: Vec<String> = path
        .parent()
        .map(|p| {
            p.components()
                .rev()
                .take(2)
                .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    if words(&stem).iter().any(|w| w == "sample") || folders.iter().any(|f| f == "sample") {
        return Err("a sample".into());
    }
    if let Some(f) = folders
        .first()
        .filter(|f| EXTRA_FOLDERS.contains(&f.as_str()))
    {
        return Err(format!("an extra (in a folder named {f})"));
    }
    let lower = stem.to_lowercase();
    if let Some(s) = EXTRA_SUFFIXES
        .iter()
        .find(|s| lower.ends_with(&format!("-{s}")) || lower.ends_with(&format!("_{s}")))
    {
        return Err(format!("an extra (its name ends in -{s})"));
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read: {e}"))?;
    if meta.len() == 0 {
        return Err("an empty file".into());
    }
    if !looks_like_video(path) {
        return Err("not a video: its first bytes are no video container".into());
    }
    let last_modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let guess_name = match path.parent().and_then(Path::file_name) {
        Some(folder) => format!("{}/{name}", folder.to_string_lossy()),
        None => name.clone(),
    };
    Ok(Movie {
        path: path.to_path_buf(),
        name,
        guess_name,
        size: meta.len(),
        last_modified,
        subtitles: Vec::new(),
    })
}

/// Whether the first bytes are those of a video container: Matroska/WebM, MP4/QuickTime,
/// AVI, MPEG program or transport streams, ASF, FLV or Ogg.
pub fn looks_like_video(path: &Path) -> bool {
    let mut head = [0u8; 400];
    let n = match std::fs::File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)) {
        Ok(n) => n,
        Err(_) => return false,
    };
    is_video_head(&head[..n])
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

pub fn is_video_head(h: &[u8]) -> bool {
    let at = |i: usize, s: &[u8]| h.len() >= i + s.len() && &h[i..i + s.len()] == s;
    let sync = |first: usize, step: usize| (0..2).all(|k| h.get(first + k * step) == Some(&0x47));
    at(0, &[0x1a, 0x45, 0xdf, 0xa3])
        || [
            b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot",
        ]
        .iter()
        .any(|b| at(4, *b))
        || (at(0, b"RIFF") && (at(8, b"AVI ") || at(8, b"AVIX")))
        || at(0, &[0, 0, 1, 0xba])
        || at(0, &[0, 0, 1, 0xb3])
        || sync(0, 188)
        || sync(4, 192)
        || at(0, &[0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])
        || at(0, b"FLV")
        || at(0, b"OggS")
}

/// Gives each movie the subtitle files named after it (`Movie.2019.en.srt` beside
/// `Movie.2019.mkv`), and a folder's only movie those in the folder or its `Subs` folder.
fn attach_subtitles(movies: &mut [Movie], subtitles: Vec<PathBuf>) {
    for sub in subtitles {
        let Some(sub_name) = sub.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let sub_dir = sub.parent().map(Path::to_path_buf).unwrap_or_default();
        let named = movies.iter().position(|m| {
            let stem = m.path.file_stem().map(|s| s.to_string_lossy().into_owned());
            m.path.parent() == Some(sub_dir.as_path())
                && stem.is_some_and(|s| sub_name.starts_with(&format!("{s}.")))
        });
        let only_in = |dir: &Path| {
            let mut here = movies
                .iter()
                .enumerate()
                .filter(|(_, m)| m.path.parent() == Some(dir));
            match (here.next(), here.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        let subs_folder = sub_dir
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .filter(|n| matches!(n.as_str(), "subs" | "subtitles" | "sub"))
            .and_then(|_| sub_dir.parent().and_then(only_in));
        let Some(i) = named.or_else(|| only_in(&sub_dir)).or(subs_folder) else {
            continue;
        };
        let movie_stem = movies[i]
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rest = sub_name
            .strip_prefix(&format!("{movie_stem}."))
            .unwrap_or(&sub_name);
        let lang = language(rest);
        if !movies[i].subtitles.iter().any(|(_, l)| *l == lang) {
            movies[i].subtitles.push((sub, lang));
        }
    }
}

/// The language a subtitle file's name gives between the movie's name and the extension
/// (`en.srt`, `English.forced.srt`, `pt-BR.vtt`): a short code, with `-forced` or `-sdh` kept
/// apart; `und` when it names none.
pub fn language(rest: &str) -> String {
    let stem = rest
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or("")
        .to_lowercase();
    let mut lang = None;
    let mut flags = Vec::new();
    for part in stem.split(['.', '_', ' ']).rev() {
        match part {
            "forced" | "sdh" | "cc" | "hi" => flags.push(part),
            "" | "default" => {}
            p if lang.is_none() => {
                lang = code(p);
                if lang.is_some() {
                    break;
                }
            }
            _ => {}
        }
    }
    let mut out = lang.unwrap_or_else(|| "und".into());
    for f in flags.iter().rev() {
        out.push('-');
        out.push_str(f);
    }
    out
}

/// A language's short code from a code or an English name.
fn code(word: &str) -> Option<String> {
    const NAMES: &[(&str, &[&str])] = &[
        ("en", &["eng", "english"]),
        ("fr", &["fre", "fra", "french", "francais", "français"]),
        ("de", &["ger", "deu", "german", "deutsch"]),
        ("es", &["spa", "spanish", "espanol", "español"]),
        ("it", &["ita", "italian", "italiano"]),
        ("pt", &["por", "portuguese", "portugues", "português"]),
        ("nl", &["dut", "nld", "dutch", "nederlands"]),
        ("sv", &["swe", "swedish", "svenska"]),
        ("no", &["nor", "nob", "norwegian", "norsk"]),
        ("da", &["dan", "danish", "dansk"]),
        ("fi", &["fin", "finnish", "suomi"]),
        ("pl", &["pol", "polish", "polski"]),
        ("ru", &["rus", "russian"]),
        ("ja", &["jpn", "japanese"]),
        ("zh", &["chi", "zho", "chinese"]),
        ("ko", &["kor", "korean"]),
        ("ar", &["ara", "arabic"]),
        ("he", &["heb", "hebrew"]),
        ("tr", &["tur", "turkish"]),
        ("el", &["gre", "ell", "greek"]),
        ("cs", &["cze", "ces", "czech"]),
        ("hu", &["hun", "hungarian"]),
        ("ro", &["rum", "ron", "romanian"]),
    ];
    if let Some((c, _)) = NAMES.iter().find(|(c, n)| *c == word || n.contains(&word)) {
        return Some((*c).to_owned());
    }
    // A code with a region (`pt-br`, `zh-hans`) or another two-letter code.
    let (base, region) = word.split_once('-').unwrap_or((word, ""));
    let short = |s: &str| (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase());
    if base.len() == 2
        && short(base)
        && (region.is_empty()
            || region.chars().all(|c| c.is_ascii_alphanumeric()) && region.len() <= 8)
    {
        return Some(word.to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitle_languages_from_names() {
        for (rest, lang) in [
            ("en.srt", "en"),
            ("srt", "und"),
            ("English.srt", "en"),
            ("eng.forced.srt", "en-forced"),
            ("pt-BR.vtt", "pt-br"),
            ("fre.sdh.srt", "fr-sdh"),
            ("1080p.srt", "und"),
            ("Deutsch.srt", "de"),
        ] {
            assert_eq!(language(rest), lang, "{rest}");
        }
    }

    #[test]
    fn first_bytes_of_containers() {
        let mut mp4 = vec![0, 0, 0, 32];
        mp4.extend_from_slice(b"ftypisom");
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        for (head, video) in [
            (vec![0x1a, 0x45, 0xdf, 0xa3, 1], true),
            (mp4, true),
            (b"RIFF\0\0\0\0AVI LIST".to_vec(), true),
            (ts, true),
            (vec![0, 0, 1, 0xba, 0x44], true),
            (b"1\n00:00:01,000 --> 00:00:02,000\n".to_vec(), false),
            (b"<html>".to_vec(), false),
            (vec![0u8; 400], false),
        ] {
            assert_eq!(is_video_head(&head), video, "{head:?}");
        }
    }
}
