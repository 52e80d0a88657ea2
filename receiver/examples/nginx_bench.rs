//! The nginx benchmark (`make bench`), all on loopback in one run, each pair side by side:
//! streaming a 2 GiB file through nginx with `auth_request` against the same nginx serving it
//! with no auth; many small Range requests (a seek-heavy player) with and without
//! `auth_request`; and a 2 GiB upload in 64 MiB chunks through nginx against the same upload
//! straight to the receiver. Each measurement is repeated, alternating, and the best kept.
//!
//! usage: nginx_bench [--size BYTES] [--work DIR] [--nginx PATH]

#[path = "common/mod.rs"]
#[allow(
    dead_code,
    reason = "shares the other benches' helpers; this one uses part of them"
)]
mod common;
#[path = "../tests/it/support/http.rs"]
#[allow(
    dead_code,
    reason = "shares the tests' client; the bench uses part of it"
)]
mod http;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use common::{Args, Killed, MIB, Nginx, check, prepare_source, send_chunk, start, usage};

/// Small ranges: this many connections, each making this many requests of this many bytes.
const RANGE_CONNECTIONS: usize = 8;
const RANGE_REQUESTS: usize = 10_000;
const RANGE_BYTES: u64 = 64 * 1024;

fn main() -> Result<()> {
    let args = Args::from_env();
    let arg = |flag: &str| args.get(flag);
    let size = args.bytes("--size", 2048 * MIB)?;
    let work = PathBuf::from(arg("--work").unwrap_or_else(|| "target/bench/nginx".into()));
    let nginx_bin = arg("--nginx").unwrap_or_else(|| "/usr/sbin/nginx".into());
    std::fs::create_dir_all(&work)?;
    let work = std::fs::canonicalize(&work)?;
    let src = work.join("source.bin");
    prepare_source(&src, size)?;
    let (media, data) = (work.join("media"), work.join("data"));
    for d in [&media, &data] {
        let _ = std::fs::remove_dir_all(d);
    }
    let bin = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .join("oott-receiver");
    let mut cmd = Command::new(&bin);
    let env = [
        ("OOTT_HOST", "127.0.0.1"),
        ("OOTT_MEDIA_ROOT", media.to_str().context("path")?),
        ("OOTT_DATA_DIR", data.to_str().context("path")?),
        ("OOTT_DISK_RESERVE", "0"),
        ("OOTT_NGINX", "off"),
        ("OOTT_LOG", "warn"),
        ("OOTT_IMDB_URL", "http://127.0.0.1:9"),
        ("OOTT_IMDB_SUGGEST_URL", "http://127.0.0.1:9"),
        ("OOTT_WIKIDATA_URL", ""),
    ];
    cmd.envs(env).env("OOTT_PORT", "0");
    let (receiver, addr) = start(cmd).context("starting the receiver")?;
    let receiver = Killed(receiver);
    let auth = login(&addr)?;

    let port = |l: &str| -> Result<u16> { Ok(l.rsplit_once(':').context("port")?.1.parse()?) };
    let with_auth = Nginx::start(&bin, &nginx_bin, &env, port(&addr)?, &data, "nginx", true)?;
    let without = Nginx::start(
        &bin,
        &nginx_bin,
        &env,
        port(&addr)?,
        &data,
        "nginx-open",
        false,
    )?;

    // Uploads, alternating: straight to the receiver, then through nginx.
    let file = File::open(&src)?;
    let mut up_direct: f64 = 0.0;
    let mut up_nginx: f64 = 0.0;
    for round in 0..3 {
        let mode = if round == 0 { "" } else { "&mode=replace" };
        up_direct = up_direct.max(upload(&addr, &auth, &file, size, "tt0000001", mode)?);
        up_nginx = up_nginx.max(upload(
            &with_auth.addr,
            &auth,
            &file,
            size,
            "tt0000002",
            mode,
        )?);
    }
    let media_url = "/media/tt0000001/tt0000001.mp4";
    let mut stream_auth: f64 = 0.0;
    let mut stream_open: f64 = 0.0;
    let mut ranges_auth: f64 = 0.0;
    let mut ranges_open: f64 = 0.0;
    for _ in 0..3 {
        stream_open = stream_open.max(stream(&without.addr, media_url, &auth, size)?);
        stream_auth = stream_auth.max(stream(&with_auth.addr, media_url, &auth, size)?);
    }
    for _ in 0..2 {
        ranges_open = ranges_open.max(ranges(&without.addr, media_url, &auth, size)?);
        ranges_auth = ranges_auth.max(ranges(&with_auth.addr, media_url, &auth, size)?);
    }
    let (rss, cpu) = usage(receiver.0.id());
    drop((receiver, with_auth, without));
    let _ = std::fs::remove_dir_all(&media);

    println!(
        "\nnginx on loopback, {} MiB file, best of three uploads and streams, two range runs\n",
        size / MIB
    );
    println!(
        "{:<46} {:>9.0} MB/s",
        "stream, nginx without auth", stream_open
    );
    println!(
        "{:<46} {:>9.0} MB/s",
        "stream, nginx with auth_request", stream_auth
    );
    println!(
        "{:<46} {:>9.0} req/s",
        format!(
            "{} KiB ranges x {RANGE_CONNECTIONS} connections, no auth",
            RANGE_BYTES / 1024
        ),
        ranges_open
    );
    println!(
        "{:<46} {:>9.0} req/s",
        format!(
            "{} KiB ranges x {RANGE_CONNECTIONS} connections, auth_request",
            RANGE_BYTES / 1024
        ),
        ranges_auth
    );
    println!(
        "{:<46} {:>9.0} MB/s",
        "upload, 64 MiB chunks, straight to receiver", up_direct
    );
    println!(
        "{:<46} {:>9.0} MB/s",
        "upload, 64 MiB chunks, through nginx", up_nginx
    );
    println!();
    println!(
        "streaming with auth / without:   {:.3}x  (goal >= 0.95x)",
        stream_auth / stream_open
    );
    println!(
        "small ranges with auth / without: {:.3}x  (goal >= 0.8x)",
        ranges_auth / ranges_open
    );
    println!(
        "upload through nginx / direct:   {:.3}x  (goal >= 0.7x)",
        up_nginx / up_direct
    );
    if let (Some(rss), Some(cpu)) = (rss, cpu) {
        println!(
            "receiver over the whole run:     peak RSS {:.1} MiB, {cpu:.1} s CPU",
            rss as f64 / 1024.0
        );
    }
    Ok(())
}

