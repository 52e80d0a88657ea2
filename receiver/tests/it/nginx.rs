//! A real nginx in front of a real receiver, configured by `oott-receiver nginx-config`: a
//! crawl of the whole site and library finds nothing without a login and everything with one;
//! Range requests; a 1 GiB upload broken off and resumed; nginx and the receiver restarted
//! under a client that is uploading; HTTPS; and `make run`'s nginx started by the receiver.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::http;
use crate::support::nginx::{Nginx, free_port};
use crate::support::{Api, Dirs, FileSpec, Server, assert_ranges, enc, sha256_file, wait_for};

/// Every file under `root`, as paths relative to it, dot-files included.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn is_dot_path(rel: &str) -> bool {
    rel.split('/').any(|s| s.starts_with('.'))
}

/// The pages and files anyone may fetch.
fn is_public(url: &str) -> bool {
    ["/login/", "/setup/", "/invite/", "/assets/", "/favicon.ico"]
        .iter()
        .any(|p| url.starts_with(p))
}

#[test]
fn a_crawl_through_nginx_finds_nothing_without_a_login_and_everything_with_one() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let session = server.login("admin", "correct horse").cookie_only();
    for (i, id) in ["tt0001001", "tt0001002"].iter().enumerate() {
        admin.upload(
            &FileSpec::new(&format!("Movie {i}.mp4"), 5000, 60 + i as u64),
            id,
        );
    }
    let staged = admin.start_upload(&FileSpec::new("Half.mkv", 5000, 62), "tt0001003");
    admin.chunk(&staged, 0, &[7; 100]);
    let site = dirs.data().join("site");
    wait_for(30, "the movie pages", || {
        ["tt0001001", "tt0001002"]
            .iter()
            .all(|id| site.join(format!("movie/{id}.html")).is_file())
            .then_some(())
    });
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let anon = server.anon().at(&nginx.addr);
    let logged_in = nginx.client(&session);

    let mut urls: Vec<(String, std::path::PathBuf)> = Vec::new();
    for rel in files(&site) {
        let file = site.join(&rel);
        if let Some(dir) = rel.strip_suffix("index.html") {
            urls.push((format!("/{dir}"), file.clone()));
        }
        // A title's page is served at its folder's address (`renderer::movie_file`).
        if let Some(id) = rel
            .strip_prefix("movie/")
            .and_then(|r| r.strip_suffix(".html"))
        {
            urls.push((format!("/movie/{id}/"), file.clone()));
        }
        urls.push((format!("/{rel}"), file));
    }
    for rel in files(&dirs.media()) {
        urls.push((format!("/media/{rel}"), dirs.media().join(&rel)));
    }
    let (mut public, mut private, mut dot) = (0, 0, 0);
    for (url, file) in &urls {
        let path = enc_path(url);
        if is_dot_path(url) {
            dot += 1;
            for client in [&anon, &logged_in] {
                let r = client.get(&path);
                assert_eq!(r.status, 404, "{url} is a dot-path");
            }
            continue;
        }
        let bytes = std::fs::read(file).expect("read crawled file");
        let r = anon.get(&path);
        if is_public(url) {
            public += 1;
            assert_eq!(r.status, 200, "{url} is public");
            assert!(r.body == bytes, "{url}: wrong bytes");
            continue;
        }
        private += 1;
        assert_eq!(r.status, 401, "{url} without a login: {}", r.text());
        assert_eq!(
            r.json()["error"]["code"],
            json!("unauthorized"),
            "{url}: {}",
            r.text()
        );
        let html = anon.request("GET", &path, &[("Accept", "text/html")], b"");
        assert_eq!(
            (html.status, html.header("location")),
            (303, Some(format!("/login/?next={path}").as_str())),
            "{url}: a browser goes to the login page, and back after it"
        );
        assert!(
            bytes.is_empty()
                || !html
                    .body
                    .windows(bytes.len().min(64))
                    .any(|w| w == &bytes[..bytes.len().min(64)]),
            "{url} leaked"
        );
        let r = logged_in.get(&path);
        assert_eq!(r.status, 200, "{url} with a login");
        assert!(r.body == bytes, "{url}: wrong bytes with a login");
    }
    // What the crawl must have covered to mean anything.
    assert!(public >= 4, "login, setup, invite and assets: {public}");
    assert!(private >= 20, "pages, JSON and media: {private}");
    assert!(dot >= 2, "the staged upload's files: {dot}");
    for must in [
        "/",
        "/movie/tt0001001/",
        "/media/tt0001001/tt0001001.mp4",
        "/assets/app.js",
    ] {
        assert!(
            urls.iter().any(|(u, _)| u == must),
            "the crawl missed {must}"
        );
    }
    // Tokens work through nginx as well; wrong ones do not, nor do escapes.
    let token = nginx.client(&admin);
    assert_eq!(token.get("/media/tt0001001/tt0001001.mp4").status, 200);
    let forged = Api {
        addr: nginx.addr.clone(),
        auth: vec![("Cookie".into(), "oott_session=forged".into())],
    };
    assert_eq!(forged.get("/movie/tt0001001/").status, 401);
    // A title's address without its slash is sent to it; a title with no page is the site's 404.
    let r = logged_in.get("/movie/tt0001001");
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("/movie/tt0001001/"))
    );
    let r = logged_in.get("/movie/tt0009999/");
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("<html"),
        "the site's 404 page: {}",
        r.text()
    );
    for path in [
        "/media/%2euploads/".to_owned(),
        format!("/media/.uploads/{staged}/part"),
        "/media/../data/oott.db".to_owned(),
        "/.render/index.db".to_owned(),
    ] {
        let r = logged_in.get(&path);
        assert!(
            r.status == 404 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
    // The headers a browser needs, and the security ones.
    let r = logged_in.get("/media/tt0001001/tt0001001.mp4");
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(
        r.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'self'"))
    );
    // The API goes through with its own errors.
    let r = anon.get("/api/library/movies/");
    assert_eq!(r.status, 401);
    assert_eq!(logged_in.get("/api/library/movies/").status, 200);
}

/// A URL path with each segment percent-encoded.
fn enc_path(url: &str) -> String {
    url.split('/').map(enc).collect::<Vec<_>>().join("/")
}

#[test]
fn media_types_and_range_requests_through_nginx() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let session = nginx.client(&server.login("admin", "correct horse").cookie_only());
    for (i, (ext, mime)) in [
        ("mp4", "video/mp4"),
        ("m4v", "video/x-m4v"),
        ("mkv", "video/x-matroska"),
        ("webm", "video/webm"),
    ]
    .iter()
    .enumerate()
    {
        let id = format!("tt000110{i}");
        let f = FileSpec::new(&format!("Film.{ext}"), 4096, 70 + i as u64);
        admin.upload(&f, &id);
        let url = format!("/media/{id}/{id}.{ext}");
        assert_ranges(&session, &url, &f.data);
        assert_eq!(session.head(&url).header("content-type"), Some(*mime));
    }
    for (name, mime) in [
        ("tt0001100.en.vtt", "text/vtt"),
        ("tt0001100.en.srt", "application/x-subrip"),
    ] {
        std::fs::write(dirs.media().join("tt0001100").join(name), "1\n").expect("subtitle");
        let r = session.get(&format!("/media/tt0001100/{name}"));
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with(mime)),
            "{name}: {:?}",
            r.header("content-type")
        );
    }
}

