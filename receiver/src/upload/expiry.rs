//! Unfinished uploads that went quiet: expired and removed after `upload_expiry`, and upload
//! folders no upload owns.

use std::fs;

use store::{Upload, UploadState};

use crate::upload::staging;

/// Removes expired uploads and the directories no upload owns, on every root. Answers how many
/// it removed.
pub fn sweep(
    roots: &[store::config::Root],
    store: &store::Store,
    expiry: std::time::Duration,
) -> store::Result<usize> {
    let mut removed = 0;
    for root in roots {
        removed += sweep_root(root, store, expiry)?;
    }
    store.forget_ended_uploads(store::now() - 30 * 86_400)?;
    Ok(removed)
}

fn sweep_root(
    root: &store::config::Root,
    store: &store::Store,
    expiry: std::time::Duration,
) -> store::Result<usize> {
    let (name, root) = (root.name.as_str(), root.path.as_path());
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    let active: Vec<Upload> = store
        .active_uploads()?
        .into_iter()
        .filter(|u| u.root == name)
        .collect();
    for u in &active {
        let dir = staging::dir(root, &u.upload_id);
        let last = fs::metadata(staging::part(root, &u.upload_id))
            .or_else(|_| fs::metadata(&dir))
            .and_then(|m| m.modified())
            .ok();
        let idle = last.and_then(|t| now.duration_since(t).ok());
        if last.is_none() || idle.is_some_and(|d| d > expiry) {
            store.end_upload(&u.upload_id, UploadState::Expired)?;
            if let Err(e) = staging::remove(root, &u.upload_id) {
                tracing::warn!("removing expired upload {}: {e}", u.upload_id);
            }
            tracing::info!(upload = %u.upload_id, "expired");
            removed += 1;
        }
    }
    // Directories with no active upload: finished, cancelled, or created by an init that
    // crashed before recording it (those are left alone for an hour).
    let Ok(entries) = fs::read_dir(root.join(store::layout::UPLOADS)) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if active.iter().any(|u| u.upload_id.as_str() == name) {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok());
        let owned = store::UploadId::parse(&name)
            .ok()
            .map(|id| store.upload(&id))
            .transpose()?
            .flatten()
            .is_some();
        if (owned || age.is_some_and(|a| a.as_secs() > 3600))
            && fs::remove_dir_all(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}
