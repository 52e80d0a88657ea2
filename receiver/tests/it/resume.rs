//! Interruptions a client lives through: a body that breaks off or stalls, a restarted server,
//! a restarted upload, an upload left too long.

use std::io::Write;
use std::net::Shutdown;
use std::time::{Duration, Instant};

use crate::support::{Dirs, FileSpec, Server, assert_error, http, sha256_file};

/// Polls the offset until it is `want` (the server settles a broken body asynchronously).
fn wait_offset(api: &crate::support::Api, u: &str, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = api.offset(u);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "offset stayed {got}, expected {want}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_body_that_breaks_off_keeps_what_arrived() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Broken.mkv", 3_000_000, 10);
    let u = api.start_upload(&f, "tt0000100");
    let auth: Vec<(&str, &str)> = api
        .auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/api/library/upload/?type=chunk&offset=0&uploadId={u}");
    let mut s = http::start(
        &api.addr,
        "POST",
        &path,
        &auth,
        2_000_000,
        &f.data[..700_000],
    );
    s.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(200));
    s.shutdown(Shutdown::Both).expect("drop the connection");
    drop(s);
    wait_offset(&api, &u, 700_000);
    api.send_from(&u, &f.data, 700_000, 1_000_000);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000100/tt0000100.mkv")),
        f.sha256()
    );
}

#[test]
fn a_stalled_body_times_out_and_the_upload_resumes() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_BODY_TIMEOUT", "1")]);
    let api = server.admin();
    let f = FileSpec::new("Stalled.mkv", 1_000_000, 11);
    let u = api.start_upload(&f, "tt0000101");
    let auth: Vec<(&str, &str)> = api
        .auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/api/library/upload/?type=chunk&offset=0&uploadId={u}");
    let mut s = http::start(
        &api.addr,
        "POST",
        &path,
        &auth,
        1_000_000,
        &f.data[..200_000],
    );
    let r = http::read_response(&mut s, false);
    assert_error(&r, 408, "body_timeout");
    assert_eq!(
        r.json()["offset"].as_u64(),
        Some(200_000),
        "what arrived before the stall is kept"
    );
    api.send_from(&u, &f.data, 200_000, 400_000);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000101/tt0000101.mkv")),
        f.sha256()
    );
}

#[test]
fn a_restarted_server_resumes_where_it_was() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Restart.mkv", 2_500_000, 12);
    let u = api.start_upload(&f, "tt0000102");
    api.send_from(&u, &f.data[..1_000_000], 0, 500_000);
    server.kill();
    let server = Server::start(&dirs);
    let api = crate::support::Api {
        addr: server.addr.clone(),
        auth: api.auth.clone(),
    };
    assert_eq!(api.offset(&u), 1_000_000);
    api.send_from(&u, &f.data, 1_000_000, 500_000);
    let r = api.end(&u);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["path"].as_str(), Some("tt0000102/tt0000102.mkv"));
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000102/tt0000102.mkv")),
        f.sha256()
    );
    assert!(
        dirs.staged().is_empty(),
        "nothing left in staging: {:?}",
        dirs.staged()
    );
}

#[test]
fn a_second_init_restarts_the_upload() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Again.mkv", 10_000, 13);
    let first = api.start_upload(&f, "tt0000103");
    api.send_from(&first, &f.data[..4000], 0, 4000);
    let second = api.start_upload(&f, "tt0000103");
    assert_ne!(first, second);
    assert_eq!(api.offset(&second), 0);
    assert_error(
        &api.chunk(&first, 4000, &f.data[4000..5000]),
        410,
        "upload_cancelled",
    );
    assert_eq!(
        dirs.staged(),
        vec![second.clone()],
        "the earlier upload's bytes are gone"
    );
    api.send_from(&second, &f.data, 0, 3000);
    assert_eq!(api.end(&second).status, 200);
}

#[test]
fn an_upload_left_too_long_expires_with_410() {
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[("OOTT_UPLOAD_EXPIRY", "1"), ("OOTT_SWEEP_INTERVAL", "1")],
    );
    let api = server.admin();
    let f = FileSpec::new("Late.mkv", 10_000, 14);
    let u = api.start_upload(&f, "tt0000104");
    api.send_from(&u, &f.data[..1000], 0, 1000);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dirs.staged().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the sweeper never removed the upload"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_error(
        &api.chunk(&u, 1000, &f.data[1000..2000]),
        410,
        "upload_expired",
    );
    assert_eq!(
        api.head(&format!("/api/library/upload/?uploadId={u}"))
            .status,
        410
    );
    assert_error(&api.end(&u), 410, "upload_expired");
}