/// The bytes of a large test file at `[from, to)`, made from sixteen 1 MiB blocks, each copy
/// stamped with its index so that no two MiB of the file are alike.
struct BigFile {
    blocks: Vec<Vec<u8>>,
    size: u64,
}

const MIB: u64 = 1 << 20;

impl BigFile {
    fn new(size: u64, seed: u64) -> Self {
        BigFile {
            blocks: (0..16)
                .map(|i| crate::support::bytes(MIB as usize, seed + i))
                .collect(),
            size,
        }
    }
    fn range(&self, from: u64, to: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity((to - from) as usize);
        let mut at = from;
        while at < to {
            let k = at / MIB;
            let mut block = self.blocks[(k % 16) as usize].clone();
            if k == 0 {
                // A video head first, so that the file is filed like a movie.
                let head = crate::support::VIDEO_HEAD;
                block[..head.len()].copy_from_slice(head);
            } else {
                block[..8].copy_from_slice(&k.to_le_bytes());
            }
            let start = (at % MIB) as usize;
            let end = ((to - k * MIB).min(MIB)) as usize;
            out.extend_from_slice(&block[start..end]);
            at = k * MIB + end as u64;
        }
        out
    }
    fn sha256(&self) -> String {
        let mut h = Sha256::new();
        let mut at = 0;
        while at < self.size {
            let to = (at + 64 * MIB).min(self.size);
            h.update(self.range(at, to));
            at = to;
        }
        store::hex(&h.finalize())
    }
}