/// Sets up the admin and answers the headers of its session (cookie and CSRF token).
fn login(addr: &str) -> Result<Vec<(String, String)>> {
    let (cookie, csrf) = common::setup_admin(addr)?;
    Ok(vec![
        ("Cookie".into(), cookie),
        ("X-CSRF-Token".into(), csrf),
    ])
}

fn headers(auth: &[(String, String)]) -> Vec<(&str, &str)> {
    auth.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// One whole upload in 64 MiB chunks; answers MB/s from the first chunk to `end`.
fn upload(
    addr: &str,
    auth: &[(String, String)],
    file: &File,
    size: u64,
    id: &str,
    mode: &str,
) -> Result<f64> {
    let h = headers(auth);
    let r = http::request(
        addr,
        "POST",
        &format!(
            "/api/library/upload/?type=init&name=bench.mp4&size={size}&last_modified={}&id={id}{mode}",
            // A file id of its own for every upload: the name, size and time make it.
            t0_nanos()
        ),
        &h,
        b"",
    );
    check(&r, 201, "init")?;
    let up = r.json()["upload_id"]
        .as_str()
        .context("upload id")?
        .to_owned();
    let chunk = 64 * MIB;
    let mut buf = vec![0u8; chunk as usize];
    let t = Instant::now();
    let mut off = 0;
    while off < size {
        let n = chunk.min(size - off) as usize;
        let path = format!("/api/library/upload/?type=chunk&offset={off}&chunkNr=0&uploadId={up}");
        let r = send_chunk(addr, "POST", &path, &h, file, &mut buf[..n], off)?;
        check(&r, 200, "chunk")?;
        off += n as u64;
    }
    let r = http::request(
        addr,
        "POST",
        &format!("/api/library/upload/?type=end&uploadId={up}"),
        &h,
        b"",
    );
    check(&r, 200, "end")?;
    Ok(size as f64 / 1e6 / t.elapsed().as_secs_f64())
}

fn t0_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A keep-alive connection that reads answers by their Content-Length.
struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    fn open(addr: &str) -> Result<Self> {
        let w = TcpStream::connect(addr)?;
        w.set_nodelay(true)?;
        let r = BufReader::with_capacity(1 << 20, w.try_clone()?);
        Ok(Conn {
            w,
            r,
            host: addr.to_owned(),
        })
    }

    /// Sends a GET; reads and discards the body; answers the status and the body's length.
    fn get(&mut self, path: &str, extra: &[(&str, &str)], buf: &mut [u8]) -> Result<(u16, u64)> {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.w.write_all(req.as_bytes())?;
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).context("status")?.parse()?;
        let mut len = 0u64;
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse()?;
            }
        }
        let mut left = len;
        let cap = buf.len() as u64;
        while left > 0 {
            let n = self.r.read(&mut buf[..left.min(cap) as usize])?;
            if n == 0 {
                bail!("the connection closed mid-body");
            }
            left -= n as u64;
        }
        Ok((status, len))
    }
}

/// The whole file over one connection; answers MB/s.
fn stream(addr: &str, url: &str, auth: &[(String, String)], size: u64) -> Result<f64> {
    let mut c = Conn::open(addr)?;
    let mut buf = vec![0u8; 1 << 20];
    let t = Instant::now();
    let (status, len) = c.get(url, &headers(auth), &mut buf)?;
    if status != 200 || len != size {
        bail!("stream: {status}, {len} bytes");
    }
    Ok(size as f64 / 1e6 / t.elapsed().as_secs_f64())
}

/// Many small ranges at pseudo-random places, over several keep-alive connections at once;
/// answers requests per second.
fn ranges(addr: &str, url: &str, auth: &[(String, String)], size: u64) -> Result<f64> {
    let t = Instant::now();
    let workers: Vec<_> = (0..RANGE_CONNECTIONS)
        .map(|w| {
            let (addr, url, auth) = (addr.to_owned(), url.to_owned(), auth.to_vec());
            std::thread::spawn(move || -> Result<()> {
                let mut c = Conn::open(&addr)?;
                let mut buf = vec![0u8; RANGE_BYTES as usize];
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (w as u64 + 1);
                for _ in 0..RANGE_REQUESTS {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let from = x % (size - RANGE_BYTES);
                    let range = format!("bytes={from}-{}", from + RANGE_BYTES - 1);
                    let mut h = headers(&auth);
                    h.push(("Range", &range));
                    let (status, len) = c.get(&url, &h, &mut buf)?;
                    if status != 206 || len != RANGE_BYTES {
                        bail!("range: {status}, {len} bytes");
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
    }
    Ok((RANGE_CONNECTIONS * RANGE_REQUESTS) as f64 / t.elapsed().as_secs_f64())
}
