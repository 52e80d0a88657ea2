//! Regression tests for what an attacker's walk through the release binaries found: each test
//! is named after what it guards and failed on the code before its fix.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Api, Dirs, FileSpec, Server, assert_error, enc, wait_for};

/// Runs `n` copies of `f` at the same moment; answers their results in order.
fn at_once<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (b, f) = (barrier.clone(), f.clone());
            std::thread::spawn(move || {
                b.wait();
                f(i)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

fn member(server: &Server, admin: &Api, name: &str, grants: Value) -> Api {
    let mut body = json!({"username": name, "password": "member password"});
    for (k, v) in grants.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let r = admin.post_json("/api/users", &body);
    assert_eq!(r.status, 201, "create user: {}", r.text());
    server.login(name, "member password")
}

/// A peak of 3.7 GiB: argon2's 19 MiB per request, unbounded and never given back.
#[test]
fn memory_stays_under_256_mib_with_150_concurrent_setups_and_logins() {
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[
            // So that every login really hashes, rather than being refused by the limiter.
            ("OOTT_LOGIN_ATTEMPTS_PER_ACCOUNT", "100000"),
            ("OOTT_LOGIN_ATTEMPTS_PER_ADDRESS", "100000"),
        ],
    );
    let _admin = server.admin();
    let anon = server.anon();
    let statuses = at_once(150, move |i| {
        let body = json!({"username": format!("user{i}"), "password": "guess guess"});
        let path = if i % 2 == 0 {
            "/api/auth/setup"
        } else {
            "/api/auth/login"
        };
        anon.post_json(path, &body).status
    });
    assert!(
        statuses.iter().all(|s| [401, 409].contains(s)),
        "{statuses:?}"
    );
    let peak = server.peak_rss_kib();
    eprintln!(
        "peak RSS after 150 concurrent setups and logins: {} MiB",
        peak >> 10
    );
    assert!(peak < 256 << 10, "peak RSS {} MiB", peak >> 10);
}

/// A title named by a 245-digit number made a search-index file name longer than the file
/// system takes, and every render failed from then on, for everyone.
#[test]
fn a_long_number_title_renders_and_the_catalogue_keeps_updating() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let long = "7".repeat(245);
    api.upload(&FileSpec::new(&format!("{long}.mkv"), 2000, 1), "tt0000701");
    let site = dirs.data().join("site");
    wait_for(30, "the long-number title's page", || {
        site.join("movie/tt0000701.html").is_file().then_some(())
    });
    api.upload(
        &FileSpec::new("Afterwards (2001).mkv", 2000, 2),
        "tt0000702",
    );
    wait_for(30, "the next title's page", || {
        site.join("movie/tt0000702.html").is_file().then_some(())
    });
}

/// 40 concurrent wrong passwords for one account (limit 5) were all checked but one.
#[test]
fn forty_concurrent_wrong_logins_check_exactly_the_limit() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_LOGIN_ATTEMPTS_PER_ADDRESS", "1000")]);
    let _admin = server.admin();
    let anon = server.anon();
    let statuses = at_once(40, move |_| {
        anon.post_json(
            "/api/auth/login",
            &json!({"username": "admin", "password": "guess guess"}),
        )
        .status
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 35), "{statuses:?}");
}

/// With ~98 MiB usable, 40 parallel inits of 60 MiB each had 6–8 accepted.
#[test]
fn forty_concurrent_inits_on_a_small_disk_promise_no_more_than_it_holds() {
    let dirs = Dirs::new();
    let server = Server::start_on_small_disk(&dirs, "100m", &[]);
    let api = server.admin();
    let statuses = at_once(40, move |i| {
        api.post(
            &format!(
                "/api/library/upload/?type=init&name=Big%20{i}.mkv&size={}&last_modified=1&id=tt{:07}",
                60u64 << 20,
                900 + i
            ),
            b"",
        )
        .status
    });
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 507).count();
    assert_eq!((accepted, refused), (1, 39), "{statuses:?}");
}

