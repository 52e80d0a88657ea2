//! Test support: the real `oott-receiver` as a process on port 0, a raw HTTP/1.1 client with
//! control over partial bodies, and helpers for the upload protocol.

pub mod http;
pub mod imdb;
pub mod nginx;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use http::Resp;

/// The `oott-receiver` binary: Cargo's own path in the receiver's tests; beside the test binary's
/// folder in other crates' tests (which share this support), where `make test` builds it first.
pub fn receiver_bin() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_oott-receiver") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .join("oott-receiver");
    assert!(
        bin.exists(),
        "{} is not built: run `cargo build -p receiver` (make test does)",
        bin.display()
    );
    bin
}

/// A media root and a data directory that outlive server restarts.
pub struct Dirs {
    tmp: tempfile::TempDir,
}

impl Dirs {
    pub fn new() -> Self {
        Dirs {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }
    pub fn media(&self) -> PathBuf {
        self.tmp.path().join("media")
    }
    /// Another folder of this test's own.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }
    pub fn db(&self) -> PathBuf {
        self.data().join("oott.db")
    }
    /// Names in `<media>/.uploads/`.
    pub fn staged(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.media().join(".uploads"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// The receiver running as a child process; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    /// Everything it has printed on stdout so far.
    pub stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(dirs: &Dirs) -> Self {
        Self::start_with(dirs, &[])
    }

    pub fn start_with(dirs: &Dirs, env: &[(&str, &str)]) -> Self {
        Self::spawn(Command::new(receiver_bin()), dirs, env)
    }

    /// Starts the receiver in a mount namespace of its own whose media root is a tmpfs of
    /// `size` (e.g. `8m`): a small disk that can really fill up. The test reaches that media
    /// root through `media_view()`.
    pub fn start_on_small_disk(dirs: &Dirs, size: &str, env: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(dirs.media()).expect("media root");
        let mut cmd = Command::new("unshare");
        cmd.args(["-rm", "sh", "-c"])
            .arg(format!(
                "mount -t tmpfs -o size={size} tmpfs \"$OOTT_MEDIA_ROOT\" && exec \"$0\""
            ))
            .arg(receiver_bin());
        Self::spawn(cmd, dirs, env)
    }

    /// Starts the receiver in a mount namespace of its own with one small file system (a tmpfs
    /// of the given size, `16m`) on each of `roots`, which become its library roots in that
    /// order (`OOTT_MEDIA_ROOTS`). The test reaches them through `view()`.
    pub fn start_on_small_disks(
        dirs: &Dirs,
        roots: &[(&Path, &str)],
        env: &[(&str, &str)],
    ) -> Self {
        let mut script = String::new();
        for (dir, size) in roots {
            std::fs::create_dir_all(dir).expect("root");
            script.push_str(&format!(
                "mount -t tmpfs -o size={size} tmpfs '{}' && ",
                dir.display()
            ));
        }
        script.push_str("exec \"$0\"");
        let list = roots
            .iter()
            .map(|(d, _)| d.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        let mut cmd = Command::new("unshare");
        cmd.args(["-rm", "sh", "-c"])
            .arg(script)
            .arg(receiver_bin());
        let mut all: Vec<(&str, &str)> = vec![("OOTT_MEDIA_ROOTS", list.as_str())];
        all.extend_from_slice(env);
        Self::spawn(cmd, dirs, &all)
    }

    /// A path as this server's process sees it (through its own mount namespace).
    pub fn view(&self, path: &Path) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.child.id()))
            .join(path.strip_prefix("/").expect("absolute"))
    }

    /// The media root as this server's process sees it (through its own mount namespace).
    pub fn media_view(&self, dirs: &Dirs) -> PathBuf {
        let media = dirs.media();
        PathBuf::from(format!("/proc/{}/root", self.child.id()))
            .join(media.strip_prefix("/").expect("absolute"))
    }

    fn spawn(mut cmd: Command, dirs: &Dirs, env: &[(&str, &str)]) -> Self {
        for (k, _) in std::env::vars() {
            if k.starts_with("OOTT_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("OOTT_HOST", "127.0.0.1")
            .env("OOTT_PORT", "0")
            .env("OOTT_MEDIA_ROOT", dirs.media())
            .env("OOTT_DATA_DIR", dirs.data())
            .env("OOTT_DISK_RESERVE", "0")
            // Never the real IMDb: nothing listens on the discard port.
            .env("OOTT_IMDB_URL", "http://127.0.0.1:9")
            .env("OOTT_IMDB_SUGGEST_URL", "http://127.0.0.1:9")
            .env("OOTT_WIKIDATA_URL", "")
            .env("OOTT_FETCH_GAP_MS", "0")
            .env("OOTT_FETCH_RETRIES", "1")
            .env("OOTT_FETCH_TIMEOUT", "2")
            .env("OOTT_METADATA_RETRY", "1")
            .env("OOTT_NGINX", "off")
            .env("OOTT_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start oott-receiver");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[receiver] {line}");
            }
        });
        let (tx, rx) = mpsc::channel();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(addr.to_owned());
                }
                seen.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("receiver says where it listens");
        Server {
            child,
            addr,
            stdout: lines,
        }
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the receiver's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// Kills the process at once (SIGKILL), as a power cut or the OOM killer would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end by itself (a crash point aborts it).
    pub fn wait_exit(mut self) -> std::process::ExitStatus {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("receiver did not exit");
    }

