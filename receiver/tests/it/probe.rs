//! What ffprobe reads of real, ffmpeg-made files in several containers and codecs, stored with
//! each file and listed by the API, and the verdict for browsers: played as it is, remuxed, or
//! transcoded. Files ffprobe cannot read stay listed with nothing known of them.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Api, Dirs, FileSpec, Server, wait_for};

/// Makes a file with ffmpeg (`args` between the inputs and the output); answers its bytes.
pub fn ffmpeg(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg (make test installs it)");
    assert!(status.success(), "ffmpeg made no {name}");
    std::fs::read(out).expect("read")
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Uploads `data` as `name` under `id`, then waits for ffprobe's reading of it.
fn upload_and_read(api: &Api, name: &str, data: Vec<u8>, id: &str) -> Value {
    let f = FileSpec {
        name: name.into(),
        last_modified: 1_700_000_000_000,
        data,
    };
    api.upload(&f, id);
    wait_for(30, &format!("ffprobe's reading of {name}"), || {
        let v = api.get(&format!("/api/library/movies/{id}")).json();
        let file = v["files"][0].clone();
        (!file["playable"].is_null()).then_some(file)
    })
}

#[test]
fn technical_data_and_verdicts_of_real_files() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let tmp = tempfile::tempdir().expect("dir");
    let d = tmp.path();
    let video = ["-f", "lavfi", "-i", "testsrc=s=320x240:r=10:d=2"];
    let audio = ["-f", "lavfi", "-i", "sine=f=440:d=2"];
    let both = |extra: &[&str]| -> Vec<String> {
        video
            .iter()
            .chain(audio.iter())
            .chain(extra.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let h264_aac = both(&[
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]);
    // (name, bytes, container, video codec, verdict, audio codecs)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, &'a str, &'a str, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        // (name, bytes, container, video codec, verdict, audio codecs)
        (
            "MP4 (2001).mp4",
            ffmpeg(d, "a.mp4", &args(&h264_aac)),
            "mp4",
            "h264",
            "direct",
            vec!["aac"],
        ),
        (
            "MKV (2002).mkv",
            ffmpeg(d, "b.mkv", &args(&h264_aac)),
            "matroska",
            "h264",
            "remux",
            vec!["aac"],
        ),
        (
            "HEVC (2003).mkv",
            ffmpeg(
                d,
                "c.mkv",
                &args(&both(&[
                    "-c:v",
                    "libx265",
                    "-preset",
                    "ultrafast",
                    "-x265-params",
                    "log-level=error",
                    "-c:a",
                    "ac3",
                    "-shortest",
                ])),
            ),
            "matroska",
            "hevc",
            "transcode",
            vec!["ac3"],
        ),
        (
            "WebM (2004).webm",
            ffmpeg(
                d,
                "e.webm",
                &args(&both(&[
                    "-c:v",
                    "libvpx-vp9",
                    "-deadline",
                    "realtime",
                    "-cpu-used",
                    "8",
                    "-c:a",
                    "libopus",
                    "-shortest",
                ])),
            ),
            "webm",
            "vp9",
            "direct",
            vec!["opus"],
        ),
    ];
    for (i, (name, data, container, codec, verdict, audio)) in cases.into_iter().enumerate() {
        let id = format!("tt00009{i:02}");
        let file = upload_and_read(&api, name, data, &id);
        assert_eq!(file["container"], json!(container), "{name}: {file}");
        assert_eq!(file["video_codec"], json!(codec), "{name}");
        assert_eq!(file["playable"], json!(verdict), "{name}");
        assert_eq!(file["audio_codecs"], json!(audio), "{name}");
        assert_eq!(
            (file["width"].as_i64(), file["height"].as_i64()),
            (Some(320), Some(240)),
            "{name}"
        );
        let secs = file["duration_s"].as_f64().unwrap_or(0.0);
        assert!((1.5..2.5).contains(&secs), "{name}: {secs} s");
    }

    // Two audio tracks with their languages, and a text subtitle track, in an HD MP4.
    let srt = d.join("s.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:01,000\nHello\n").expect("srt");
    let srt_path = srt.display().to_string();
    let multi = ffmpeg(
        d,
        "m.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=1280x720:r=10:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=f=660:d=2",
            "-i",
            &srt_path,
            "-map",
            "0",
            "-map",
            "1",
            "-map",
            "2",
            "-map",
            "3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-c:s",
            "mov_text",
            "-metadata:s:a:0",
            "language=eng",
            "-metadata:s:a:1",
            "language=fra",
            "-metadata:s:s:0",
            "language=eng",
            "-shortest",
        ],
    );
    let file = upload_and_read(&api, "Multi (2005).mp4", multi.clone(), "tt0000910");
    assert_eq!(file["playable"], json!("direct"));
    assert_eq!(file["height"], json!(720));
    assert_eq!(
        file["audio"]
            .as_array()
            .map(|a| a.iter().map(|t| t["language"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("eng"), json!("fra")])
    );
    assert_eq!(
        file["subtitle_tracks"],
        json!([{"codec": "mov_text", "language": "eng", "text": true}])
    );

    // Its text subtitle track is extracted to WebVTT and offered with the title.
    let subs = wait_for(30, "the embedded subtitle track", || {
        let v = api.get("/api/library/movies/tt0000910").json()["subtitles"].clone();
        (v.as_array().is_some_and(|a| !a.is_empty())).then_some(v)
    });
    assert_eq!(subs[0]["lang"], json!("eng"), "{subs}");
    assert_eq!(subs[0]["source"], json!("embedded"));
    let vtt = api.get("/media/tt0000910/tt0000910.eng.vtt");
    assert!(
        vtt.text().starts_with("WEBVTT") && vtt.text().contains("Hello"),
        "{}",
        vtt.text()
    );

    // A file cut short before its index, and random bytes, are not videos: `end` refuses
    // them, and they stay uploads (the bytes held, to resume or to let expire), never filed.
    for (name, data, id) in [
        (
            "Cut (2006).mp4",
            multi[..multi.len() / 3].to_vec(),
            "tt0000911",
        ),
        (
            "Noise (2007).mkv",
            crate::support::bytes(50_000, 9),
            "tt0000912",
        ),
    ] {
        let f = FileSpec {
            name: name.into(),
            last_modified: 1_700_000_000_002,
            data,
        };
        let up = api.start_upload(&f, id);
        api.send_from(&up, &f.data, 0, 1 << 20);
        let r = api.end(&up);
        crate::support::assert_error(&r, 422, "not_a_video");
        assert_eq!(
            api.offset(&up),
            f.data.len() as u64,
            "{name}: the upload stays"
        );
        crate::support::assert_error(
            &api.get(&format!("/api/library/movies/{id}")),
            404,
            "not_found",
        );
        assert!(!dirs.media().join(id).exists(), "{name}: nothing filed");
    }

    // The movie pages say what each version is, and which one browsers cannot play as it is.
    let page = |id: &str| dirs.data().join(format!("site/movie/{id}.html"));
    for (id, want) in [
        ("tt0000902", "Main · SD · AC3 mono · needs converting"),
        ("tt0000910", "Main · 720p · AAC mono"),
    ] {
        wait_for(30, want, || {
            std::fs::read_to_string(page(id))
                .ok()
                .filter(|p| p.contains(want))
        });
    }
    // The Matroska file with H.264 and AAC gets its MP4 copy, the same streams; replacing the
    // title's file takes the copy away with the file it was made from.
    let remux = dirs.media().join("tt0000901/tt0000901.remux.mp4");
    wait_for(60, "the remuxed copy", || remux.is_file().then_some(()));
    let read = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&remux)
        .output()
        .expect("ffprobe");
    assert_eq!(String::from_utf8_lossy(&read.stdout).trim(), "h264\naac");
    let again = ffmpeg(d, "b2.mp4", &args(&h264_aac));
    let f = FileSpec {
        name: "MKV (2002) again.mp4".into(),
        last_modified: 1_700_000_000_001,
        data: again,
    };
    let id = api.start_upload_with(&f, "tt0000901", "&mode=replace");
    api.send_from(&id, &f.data, 0, 1 << 20);
    assert_eq!(api.end(&id).status, 200);
    assert!(!remux.exists(), "the copy of the replaced file is gone");
    wait_for(30, "ffprobe's reading of the replacement", || {
        let v = api.get("/api/library/movies/tt0000901").json();
        (v["files"][0]["playable"] == json!("direct")).then_some(())
    });

    let lib = api.get("/api/monitor").json()["library"].clone();
    assert_eq!(lib["hd_files"], json!(1), "{lib}");
    let play = lib["play_time_s"].as_i64().unwrap_or(0);
    assert!((8..=14).contains(&play), "{lib}");
}
