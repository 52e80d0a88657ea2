//! A receiver killed at any moment comes back with every acknowledged byte and no torn library
//! entry: kill -9 mid-chunk at several points, and aborts at named points inside a chunk and
//! inside `end`; each time the client asks the offset, resumes, and gets a byte-identical file.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Api, Dirs, FileSpec, Server, http, sha256_file};

const CHUNK: usize = 1 << 20;

fn reconnect(server: &Server, api: &Api) -> Api {
    Api {
        addr: server.addr.clone(),
        auth: api.auth.clone(),
    }
}

/// Sends whole chunks up to `acked`, then `partial` bytes of the next one, then kills the
/// server. Restarts it, resumes from the offset it reports, and checks the filed file.
fn kill_mid_chunk(acked: usize, partial: usize, seed: u64) {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new(&format!("Crash.{seed}.mkv"), 6 * CHUNK + 12345, seed);
    let cid = format!("tt{:07}", 300 + seed);
    let u = api.start_upload(&f, &cid);
    api.send_from(&u, &f.data[..acked], 0, CHUNK);
    let auth: Vec<(&str, &str)> = api
        .auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/api/library/upload/?type=chunk&offset={acked}&uploadId={u}");
    let end = (acked + CHUNK).min(f.data.len());
    let mut s = http::start(
        &api.addr,
        "POST",
        &path,
        &auth,
        end - acked,
        &f.data[acked..acked + partial],
    );
    s.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(150));
    server.kill();

    let server = Server::start(&dirs);
    let api = reconnect(&server, &api);
    let off = api.offset(&u) as usize;
    assert!(
        (acked..=acked + partial).contains(&off),
        "offset {off} lost acknowledged bytes or invented some (acked {acked}, partial {partial})"
    );
    api.send_from(&u, &f.data, off as u64, CHUNK);
    let r = api.end(&u);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        sha256_file(&dirs.media().join(format!("{cid}/{cid}.mkv"))),
        f.sha256()
    );
}

#[test]
fn kill_9_in_the_first_chunk() {
    kill_mid_chunk(0, 300_000, 1);
}

#[test]
fn kill_9_in_a_later_chunk() {
    kill_mid_chunk(3 * CHUNK, 777_777, 2);
}

#[test]
fn kill_9_right_after_an_acknowledged_chunk() {
    kill_mid_chunk(5 * CHUNK, 0, 3);
}

/// Runs an upload against a server that aborts at `point`, then restarts it cleanly and
/// answers (dirs, client, upload id, file, the content id).
fn abort_at(
    point: &str,
    seed: u64,
    upload_all: bool,
) -> (Dirs, Server, Api, String, FileSpec, String) {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_CRASH_AT", point)]);
    let api = server.admin();
    let f = FileSpec::new(&format!("Abort.{seed}.mkv"), 3 * CHUNK + 999, seed);
    let cid = format!("tt{:07}", 400 + seed);
    let u = api.start_upload(&f, &cid);
    if upload_all {
        api.send_from(&u, &f.data, 0, CHUNK);
        let _ = std::panic::catch_unwind(|| api.end(&u));
    } else {
        let _ = std::panic::catch_unwind(|| api.chunk(&u, 0, &f.data[..CHUNK]));
    }
    let status = server.wait_exit();
    assert!(!status.success(), "the crash point {point} was reached");
    let server = Server::start(&dirs);
    let api = reconnect(&server, &api);
    (dirs, server, api, u, f, cid)
}

#[test]
fn abort_after_writing_a_chunk_before_it_is_durable() {
    let (dirs, _server, api, u, f, cid) = abort_at("chunk:before-sync", 4, false);
    let off = api.offset(&u) as usize;
    assert!(off <= CHUNK, "offset {off}");
    api.send_from(&u, &f.data, off as u64, CHUNK);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        sha256_file(&dirs.media().join(format!("{cid}/{cid}.mkv"))),
        f.sha256()
    );
}

