//! Transcoding into HLS ladders and the server settings page's API: settings kept across a
//! restart and refused when wrong; a job's ffmpeg dying with a receiver killed by SIGKILL and
//! the job completed after the restart; cancelling and switching off; what the ladder holds and
//! how it is served; no room for a ladder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::probe::ffmpeg;
use crate::support::{Api, Dirs, FileSpec, Server, assert_error, wait_for};

/// A 720p movie no browser plays as it is (MPEG-2 video, AC-3 audio in English and French, in
/// Matroska), `secs` long.
fn unplayable_movie(dir: &Path, secs: u32) -> Vec<u8> {
    let d = format!("d={secs}");
    ffmpeg(
        dir,
        "source.mkv",
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=s=1280x720:r=25:{d}"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=f=440:{d}"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=f=660:{d}"),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-map",
            "2:a",
            "-c:v",
            "mpeg2video",
            "-q:v",
            "4",
            "-c:a",
            "ac3",
            "-metadata:s:a:0",
            "language=eng",
            "-metadata:s:a:1",
            "language=fra",
        ],
    )
}

/// Uploads the movie under `id` and waits for ffprobe's verdict on it.
fn upload(api: &Api, id: &str, data: Vec<u8>) {
    let f = FileSpec {
        name: "Some Movie (2001).mkv".into(),
        last_modified: 1_700_000_000_000,
        data,
    };
    api.upload(&f, id);
    let verdict = wait_for(30, "ffprobe's verdict", || {
        let v = api.get(&format!("/api/library/movies/{id}")).json();
        v["files"][0]["playable"].as_str().map(str::to_owned)
    });
    assert_eq!(verdict, "transcode", "MPEG-2 and AC-3 play in no browser");
}

fn jobs(api: &Api) -> Vec<Value> {
    let r = api.get("/api/transcodes");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["jobs"].as_array().cloned().unwrap_or_default()
}

/// Waits for the job of `id` to reach `state`; answers it.
fn job_in(api: &Api, id: &str, state: &str, secs: u64) -> Value {
    wait_for(secs, &format!("a {state} transcoding job of {id}"), || {
        jobs(api)
            .into_iter()
            .find(|j| j["content_id"] == id && j["state"] == state)
    })
}

