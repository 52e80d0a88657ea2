//! Text subtitle tracks inside a movie file (SRT, ASS, mov_text) extracted to WebVTT, beside
//! the uploaded ones (`<id>.<lang>.vtt`, a row of kind `subtitle_embedded`). A language that
//! already has subtitles keeps them; bitmap tracks (PGS, VobSub) are listed by the probe only.

use std::path::Path;

use store::{ContentFile, FileKind, NewLibraryFile, Technical, layout};

use crate::state::Shared;

/// Extracts track `index` (among the file's subtitle tracks) of `movie` to `dst` as WebVTT.
fn extract(movie: &Path, index: usize, dst: &Path) -> std::io::Result<u64> {
    let map = format!("0:s:{index}");
    super::ffmpeg_into(movie, &["-map", &map, "-f", "webvtt"], dst)
}

/// Extracts the text subtitle tracks of `file` that name a language without subtitles yet.
pub async fn embedded_subtitles(st: &Shared, file: &ContentFile, t: &Technical) {
    if !t.subtitles.iter().any(|s| s.text) {
        return;
    }
    let id = file.content_id.clone();
    let Ok(Some(root_name)) = st.title_root(&id).await else {
        return;
    };
    let Ok(root) = st.root_path(&root_name) else {
        return;
    };
    let i2 = id.clone();
    let mut taken: Vec<String> = st
        .db(move |s| s.library_files_of(&i2))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|f| {
            matches!(
                f.kind,
                FileKind::Subtitle | FileKind::SubtitleEmbedded | FileKind::SubtitleSource
            )
        })
        .map(|f| f.label)
        .collect();
    for (index, track) in t.subtitles.iter().enumerate().filter(|(_, s)| s.text) {
        let base = track
            .language
            .clone()
            .unwrap_or_else(|| "und".to_owned())
            .to_ascii_lowercase();
        if !layout::is_label(&base) || taken.contains(&base) {
            continue;
        }
        let rel = layout::subtitle(&id, &base);
        let (movie, dst) = (root.join(&file.path), root.join(&rel));
        match tokio::task::spawn_blocking(move || extract(&movie, index, &dst)).await {
            Ok(Ok(size)) => {
                let row = NewLibraryFile {
                    content_id: id.clone(),
                    kind: FileKind::SubtitleEmbedded,
                    label: base.clone(),
                    root: root_name.clone(),
                    path: rel,
                    size,
                    mtime: store::now(),
                };
                if let Err(e) = st.db(move |s| s.record_library_file(&row)).await {
                    tracing::warn!(file = %file.path, "recording a subtitle track: {}", e.message);
                }
                taken.push(base);
            }
            Ok(Err(e)) => tracing::info!(file = %file.path, "subtitle track {index}: {e}"),
            Err(_) => {}
        }
    }
}
