//! Media handling: what each movie file holds (`probe`, by ffprobe) and whether browsers play it
//! as it is. Files are read in the background, newly filed ones and those already in the
//! library alike, so an upload never waits for it.

pub mod extract;
pub mod jobs;
pub mod probe;
pub mod remux;
pub mod transcode;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use store::Technical;

use crate::state::Shared;

/// Runs ffmpeg on `input` with `args`, writing to a temporary name beside `dst`, then makes it
/// durable and renames it into place; answers the bytes written. Nothing half-written ever
/// carries the real name.
pub fn ffmpeg_into(input: &Path, args: &[&str], dst: &Path) -> std::io::Result<u64> {
    let dir = dst.parent().unwrap_or(Path::new("."));
    let name = dst
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(store::layout::temp_name(&name));
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin", "-i"])
        .arg(input)
        .args(args)
        .arg(&tmp)
        .output()?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(std::io::Error::other(format!(
            "ffmpeg: {}",
            why.lines().last().unwrap_or("failed")
        )));
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    let size = std::fs::metadata(&tmp)?.len();
    std::fs::rename(&tmp, dst)?;
    crate::disk::sync_dir(dir)?;
    Ok(size)
}

/// What is recorded of a file ffprobe could not read as a video.
fn unreadable() -> Technical {
    Technical {
        container: String::new(),
        duration_ms: None,
        bit_rate: None,
        width: None,
        height: None,
        video_codec: None,
        video_profile: None,
        bit_depth: None,
        hdr: None,
        audio: Vec::new(),
        subtitles: Vec::new(),
        playable: "unknown".to_owned(),
    }
}

/// Reads every movie file that has not been read yet, until the process ends; a pass every
/// two seconds. Without ffprobe it says so once and stops.
pub async fn probe_forever(st: Shared) {
    loop {
        let pending = st.db(|s| s.files_without_technical(16)).await;
        let files = match pending {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("files to read: {}", e.message);
                Vec::new()
            }
        };
        for f in files {
            let Ok(root) = st
                .title_root(&f.content_id)
                .await
                .map(|r| r.unwrap_or_else(|| "1".to_owned()))
                .and_then(|r| st.root_path(&r))
            else {
                continue;
            };
            let (path, ext) = (root.join(&f.path), f.ext.clone());
            let read = tokio::task::spawn_blocking(move || probe::probe(&path, &ext)).await;
            let technical = match read {
                Ok(Ok(t)) => t,
                Ok(Err(probe::ProbeError::Missing)) => {
                    tracing::warn!("ffprobe is not installed: files' technical data stays unknown");
                    return;
                }
                Ok(Err(e)) => {
                    tracing::info!(file = %f.path, "not read as a video: {e}");
                    unreadable()
                }
                Err(_) => continue,
            };
            let (id, t2) = (f.file_id.clone(), technical.clone());
            if let Err(e) = st.db(move |s| s.set_technical(&id, &t2)).await {
                tracing::warn!(file = %f.path, "recording what ffprobe read: {}", e.message);
            }
            extract::embedded_subtitles(&st, &f, &technical).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