/// The ffmpeg processes writing a ladder under `media`.
fn ffmpegs_under(media: &Path) -> Vec<u32> {
    let needle = media.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.starts_with("ffmpeg") && cmd.contains(&needle) && cmd.contains(".hls.tmp-") {
            pids.push(pid);
        }
    }
    pids
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn settings_on(api: &Api, on: bool) {
    let r = api.send_json("PUT", "/api/settings", &json!({"transcoding": on}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["settings"]["transcoding"]["value"], on);
}

#[test]
fn server_settings_are_for_admins_checked_whole_applied_at_once_and_kept() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let r = admin.post_json(
        "/api/users",
        &json!({"username": "mia", "password": "long enough", "role": "member"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let member = server.login("mia", "long enough");
    assert_error(&member.get("/api/settings"), 403, "forbidden");
    assert_error(
        &member.send_json("PUT", "/api/settings", &json!({"transcoding": true})),
        403,
        "forbidden",
    );
    assert_error(&server.anon().get("/api/settings"), 401, "unauthorized");

    let s = admin.get("/api/settings").json();
    assert_eq!(
        s["settings"]["transcoding"]["value"], false,
        "off by default"
    );
    assert_eq!(s["settings"]["transcode_jobs"]["value"], 1);
    assert_eq!(s["settings"]["disk_reserve"]["changed"], false);
    assert_eq!(s["ffmpeg"], true);
    assert_eq!(s["roots"][0]["path"], json!(dirs.media()));

    // Every value is checked before any is kept.
    for (body, code) in [
        (json!({"transcode_jobs": 0}), "invalid_setting"),
        (
            json!({"transcode_jobs": 2, "disk_reserve": "heaps"}),
            "invalid_setting",
        ),
        (json!({"upload_expiry": "5m"}), "invalid_setting"),
        (json!({"transcoding": "yes"}), "invalid_setting"),
        (json!({"port": 1}), "unknown_setting"),
        (json!({"reset": ["port"]}), "unknown_setting"),
    ] {
        assert_error(&admin.send_json("PUT", "/api/settings", &body), 400, code);
    }
    assert_eq!(
        admin.get("/api/settings").json(),
        s,
        "refused changes change nothing"
    );

    let r = admin.send_json(
        "PUT",
        "/api/settings",
        &json!({"disk_reserve": "1 MiB", "upload_expiry": "2d", "library_quota": "500 GB"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["settings"]["disk_reserve"]["value"], 1u64 << 20);
    assert_eq!(
        v["settings"]["disk_reserve"]["configured"], 0,
        "the test's OOTT_DISK_RESERVE"
    );
    assert_eq!(v["settings"]["disk_reserve"]["changed"], true);
    // In force at once: the monitor keeps 1 MiB free, an upload is kept two days.
    let m = admin.get("/api/monitor").json();
    assert_eq!(m["disk"]["reserve"], 1u64 << 20);
    assert_eq!(m["library"]["quota"], 500_000_000_000u64);
    let init = admin.init(
        &FileSpec::new("A Film (1999).mkv", 1000, 1),
        "tt0000001",
        "",
    );
    assert_eq!(init.json()["expires_in"], 2 * 86_400, "{}", init.text());

    // Kept across a restart.
    server.kill();
    let server = Server::start(&dirs);
    let admin = admin.at(&server.addr);
    let s = admin.get("/api/settings").json();
    assert_eq!(s["settings"]["disk_reserve"]["value"], 1u64 << 20);
    assert_eq!(s["settings"]["upload_expiry"]["value"], 2 * 86_400);

    // Back to the configured value.
    let r = admin.send_json(
        "PUT",
        "/api/settings",
        &json!({"reset": ["disk_reserve"], "library_quota": null}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["settings"]["disk_reserve"]["value"], 0);
    assert_eq!(v["settings"]["disk_reserve"]["changed"], false);
    assert_eq!(v["settings"]["library_quota"]["value"], Value::Null);
    assert_eq!(admin.get("/api/monitor").json()["disk"]["reserve"], 0);

    // A disk added here is checked, and used from the next start.
    let disk = dirs.path("disk2");
    std::fs::create_dir_all(&disk).expect("disk");
    for (body, what) in [
        (json!({"path": "relative/disk"}), "a relative path"),
        (
            json!({"path": dirs.path("missing").display().to_string()}),
            "a missing folder",
        ),
        (
            json!({"path": dirs.media().display().to_string()}),
            "the library itself",
        ),
        (
            json!({"path": dirs.media().join("tt0000001").display().to_string()}),
            "inside it",
        ),
    ] {
        let r = admin.post_json("/api/settings/disks", &body);
        assert_eq!(
            (r.status, r.json()["error"]["code"].clone()),
            (400, json!("invalid_setting")),
            "{what}: {}",
            r.text()
        );
    }
    let r = admin.post_json(
        "/api/settings/disks",
        &json!({"path": disk.display().to_string()}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let s = admin.get("/api/settings").json();
    assert_eq!(
        s["roots"].as_array().map(Vec::len),
        Some(1),
        "not before the next start"
    );
    assert_eq!(s["pending_roots"], json!([disk]));
    let r = admin.post_json(
        "/api/settings/disks",
        &json!({"path": disk.display().to_string()}),
    );
    assert_eq!(r.status, 400, "the same disk twice: {}", r.text());
    server.kill();
    let server = Server::start(&dirs);
    let admin = admin.at(&server.addr);
    let s = admin.get("/api/settings").json();
    assert_eq!(s["roots"][1], json!({"name": "2", "path": disk}));
    assert_eq!(s["pending_roots"], json!([]));
    assert_eq!(
        admin.get("/api/monitor").json()["disks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert!(
        disk.join(".oott-root").exists(),
        "the new disk is marked as the library's"
    );

    // The hardware check measures this machine and is kept for the page.
    let r = admin.post("/api/settings/hardware-check", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let speed = r.json()["speed_1080p"].as_f64().expect("speed");
    assert!(speed > 0.0, "{speed}");
    assert_eq!(
        admin.get("/api/settings").json()["hardware_check"]["speed_1080p"],
        r.json()["speed_1080p"]
    );
}

#[test]
fn a_transcode_killed_with_the_receiver_is_started_again_and_completes() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let tmp = tempfile::tempdir().expect("dir");
    upload(&admin, "tt0000801", unplayable_movie(tmp.path(), 16));
    assert!(
        jobs(&admin).is_empty(),
        "nothing is transcoded while it is off"
    );

    settings_on(&admin, true);
    let running = wait_for(60, "the job under way", || {
        jobs(&admin)
            .into_iter()
            .find(|j| j["state"] == "running" && j["progress"].as_f64().is_some_and(|p| p > 0.0))
    });
    assert_eq!(
        running["title"], "Some Movie (2001)",
        "no metadata yet: the file name stands in"
    );
    let pids = ffmpegs_under(&dirs.media());
    assert_eq!(pids.len(), 1, "one ffmpeg runs the job");
    let title_dir = dirs.media().join("tt0000801");
    let ladder = title_dir.join("tt0000801.hls");

    server.kill();
    wait_for(10, "ffmpeg ending with the receiver", || {
        ffmpegs_under(&dirs.media()).is_empty().then_some(())
    });
    assert!(!ladder.exists(), "no half-made ladder under its real name");

    let server = Server::start(&dirs);
    let admin = admin.at(&server.addr);
    let done = job_in(&admin, "tt0000801", "done", 180);
    assert_eq!(done["attempts"], 2, "started over once");
    assert_eq!(
        entries(&title_dir)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "the cut-off run's folder is gone"
    );
    check_ladder(&admin, &ladder, 16.0);

    // The movie page plays the ladder.
    let page = dirs.data().join("site/movie/tt0000801.html");
    wait_for(30, "the page with the ladder", || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|p| p.contains("data-hls=\"/media/tt0000801/tt0000801.hls/master.m3u8\""))
    });
    server.kill();
}

/// What a finished ladder of the 720p test movie holds, and how the receiver serves it.
fn check_ladder(api: &Api, ladder: &Path, secs: f64) {
    assert_eq!(
        entries(ladder),
        [
            "a0.m3u8",
            "a0.m4s",
            "a1.m3u8",
            "a1.m4s",
            "master.m3u8",
            "v480.m3u8",
            "v480.m4s",
            "v720.m3u8",
            "v720.m4s"
        ],
        "720p and 480p (never upscaled to 1080p), and each audio track"
    );
    let master = std::fs::read_to_string(ladder.join("master.m3u8")).expect("master");
    assert!(master.contains("RESOLUTION=1280x720"), "{master}");
    assert!(master.contains("RESOLUTION=854x480"), "{master}");
    assert!(!master.contains("1920x1080"), "{master}");
    assert!(
        master.contains("NAME=\"eng\",DEFAULT=YES,LANGUAGE=\"eng\""),
        "{master}"
    );
    assert!(
        master.contains("NAME=\"fra\",DEFAULT=NO,LANGUAGE=\"fra\""),
        "{master}"
    );
    // Each rung is H.264 and as long as the movie.
    for rung in ["v720", "v480"] {
        let out = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_streams",
                "-show_format",
            ])
            .arg(ladder.join(format!("{rung}.m3u8")))
            .output()
            .expect("ffprobe");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["streams"][0]["codec_name"], "h264", "{rung}");
        let d: f64 = v["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .expect("duration");
        assert!((d - secs).abs() < 1.0, "{rung} lasts {d} s");
    }
    let rel = ladder
        .strip_prefix(ladder.parent().and_then(Path::parent).expect("root"))
        .expect("relative");
    let url = |name: &str| format!("/media/{}/{name}", rel.display());
    let r = api.get(&url("master.m3u8"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.apple.mpegurl")
    );
    let r = api.request("GET", &url("v480.m4s"), &[("Range", "bytes=0-99")], b"");
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-type"), Some("video/iso.segment"));
}

#[test]
fn a_cancelled_or_switched_off_transcode_stops_its_ffmpeg_and_leaves_nothing() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let tmp = tempfile::tempdir().expect("dir");
    upload(&admin, "tt0000802", unplayable_movie(tmp.path(), 30));
    let title_dir: PathBuf = dirs.media().join("tt0000802");
    let only_movie = || {
        wait_for(10, "nothing but the movie in its folder", || {
            (ffmpegs_under(&dirs.media()).is_empty() && entries(&title_dir) == ["tt0000802.mkv"])
                .then_some(())
        })
    };

    // No room for the ladder above the reserve: the job fails at once, saying so.
    let r = admin.send_json(
        "PUT",
        "/api/settings",
        &json!({"disk_reserve": "1000 TB", "transcoding": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let failed = job_in(&admin, "tt0000802", "failed", 30);
    let why = failed["error"].as_str().expect("error");
    assert!(why.contains("the ladder needs about"), "{why}");
    only_movie();
    let id = failed["id"].as_i64().expect("id");
    let r = admin.send_json(
        "PUT",
        "/api/settings",
        &json!({"reset": ["disk_reserve"], "transcoding": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin.post(&format!("/api/transcodes/{id}/retry"), b"");
    assert_eq!(r.status, 200, "{}", r.text());

    // Switched off while it runs: stopped, and back in the queue.
    settings_on(&admin, true);
    job_in(&admin, "tt0000802", "running", 60);
    settings_on(&admin, false);
    only_movie();
    job_in(&admin, "tt0000802", "queued", 10);

    // Cancelled while it runs.
    settings_on(&admin, true);
    job_in(&admin, "tt0000802", "running", 60);
    let r = admin.delete(&format!("/api/transcodes/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    only_movie();
    job_in(&admin, "tt0000802", "cancelled", 10);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        job_in(&admin, "tt0000802", "cancelled", 1)["attempts"],
        3,
        "a cancelled job is not started again by itself"
    );
    assert_error(
        &admin.delete(&format!("/api/transcodes/{id}")),
        409,
        "job_finished",
    );
    assert_error(&admin.delete("/api/transcodes/9999"), 404, "not_found");
    assert_error(&admin.delete("/api/transcodes/x"), 400, "invalid_id");

    // Tried again: it runs to the end.
    let r = admin.post(&format!("/api/transcodes/{id}/retry"), b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_error(
        &admin.post(&format!("/api/transcodes/{id}/retry"), b""),
        409,
        "job_active",
    );
    job_in(&admin, "tt0000802", "done", 240);
    assert!(title_dir.join("tt0000802.hls/master.m3u8").exists());

    // Deleting the version's title takes the ladder with it.
    let r = admin.delete("/api/library/delete/?content_id=tt0000802");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!title_dir.exists());
    server.kill();
}
