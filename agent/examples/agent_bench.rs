//! The upload agent's benchmark (`make bench`), on loopback in one run with the source in the
//! page cache: `oott-agent upload` of a 2 GiB ffmpeg-made movie straight to the receiver against
//! `dd bs=64M oflag=dsync` (every 64 MiB made durable, as the receiver does); the agent through
//! the generated nginx against the agent straight to the receiver (alternating, best of three); and the agent's peak RSS for
//! a 2 GiB and an 8 GiB file.
//!
//! usage: agent_bench [--size BYTES] [--big BYTES (0: skip)] [--work DIR] [--nginx PATH]

#[path = "../../receiver/examples/common/mod.rs"]
#[allow(
    dead_code,
    reason = "shares the receiver's benches' helpers; this one uses part of them"
)]
mod common;
#[path = "../../receiver/tests/it/support/http.rs"]
#[allow(
    dead_code,
    reason = "shares the tests' client; the bench uses part of it"
)]
mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use common::{Args, Killed, MIB, Nginx, receiver_with_token};

/// One frame of 1280×720 YUV 4:2:0, uncompressed.
const FRAME: u64 = 1280 * 720 * 3 / 2;

fn main() -> Result<()> {
    let args = Args::from_env();
    let size = args.bytes("--size", 2048 * MIB)?;
    let big = args.bytes("--big", 8192 * MIB)?;
    let nginx_bin = args
        .get("--nginx")
        .unwrap_or_else(|| "/usr/sbin/nginx".into());
    let work = PathBuf::from(
        args.get("--work")
            .unwrap_or_else(|| "target/bench/agent".into()),
    );
    std::fs::create_dir_all(&work)?;
    let work = std::fs::canonicalize(&work)?;
    let bins = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .to_path_buf();
    let agent = bins.join("oott-agent");

    let src = movie(&work, size)?;
    let len = std::fs::metadata(&src)?.len();
    warm(&src)?;

    // dd, each 64 MiB made durable before the next.
    let dd_out = work.join("dd.out");
    let t = Instant::now();
    let st = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", dd_out.display()))
        .args(["bs=64M", "oflag=dsync"])
        .stderr(Stdio::null())
        .status()?;
    if !st.success() {
        bail!("dd failed");
    }
    let dd = len as f64 / t.elapsed().as_secs_f64() / 1e6;
    std::fs::remove_file(&dd_out)?;

    // The agent straight to the receiver, then through nginx, each into a fresh library.
    let run = |file: &Path, nginx: bool| -> Result<(f64, u64)> {
        let run_dir = work.join("run");
        let no_imdb = [
            ("OOTT_LOG", "error"),
            ("OOTT_IMDB_URL", "http://127.0.0.1:9"),
            ("OOTT_IMDB_SUGGEST_URL", "http://127.0.0.1:9"),
            ("OOTT_WIKIDATA_URL", ""),
        ];
        let (receiver, addr, bearer) = receiver_with_token(&run_dir, &no_imdb)?;
        let receiver = Killed(receiver);
        let token = bearer.trim_start_matches("Bearer ").to_owned();
        let (media, data) = (run_dir.join("media"), run_dir.join("data"));
        let front = if nginx {
            let port = addr.rsplit_once(':').context("port")?.1.parse()?;
            let mut env = vec![
                ("OOTT_HOST", "127.0.0.1"),
                ("OOTT_MEDIA_ROOT", media.to_str().context("path")?),
                ("OOTT_DATA_DIR", data.to_str().context("path")?),
            ];
            env.extend_from_slice(&no_imdb);
            let bin = bins.join("oott-receiver");
            Some(Nginx::start(
                &bin, &nginx_bin, &env, port, &data, "nginx", true,
            )?)
        } else {
            None
        };
        let server = match &front {
            Some(n) => format!("http://{}", n.addr),
            None => format!("http://{addr}"),
        };
        let r = upload(&agent, &server, &token, file, "tt0000001", &work);
        drop((front, receiver));
        let _ = std::fs::remove_dir_all(&media);
        r
    };
    // Alternating, three times each; the best of each is kept (a disk's fsync on a shared machine
    // varies from run to run far more than the two paths differ).
    let best = |a: (f64, u64), b: (f64, u64)| {
        if b.0 > a.0 {
            (b.0, a.1.max(b.1))
        } else {
            (a.0, a.1.max(b.1))
        }
    };
    let mut direct = run(&src, false)?;
    let mut through = run(&src, true)?;
    for _ in 0..2 {
        direct = best(direct, run(&src, false)?);
        through = best(through, run(&src, true)?);
    }
    let mut rows = vec![
        ("dd bs=64M oflag=dsync".to_owned(), dd, None),
        (
            "oott-agent -> receiver".to_owned(),
            direct.0,
            Some(direct.1),
        ),
        (
            "oott-agent -> nginx -> receiver".to_owned(),
            through.0,
            Some(through.1),
        ),
    ];
    if big > 0 {
        let big_src = movie(&work, big)?;
        warm(&big_src)?;
        let r = run(&big_src, false)?;
        rows.push((
            format!(
                "oott-agent -> receiver, {} MiB",
                std::fs::metadata(&big_src)?.len() / MIB
            ),
            r.0,
            Some(r.1),
        ));
    }

    println!(
        "\nupload agent on loopback, {} MiB ffmpeg-made movie in the page cache; agent paths best of three\n",
        len / MIB
    );
    println!("{:<40} {:>9} {:>14}", "", "MB/s", "agent peak RSS");
    for (name, rate, rss) in &rows {
        let rss = rss
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_default();
        println!("{name:<40} {rate:>9.0} {rss:>14}");
    }
    println!(
        "\nagent / dd: {:.2}x (goal >= 0.75)   through nginx / direct: {:.2}x (goal >= 0.85)",
        direct.0 / dd,
        through.0 / direct.0
    );
    Ok(())
}

