//! What a client may call a file or a version, and where a file goes in the library.

use crate::error::{ApiError, ApiResult, Code};

/// Containers the library accepts.
const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg", "ts", "m2ts", "wmv", "ogv", "flv",
    "3gp", "vob", "divx",
];

/// Checks a client's file name (a base name, no path) and answers its lowercase extension.
pub fn check_name(name: &str) -> ApiResult<String> {
    let bad = |why: &str| ApiError::new(Code::InvalidName, format!("file name {why}"));
    if name.is_empty() {
        return Err(bad("is empty"));
    }
    if name.len() > 255 {
        return Err(bad("is longer than 255 bytes"));
    }
    if name.contains(['/', '\\']) {
        return Err(bad("must not contain a path separator"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("must not contain control characters"));
    }
    if name == "." || name == ".." || name.starts_with('.') {
        return Err(bad("must not start with a dot"));
    }
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return Err(bad("needs an extension such as .mkv or .mp4")),
    };
    if !VIDEO_EXTENSIONS.contains(&ext.as_str()) {
        return Err(ApiError::new(
            Code::UnsupportedType,
            format!(".{ext} is not a video container the library accepts"),
        ));
    }
    Ok(ext)
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

/// A title to show until the metadata arrives: the name without extension and separators.
pub fn placeholder_title(name: &str) -> String {
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let t: String = stem
        .chars()
        .map(|c| if matches!(c, '.' | '_') { ' ' } else { c })
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() { name.to_owned() } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let code = |n: &str| check_name(n).err().map(|e| e.code);
        assert_eq!(
            check_name("The.Matrix.1999.MKV").ok().as_deref(),
            Some("mkv")
        );
        assert_eq!(check_name("Léon (1994).mp4").ok().as_deref(), Some("mp4"));
        for bad in [
            "",
            "../x.mkv",
            "/etc/x.mkv",
            "a\\b.mkv",
            "a\0b.mkv",
            ".hidden.mkv",
            "noext",
            ".mkv",
        ] {
            assert_eq!(code(bad), Some(Code::InvalidName), "{bad:?}");
        }
        assert_eq!(
            code(&format!("{}.mkv", "a".repeat(300))),
            Some(Code::InvalidName)
        );
        assert_eq!(code("setup.exe"), Some(Code::UnsupportedType));
    }

    #[test]
    fn labels_and_placeholders() {
        assert_eq!(check_label(" 4K ").ok().as_deref(), Some("4k"));
        assert!(check_label("../x").is_err());
        assert!(check_label("").is_err());
        assert_eq!(placeholder_title("The.Matrix_1999.mkv"), "The Matrix 1999");
    }
}
