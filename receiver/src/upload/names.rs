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
}
