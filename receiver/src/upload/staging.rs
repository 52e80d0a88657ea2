//! Uploads in progress on disk: `<root>/.uploads/<upload_id>/` holds the `part` file (its length
//! is the offset, always) and `info.json` (what the upload is, written atomically).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use store::{NewUpload, UploadId, layout};

use crate::disk::{sync_dir, write_atomic};

pub fn dir(root: &Path, id: &UploadId) -> PathBuf {
    root.join(layout::upload_dir(id))
}

pub fn part(root: &Path, id: &UploadId) -> PathBuf {
    root.join(layout::upload_part(id))
}

/// The part file relative to the media root, as intents record it.
pub fn part_rel(id: &UploadId) -> String {
    layout::upload_part(id)
}

/// Creates the upload's directory, an empty part file and `info.json`, all durable.
pub fn create(root: &Path, u: &NewUpload) -> io::Result<()> {
    let uploads = root.join(layout::UPLOADS);
    fs::create_dir_all(&uploads)?;
    let d = dir(root, &u.upload_id);
    fs::create_dir(&d)?;
    File::create(part(root, &u.upload_id))?.sync_all()?;
    let info = serde_json::json!({
        "upload_id": u.upload_id,
        "file_id": u.file_id,
        "content_id": u.content_id,
        "name": u.name,
        "size": u.size,
        "last_modified": u.last_modified,
        "mode": u.mode,
        "label": u.label,
        "user_id": u.user_id,
        "created_at": store::now(),
    });
    write_atomic(
        &root.join(layout::upload_info(&u.upload_id)),
        info.to_string().as_bytes(),
    )?;
    sync_dir(&uploads)
}

/// Bytes held: the part file's length, or `None` when the upload's files are gone.
pub fn held(root: &Path, id: &UploadId) -> io::Result<Option<u64>> {
    crate::disk::file_len(&part(root, id))
}

/// Opens the part file for appending.
pub fn open_part(root: &Path, id: &UploadId) -> io::Result<File> {
    OpenOptions::new().append(true).open(part(root, id))
}

/// Removes an upload's directory; one already gone counts as removed.
pub fn remove(root: &Path, id: &UploadId) -> io::Result<()> {
    crate::disk::remove_dir_if_exists(&dir(root, id))
}
