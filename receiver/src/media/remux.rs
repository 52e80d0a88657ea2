//! Remuxing: a movie file whose codecs browsers play but whose container they do not (MKV,
//! AVI, MOV with H.264 and AAC, say) gets an MP4 copy with the same streams (`ffmpeg -c copy`,
//! the index at the front), written under a temporary name and renamed into place, then
//! recorded as the version's `remux` file, which the player uses. One at a time, in the
//! background; the original stays as it was.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use store::{FileKind, NewLibraryFile, layout};

use crate::state::Shared;

/// Remuxes `src` into `dst`: the first video stream and every audio one, copied, the index
/// at the front. Answers the bytes written.
pub fn remux(src: &Path, dst: &Path) -> std::io::Result<u64> {
    let args = [
        "-map",
        "0:v:0",
        "-map",
        "0:a?",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ];
    super::ffmpeg_into(src, &args, dst)
}

/// Remuxes, one file at a time, every file that needs it, until the process ends. A file
/// ffmpeg fails on is tried again only after a restart.
pub async fn remux_forever(st: Shared) {
    let mut failed: HashSet<String> = HashSet::new();
    loop {
        let due: Vec<store::ContentFile> = st
            .db(|s| s.files_to_remux(8))
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !failed.contains(f.file_id.as_str()))
            .collect();
        for f in due {
            let Ok(Some(root_name)) = st.title_root(&f.content_id).await else {
                continue;
            };
            let Ok(root) = st.root_path(&root_name) else {
                continue;
            };
            let rel = layout::remux(&f.content_id, &f.label);
            let (src, dst) = (root.join(&f.path), root.join(&rel));
            let done = tokio::task::spawn_blocking(move || remux(&src, &dst)).await;
            match done {
                Ok(Ok(size)) => {
                    let row = NewLibraryFile {
                        content_id: f.content_id.clone(),
                        kind: FileKind::Remux,
                        label: f.label.clone(),
                        root: root_name,
                        path: rel.clone(),
                        size,
                        mtime: store::now(),
                    };
                    match st.db(move |s| s.record_library_file(&row)).await {
                        Ok(()) => tracing::info!(file = %f.path, to = %rel, "remuxed"),
                        Err(e) => {
                            tracing::warn!(file = %f.path, "recording the remux: {}", e.message)
                        }
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(file = %f.path, "remuxing failed: {e}");
                    failed.insert(f.file_id.as_str().to_owned());
                }
                Err(_) => {}
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