    /// Waits for a line on stdout that starts with `prefix`; answers the rest of it.
    pub fn printed(&self, prefix: &str) -> String {
        wait_for(20, prefix, || {
            let lines = self.stdout.lock().unwrap_or_else(|e| e.into_inner());
            lines
                .iter()
                .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
        })
    }

    /// A client with no credentials.
    pub fn anon(&self) -> Api {
        Api {
            addr: self.addr.clone(),
            auth: vec![],
        }
    }

    /// Creates the admin (first run) and answers a client holding a fresh API token.
    pub fn admin(&self) -> Api {
        let anon = self.anon();
        let r = anon.post_json(
            "/api/auth/setup",
            &json!({"username": "admin", "password": "correct horse"}),
        );
        assert_eq!(r.status, 201, "setup: {}", r.text());
        self.login("admin", "correct horse").token_client()
    }

    /// Logs in and answers a cookie-session client that sends its CSRF token.
    pub fn login(&self, user: &str, password: &str) -> Api {
        let r = self.anon().post_json(
            "/api/auth/login",
            &json!({"username": user, "password": password}),
        );
        assert_eq!(r.status, 200, "login: {}", r.text());
        let cookie = r.header("set-cookie").expect("session cookie");
        let cookie = cookie.split(';').next().expect("cookie pair").to_owned();
        let csrf = r.json()["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_owned();
        Api {
            addr: self.addr.clone(),
            auth: vec![("Cookie".into(), cookie), ("X-CSRF-Token".into(), csrf)],
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of one server with one set of credentials.
#[derive(Clone)]
pub struct Api {
    pub addr: String,
    pub auth: Vec<(String, String)>,
}

impl Api {
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut all: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.extend_from_slice(headers);
        http::request(&self.addr, method, path, &all, body)
    }
    /// Like `request`, but a server that goes away (a crash point, a restart) is an error.
    pub fn try_request(&self, method: &str, path: &str) -> std::io::Result<Resp> {
        let auth: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        http::try_request(&self.addr, method, path, &auth, b"")
    }
    /// A JSON request that may meet a stopped server.
    pub fn try_request_json(&self, method: &str, path: &str, v: &Value) -> std::io::Result<Resp> {
        let mut all: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.push(("Content-Type", "application/json"));
        http::try_request(&self.addr, method, path, &all, v.to_string().as_bytes())
    }
    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }
    pub fn head(&self, path: &str) -> Resp {
        self.request("HEAD", path, &[], b"")
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, &[], b"")
    }
    pub fn post(&self, path: &str, body: &[u8]) -> Resp {
        self.request("POST", path, &[], body)
    }
    pub fn send_json(&self, method: &str, path: &str, v: &Value) -> Resp {
        self.request(
            method,
            path,
            &[("Content-Type", "application/json")],
            v.to_string().as_bytes(),
        )
    }
    pub fn post_json(&self, path: &str, v: &Value) -> Resp {
        self.send_json("POST", path, v)
    }

    /// The same credentials against another address (nginx in front, say).
    pub fn at(&self, addr: &str) -> Api {
        Api {
            addr: addr.to_owned(),
            auth: self.auth.clone(),
        }
    }

    /// The session cookie alone: what a browser sends for a page or a media file.
    pub fn cookie_only(&self) -> Api {
        Api {
            addr: self.addr.clone(),
            auth: self
                .auth
                .iter()
                .filter(|(k, _)| k == "Cookie")
                .cloned()
                .collect(),
        }
    }

    /// This session's new API token, as a client of its own.
    pub fn token_client(&self) -> Api {
        let r = self.post_json("/api/auth/tokens", &json!({"name": "tests"}));
        assert_eq!(r.status, 201, "token: {}", r.text());
        let token = r.json()["token"].as_str().expect("token").to_owned();
        Api {
            addr: self.addr.clone(),
            auth: vec![("Authorization".into(), format!("Bearer {token}"))],
        }
    }

    /// `init` for a client file; answers the response.
    pub fn init(&self, f: &FileSpec, content_id: &str, extra: &str) -> Resp {
        self.post(
            &format!(
                "/api/library/upload/?type=init&name={}&size={}&last_modified={}&id={content_id}{extra}",
                enc(&f.name),
                f.data.len(),
                f.last_modified
            ),
            b"",
        )
    }

    /// `init` that must succeed; answers the upload id.
    pub fn start_upload(&self, f: &FileSpec, content_id: &str) -> String {
        self.start_upload_with(f, content_id, "")
    }

    /// `init` with more query (`&mode=version&label=…`) that must succeed.
    pub fn start_upload_with(&self, f: &FileSpec, content_id: &str, extra: &str) -> String {
        let r = self.init(f, content_id, extra);
        assert_eq!(r.status, 201, "init: {}", r.text());
        r.json()["upload_id"]
            .as_str()
            .expect("upload_id")
            .to_owned()
    }

    pub fn chunk(&self, upload_id: &str, offset: u64, bytes: &[u8]) -> Resp {
        self.post(
            &format!(
                "/api/library/upload/?type=chunk&offset={offset}&chunkNr=0&uploadId={upload_id}"
            ),
            bytes,
        )
    }

    /// The server's offset for an upload, by HEAD.
    pub fn offset(&self, upload_id: &str) -> u64 {
        let r = self.head(&format!("/api/library/upload/?uploadId={upload_id}"));
        assert_eq!(r.status, 200, "HEAD offset");
        r.header("upload-offset")
            .and_then(|v| v.parse().ok())
            .expect("Upload-Offset header")
    }

    /// Sends `data[from..]` in chunks of `chunk` bytes; each must be acknowledged.
    pub fn send_from(&self, upload_id: &str, data: &[u8], from: u64, chunk: usize) {
        let mut off = from as usize;
        while off < data.len() {
            let end = (off + chunk).min(data.len());
            let r = self.chunk(upload_id, off as u64, &data[off..end]);
            assert_eq!(r.status, 200, "chunk at {off}: {}", r.text());
            assert_eq!(r.json()["offset"].as_u64(), Some(end as u64));
            off = end;
        }
    }

    pub fn end(&self, upload_id: &str) -> Resp {
        self.post(
            &format!("/api/library/upload/?type=end&uploadId={upload_id}"),
            b"",
        )
    }

    /// init, every chunk, end: answers the end response's JSON.
    pub fn upload(&self, f: &FileSpec, content_id: &str) -> Value {
        let id = self.start_upload(f, content_id);
        self.send_from(&id, &f.data, 0, 1 << 20);
        let r = self.end(&id);
        assert_eq!(r.status, 200, "end: {}", r.text());
        r.json()
    }
}

/// A client file: a name, a last-modified time and deterministic pseudo-random bytes.
pub struct FileSpec {
    pub name: String,
    pub last_modified: i64,
    pub data: Vec<u8>,
}

/// The head of a YUV4MPEG2 video (one 2×2 frame): 51 bytes that make ffprobe read a file as a
/// video whatever follows, so a test file is filed like a movie. Files are refused at `end`
/// when ffprobe cannot read them as a video.
pub const VIDEO_HEAD: &[u8] =
    b"YUV4MPEG2 W2 H2 F25:1 Ip A1:1 C420jpeg\nFRAME\n\x10\x10\x10\x10\x80\x80";

impl FileSpec {
    /// A video file of `len` bytes (from 51 on; shorter ones are not videos): the video head,
    /// then pseudo-random bytes.
    pub fn new(name: &str, len: usize, seed: u64) -> Self {
        FileSpec {
            name: name.into(),
            last_modified: 1_700_000_000_000 + seed as i64,
            data: video_bytes(len, seed),
        }
    }
    pub fn sha256(&self) -> String {
        sha256(&self.data)
    }
}

/// `len` bytes that ffprobe reads as a video (for `len` of at least 51): the video head, then
/// pseudo-random bytes.
pub fn video_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut data = bytes(len, seed);
    if len >= VIDEO_HEAD.len() {
        data[..VIDEO_HEAD.len()].copy_from_slice(VIDEO_HEAD);
    }
    data
}