/// An uncompressed 720p AVI of at least `size` bytes, made by ffmpeg once and kept.
fn movie(work: &Path, size: u64) -> Result<PathBuf> {
    let frames = size.div_ceil(FRAME);
    let path = work.join(format!("movie-{}.avi", size / MIB));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= frames * FRAME) {
        return Ok(path);
    }
    eprintln!("making {} with ffmpeg", path.display());
    let st = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=25",
        ])
        .args([
            "-frames:v",
            &frames.to_string(),
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .context("ffmpeg")?;
    if !st.success() {
        bail!("ffmpeg made no {}", path.display());
    }
    Ok(path)
}

/// Reads a file so it sits in the page cache.
fn warm(path: &Path) -> Result<()> {
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut std::io::sink())?;
    Ok(())
}

/// One `oott-agent upload` of `src` under `id`; answers MB/s (the whole run, from the process's
/// start to its end) and its peak RSS in KiB.
fn upload(
    agent: &Path,
    server: &str,
    token: &str,
    src: &Path,
    id: &str,
    work: &Path,
) -> Result<(f64, u64)> {
    let home = work.join("agent-home");
    let _ = std::fs::remove_dir_all(&home);
    let t = Instant::now();
    let child = Command::new(agent)
        .args(["upload", "--json", "--id", id])
        .arg(src)
        .env("OOTT_SERVER", server)
        .env("OOTT_TOKEN", token)
        .env("OOTT_AGENT_HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting oott-agent")?;
    // Its few lines of events fit the pipe; read them once it has ended.
    let (code, rss) = wait_with_rusage(child.id())?;
    let secs = t.elapsed().as_secs_f64();
    let mut out = String::new();
    if let Some(mut o) = child.stdout {
        use std::io::Read;
        let _ = o.read_to_string(&mut out);
    }
    if code != 0 || !out.contains(r#""uploaded":1"#) {
        bail!("oott-agent exited {code} without uploading the file: {out}");
    }
    Ok((std::fs::metadata(src)?.len() as f64 / secs / 1e6, rss))
}

/// Waits for a child; answers its exit code and peak RSS (KiB) from the kernel's own count.
fn wait_with_rusage(pid: u32) -> Result<(i32, u64)> {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; both pointers are valid.
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if r < 0 {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    Ok((libc::WEXITSTATUS(status), usage.ru_maxrss as u64))
}