fn init_big(api: &Api, name: &str, size: u64, id: &str) -> String {
    let r = api.post(
        &format!(
            "/api/library/upload/?type=init&name={}&size={size}&last_modified=1700000000000&id={id}",
            enc(name)
        ),
        b"",
    );
    assert_eq!(r.status, 201, "init: {}", r.text());
    r.json()["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_owned()
}

#[test]
fn a_1_gib_upload_through_nginx_broken_off_and_resumed_is_byte_identical() {
    const SIZE: u64 = 1 << 30;
    const CHUNK: u64 = 64 * MIB;
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let api = nginx.client(&server.admin());
    let big = BigFile::new(SIZE, 80);
    let id = init_big(&api, "Big.Movie.2020.mkv", SIZE, "tt0001200");
    let mut offset = 0;
    let mut broken = false;
    while offset < SIZE {
        let to = (offset + CHUNK).min(SIZE);
        let body = big.range(offset, to);
        if !broken && offset >= 5 * CHUNK {
            // The connection drops a third of the way into a chunk.
            broken = true;
            let path =
                format!("/api/library/upload/?type=chunk&offset={offset}&chunkNr=5&uploadId={id}");
            let s = http::start(
                &nginx.addr,
                "POST",
                &path,
                &api_headers(&api),
                body.len(),
                &body[..body.len() / 3],
            );
            std::thread::sleep(Duration::from_millis(300));
            drop(s);
            // The receiver keeps what arrived; the client asks where to go on.
            offset = wait_for(20, "the broken chunk to settle", || {
                let now = api.offset(&id);
                std::thread::sleep(Duration::from_millis(200));
                (api.offset(&id) == now).then_some(now)
            });
            assert!(
                (5 * CHUNK..6 * CHUNK).contains(&offset),
                "resume at {offset}"
            );
            continue;
        }
        let r = api.chunk(&id, offset, &body);
        assert_eq!(r.status, 200, "chunk at {offset}: {}", r.text());
        offset = to;
    }
    assert!(broken);
    let r = api.end(&id);
    assert_eq!(r.status, 200, "end: {}", r.text());
    let file = dirs.media().join("tt0001200/tt0001200.mkv");
    assert_eq!(std::fs::metadata(&file).expect("filed").len(), SIZE);
    assert_eq!(sha256_file(&file), big.sha256(), "byte-identical");
}

fn api_headers(api: &Api) -> Vec<(&str, &str)> {
    api.auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn nginx_and_the_receiver_restarted_under_an_uploading_client_it_resumes() {
    const SIZE: u64 = 192 * MIB;
    const CHUNK: u64 = 4 * MIB;
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let port = server.addr.rsplit_once(':').expect("port").1.to_owned();
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let nginx_port = nginx.port;
    let api = nginx.client(&server.admin());
    let big = Arc::new(BigFile::new(SIZE, 81));
    let id = init_big(&api, "Restarted.2021.mp4", SIZE, "tt0001300");
    let progress = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let client = {
        let (api, big, id) = (api.clone(), big.clone(), id.clone());
        let (progress, failures, done) = (progress.clone(), failures.clone(), done.clone());
        std::thread::spawn(move || {
            // A client as the upload page is: on any failure, ask the offset again and go on.
            let headers = api_headers(&api);
            let deadline = Instant::now() + Duration::from_secs(240);
            let mut offset: Option<u64> = None;
            while Instant::now() < deadline {
                let at = match offset {
                    Some(o) => o,
                    None => {
                        let path = format!("/api/library/upload/?uploadId={id}");
                        match http::try_request(&api.addr, "HEAD", &path, &headers, b"") {
                            Ok(r) if r.status == 200 => r
                                .header("upload-offset")
                                .and_then(|v| v.parse().ok())
                                .expect("offset"),
                            _ => {
                                failures.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(100));
                                continue;
                            }
                        }
                    }
                };
                if at >= SIZE {
                    done.store(true, Ordering::SeqCst);
                    return;
                }
                let to = (at + CHUNK).min(SIZE);
                let path =
                    format!("/api/library/upload/?type=chunk&offset={at}&chunkNr=0&uploadId={id}");
                match http::try_request(&api.addr, "POST", &path, &headers, &big.range(at, to)) {
                    Ok(r) if r.status == 200 => {
                        offset = Some(to);
                        progress.store(to, Ordering::SeqCst);
                        // A paced client, so the restarts land mid-upload.
                        std::thread::sleep(Duration::from_millis(30));
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        offset = None;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        })
    };
    let wait_progress = |at: u64| {
        wait_for(120, "upload progress", || {
            (progress.load(Ordering::SeqCst) >= at).then_some(())
        })
    };
    wait_progress(24 * MIB);
    nginx.stop();
    std::thread::sleep(Duration::from_millis(500));
    let nginx = Nginx::start(&dirs, &server.addr, nginx_port);
    wait_progress(progress.load(Ordering::SeqCst) + 24 * MIB);
    server.kill();
    std::thread::sleep(Duration::from_millis(500));
    let server = Server::start_with(&dirs, &[("OOTT_PORT", port.as_str())]);
    client.join().expect("client thread");
    assert!(done.load(Ordering::SeqCst), "the client finished");
    assert!(
        failures.load(Ordering::Relaxed) >= 2,
        "both restarts were felt"
    );
    let r = api.end(&id);
    assert_eq!(r.status, 200, "end: {}", r.text());
    let file = dirs.media().join("tt0001300/tt0001300.mp4");
    assert_eq!(sha256_file(&file), big.sha256(), "byte-identical");
    drop((nginx, server));
}

/// `openssl req`: a self-signed certificate for 127.0.0.1 and its key.
fn self_signed(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (installed by make test)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert.display().to_string(), key.display().to_string())
}

/// `curl`: status, headers and body of one HTTPS request.
fn curl(url: &str, cookie: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sk", "-D", "-", "-o", "-", "--max-time", "20"]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("curl (installed by make test)");
    let raw = out.stdout;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), raw[split + 4..].to_vec())
}

#[test]
fn https_through_nginx_with_the_configured_certificate() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let f = FileSpec::new("Secure.mp4", 3000, 85);
    admin.upload(&f, "tt0001400");
    std::fs::create_dir_all(dirs.data()).expect("data");
    let (cert, key) = self_signed(&dirs.data());
    let tls_port = free_port().to_string();
    let nginx = Nginx::start_with(
        &dirs,
        &server.addr,
        0,
        &[
            ("OOTT_TLS_CERT", cert.as_str()),
            ("OOTT_TLS_KEY", key.as_str()),
            ("OOTT_NGINX_TLS_PORT", tls_port.as_str()),
        ],
    );
    let base = format!("https://127.0.0.1:{tls_port}");
    let (status, head, _) = curl(&format!("{base}/login/"), None);
    assert_eq!(status, 200);
    assert!(head.contains("strict-transport-security"), "{head}");
    let (status, _, _) = curl(&format!("{base}/media/tt0001400/tt0001400.mp4"), None);
    assert_eq!(status, 401);
    let cookie = server.login("admin", "correct horse").auth[0].1.clone();
    let (status, _, body) = curl(
        &format!("{base}/media/tt0001400/tt0001400.mp4"),
        Some(&cookie),
    );
    assert_eq!(status, 200);
    assert!(body == f.data, "the file over HTTPS");
    // Plain HTTP on the other port sends people to HTTPS.
    let r = http::request(
        &format!("127.0.0.1:{}", nginx.port),
        "GET",
        "/movie/x/",
        &[],
        b"",
    );
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some(format!("{base}/movie/x/").as_str())
    );
}

