//! A local stand-in for IMDb (title pages, suggestions, images, trailers) and Wikidata that
//! replays answers in their own formats from `tests/fixtures/imdb/` (and the real pages in
//! `../shared/fixtures/imdb/pages/` when present), and can be told to misbehave.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tiny_http::{Header, Response, Server};

/// How the stand-in answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Every request gets this status (429 comes with `Retry-After: 1`).
    Status(u16),
    /// Every request waits this long first.
    Slow(Duration),
    /// Each answer after a delay between the two bounds, as IMDb's own latency.
    #[allow(
        dead_code,
        reason = "for the guess benchmark, which shares this stand-in"
    )]
    Latency(Duration, Duration),
    /// Title pages are garbage.
    Garbage,
    /// Title pages are another title's.
    OtherTitle,
}

struct State {
    base: String,
    mode: Mutex<Mode>,
    hits: AtomicUsize,
    jpeg: Vec<u8>,
}

pub struct Replay {
    pub url: String,
    state: Arc<State>,
    server: Arc<Server>,
}

impl Replay {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0")
    }

    /// Starts on a given address (to come up where a server was told IMDb is).
    pub fn start_on(addr: &str) -> Self {
        let server = Arc::new(Server::http(addr).expect("replay server"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(State {
            base: url.clone(),
            mode: Mutex::new(Mode::Normal),
            hits: AtomicUsize::new(0),
            jpeg: poster(),
        });
        let (srv, st) = (server.clone(), state.clone());
        std::thread::spawn(move || {
            for req in srv.incoming_requests() {
                let st = st.clone();
                std::thread::spawn(move || answer(&st, req));
            }
        });
        Replay { url, state, server }
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().expect("mode") = mode;
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// The receiver crate's folder, whichever crate's tests or examples include this file.
fn receiver_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(|w| w.join("receiver")).unwrap_or(here)
}

fn fixtures() -> PathBuf {
    receiver_dir().join("tests/fixtures/imdb")
}

/// A 600×900 JPEG poster.
fn poster() -> Vec<u8> {
    let img = image::RgbImage::from_fn(600, 900, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 4) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("header")
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn slug(q: &str) -> String {
    q.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

fn answer(st: &State, req: tiny_http::Request) {
    st.hits.fetch_add(1, Ordering::SeqCst);
    let mode = st.mode.lock().expect("mode").clone();
    let url = req.url().to_owned();
    let path = url.split('?').next().unwrap_or("").to_owned();
    match &mode {
        Mode::Status(code) => {
            let mut r = Response::from_string("unavailable").with_status_code(*code);
            if *code == 429 {
                r = r.with_header(header("Retry-After", "1"));
            }
            let _ = req.respond(r);
            return;
        }
        Mode::Slow(d) => std::thread::sleep(*d),
        Mode::Latency(lo, hi) => {
            // Spread over the range by the request's number: varied, and the same every run.
            let n = st.hits.load(Ordering::SeqCst) as u64;
            let span = hi.saturating_sub(*lo).as_millis() as u64;
            std::thread::sleep(*lo + Duration::from_millis((n * 37) % span.max(1)));
        }
        _ => {}
    }
    let text = |body: String, kind: &str| {
        Response::from_string(body).with_header(header("Content-Type", kind))
    };
    let not_found = || Response::from_string("not found").with_status_code(404);
    if let Some(rest) = path.strip_prefix("/title/") {
        let id = rest.trim_end_matches('/').to_owned();
        if mode == Mode::Garbage {
            let _ = req.respond(text(
                "<html><body>\u{0}{{{ this is no title page".into(),
                "text/html",
            ));
            return;
        }
        let id = match (&mode, id.as_str()) {
            (Mode::OtherTitle, "tt0078748") => "tt0133093".to_owned(),
            (Mode::OtherTitle, _) => "tt0078748".to_owned(),
            _ => id,
        };
        let own = fixtures().join(format!("title/{id}.html"));
        let shared = receiver_dir().join(format!("../../shared/fixtures/imdb/pages/{id}.html"));
        match std::fs::read_to_string(&own).or_else(|_| std::fs::read_to_string(&shared)) {
            Ok(page) => {
                let _ = req.respond(text(
                    page.replace("{{base}}", &st.base),
                    "text/html; charset=utf-8",
                ));
            }
            Err(_) => {
                let _ = req.respond(not_found());
            }
        }
    } else if let Some(rest) = path.strip_prefix("/suggestion/titles/x/") {
        let q = decode(rest.trim_end_matches(".json"));
        let body =
            std::fs::read_to_string(fixtures().join(format!("suggestion/{}.json", slug(&q))))
                .unwrap_or_else(|_| {
                    format!(
                        r#"{{"d":[],"q":{},"v":1}}"#,
                        serde_json::Value::from(q.clone())
                    )
                });
        let _ = req.respond(text(body.replace("{{base}}", &st.base), "application/json"));
    } else if path == "/w/api.php" {
        let q = decode(&url);
        let id = q.split("P345=").nth(1).map(|r| {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        });
        let body = id
            .and_then(|id| {
                std::fs::read_to_string(fixtures().join(format!("wikidata/search-{id}.json"))).ok()
            })
            .unwrap_or_else(|| r#"{"batchcomplete":"","query":{"search":[]}}"#.into());
        let _ = req.respond(text(body, "application/json"));
    } else if let Some(rest) = path.strip_prefix("/wiki/Special:EntityData/") {
        match std::fs::read_to_string(fixtures().join(format!("wikidata/{rest}"))) {
            Ok(body) => {
                let _ = req.respond(text(body, "application/json"));
            }
            Err(_) => {
                let _ = req.respond(not_found());
            }
        }
    } else if path.starts_with("/images/") {
        let _ = req.respond(
            Response::from_data(st.jpeg.clone()).with_header(header("Content-Type", "image/jpeg")),
        );
    } else if path.starts_with("/video/") {
        let _ = req.respond(
            Response::from_data(vec![7u8; 100_000])
                .with_header(header("Content-Type", "video/mp4")),
        );
    } else {
        let _ = req.respond(not_found());
    }
}
