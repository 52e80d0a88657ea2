//! What a movie file holds, as `ffprobe -print_format json -show_format -show_streams` reads
//! it (parsed into our own types), and whether a browser plays it as it is (`direct`), after a
//! change of container without re-encoding (`remux`), or only transcoded (`transcode`).

use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use store::{AudioTrack, SubtitleTrack, Technical};

#[derive(Debug, Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Debug, Deserialize)]
struct Format {
    #[serde(default)]
    format_name: String,
    duration: Option<String>,
    bit_rate: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Tags {
    language: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    #[serde(default)]
    codec_type: String,
    #[serde(default)]
    codec_name: String,
    profile: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
    pix_fmt: Option<String>,
    bits_per_raw_sample: Option<String>,
    color_transfer: Option<String>,
    channels: Option<i64>,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: i64,
}

/// Why a file could not be read as a video.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("ffprobe is not installed")]
    Missing,
    #[error("ffprobe could not read it: {0}")]
    Unreadable(String),
    #[error("it holds no video")]
    NoVideo,
}

/// Reads `path` with ffprobe. `ext` is the file's own extension, which tells containers apart
/// that ffprobe names alike (MP4 and MOV, Matroska and WebM).
pub fn probe(path: &Path, ext: &str) -> Result<Technical, ProbeError> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ProbeError::Missing
            } else {
                ProbeError::Unreadable(e.to_string())
            }
        })?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.lines().last().unwrap_or("unknown error").trim();
        return Err(ProbeError::Unreadable(why.chars().take(200).collect()));
    }
    let parsed: Output = serde_json::from_slice(&out.stdout)
        .map_err(|e| ProbeError::Unreadable(format!("its answer: {e}")))?;
    technical(&parsed, ext)
}

fn technical(o: &Output, ext: &str) -> Result<Technical, ProbeError> {
    let video = o
        .streams
        .iter()
        .find(|s| s.codec_type == "video" && s.disposition.attached_pic == 0)
        .ok_or(ProbeError::NoVideo)?;
    let format = o.format.as_ref();
    let container = container(format.map_or("", |f| &f.format_name), ext);
    let audio: Vec<AudioTrack> = o
        .streams
        .iter()
        .filter(|s| s.codec_type == "audio")
        .map(|s| AudioTrack {
            codec: s.codec_name.clone(),
            channels: s.channels,
            language: s.tags.language.clone().filter(|l| l != "und"),
            title: s.tags.title.clone(),
        })
        .collect();
    let subtitles: Vec<SubtitleTrack> = o
        .streams
        .iter()
        .filter(|s| s.codec_type == "subtitle")
        .map(|s| SubtitleTrack {
            codec: s.codec_name.clone(),
            language: s.tags.language.clone().filter(|l| l != "und"),
            text: !matches!(
                s.codec_name.as_str(),
                "hdmv_pgs_subtitle" | "dvd_subtitle" | "dvb_subtitle" | "xsub"
            ),
        })
        .collect();
    let bit_depth = video
        .bits_per_raw_sample
        .as_deref()
        .and_then(|b| b.parse().ok())
        .or_else(|| {
            let p = video.pix_fmt.as_deref().unwrap_or("");
            Some(if p.contains("12") {
                12
            } else if p.contains("10") {
                10
            } else {
                8
            })
        });
    let hdr = match video.color_transfer.as_deref() {
        Some("smpte2084") => Some("HDR10".to_owned()),
        Some("arib-std-b67") => Some("HLG".to_owned()),
        _ => None,
    };
    let seconds = |s: &Option<String>| s.as_deref().and_then(|d| d.parse::<f64>().ok());
    let playable = verdict(
        &container,
        &video.codec_name,
        &audio,
        bit_depth.unwrap_or(8),
    );
    Ok(Technical {
        duration_ms: format
            .and_then(|f| seconds(&f.duration))
            .map(|d| (d * 1000.0).round() as i64),
        bit_rate: format
            .and_then(|f| f.bit_rate.as_deref())
            .and_then(|b| b.parse().ok()),
        width: video.width,
        height: video.height,
        video_codec: Some(video.codec_name.clone()),
        video_profile: video.profile.clone(),
        bit_depth,
        hdr,
        audio,
        subtitles,
        playable: playable.to_owned(),
        container,
    })
}

/// The container's name: ffprobe's, told apart by the file's extension where it names several.
fn container(format_name: &str, ext: &str) -> String {
    let ext = ext.to_ascii_lowercase();
    if format_name.contains("matroska") {
        return if ext == "webm" { "webm" } else { "matroska" }.to_owned();
    }
    if format_name.contains("mp4") || format_name.contains("mov") {
        return if ext == "mov" { "mov" } else { "mp4" }.to_owned();
    }
    format_name
        .split(',')
        .next()
        .unwrap_or(format_name)
        .to_owned()
}

/// What current browsers decode: H.264 (8-bit), VP9 and AV1 video; AAC, MP3 and Opus audio
/// (Vorbis in WebM too); in MP4 or WebM. Playable codecs in another container need a remux.
pub fn verdict(container: &str, video: &str, audio: &[AudioTrack], bit_depth: i64) -> &'static str {
    let video_ok = match video {
        // 10-bit H.264 plays in no mainstream browser.
        "h264" => bit_depth <= 8,
        "vp9" | "av1" => true,
        "vp8" => container == "webm",
        _ => false,
    };
    let audio_ok =
        |c: &str| matches!(c, "aac" | "mp3" | "opus") || (c == "vorbis" && container == "webm");
    let codecs_ok = video_ok && audio.iter().all(|a| audio_ok(&a.codec));
    if !codecs_ok {
        return "transcode";
    }
    let direct = match container {
        "mp4" => video != "vp8" && audio.iter().all(|a| a.codec != "vorbis"),
        "webm" => matches!(video, "vp8" | "vp9" | "av1"),
        _ => false,
    };
    if direct { "direct" } else { "remux" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(codec: &str) -> AudioTrack {
        AudioTrack {
            codec: codec.into(),
            channels: Some(2),
            language: None,
            title: None,
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict("mp4", "h264", &[a("aac")], 8), "direct");
        assert_eq!(verdict("webm", "vp9", &[a("opus")], 8), "direct");
        assert_eq!(verdict("matroska", "h264", &[a("aac")], 8), "remux");
        assert_eq!(verdict("avi", "h264", &[a("mp3")], 8), "remux");
        assert_eq!(verdict("mov", "h264", &[a("aac")], 8), "remux");
        assert_eq!(verdict("webm", "h264", &[a("aac")], 8), "remux");
        assert_eq!(verdict("matroska", "hevc", &[a("ac3")], 8), "transcode");
        assert_eq!(verdict("mp4", "h264", &[a("ac3")], 8), "transcode");
        assert_eq!(verdict("mp4", "h264", &[a("aac")], 10), "transcode");
        assert_eq!(verdict("mpegts", "mpeg2video", &[a("mp2")], 8), "transcode");
        assert_eq!(container("mov,mp4,m4a,3gp,3g2,mj2", "mov"), "mov");
        assert_eq!(container("matroska,webm", "webm"), "webm");
        assert_eq!(container("matroska,webm", "mkv"), "matroska");
    }
}