/// The library quota raced the same way as the disk.
#[test]
fn forty_concurrent_inits_stay_within_the_quota() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_LIBRARY_QUOTA", "100MiB")]);
    let api = server.admin();
    let statuses = at_once(40, move |i| {
        api.post(
            &format!(
                "/api/library/upload/?type=init&name=Q%20{i}.mkv&size={}&last_modified=1&id=tt{:07}",
                60u64 << 20,
                950 + i
            ),
            b"",
        )
        .status
    });
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(accepted, 1, "{statuses:?}");
}

/// Chunks never re-checked the space, so an upload ate the reserve once something else had
/// filled the disk.
#[test]
fn chunks_recheck_the_space_and_never_eat_the_reserve() {
    let dirs = Dirs::new();
    let server = Server::start_on_small_disk(&dirs, "100m", &[("OOTT_DISK_RESERVE", "50MiB")]);
    let api = server.admin();
    let f = FileSpec::new("Reserve.mkv", 40 << 20, 3);
    let u = api.start_upload(&f, "tt0000530");
    // Something else takes 30 MiB: only ~20 MiB are left above the reserve.
    let filler = server.media_view(&dirs).join("filler");
    std::fs::write(&filler, vec![1u8; 30 << 20]).expect("filler");
    let r = api.chunk(&u, 0, &f.data[..30 << 20]);
    assert_error(&r, 507, "disk_full");
    assert_eq!(api.offset(&u), 0, "nothing of the refused chunk is kept");
    // What fits above the reserve is taken.
    let r = api.chunk(&u, 0, &f.data[..8 << 20]);
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A half-sent request head stayed open after 45 s.
#[test]
fn a_half_sent_request_head_is_closed_within_the_timeout() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_HEADER_TIMEOUT", "2s")]);
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    s.write_all(b"GET /api/auth/setup HTTP/1.1\r\nHost: x\r\n")
        .expect("half a head");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "closed after {took:?}: {}",
        String::from_utf8_lossy(&buf)
    );
}

/// Whether the server has closed `s` (a read gives end-of-file or an error within `wait`).
fn closed_within(s: &TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 512];
    let mut reader = s;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 answer before the close
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

/// 300 half-sent request heads starved a logged-in user: nothing closed them and nothing
/// bounded how many there could be.
#[test]
fn three_hundred_half_sent_heads_are_capped_and_closed_and_the_user_is_served() {
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[
            ("OOTT_HEADER_TIMEOUT", "2s"),
            ("OOTT_MAX_CONNECTIONS", "200"),
        ],
    );
    let api = server.admin();
    let held: Vec<TcpStream> = (0..300)
        .filter_map(|_| {
            let mut s = TcpStream::connect(&server.addr).ok()?;
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").ok()?;
            Some(s)
        })
        .collect();
    assert_eq!(held.len(), 300);
    let start = Instant::now();
    // Those over the cap are closed at once.
    let over = held[200..]
        .iter()
        .filter(|s| closed_within(s, Duration::from_millis(500)))
        .count();
    assert_eq!(over, 100, "connections over the cap of 200 are closed");
    let me = wait_for(15, "the user's request", || {
        api.try_request("GET", "/api/auth/me")
            .ok()
            .filter(|r| r.status == 200)
    });
    assert_eq!(me.json()["user"]["username"], json!("admin"));
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "served after {:?}",
        start.elapsed()
    );
    // The rest are closed once their head is overdue.
    let late = held[..200]
        .iter()
        .filter(|s| closed_within(s, Duration::from_secs(4)))
        .count();
    assert_eq!(late, 200, "half-sent heads are closed after the timeout");
}