/// `len` pseudo-random bytes (xorshift), the same for the same seed.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sha256_file(path: &Path) -> String {
    sha256(&std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())))
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `f` until it answers `Some`, for at most `secs` seconds.
#[track_caller]
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts an API error's status and code, printing the body when they differ.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    let got = r
        .json()
        .pointer("/error/code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    assert_eq!(
        (r.status, got.as_deref()),
        (status, Some(code)),
        "body: {}",
        r.text()
    );
}

/// Range requests on `url`, whose whole body is `d` (at least 1,000 bytes): the
/// static-web-server case list, with the status, Content-Range and body each must answer.
#[track_caller]
pub fn assert_ranges(api: &Api, url: &str, d: &[u8]) {
    let n = d.len();
    assert!(
        n >= 1000,
        "the range cases need a body of 1,000 bytes or more"
    );
    let cr = |a: usize, b: usize| Some(format!("bytes {a}-{b}/{n}"));
    // (Range header, status, Content-Range, body)
    type Case<'a> = (Option<String>, u16, Option<String>, &'a [u8]);
    let cases: Vec<Case> = vec![
        (None, 200, None, d),
        (Some("bytes=0-0".into()), 206, cr(0, 0), &d[0..1]),
        (
            Some("bytes=100-200".into()),
            206,
            cr(100, 200),
            &d[100..201],
        ),
        (
            Some("bytes=-100".into()),
            206,
            cr(n - 100, n - 1),
            &d[n - 100..],
        ),
        (
            Some(format!("bytes={}-", n - 100)),
            206,
            cr(n - 100, n - 1),
            &d[n - 100..],
        ),
        (
            Some(format!("bytes={}-{}", n - 10, n + 4000)),
            206,
            cr(n - 10, n - 1),
            &d[n - 10..],
        ),
        (Some(format!("bytes=0-{}", n - 1)), 206, cr(0, n - 1), d),
        (
            Some(format!("bytes={n}-{}", n + 100)),
            416,
            Some(format!("bytes */{n}")),
            b"",
        ),
        (
            Some(format!("bytes={}-", n + 4000)),
            416,
            Some(format!("bytes */{n}")),
            b"",
        ),
    ];
    for (range, status, content_range, body) in cases {
        let headers: Vec<(&str, &str)> = range
            .as_deref()
            .map(|r| vec![("Range", r)])
            .unwrap_or_default();
        let r = api.request("GET", url, &headers, b"");
        assert_eq!(r.status, status, "{url} {range:?}");
        assert_eq!(
            r.header("content-range"),
            content_range.as_deref(),
            "{url} {range:?}"
        );
        if status != 416 {
            assert!(r.body == body, "{url} {range:?}: wrong bytes");
        }
    }
}