#[test]
fn the_receiver_starts_nginx_in_front_when_it_is_installed_and_says_so() {
    let dirs = Dirs::new();
    let nginx_port = free_port();
    let port = nginx_port.to_string();
    let server = Server::start_with(
        &dirs,
        &[("OOTT_NGINX", "auto"), ("OOTT_NGINX_PORT", port.as_str())],
    );
    let url = server.printed("serving through nginx on ");
    assert_eq!(url, format!("http://127.0.0.1:{nginx_port}"));
    let front = format!("127.0.0.1:{nginx_port}");
    let admin = server.admin().at(&front);
    wait_for(20, "the login page through nginx", || {
        (server.anon().at(&front).get("/login/").status == 200).then_some(())
    });
    assert_eq!(server.anon().at(&front).get("/").status, 401);
    assert_eq!(admin.get("/api/auth/check").status, 204);
    // nginx goes when the receiver goes, even killed.
    server.kill();
    wait_for(10, "nginx to stop", || {
        std::net::TcpStream::connect(&front).is_err().then_some(())
    });

    // Without nginx (or with one that cannot start) it serves by itself, and says so.
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_NGINX", "/nonexistent/nginx")]);
    let line = server.printed("open http://");
    assert!(
        line.contains("the receiver serves the site and the media itself"),
        "{line}"
    );
    // The site is rendered in the background after the start.
    wait_for(20, "the login page from the receiver", || {
        (server.anon().get("/login/").status == 200).then_some(())
    });
}

