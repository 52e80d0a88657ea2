//! The library model from outside: every file a row, the library check (`oott-receiver fsck`)
//! finding and repairing what a disk can do to a library, and subtitles as rows.

use std::process::Command;

use serde_json::json;

use crate::support::{Dirs, FileSpec, Server, assert_error, wait_for};

/// `oott-receiver fsck [args]` on these directories: its exit code and what it printed.
fn fsck(dirs: &Dirs, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oott-receiver"));
    for (k, _) in std::env::vars() {
        if k.starts_with("OOTT_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("fsck")
        .args(args)
        .env("OOTT_MEDIA_ROOT", dirs.media())
        .env("OOTT_DATA_DIR", dirs.data())
        .output()
        .expect("run oott-receiver fsck");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn fsck_finds_an_orphan_a_missing_and_a_truncated_file_and_repairs_what_is_safe() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    api.upload(&FileSpec::new("Kept.mkv", 5000, 1), "tt0000701");
    api.upload(&FileSpec::new("Lost.mkv", 5000, 2), "tt0000702");
    api.upload(&FileSpec::new("Cut.mkv", 5000, 3), "tt0000703");
    server.kill();
    let media = dirs.media();
    // A stranger in a title's folder and one at the top; a trailer the layout names but no row
    // does; a movie gone; a movie cut short.
    std::fs::write(media.join("tt0000701/notes.txt"), "mine").expect("plant");
    std::fs::write(media.join("stray.bin"), [0u8; 10]).expect("plant");
    std::fs::write(media.join("tt0000701/tt0000701_preview.mp4"), [1u8; 300]).expect("plant");
    std::fs::remove_file(media.join("tt0000702/tt0000702.mkv")).expect("lose");
    std::fs::OpenOptions::new()
        .write(true)
        .open(media.join("tt0000703/tt0000703.mkv"))
        .and_then(|f| f.set_len(1000))
        .expect("truncate");

    let (code, out) = fsck(&dirs, &[]);
    assert_eq!(code, 1, "{out}");
    for want in [
        "no row: stray.bin",
        "no row: tt0000701/notes.txt",
        "no row: tt0000701/tt0000701_preview.mp4",
        "no file: tt0000702/tt0000702.mkv",
        "size differs: tt0000703/tt0000703.mkv (row 5000 bytes, file 1000)",
    ] {
        assert!(out.contains(want), "{want:?} in:\n{out}");
    }
    assert!(
        media.join("stray.bin").is_file(),
        "a check alone changes nothing"
    );

    let (code, out) = fsck(&dirs, &["--repair"]);
    assert_eq!(code, 1, "the lost and the cut movie stay reported:\n{out}");
    assert!(!media.join("stray.bin").exists());
    assert_eq!(
        std::fs::read(media.join(".orphans/stray.bin")).expect("orphan kept"),
        [0u8; 10]
    );
    assert_eq!(
        std::fs::read(media.join(".orphans/tt0000701/notes.txt")).expect("orphan kept"),
        b"mine"
    );
    assert!(
        out.contains("recorded tt0000701/tt0000701_preview.mp4 as a file of its title"),
        "{out}"
    );
    // Once repaired, only what cannot be repaired is left; the trailer is the title's now.
    let (code, out) = fsck(&dirs, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("0 files without a row"), "{out}");
    assert!(out.contains("no file: tt0000702/tt0000702.mkv"), "{out}");

    let server = Server::start(&dirs);
    let api = server.login("admin", "correct horse");
    let check = api.get("/api/monitor").json()["library_check"].clone();
    assert_eq!(
        check["missing"],
        json!(["tt0000702/tt0000702.mkv"]),
        "{check}"
    );
    let page = dirs.data().join("site/movie/tt0000701.html");
    wait_for(30, "the adopted trailer on the page", || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|p| p.contains("/media/tt0000701/tt0000701_preview.mp4"))
    });
}

#[test]
fn subtitles_are_stored_as_webvtt_rows_and_shown_on_the_page() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    api.upload(&FileSpec::new("Subbed.mp4", 3000, 4), "tt0000710");
    // SRT in Windows-1252: "Olá" with curly quotes.
    let srt = b"1\r\n00:00:01,000 --> 00:00:02,500\r\nOl\xe1 \x93mundo\x94\r\n";
    let r = api.request(
        "POST",
        "/api/library/subtitles/tt0000710?lang=PT-BR",
        &[],
        srt,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let vtt = api.get("/media/tt0000710/tt0000710.pt-br.vtt");
    assert_eq!(vtt.status, 200);
    assert_eq!(
        vtt.text(),
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nOl\u{e1} \u{201c}mundo\u{201d}\n"
    );
    assert_eq!(
        api.get("/media/tt0000710/tt0000710.pt-br.srt").body,
        srt.to_vec(),
        "the source is kept as given"
    );
    let page = dirs.data().join("site/movie/tt0000710.html");
    wait_for(30, "the subtitle on the page", || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|p| p.contains("/media/tt0000710/tt0000710.pt-br.vtt"))
    });
    let listed = api.get("/api/library/movies/tt0000710").json()["subtitles"].clone();
    assert_eq!(
        listed,
        json!([{"lang": "pt-br", "label": "pt-br", "source": "uploaded",
                "url": "/media/tt0000710/tt0000710.pt-br.vtt"}])
    );
    let post = |path: &str, body: &[u8]| api.request("POST", path, &[], body);
    assert_error(
        &post("/api/library/subtitles/tt0000710?lang=e%20n", srt),
        400,
        "invalid_language",
    );
    assert_error(
        &post(
            "/api/library/subtitles/tt0000710?lang=en",
            b"not a subtitle",
        ),
        422,
        "invalid_subtitle",
    );
    assert_error(
        &post("/api/library/subtitles/tt0000711?lang=en", srt),
        404,
        "not_found",
    );
    // One language goes; then the title, with the rest.
    assert_eq!(
        post("/api/library/subtitles/tt0000710?lang=en", srt).status,
        200
    );
    let r = api.delete("/api/library/subtitles/tt0000710?lang=pt-br");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!dirs.media().join("tt0000710/tt0000710.pt-br.vtt").exists());
    assert!(!dirs.media().join("tt0000710/tt0000710.pt-br.srt").exists());
    assert_error(
        &api.delete("/api/library/subtitles/tt0000710?lang=pt-br"),
        404,
        "not_found",
    );
    // Deleting the title takes its subtitles with it.
    assert_eq!(
        api.delete("/api/library/delete/?content_id=tt0000710")
            .status,
        200
    );
    assert!(!dirs.media().join("tt0000710").exists());
}