fn library_files(api: &Api, cid: &str) -> Vec<Value> {
    let r = api.get(&format!("/api/library/movies/{cid}"));
    if r.status == 404 {
        return vec![];
    }
    r.json()["files"].as_array().cloned().unwrap_or_default()
}

#[test]
fn abort_in_end_before_the_file_moves_leaves_the_upload() {
    let (dirs, _server, api, u, f, cid) = abort_at("end:after-intent", 5, true);
    // Not filed: the upload is still there, whole, and `end` finishes it.
    assert!(library_files(&api, &cid).is_empty(), "no library entry yet");
    assert_eq!(api.offset(&u), f.data.len() as u64);
    let r = api.end(&u);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(library_files(&api, &cid).len(), 1);
    assert_eq!(
        sha256_file(&dirs.media().join(format!("{cid}/{cid}.mkv"))),
        f.sha256()
    );
    assert!(dirs.staged().is_empty(), "{:?}", dirs.staged());
}

#[test]
fn abort_in_end_after_the_file_moved_finishes_the_entry() {
    let (dirs, _server, api, u, f, cid) = abort_at("end:after-rename", 6, true);
    // Filed by the recovery at start-up: the entry is whole and the upload is gone.
    let files = library_files(&api, &cid);
    assert_eq!(files.len(), 1, "exactly one library entry");
    assert_eq!(files[0]["size"].as_u64(), Some(f.data.len() as u64));
    assert!(
        dirs.staged().is_empty(),
        "the upload is not left beside the entry: {:?}",
        dirs.staged()
    );
    // The client, whose `end` got no answer, asks again and gets the same result.
    let r = api.end(&u);
    assert_eq!(
        (r.status, r.json()["path"].as_str()),
        (200, Some(format!("{cid}/{cid}.mkv").as_str()))
    );
    assert_eq!(
        sha256_file(&dirs.media().join(format!("{cid}/{cid}.mkv"))),
        f.sha256()
    );
}

/// Refiles a file under another title on a server that aborts at `point`; restarts it and
/// answers where the file is on disk and under which title the database has it.
fn refile_with_abort(point: &str, seed: u64) -> (bool, bool, String, String) {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, &[("OOTT_CRASH_AT", point)]);
    let api = server.admin();
    let f = FileSpec::new("Refile.mkv", 100_000, seed);
    let fid = api.upload(&f, "tt0000801")["file_id"]
        .as_str()
        .expect("file id")
        .to_owned();
    let body = serde_json::json!({"content_id": "tt0000802"});
    let _ = std::panic::catch_unwind(|| {
        api.send_json("PATCH", &format!("/api/library/movies/{fid}"), &body)
    });
    assert!(!server.wait_exit().success());
    let server = Server::start(&dirs);
    let api = reconnect(&server, &api);
    let (old, new) = (
        dirs.media().join("tt0000801/tt0000801.mkv"),
        dirs.media().join("tt0000802/tt0000802.mkv"),
    );
    let on_disk = if new.exists() { new } else { old.clone() };
    assert_eq!(sha256_file(&on_disk), f.sha256());
    let v = api.get(&format!("/api/library/movies/{fid}")).json();
    let title = v["content_id"].as_str().unwrap_or("?").to_owned();
    let path = v["file"]["path"].as_str().unwrap_or("?").to_owned();
    (
        old.exists(),
        dirs.media().join("tt0000802/tt0000802.mkv").exists(),
        title,
        path,
    )
}

#[test]
fn abort_in_refile_before_the_move_keeps_the_old_title() {
    let (old, new, title, path) = refile_with_abort("refile:after-intent", 7);
    assert_eq!((old, new), (true, false));
    assert_eq!(
        (title.as_str(), path.as_str()),
        ("tt0000801", "tt0000801/tt0000801.mkv")
    );
}

#[test]
fn abort_in_refile_after_the_move_completes_it() {
    let (old, new, title, path) = refile_with_abort("refile:after-rename", 8);
    assert_eq!((old, new), (false, true));
    assert_eq!(
        (title.as_str(), path.as_str()),
        ("tt0000802", "tt0000802/tt0000802.mkv")
    );
}
