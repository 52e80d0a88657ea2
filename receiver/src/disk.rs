//! File-system facts and durability helpers: free space, directory fsync, atomic writes.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Total and available bytes of the file system holding `path`, as the server measures them.
pub fn space(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path has a NUL byte"))?;
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a valid NUL-terminated path and `s` points to writable statvfs storage.
    let rc = unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled `s`.
    let s = unsafe { s.assume_init() };
    #[allow(
        clippy::unnecessary_cast,
        reason = "statvfs field types differ between platforms"
    )]
    let (frsize, blocks, avail) = (s.f_frsize as u64, s.f_blocks as u64, s.f_bavail as u64);
    Ok((blocks * frsize, avail * frsize))
}

/// Makes a directory's entries (creations, renames) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `path` with `bytes` so that a reader or a crash sees the old or the new content,
/// never a mix: temporary file, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(store::layout::temp_name(&name));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Removes a file, counting one that is already gone as removed.
pub fn remove_file_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes files of a root (each missing one is fine), then the folders they leave empty below
/// the root (an HLS ladder's, a title's), deepest first. A folder still holding anything stays.
pub fn remove_files(root: &Path, paths: &[String]) {
    let mut dirs = std::collections::BTreeSet::new();
    for p in paths {
        if let Err(e) = remove_file_if_exists(&root.join(p)) {
            tracing::warn!("deleting {p}: {e}");
        }
        let mut dir = Path::new(p).parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_path_buf());
            dir = d.parent();
        }
    }
    let mut dirs: Vec<_> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let _ = fs::remove_dir(root.join(d));
    }
    let _ = sync_dir(root);
}

/// A file's length, or `None` when it is not there.
pub fn file_len(path: &Path) -> io::Result<Option<u64>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a folder and all it holds, counting one that is already gone as removed.
pub fn remove_dir_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().expect("temp dir");
        let p = d.path().join("info.json");
        write_atomic(&p, b"one").expect("first");
        write_atomic(&p, b"two").expect("second");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(d.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("info.json")]);
        let (total, avail) = space(d.path()).expect("statvfs");
        assert!(total > 0 && avail <= total);
    }
}