/// `can_upload` without `can_delete` still deleted: a 1-byte `mode=replace` upload removed every
/// version of a title, an admin's included, and the member could refile anyone's file.
#[test]
fn a_member_with_only_can_upload_cannot_replace_or_refile_an_admins_file() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let film = FileSpec::new("Admins Film.mkv", 3000, 10);
    let filed = admin.upload(&film, "tt0000601");
    let file_id = filed["file_id"].as_str().expect("file id").to_owned();
    let m = member(&server, &admin, "uploader", json!({"can_upload": true}));
    let tiny = FileSpec::new("Tiny.mkv", 1, 11);
    assert_error(
        &m.init(&tiny, "tt0000601", "&mode=replace"),
        403,
        "forbidden",
    );
    let r = m.send_json(
        "PATCH",
        &format!("/api/library/movies/{file_id}"),
        &json!({"content_id": "tt0000602"}),
    );
    assert_error(&r, 403, "forbidden");
    let files = admin.get("/api/library/movies/tt0000601").json()["files"].clone();
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{files}");
    // Their own files they may replace and refile; a version beside the admin's they may add.
    let own = FileSpec::new("Own.mkv", 2000, 12);
    m.upload(&own, "tt0000603");
    let r = m.init(
        &FileSpec::new("Own 3.mkv", 1500, 14),
        "tt0000603",
        "&mode=replace",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = m.init(
        &FileSpec::new("Extra.mkv", 100, 15),
        "tt0000601",
        "&mode=version&label=Extra",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    // With the delete grant, replacing the admin's file is allowed.
    let d = member(
        &server,
        &admin,
        "deleter",
        json!({"can_upload": true, "can_delete": true}),
    );
    let r = d.init(&tiny, "tt0000601", "&mode=replace");
    assert_eq!(r.status, 201, "{}", r.text());
}

/// `GET ?type=init` and `GET ?type=end` changed state without the CSRF header: a link on
/// another site could restart a person's upload.
#[test]
fn get_init_and_end_need_the_csrf_header() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let session = server.login("admin", "correct horse");
    let cookie = session.cookie_only();
    let f = FileSpec::new("Csrf.mkv", 100, 20);
    let init = format!(
        "/api/library/upload/?type=init&name={}&size=100&last_modified={}&id=tt0000610",
        enc(&f.name),
        f.last_modified
    );
    assert_error(&cookie.get(&init), 403, "csrf_failed");
    let r = session.get(&init);
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["upload_id"].as_str().expect("id").to_owned();
    session.send_from(&id, &f.data, 0, 100);
    let end = format!("/api/library/upload/?type=end&uploadId={id}");
    assert_error(&cookie.get(&end), 403, "csrf_failed");
    assert_eq!(session.get(&end).status, 200);
}