/// Regression: nginx keyed its 3 s auth cache by `$cookie_oott_session`, which it matches
/// case-insensitively, while the receiver reads the cookie by its exact name: a request with
/// `OOTT_SESSION=<x>; oott_session=<valid>` stored a yes under `<x>`, which then let in a
/// request whose only cookie was `oott_session=<x>`.
#[test]
fn the_auth_cache_is_keyed_by_what_the_receiver_decided_on() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    admin.upload(&FileSpec::new("Cached.mp4", 2000, 70), "tt0000660");
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let session = server.login("admin", "correct horse").cookie_only();
    let valid = session.auth[0].1.clone();
    let forged = "oott_session=forged-token";
    let mixed = Api {
        addr: nginx.addr.clone(),
        auth: vec![(
            "Cookie".into(),
            format!("OOTT_SESSION=forged-token; {valid}"),
        )],
    };
    let url = "/media/tt0000660/tt0000660.mp4";
    assert_eq!(
        mixed.get(url).status,
        200,
        "the valid cookie lets the mixed request in"
    );
    let alone = Api {
        addr: nginx.addr.clone(),
        auth: vec![("Cookie".into(), forged.into())],
    };
    assert_eq!(alone.get(url).status, 401, "the forged cookie alone");
}

/// Regression: media was still served up to ~4 s after logout, though the README says 3 s.
#[test]
fn media_stops_within_the_auth_cache_window_after_logout() {
    use receiver::nginx::AUTH_CACHE_SECS;
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    admin.upload(&FileSpec::new("Window.mp4", 2000, 71), "tt0000661");
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let url = "/media/tt0000661/tt0000661.mp4";
    let mut worst = Duration::ZERO;
    for _ in 0..3 {
        let session = server.login("admin", "correct horse");
        let media = nginx.client(&session.cookie_only());
        // Fill the cache at a random point of nginx's second, then end the session.
        std::thread::sleep(Duration::from_millis(u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_millis() % 997)
                .unwrap_or(0),
        )));
        assert_eq!(media.get(url).status, 200);
        let r = session.post("/api/auth/logout", b"");
        assert_eq!(r.status, 204);
        let ended = Instant::now();
        let gone = wait_for(10, "media refused after logout", || {
            (media.get(url).status == 401).then(|| ended.elapsed())
        });
        worst = worst.max(gone);
    }
    eprintln!("media refused {worst:?} after logout at the latest");
    assert!(
        worst <= Duration::from_millis(AUTH_CACHE_SECS * 1000 + 100),
        "served for {worst:?} after logout; the README promises {AUTH_CACHE_SECS} s"
    );
}
