//! The upload benchmark (`make bench`): one file, already in the page cache, sent in 64 MiB
//! chunks to the receiver (release build), copied by `dd bs=64M oflag=dsync` (the disk's limit
//! when every 64 MiB is made durable), and sent to `@tus/server` with `@tus/file-store` in
//! 64 MiB PATCH requests. Prints throughputs, ratios, and each server's peak RSS and CPU time.
//!
//! usage: upload_bench [--size BYTES] [--chunk BYTES] [--work DIR]

#[path = "common/mod.rs"]
#[allow(
    dead_code,
    reason = "the benches' shared helpers; this bench uses part of them"
)]
mod common;
#[path = "../tests/it/support/http.rs"]
#[allow(
    dead_code,
    reason = "shares the tests' client; the bench uses part of it"
)]
mod http;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{Args, MIB, check, prepare_source, receiver_with_token, send_chunk, start, usage};

use anyhow::{Context, Result, bail};

struct Run {
    name: &'static str,
    secs: f64,
    peak_rss_kib: Option<u64>,
    cpu_secs: Option<f64>,
}

fn main() -> Result<()> {
    let args = Args::from_env();
    let arg = |flag: &str| args.get(flag);
    let size = args.bytes("--size", 2048 * MIB)?;
    let chunk = args.bytes("--chunk", 64 * MIB)?;
    let work = PathBuf::from(arg("--work").unwrap_or_else(|| "target/bench/upload".into()));
    std::fs::create_dir_all(&work)?;
    let src = work.join("source.bin");
    prepare_source(&src, size)?;

    let mut runs = Vec::new();
    runs.push(dd(&src, &work, chunk)?);
    runs.push(receiver(&src, &work, size, chunk)?);
    match tus(&src, &work, size, chunk) {
        Ok(r) => runs.push(r),
        Err(e) => eprintln!("tus server run skipped: {e:#}"),
    }

    let mb = size as f64 / 1e6;
    let rate = |r: &Run| mb / r.secs;
    println!(
        "\nupload of {} MiB in {} MiB chunks (source in the page cache)\n",
        size / MIB,
        chunk / MIB
    );
    println!(
        "{:<34} {:>9} {:>10} {:>13} {:>9}",
        "", "seconds", "MB/s", "peak RSS MiB", "CPU s"
    );
    for r in &runs {
        println!(
            "{:<34} {:>9.2} {:>10.0} {:>13} {:>9}",
            r.name,
            r.secs,
            rate(r),
            r.peak_rss_kib
                .map(|k| format!("{:.1}", k as f64 / 1024.0))
                .unwrap_or_else(|| "-".into()),
            r.cpu_secs
                .map(|c| format!("{c:.2}"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    let find = |n: &str| runs.iter().find(|r| r.name.starts_with(n));
    if let (Some(rx), Some(dd)) = (find("receiver"), find("dd")) {
        println!(
            "\nreceiver / dd oflag=dsync:   {:.2}x  (goal >= 0.8x)",
            rate(rx) / rate(dd)
        );
    }
    if let (Some(rx), Some(tus)) = (find("receiver"), find("@tus/server")) {
        println!(
            "receiver / @tus/server:      {:.2}x  (goal >= 2x)",
            rate(rx) / rate(tus)
        );
    }
    if let Some(rx) = find("receiver") {
        let rss = rx.peak_rss_kib.unwrap_or(0) as f64 / 1024.0;
        println!("receiver peak RSS:           {rss:.1} MiB  (goal <= 64 MiB)");
    }
    Ok(())
}

fn dd(src: &Path, work: &Path, chunk: u64) -> Result<Run> {
    let out = work.join("dd.out");
    let t = Instant::now();
    let status = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", out.display()))
        .arg(format!("bs={}M", chunk / MIB))
        .arg("oflag=dsync")
        .stderr(Stdio::null())
        .status()
        .context("running dd")?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::remove_file(&out).ok();
    if !status.success() {
        bail!("dd failed");
    }
    Ok(Run {
        name: "dd bs=64M oflag=dsync",
        secs,
        peak_rss_kib: None,
        cpu_secs: None,
    })
}

fn receiver(src: &Path, work: &Path, size: u64, chunk: u64) -> Result<Run> {
    let (mut child, addr, bearer) =
        receiver_with_token(work, &[("OOTT_MAX_CHUNK_SIZE", "256 MiB")])?;
    let auth = [("Authorization", bearer.as_str())];
    let r = http::request(
        &addr,
        "POST",
        &format!(
            "/api/library/upload/?type=init&name=bench.mkv&size={size}&last_modified=1&id=tt0000001"
        ),
        &auth,
        b"",
    );
    check(&r, 201, "init")?;
    let id = r.json()["upload_id"]
        .as_str()
        .context("upload id")?
        .to_owned();

    let file = File::open(src)?;
    let mut buf = vec![0u8; chunk as usize];
    let t = Instant::now();
    let mut off = 0;
    let mut nr = 0;
    while off < size {
        let n = chunk.min(size - off) as usize;
        let path =
            format!("/api/library/upload/?type=chunk&offset={off}&chunkNr={nr}&uploadId={id}");
        let r = send_chunk(&addr, "POST", &path, &auth, &file, &mut buf[..n], off)?;
        check(&r, 200, "chunk")?;
        off += n as u64;
        nr += 1;
    }
    let r = http::request(
        &addr,
        "POST",
        &format!("/api/library/upload/?type=end&uploadId={id}"),
        &auth,
        b"",
    );
    check(&r, 200, "end")?;
    let secs = t.elapsed().as_secs_f64();
    let (peak_rss_kib, cpu_secs) = usage(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(work.join("media"));
    Ok(Run {
        name: "receiver (fdatasync every chunk)",
        secs,
        peak_rss_kib,
        cpu_secs,
    })
}

fn tus(src: &Path, work: &Path, size: u64, chunk: u64) -> Result<Run> {
    let dir = work.join("tus");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/tus/server.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(&script).arg(&dir);
    let (mut child, addr) = start(cmd).context("starting @tus/server (run npm ci in bench/tus)")?;
    let len = size.to_string();
    let create = [("Tus-Resumable", "1.0.0"), ("Upload-Length", len.as_str())];
    let r = http::request(&addr, "POST", "/files", &create, b"");
    check(&r, 201, "tus create")?;
    let location = r.header("location").context("Location")?.to_owned();
    let path = match location.find("/files") {
        Some(i) => location[i..].to_owned(),
        None => location,
    };
    let file = File::open(src)?;
    let mut buf = vec![0u8; chunk as usize];
    let t = Instant::now();
    let mut off = 0;
    while off < size {
        let n = chunk.min(size - off) as usize;
        let o = off.to_string();
        let headers = [
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Offset", o.as_str()),
            ("Content-Type", "application/offset+octet-stream"),
        ];
        let r = send_chunk(&addr, "PATCH", &path, &headers, &file, &mut buf[..n], off)?;
        check(&r, 204, "tus patch")?;
        off += n as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    let (peak_rss_kib, cpu_secs) = usage(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Run {
        name: "@tus/server + file-store (no sync)",
        secs,
        peak_rss_kib,
        cpu_secs,
    })
}
