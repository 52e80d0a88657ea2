//! The guessing benchmark (`make bench`): how soon the first and the last guess come back for
//! a selection of 5 and of 50 files, against the IMDb stand-in answering with IMDb's latency
//! (100 to 300 ms), with the receiver's default politeness towards IMDb. The files are asked
//! about as the upload page asks: one request per file, four at a time; and, for comparison,
//! all in one request, as the page asked before.
//!
//! usage: guess_bench

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
#[path = "../tests/it/support/imdb.rs"]
#[allow(dead_code, reason = "the other modes are for the tests")]
mod imdb;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use common::{check, receiver_with_token};

fn main() -> Result<()> {
    let replay = imdb::Replay::start();
    replay.set(imdb::Mode::Latency(
        Duration::from_millis(100),
        Duration::from_millis(300),
    ));
    let work = std::env::temp_dir().join(format!("oott-guess-bench-{}", std::process::id()));
    let (mut child, addr, bearer) = receiver_with_token(
        &work,
        &[
            ("OOTT_IMDB_URL", replay.url.as_str()),
            ("OOTT_IMDB_SUGGEST_URL", replay.url.as_str()),
            ("OOTT_WIKIDATA_URL", ""),
        ],
    )?;
    let guess = |names: &[String]| {
        let body = serde_json::json!({ "names": names }).to_string();
        let h = [
            ("Authorization", bearer.as_str()),
            ("Content-Type", "application/json"),
        ];
        http::request(&addr, "POST", "/api/metadata/guess", &h, body.as_bytes())
    };
    println!("guesses against IMDb's latency (100–300 ms a request), default politeness:");
    for (round, n) in [5usize, 50].into_iter().enumerate() {
        // Names no cache has seen.
        let names: Vec<String> = (0..n)
            .map(|i| format!("Bench Film {round} {i} (2001).mkv"))
            .collect();
        let t = Instant::now();
        let todo = Arc::new(Mutex::new(names.clone()));
        let times = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (todo, times) = (todo.clone(), times.clone());
                let guess = &guess;
                s.spawn(move || {
                    while let Some(name) = todo.lock().ok().and_then(|mut v| v.pop()) {
                        let r = guess(std::slice::from_ref(&name));
                        if r.status == 200
                            && let Ok(mut t2) = times.lock()
                        {
                            t2.push(t.elapsed().as_secs_f64());
                        }
                    }
                });
            }
        });
        let mut done = times.lock().map(|v| v.clone()).unwrap_or_default();
        done.sort_by(f64::total_cmp);
        let one: Vec<String> = (0..n)
            .map(|i| format!("Bench Film one {round} {i} (2002).mkv"))
            .collect();
        let t1 = Instant::now();
        check(&guess(&one), 200, "one request")?;
        let batch = t1.elapsed().as_secs_f64();
        println!(
            "  {n:>2} files: first guess {:.2} s, last {:.2} s (one request per file, 4 at a time); all in one request {:.2} s",
            done.first().copied().unwrap_or(0.0),
            done.last().copied().unwrap_or(0.0),
            batch
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
