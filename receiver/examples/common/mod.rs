//! What the benchmarks share: the source file, starting a server process, reading its usage
//! from /proc, and sending a chunk from the source.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::http;

pub const MIB: u64 = 1 << 20;

/// The command line as `--flag VALUE` pairs.
pub struct Args(Vec<String>);

impl Args {
    pub fn from_env() -> Self {
        Args(std::env::args().skip(1).collect())
    }

    pub fn get(&self, flag: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == flag)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    /// A number of bytes, or `default` when the flag is absent.
    pub fn bytes(&self, flag: &str, default: u64) -> Result<u64> {
        match self.get(flag) {
            Some(v) => v
                .parse()
                .with_context(|| format!("{flag} {v}: not a number")),
            None => Ok(default),
        }
    }
}

/// Writes `size` pseudo-random bytes once, then reads them so they sit in the page cache.
/// The head of a one-frame YUV4MPEG2 video: a file that starts with it is read as a video.
const VIDEO_HEAD: &[u8] =
    b"YUV4MPEG2 W2 H2 F25:1 Ip A1:1 C420jpeg\nFRAME\n\x10\x10\x10\x10\x80\x80";

pub fn prepare_source(src: &Path, size: u64) -> Result<()> {
    let mut head = [0u8; VIDEO_HEAD.len()];
    let head_ok = File::open(src)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == VIDEO_HEAD;
    if std::fs::metadata(src).map(|m| m.len()).ok() != Some(size) || !head_ok {
        eprintln!("writing {} MiB source file {}", size / MIB, src.display());
        let mut f = File::create(src)?;
        let mut buf = vec![0u8; 8 * MIB as usize];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut left = size;
        let mut first = true;
        while left > 0 {
            for w in buf.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                w.copy_from_slice(&x.to_le_bytes());
            }
            // A video head first: the receiver files only what ffprobe reads as a video.
            if first {
                buf[..VIDEO_HEAD.len()].copy_from_slice(VIDEO_HEAD);
                first = false;
            }
            let n = left.min(buf.len() as u64) as usize;
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.sync_all()?;
    }
    let mut f = File::open(src)?;
    let mut buf = vec![0u8; 8 * MIB as usize];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}

/// Starts a server process and waits for its `listening on http://ADDR` line.
pub fn start(mut cmd: Command) -> Result<(Child, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next().transpose()? {
        if let Some(addr) = line.strip_prefix("listening on http://") {
            let addr = addr.trim_end_matches('/').to_owned();
            std::thread::spawn(move || for _ in lines {});
            return Ok((child, addr));
        }
    }
    bail!("the server exited before listening")
}

/// A receiver (the release build beside this benchmark) on a free port, with its media root and
/// data under `work` (emptied first), nginx off and `env` laid over that; set up with an admin
/// and answered with its address and a bearer token (`Authorization` value).
pub fn receiver_with_token(work: &Path, env: &[(&str, &str)]) -> Result<(Child, String, String)> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .join("oott-receiver");
    let (media, data) = (work.join("media"), work.join("data"));
    for d in [&media, &data] {
        let _ = std::fs::remove_dir_all(d);
    }
    let mut cmd = Command::new(&bin);
    cmd.env("OOTT_PORT", "0")
        .env("OOTT_HOST", "127.0.0.1")
        .env("OOTT_MEDIA_ROOT", &media)
        .env("OOTT_DATA_DIR", &data)
        .env("OOTT_DISK_RESERVE", "0")
        .env("OOTT_NGINX", "off")
        .env("OOTT_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (child, addr) = start(cmd).with_context(|| format!("starting {}", bin.display()))?;
    let (cookie, csrf) = setup_admin(&addr)?;
    let r = http::request(
        &addr,
        "POST",
        "/api/auth/tokens",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        b"",
    );
    check(&r, 201, "token")?;
    let bearer = format!("Bearer {}", r.json()["token"].as_str().context("token")?);
    Ok((child, addr, bearer))
}

/// Sets up the admin of a new receiver; answers its session cookie and CSRF token.
pub fn setup_admin(addr: &str) -> Result<(String, String)> {
    let r = http::request(
        addr,
        "POST",
        "/api/auth/setup",
        &[("Content-Type", "application/json")],
        br#"{"username":"bench","password":"benchmark"}"#,
    );
    check(&r, 201, "setup")?;
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .context("cookie")?
        .to_owned();
    let csrf = r.json()["csrf_token"].as_str().context("csrf")?.to_owned();
    Ok((cookie, csrf))
}

/// Peak RSS (KiB) and CPU seconds of a live process, from /proc.
pub fn usage(pid: u32) -> (Option<u64>, Option<f64>) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok());
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = match (
        fields.get(11).and_then(|v| v.parse::<f64>().ok()),
        fields.get(12).and_then(|v| v.parse::<f64>().ok()),
    ) {
        (Some(u), Some(s)) if ticks > 0.0 => Some((u + s) / ticks),
        _ => None,
    };
    (hwm, cpu)
}

pub fn check(r: &http::Resp, want: u16, what: &str) -> Result<()> {
    if r.status != want {
        bail!("{what}: {} {}", r.status, r.text());
    }
    Ok(())
}

/// Sends `len` bytes of the source from `off` as one request body; answers the response.
pub fn send_chunk(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    src: &File,
    buf: &mut [u8],
    off: u64,
) -> Result<http::Resp> {
    src.read_exact_at(buf, off)?;
    let mut s = http::start(addr, method, path, headers, buf.len(), buf);
    s.flush()?;
    Ok(http::read_response(&mut s, false))
}

/// A child process killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx with the receiver's own configuration for `env`, in front of the receiver on
/// `receiver_port`, under `<data>/<name>`; with `auth` false its `auth_request` lines are left out.
/// Stopped (fast shutdown) when dropped.
pub struct Nginx {
    child: Child,
    pub addr: String,
}

impl Nginx {
    pub fn start(
        receiver: &Path,
        nginx: &str,
        env: &[(&str, &str)],
        receiver_port: u16,
        data: &Path,
        name: &str,
        auth: bool,
    ) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let out = Command::new(receiver)
            .arg("nginx-config")
            .envs(env.iter().copied())
            .env("OOTT_PORT", receiver_port.to_string())
            .env("OOTT_NGINX_PORT", port.to_string())
            .output()?;
        if !out.status.success() {
            bail!("nginx-config: {}", String::from_utf8_lossy(&out.stderr));
        }
        let mut text = String::from_utf8(out.stdout)?;
        let prefix = data.join(name);
        std::fs::create_dir_all(&prefix)?;
        text = text.replace(
            &data.join("nginx").display().to_string(),
            &prefix.display().to_string(),
        );
        if !auth {
            text = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("auth_request "))
                .collect::<Vec<_>>()
                .join("\n");
        }
        let conf = prefix.join("bench.conf");
        std::fs::write(&conf, text)?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .args(["-e", "stderr"])
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {nginx}"))?;
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(&addr).is_err() {
            if Instant::now() > deadline {
                bail!("nginx did not listen on {addr}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Nginx { child, addr })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