/// `X-Real-IP` was believed from any loopback client, so direct logins rotated it past the
/// address limit.
#[test]
fn x_real_ip_is_believed_only_from_our_nginx() {
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[
            ("OOTT_LOGIN_ATTEMPTS_PER_ADDRESS", "3"),
            ("OOTT_LOGIN_ATTEMPTS_PER_ACCOUNT", "1000"),
        ],
    );
    let _admin = server.admin();
    let anon = server.anon();
    let statuses: Vec<u16> = (0..5)
        .map(|i| {
            let ip = format!("192.0.2.{i}");
            anon.request(
                "POST",
                "/api/auth/login",
                &[("Content-Type", "application/json"), ("X-Real-IP", &ip)],
                format!(r#"{{"username": "n{i}", "password": "guess guess"}}"#).as_bytes(),
            )
            .status
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

/// API tokens survived an admin's password reset of their owner.
#[test]
fn api_tokens_end_with_an_admin_password_reset() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let r = admin.post_json(
        "/api/users",
        &json!({"username": "taken", "password": "member password"}),
    );
    let uid = r.json()["id"].as_i64().expect("id");
    let token = server.login("taken", "member password").token_client();
    assert_eq!(token.get("/api/auth/me").status, 200);
    let r = admin.send_json(
        "PATCH",
        &format!("/api/users/{uid}"),
        &json!({"password": "a new password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_error(&token.get("/api/auth/me"), 401, "unauthorized");
}

/// kill -9 a few ms into a delete left files on disk that the database no longer knew.
#[test]
fn a_delete_killed_after_the_database_finishes_at_the_next_start() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_CRASH_AT", "delete:after-db")]);
    let api = server.admin();
    api.upload(&FileSpec::new("Doomed.mkv", 3000, 30), "tt0000620");
    let dir = dirs.media().join("tt0000620");
    assert!(dir.join("tt0000620.mkv").is_file());
    let r = api.try_request("DELETE", "/api/library/delete/?content_id=tt0000620");
    assert!(r.is_err(), "the server aborts at the crash point");
    server.wait_exit();
    assert!(
        dir.join("tt0000620.mkv").is_file(),
        "the crash came before the files went"
    );
    let server = Server::start(&dirs);
    assert!(!dir.exists(), "the deletion was finished at start-up");
    let api = Api {
        addr: server.addr.clone(),
        auth: api.auth.clone(),
    };
    let title = api.get("/api/library/movies/tt0000620").json();
    assert_eq!(title["files"], json!([]), "{title}");
}

/// Two concurrent `init`s of the same file both stayed active.
#[test]
fn two_concurrent_inits_of_one_file_leave_one_active() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    for round in 0..5u64 {
        let a = api.clone();
        let statuses = at_once(2, move |_| {
            a.init(
                &FileSpec::new("Twice.mkv", 1000, 40 + round),
                "tt0000630",
                "",
            )
            .status
        });
        assert_eq!(statuses, [201, 201]);
        // One file per round: one active upload per round, never two.
        let store = store::Store::open_read_only(&dirs.db()).expect("db");
        let active = store.active_uploads().expect("q").len() as u64;
        assert_eq!(active, round + 1, "round {round}");
    }
}

/// `info` for two files of 2^63 bytes answered `needed_bytes: 0, fits: true`.
#[test]
fn info_for_two_huge_files_does_not_fit() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let huge = 1u64 << 63;
    let r = api.post_json(
        "/api/library/upload/info",
        &json!([
            {"name": "a.mkv", "size": huge, "last_modified": 1},
            {"name": "b.mkv", "size": huge, "last_modified": 1},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["fits"], json!(false));
    assert_eq!(r.json()["needed_bytes"], json!(u64::MAX));
    let r = api.post(
        &format!(
            "/api/library/upload/?type=init&name=c.mkv&size={}&last_modified=1&id=tt0000640",
            u64::MAX
        ),
        b"",
    );
    assert!([400, 507].contains(&r.status), "{}", r.text());
}

/// A `javascript:` trailer URL could be stored as one's own value and was rendered as a link;
/// the receiver's own serving sent no CSP or other security headers.
#[test]
fn the_receivers_own_serving_sends_the_security_headers_and_urls_are_web_urls() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    api.upload(&FileSpec::new("Headers.mp4", 3000, 50), "tt0000650");
    let session = server.login("admin", "correct horse");
    for path in [
        "/",
        "/login/",
        "/media/tt0000650/tt0000650.mp4",
        "/api/auth/me",
        "/api/nope",
    ] {
        let r = session.get(path);
        for h in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
        ] {
            assert!(r.header(h).is_some(), "{path} lacks {h} ({})", r.status);
        }
        assert!(
            r.header("content-security-policy")
                .is_some_and(|c| c.contains("script-src 'self'")),
            "{path}"
        );
    }
    let r = api.send_json(
        "PUT",
        "/api/users/me/metadata/tt0000650",
        &json!({"trailer_url": "javascript:alert(document.cookie)"}),
    );
    assert_error(&r, 400, "invalid_value");
}

/// The servers the pages may stream media from: this one, then each mirror with an address
/// for browsers (a backup-only mirror is not one); the content security policy lets media and
/// the answer-time probes reach exactly those.
#[test]
fn the_servers_media_may_stream_from_and_the_policy_that_lets_them() {
    let dirs = Dirs::new();
    let config = dirs.path("oott.toml");
    std::fs::write(
        &config,
        "[[mirror]]\nname = \"attic\"\nurl = \"rsync://127.0.0.1:9/oott\"\nweb = \"http://127.0.0.1:9/\"\n\n\
         [[mirror]]\nname = \"cellar\"\nurl = \"rsync://127.0.0.1:10/oott\"\n",
    )
    .expect("config");
    let server = Server::start_with(&dirs, &[("OOTT_CONFIG", config.to_str().expect("path"))]);
    let api = server.admin();
    let r = api.get("/api/servers");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["servers"],
        json!([{"name": "this server", "url": ""}, {"name": "attic", "url": "http://127.0.0.1:9"}])
    );
    let csp = r.header("content-security-policy").expect("csp").to_owned();
    assert!(
        csp.contains("media-src 'self' blob: http://127.0.0.1:9;"),
        "{csp}"
    );
    assert!(
        csp.contains("connect-src 'self' http://127.0.0.1:9;"),
        "{csp}"
    );
    assert!(!csp.contains(":10"), "{csp}");
    let plain = Server::start(&Dirs::new()).admin().get("/api/servers");
    assert_eq!(
        plain.json()["servers"],
        json!([{"name": "this server", "url": ""}])
    );
    assert!(
        plain
            .header("content-security-policy")
            .is_some_and(|c| c.contains("media-src 'self' blob:;")),
        "no other origin without mirrors"
    );
}

/// Some errors were plain text or empty (the framework's own refusals), and an oversized
/// JSON body answered 400, not 413.
#[test]
fn every_error_answers_in_the_json_shape() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let big = vec![b' '; 3 << 20];
    // (method, path, headers, body, status)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a [u8], u16);
    let cases: Vec<Case> = vec![
        ("GET", "/api/nothing/here", vec![], b"", 404),
        ("DELETE", "/api/monitor", vec![], b"", 405),
        (
            "PATCH",
            "/api/users/not-a-number",
            vec![("Content-Type", "application/json")],
            b"{}",
            400,
        ),
        ("POST", "/api/library/upload/info", vec![], b"[]", 415),
        (
            "POST",
            "/api/library/upload/info",
            vec![("Content-Type", "application/json")],
            &big,
            413,
        ),
        (
            "POST",
            "/api/library/upload/info",
            vec![("Content-Type", "application/json")],
            b"{",
            400,
        ),
        (
            "POST",
            "/api/auth/login",
            vec![("Content-Type", "application/json")],
            b"{\"username\": 1}",
            400,
        ),
    ];
    for (method, path, headers, body, status) in cases {
        let r = api.request(method, path, &headers, body);
        assert_eq!(r.status, status, "{method} {path}: {}", r.text());
        let code = r
            .json()
            .pointer("/error/code")
            .and_then(Value::as_str)
            .map(str::to_owned);
        assert!(
            code.is_some() && r.json().pointer("/error/message").is_some(),
            "{method} {path} answered {}: {}",
            r.status,
            r.text()
        );
    }
}

/// `tt00133093` was accepted but indexed as `tt0133093`.
#[test]
fn a_padded_content_id_is_filed_under_its_canonical_form() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let done = api.upload(&FileSpec::new("Padded.mkv", 1000, 60), "tt00133093");
    assert_eq!(done["content_id"], json!("tt0133093"));
    assert!(dirs.media().join("tt0133093/tt0133093.mkv").is_file());
    let a = api.get("/api/library/movies/tt00133093");
    let b = api.get("/api/library/movies/tt0133093");
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.json()["content_id"], b.json()["content_id"]);
}
