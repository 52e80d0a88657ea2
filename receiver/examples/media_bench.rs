//! The media benchmark (`make bench`), side by side on the same ffmpeg-made 1080p H.264/AAC
//! Matroska file, in one run:
//!
//! - the remux (`media::remux::remux`: `-c copy` to MP4 with the index at the front, through a
//!   temporary name, made durable, renamed) against `ffmpeg -c copy` run by hand;
//! - the transcode into the HLS ladder by the receiver (release build, a job started by switching
//!   transcoding on through the settings API) against ffmpeg run by hand with the same arguments
//!   (`media::transcode::ladder_args`), its speed as a multiple of real time, and the time from
//!   switching transcoding on to the first playable segment (the ladder is published whole, so
//!   that is when the job ends).
//!
//! usage: media_bench [--seconds N] [--work DIR]

#[path = "common/mod.rs"]
#[allow(
    dead_code,
    reason = "shares the upload bench's helpers; this bench uses part of them"
)]
mod common;
#[path = "../tests/it/support/http.rs"]
#[allow(
    dead_code,
    reason = "shares the tests' client; the bench uses part of it"
)]
mod http;

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use common::{Args, check, receiver_with_token, send_chunk};

fn main() -> Result<()> {
    let args = Args::from_env();
    let seconds: u32 = args
        .get("--seconds")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(60);
    let work = PathBuf::from(
        args.get("--work")
            .unwrap_or_else(|| "target/bench/media".into()),
    );
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let src = work.join("source.mkv");
    println!("making a {seconds} s 1080p H.264/AAC Matroska file…");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=s=1920x1080:r=25:d={seconds}"),
        "-f",
        "lavfi",
        "-i",
        &format!("sine=f=440:d={seconds}"),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        "8M",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        src.to_str().context("path")?,
    ])?;
    let size = std::fs::metadata(&src)?.len();
    println!("source: {:.1} MiB, {seconds} s", size as f64 / 1048576.0);

    // Remux: three rounds each, alternating, the median. By hand once as it is (the output
    // left in the page cache), once made durable as the receiver makes it (fsync, rename).
    let (mut ours, mut hand, mut hand_sync) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        let dst = work.join(format!("ours-{round}.mp4"));
        let t = Instant::now();
        receiver::media::remux::remux(&src, &dst)?;
        ours.push(t.elapsed().as_secs_f64());
        let out = work.join(format!("hand-{round}.mp4"));
        let t = Instant::now();
        copy_by_hand(&src, &out)?;
        hand.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        copy_by_hand(&src, &out)?;
        File::open(&out)?.sync_all()?;
        hand_sync.push(t.elapsed().as_secs_f64());
    }
    let (o, h, hs) = (median(&mut ours), median(&mut hand), median(&mut hand_sync));
    println!("\nremux ({:.0} MiB):", size as f64 / 1048576.0);
    println!("  ffmpeg -c copy by hand                 {h:>7.3} s");
    println!("  ffmpeg -c copy by hand, then fsync     {hs:>7.3} s");
    println!("  receiver remux (fsync, rename)         {o:>7.3} s");
    println!("  speed against ffmpeg by hand           {:>7.2}×", h / o);
    println!("  speed against ffmpeg by hand + fsync   {:>7.2}×", hs / o);

    // The transcode by hand, with the ladder's own arguments.
    let technical =
        receiver::media::probe::probe(&src, "mkv").map_err(|e| anyhow::anyhow!("ffprobe: {e}"))?;
    let hand_dir = work.join("hand-ladder");
    std::fs::create_dir_all(&hand_dir)?;
    let ladder = receiver::media::transcode::ladder_args(&technical, &hand_dir);
    let mut all = vec!["-i".to_owned(), src.to_string_lossy().into_owned()];
    all.extend(ladder);
    let t = Instant::now();
    ffmpeg(&all.iter().map(String::as_str).collect::<Vec<_>>())?;
    let hand_s = t.elapsed().as_secs_f64();

    let (job_s, first_s) = receiver_transcode(&src, &work, size)?;
    let rungs = receiver::media::transcode::rungs(technical.height.unwrap_or(0));
    println!(
        "\ntranscode to the HLS ladder ({} from 1080p, H.264 veryfast + AAC):",
        rungs
            .iter()
            .map(|(h, _)| format!("{h}p"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  ffmpeg by hand, same args     {hand_s:>7.2} s  ({:.2}× real time)",
        f64::from(seconds) / hand_s
    );
    println!(
        "  receiver job                  {job_s:>7.2} s  ({:.2}× real time)",
        f64::from(seconds) / job_s
    );
    println!("  speed against ffmpeg by hand  {:>7.2}×", hand_s / job_s);
    println!("  switched on → first playable segment  {first_s:.2} s");
    Ok(())
}

/// `ffmpeg -c copy` to MP4 with the index at the front, as a person would run it.
fn copy_by_hand(src: &Path, out: &Path) -> Result<()> {
    ffmpeg(&[
        "-i",
        src.to_str().context("path")?,
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
        out.to_str().context("path")?,
    ])
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ffmpeg(args: &[&str]) -> Result<()> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .output()
        .context("running ffmpeg")?;
    if !out.status.success() {
        bail!("ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Uploads the source to a fresh receiver, switches transcoding on and waits for the job;
/// answers the job's time (from its start to its end, as the receiver records them, to the
/// second, refined by polling) and the time from switching on to the ladder being served.
fn receiver_transcode(src: &Path, work: &Path, size: u64) -> Result<(f64, f64)> {
    let (mut child, addr, bearer) = receiver_with_token(
        work,
        &[
            ("OOTT_IMDB_URL", "http://127.0.0.1:9"),
            ("OOTT_IMDB_SUGGEST_URL", "http://127.0.0.1:9"),
            ("OOTT_WIKIDATA_URL", ""),
        ],
    )?;
    let auth = [("Authorization", bearer.as_str())];
    let mtime = std::fs::metadata(src)?.mtime();
    let r = http::request(
        &addr,
        "POST",
        &format!(
            "/api/library/upload/?type=init&name=bench.mkv&size={size}&last_modified={mtime}&id=tt0000001"
        ),
        &auth,
        b"",
    );
    check(&r, 201, "init")?;
    let id = r.json()["upload_id"].as_str().context("id")?.to_owned();
    let file = File::open(src)?;
    let chunk = 64u64 << 20;
    let mut buf = vec![0u8; chunk as usize];
    let mut off = 0;
    while off < size {
        let n = chunk.min(size - off) as usize;
        let path = format!("/api/library/upload/?type=chunk&offset={off}&uploadId={id}");
        let r = send_chunk(&addr, "POST", &path, &auth, &file, &mut buf[..n], off)?;
        check(&r, 200, "chunk")?;
        off += n as u64;
    }
    let r = http::request(
        &addr,
        "POST",
        &format!("/api/library/upload/?type=end&uploadId={id}"),
        &auth,
        b"",
    );
    check(&r, 200, "end")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v = http::request(&addr, "GET", "/api/library/movies/tt0000001", &auth, b"").json();
        if !v["files"][0]["playable"].is_null() {
            break;
        }
        if Instant::now() > deadline {
            bail!("ffprobe never read the file");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut put: Vec<(&str, &str)> = auth.to_vec();
    put.push(("Content-Type", "application/json"));
    let on = Instant::now();
    let r = http::request(
        &addr,
        "PUT",
        "/api/settings",
        &put,
        br#"{"transcoding":true}"#,
    );
    check(&r, 200, "switching transcoding on")?;
    let mut started: Option<Instant> = None;
    let master = "/media/tt0000001/tt0000001.hls/master.m3u8";
    loop {
        let jobs = http::request(&addr, "GET", "/api/transcodes", &auth, b"").json();
        let state = jobs["jobs"][0]["state"].as_str().unwrap_or("").to_owned();
        if state == "running" && started.is_none() {
            started = Some(Instant::now());
        }
        if state == "failed" {
            bail!("the job failed: {}", jobs["jobs"][0]["error"]);
        }
        if state == "done" && http::request(&addr, "GET", master, &auth, b"").status == 200 {
            break;
        }
        if on.elapsed() > Duration::from_secs(3600) {
            bail!("the job did not end within an hour");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let first = on.elapsed().as_secs_f64();
    let job = started.map_or(first, |s| s.elapsed().as_secs_f64());
    let _ = child.kill();
    let _ = child.wait();
    Ok((job, first))
}
