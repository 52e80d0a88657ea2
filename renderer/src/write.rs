//! Writing the site: a file is written only when its bytes change, always through a temporary
//! dot-file beside it and a rename, so a reader never sees half a page (dot-files are never
//! served). A render marks itself running; the next render after one that was killed removes the
//! temporary files it left.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Present while a render runs: found at the start of a render, it tells of one that was killed.
const RUNNING: &str = ".render/running";

/// Marks a render as running, first removing what a killed one left behind.
pub fn begin(root: &Path) -> io::Result<()> {
    fs::create_dir_all(root.join(".render"))?;
    if root.join(RUNNING).exists() {
        for rel in walk(root)? {
            let name = rel.rsplit('/').next().unwrap_or("");
            if name.starts_with('.') && name.contains(".tmp-") {
                fs::remove_file(root.join(&rel))?;
            }
        }
    }
    fs::write(root.join(RUNNING), b"")
}

/// Marks the render as finished.
pub fn end(root: &Path) -> io::Result<()> {
    match fs::remove_file(root.join(RUNNING)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Beside the target: a rename within one directory is much cheaper than across two.
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    fs::rename(&tmp, &path)?;
    Ok(Outcome::Written)
}

/// Writes `bytes` to `root/rel` straight under its name: for a folder no one reads yet.
pub fn write_new(root: &Path, rel: &str, bytes: &[u8]) -> io::Result<()> {
    let path = root.join(rel);
    match fs::write(&path, bytes) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(path.parent().unwrap_or(root))?;
            fs::write(&path, bytes)
        }
        r => r,
    }
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
        begin(d.path()).expect("begin");
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
        // A killed render's leftovers go at the start of the next.
        std::fs::write(d.path().join("a/b/.index.html.tmp-1"), b"half").expect("leftover");
        begin(d.path()).expect("again");
        assert_eq!(walk(d.path()).expect("walk"), ["a/b/index.html"]);
        end(d.path()).expect("end");
        assert!(remove(d.path(), "a/b/index.html").expect("remove"));
        assert!(!d.path().join("a").exists(), "empty folders go too");
    }
}
