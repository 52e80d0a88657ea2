//! Writing the site: a file is written only when its bytes change, always through a temporary
//! file (in `.render/tmp/`, on the same file system) and a rename, so a reader never sees half a
//! page. A render that is killed leaves its temporary files there, and the next one clears them.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Where temporary files are made.
pub const TMP_DIR: &str = ".render/tmp";

static NEXT_TMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Empties the temporary folder (what a killed render left) and makes sure it exists.
pub fn reset_tmp(root: &Path) -> io::Result<()> {
    let dir = root.join(TMP_DIR);
    match fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::create_dir_all(dir)
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Unchanged,
}

/// Writes `bytes` to `root/rel` unless the file already holds exactly them.
pub fn write_if_changed(root: &Path, rel: &str, bytes: &[u8]) -> io::Result<Outcome> {
    let path = root.join(rel);
    if let Ok(meta) = fs::metadata(&path)
        && meta.len() == bytes.len() as u64
        && fs::read(&path)? == bytes
    {
        return Ok(Outcome::Unchanged);
    }
    let dir = path.parent().unwrap_or(root);
    fs::create_dir_all(dir)?;
    let n = NEXT_TMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = root
        .join(TMP_DIR)
        .join(format!("{}-{n}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    fs::rename(&tmp, &path)?;
    Ok(Outcome::Written)
}

/// Removes `root/rel` and the directories it leaves empty; answers whether it existed.
pub fn remove(root: &Path, rel: &str) -> io::Result<bool> {
    let path = root.join(rel);
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(true)
}

/// Every file under `root` (relative paths), leaving out the renderer's own `.render/`.
pub fn walk(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if rel == ".render" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let d = tempfile::tempdir().expect("dir");
        reset_tmp(d.path()).expect("tmp");
        assert_eq!(
            write_if_changed(d.path(), "a/b/index.html", b"one").expect("write"),
            Outcome::Written
        );
        let before = fs::metadata(d.path().join("a/b/index.html"))
            .and_then(|m| m.modified())
            .expect("mtime");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            write_if_changed(d.path(), "a/b/index.html", b"one").expect("same"),
            Outcome::Unchanged
        );
        let after = fs::metadata(d.path().join("a/b/index.html"))
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(before, after);
        assert_eq!(walk(d.path()).expect("walk"), ["a/b/index.html"]);
        assert!(remove(d.path(), "a/b/index.html").expect("remove"));
        assert!(!d.path().join("a").exists(), "empty folders go too");
    }
}
