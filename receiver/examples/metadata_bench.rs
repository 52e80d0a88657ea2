//! The metadata benchmark (`make bench`): latency of `GET /api/metadata/<id>` against the
//! release receiver, once on a cache miss (fetched from a local IMDb stand-in) and then many
//! times from the cache, over one keep-alive connection and with a new connection each time.
//!
//! usage: metadata_bench [--requests N]

#[path = "../tests/it/support/imdb.rs"]
#[allow(
    dead_code,
    reason = "shares the tests' IMDb stand-in; the bench needs no faults"
)]
mod imdb;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One request on an open connection; answers the status and the body.
fn call(
    s: &mut BufReader<TcpStream>,
    addr: &str,
    path: &str,
    auth: &str,
) -> Result<(u16, Vec<u8>)> {
    write!(
        s.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n"
    )?;
    let mut line = String::new();
    s.read_line(&mut line)?;
    let status: u16 = line.split_whitespace().nth(1).context("status")?.parse()?;
    let mut len = 0usize;
    loop {
        line.clear();
        s.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse()?;
        }
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body)?;
    Ok((status, body))
}

fn connect(addr: &str) -> Result<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    Ok(BufReader::new(s))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--requests")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(5000);
    let replay = imdb::Replay::start();
    let work = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .join("oott-receiver");
    let mut child = Command::new(&bin)
        .env("OOTT_PORT", "0")
        .env("OOTT_HOST", "127.0.0.1")
        .env("OOTT_MEDIA_ROOT", work.path().join("media"))
        .env("OOTT_DATA_DIR", work.path().join("data"))
        .env("OOTT_IMDB_URL", &replay.url)
        .env("OOTT_IMDB_SUGGEST_URL", &replay.url)
        .env("OOTT_WIKIDATA_URL", &replay.url)
        .env("OOTT_FETCH_GAP_MS", "0")
        .env("OOTT_NGINX", "off")
        .env("OOTT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let addr = loop {
        let line = lines.next().context("receiver exited")??;
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let mut s = connect(&addr)?;
    let body = br#"{"username":"bench","password":"benchmark"}"#;
    write!(
        s.get_mut(),
        "POST /api/auth/setup HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.get_mut().write_all(body)?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let cookie = resp
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .context("cookie")?
        .to_owned();
    let csrf = resp
        .split("\"csrf_token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("csrf")?
        .to_owned();
    let mut s = connect(&addr)?;
    write!(
        s.get_mut(),
        "POST /api/auth/tokens HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let token = resp
        .split("\"token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("token")?;
    let auth = format!("Bearer {token}");
    let path = "/api/metadata/tt0133093";

    let mut s = connect(&addr)?;
    let t = Instant::now();
    let (status, _) = call(&mut s, &addr, path, &auth)?;
    let miss = t.elapsed();
    if status != 200 {
        bail!("cache miss answered {status}");
    }
    let hits_before = replay.hits();
    let mut keep = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let (status, body) = call(&mut s, &addr, path, &auth)?;
        keep.push(t.elapsed());
        if status != 200 || body.len() < 100 {
            bail!("cache hit answered {status}");
        }
    }
    let mut fresh = Vec::with_capacity(n / 5);
    for _ in 0..n / 5 {
        let t = Instant::now();
        let mut c = connect(&addr)?;
        call(&mut c, &addr, path, &auth)?;
        fresh.push(t.elapsed());
    }
    if replay.hits() != hits_before {
        bail!("the cache hits reached IMDb");
    }
    let _ = child.kill();
    keep.sort();
    fresh.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\nGET {path}: cache miss (local IMDb stand-in, with Wikidata) {:.2} ms",
        ms(miss)
    );
    for (name, v) in [
        ("cache hit, keep-alive", &keep),
        ("cache hit, new connection", &fresh),
    ] {
        let total: Duration = v.iter().sum();
        println!(
            "{name:<27} n={:<5} p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({:.0} requests/s one at a time)",
            v.len(),
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(*v.last().unwrap_or(&Duration::ZERO)),
            v.len() as f64 / total.as_secs_f64()
        );
    }
    Ok(())
}
