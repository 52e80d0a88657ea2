//! Two clients on one upload: one wins, the other is told the offset, the file stays intact.

use std::io::Write;
use std::time::Duration;

use crate::support::{Dirs, FileSpec, Server, assert_error, http, sha256_file};

#[test]
fn a_newcomer_takes_over_from_a_stalled_writer() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Two.Writers.mkv", 4_000_000, 20);
    let u = api.start_upload(&f, "tt0000200");
    let auth: Vec<(&str, &str)> = api
        .auth
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/api/library/upload/?type=chunk&offset=0&uploadId={u}");
    // Writer A sends half of its chunk and stalls with the connection open.
    let mut a = http::start(
        &api.addr,
        "POST",
        &path,
        &auth,
        2_000_000,
        &f.data[..1_000_000],
    );
    a.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    // Writer B sends the same chunk whole: it takes the upload over and wins.
    let b = api.chunk(&u, 0, &f.data[..2_000_000]);
    assert_eq!(
        (b.status, b.json()["offset"].as_u64()),
        (200, Some(2_000_000)),
        "{}",
        b.text()
    );
    let ra = http::read_response(&mut a, false);
    assert_error(&ra, 409, "upload_taken_over");
    assert_eq!(
        api.offset(&u),
        2_000_000,
        "A's half chunk did not land on top of B's"
    );
    api.send_from(&u, &f.data, 2_000_000, 1_000_000);
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000200/tt0000200.mkv")),
        f.sha256()
    );
}

#[test]
fn two_writers_at_once_one_succeeds_and_the_other_gets_409() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Race.mkv", 16_000_000, 21);
    let u = api.start_upload(&f, "tt0000201");
    for round in 0..4 {
        let off = round * 4_000_000;
        let chunk = &f.data[off..off + 4_000_000];
        let (r1, r2) = std::thread::scope(|s| {
            let t1 = s.spawn(|| api.chunk(&u, off as u64, chunk));
            let t2 = s.spawn(|| api.chunk(&u, off as u64, chunk));
            (t1.join().expect("writer 1"), t2.join().expect("writer 2"))
        });
        let mut statuses = [r1.status, r2.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {} / {}",
            r1.text(),
            r2.text()
        );
        let loser = if r1.status == 409 { &r1 } else { &r2 };
        let code = loser
            .json()
            .pointer("/error/code")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        assert!(
            matches!(
                code.as_deref(),
                Some("offset_mismatch" | "upload_taken_over")
            ),
            "round {round}: {}",
            loser.text()
        );
        assert_eq!(api.offset(&u), (off + 4_000_000) as u64);
    }
    assert_eq!(api.end(&u).status, 200);
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000201/tt0000201.mkv")),
        f.sha256()
    );
}
