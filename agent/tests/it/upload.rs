//! `oott-agent upload` against the real receiver: a whole folder tree, decoys left out, second
//! runs, files the server already has, the disk verdict, versions, kill -9 of the agent and of
//! the receiver in the middle of a file, and nginx in front.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::agent::{Agent, Pty, filed, movie, movie_titled};
use crate::support::imdb::Replay;
use crate::support::nginx::{Nginx, free_port};
use crate::support::{Api, Dirs, FileSpec, Server, sha256_file, wait_for};

fn start(dirs: &Dirs, replay: &Replay, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("OOTT_IMDB_URL", replay.url.as_str()),
        ("OOTT_IMDB_SUGGEST_URL", replay.url.as_str()),
    ];
    env.extend_from_slice(extra);
    Server::start_with(dirs, &env)
}

/// The paths of the events of a kind.
fn paths(events: &[&Value]) -> Vec<String> {
    let mut v: Vec<String> = events
        .iter()
        .map(|e| {
            let p = e["path"].as_str().expect("path");
            Path::new(p)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_folder_tree_uploads_whole_with_its_subtitles_and_a_second_run_sends_nothing() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    let matrix = movie(
        &src.join("Movies/The Matrix (1999)/The.Matrix.1999.1080p.BluRay.x264.mkv"),
        1,
        false,
    );
    std::fs::write(
        src.join("Movies/The Matrix (1999)/The.Matrix.1999.1080p.BluRay.x264.en.srt"),
        "1\n00:00:00,500 --> 00:00:01,000\nWake up, Neo.\n",
    )
    .expect("srt");
    let alien = movie(
        &src.join("Movies/Alien (1979)/Alien.1979.Remastered.720p.avi"),
        1,
        false,
    );
    // The decoys: a sample, a text file, a "video" that is text, a hidden file and folder, a
    // partial download and an extra.
    movie(
        &src.join("Movies/The Matrix (1999)/Sample/the.matrix.sample.mkv"),
        1,
        false,
    );
    std::fs::write(
        src.join("Movies/The Matrix (1999)/notes.txt"),
        "not a movie",
    )
    .expect("txt");
    std::fs::write(
        src.join("Movies/Alien (1979)/fake.mkv"),
        "a text file named as a video",
    )
    .expect("fake");
    movie(&src.join("Movies/.hidden/Saw.2004.mkv"), 1, false);
    movie(&src.join("Movies/Alien (1979)/.Alien.1979.mkv"), 1, false);
    std::fs::copy(&alien, src.join("Movies/Alien (1979)/Saw.2004.mkv.part")).expect("part");
    movie(&src.join("Movies/Alien (1979)/Alien-trailer.mkv"), 1, false);

    let agent = Agent::new(&server, &api);
    let run = agent.upload(&["--yes", src.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{:#?}\n{}", run.events, run.stderr);
    let s = run.summary();
    assert_eq!(
        (
            s["uploaded"].as_u64(),
            s["failed"].as_u64(),
            s["skipped"].as_u64()
        ),
        (Some(2), Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(
        paths(&run.of("left_out")),
        [
            ".Alien.1979.mkv",
            ".hidden",
            "Alien-trailer.mkv",
            "Saw.2004.mkv.part",
            "fake.mkv",
            "notes.txt",
            "the.matrix.sample.mkv"
        ],
        "every decoy is left out, with its reason"
    );
    let reasons: Vec<&str> = run
        .of("left_out")
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    for r in [
        "a sample",
        "a partial download",
        "a hidden folder",
        "a hidden file",
    ] {
        assert!(reasons.contains(&r), "{r} in {reasons:?}");
    }
    let media = dirs.media();
    for (id, src) in [("tt0133093", &matrix), ("tt0078748", &alien)] {
        let f = filed(&media, id).unwrap_or_else(|| panic!("{id} is filed"));
        assert_eq!(
            sha256_file(&f),
            sha256_file(src),
            "{id} arrives byte for byte"
        );
    }
    assert_eq!(
        run.of("subtitle").len(),
        1,
        "the sidecar subtitle goes up with its movie"
    );
    let listed = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        listed["subtitles"][0]["lang"], "en",
        "{}",
        listed["subtitles"]
    );

    let again = agent.upload(&["--yes", src.to_str().expect("utf-8")]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let s = again.summary();
    assert_eq!(
        (s["uploaded"].as_u64(), s["already"].as_u64()),
        (Some(0), Some(2)),
        "{s}"
    );
    assert!(again.of("started").is_empty(), "nothing is sent again");
}

#[test]
fn files_the_server_has_are_skipped_and_unclear_titles_wait_unattended() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    // One file already uploaded (through the protocol itself, as a browser would).
    let had = movie(&src.join("Saw.2004.DVDRip.avi"), 1, false);
    let bytes = std::fs::read(&had).expect("read");
    let modified = std::fs::metadata(&had)
        .expect("meta")
        .modified()
        .expect("mtime");
    let ms = modified
        .duration_since(std::time::UNIX_EPOCH)
        .expect("epoch")
        .as_millis() as i64;
    api.upload(
        &FileSpec {
            name: "Saw.2004.DVDRip.avi".into(),
            last_modified: ms,
            data: bytes,
        },
        "tt0387564",
    );
    // A name no title can be told from: it waits for a person.
    movie(&src.join("Holiday.Clip.avi"), 1, false);
    let agent = Agent::new(&server, &api);
    let run = agent.upload(&["--yes", src.to_str().expect("utf-8")]);
    let s = run.summary();
    assert_eq!(
        (
            s["uploaded"].as_u64(),
            s["already"].as_u64(),
            s["waiting"].as_u64()
        ),
        (Some(0), Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(run.code, 1, "a file waiting for confirmation: exit 1");
    assert_eq!(paths(&run.of("waiting")), ["Holiday.Clip.avi"]);
}

#[test]
fn the_disk_verdict_comes_before_a_byte_is_sent() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[("OOTT_LIBRARY_QUOTA", "200000")]);
    let api = server.admin();
    let src = dirs.path("src");
    movie(&src.join("The.Matrix.1999.avi"), 1, true);
    let agent = Agent::new(&server, &api);
    let run = agent.upload(&["--id", "tt0133093", src.to_str().expect("utf-8")]);
    let skipped = run.of("skipped");
    let unfit = skipped
        .iter()
        .filter(|e| e["reason"] == "does_not_fit")
        .count();
    assert_eq!(unfit, 1, "{:#?}", run.events);
    assert!(run.of("started").is_empty(), "nothing was started");
    assert!(
        dirs.staged().is_empty(),
        "no upload was begun: {:?}",
        dirs.staged()
    );
    assert_eq!(run.code, 1);
}

#[test]
fn a_title_with_a_file_is_skipped_unless_a_version_or_a_replacement() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    let first = movie(&src.join("a/The.Matrix.1999.720p.mkv"), 1, false);
    let second = movie(&src.join("b/The.Matrix.1999.2160p.mkv"), 2, false);
    let agent = Agent::new(&server, &api);
    assert_eq!(
        agent
            .upload(&["--id", "tt0133093", first.to_str().expect("utf-8")])
            .code,
        0
    );
    let run = agent.upload(&["--id", "tt0133093", second.to_str().expect("utf-8")]);
    assert_eq!(
        run.of("skipped")[0]["reason"],
        "title_has_file",
        "{:#?}",
        run.events
    );
    assert_eq!(run.code, 1);
    let dry = agent.upload(&[
        "--dry-run",
        "--id",
        "tt0133093",
        "--version",
        "4k",
        second.to_str().expect("utf-8"),
    ]);
    assert_eq!(dry.of("would_upload").len(), 1, "{:#?}", dry.events);
    assert!(dry.of("started").is_empty(), "a dry run sends nothing");
    let run = agent.upload(&[
        "--id",
        "tt0133093",
        "--version",
        "4k",
        second.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{:#?}\n{}", run.events, run.stderr);
    let v = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        v["files"].as_array().map(Vec::len),
        Some(2),
        "{}",
        v["files"]
    );
}

/// Waits until the server holds more than `at_least` bytes of the caller's one unfinished
/// upload; answers how many.
fn held_on_server(api: &Api, at_least: u64) -> u64 {
    wait_for(30, "part of the file on the server", || {
        let v = api.get("/api/library/uploads").json();
        let held = v["uploads"][0]["offset"].as_u64()?;
        (held > at_least).then_some(held)
    })
}

#[test]
fn the_agent_killed_mid_file_resumes_where_the_server_stands_without_asking_again() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    let big = movie(&src.join("Alien.1979.avi"), 4, true);
    let small = movie(&src.join("The.Matrix.1999.mkv"), 1, false);
    let agent = Agent::new(&server, &api);
    // A person confirms both titles; the agent is killed while the first is on its way, before
    // the second was begun.
    let mut pty =
        Pty::spawn(agent.command(&["upload", "--limit-rate", "2M", src.to_str().expect("utf-8")]));
    pty.expect("[1/2] Alien.1979.avi");
    pty.expect("> ");
    pty.send("");
    pty.expect("[2/2] The.Matrix.1999.mkv");
    pty.expect("> ");
    pty.send("");
    held_on_server(&api, 1 << 20);
    drop(pty);
    // Run again, at a terminal: it asks nothing and resumes the first file where the server
    // stands.
    let mut again = Pty::spawn(agent.command(&["upload", src.to_str().expect("utf-8")]));
    assert_eq!(again.wait(60), 0, "{}", again.shown());
    let shown = again.shown();
    assert!(!shown.contains("[1/"), "nothing is asked again:\n{shown}");
    assert!(shown.contains("Alien.1979.avi: resuming at"), "{shown}");
    for (id, src) in [("tt0078748", &big), ("tt0133093", &small)] {
        let f = filed(&dirs.media(), id).unwrap_or_else(|| panic!("{id} filed\n{shown}"));
        assert_eq!(sha256_file(&f), sha256_file(src));
    }
}

#[test]
fn ctrl_c_stops_once_the_chunk_on_its_way_is_acknowledged() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    let big = movie(&src.join("Alien.1979.avi"), 4, true);
    let agent = Agent::new(&server, &api);
    let running = agent.spawn(&[
        "--limit-rate",
        "2M",
        "--id",
        "tt0078748",
        big.to_str().expect("utf-8"),
    ]);
    held_on_server(&api, 1 << 20);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(running.child.id() as libc::pid_t, libc::SIGINT) };
    let (code, events) = running.wait(30);
    assert_eq!(code, 1, "stopped with the file unfinished: {events:#?}");
    let stopped = events
        .iter()
        .find(|e| e["event"] == "stopped")
        .expect("a stopped event");
    let at = stopped["offset"].as_u64().expect("offset");
    assert!(
        at < std::fs::metadata(&big).expect("size").len(),
        "it stopped before the end"
    );
    let held = api.get("/api/library/uploads").json()["uploads"][0]["offset"].as_u64();
    assert_eq!(
        held,
        Some(at),
        "the server holds every byte of the acknowledged chunks, no more"
    );
}

#[test]
fn a_receiver_killed_and_restarted_during_a_file_is_survived() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let port = free_port().to_string();
    let env = [("OOTT_PORT", port.as_str())];
    let server = start(&dirs, &replay, &env);
    let api = server.admin();
    let src = dirs.path("src");
    let big = movie(&src.join("The.Matrix.1999.avi"), 4, true);
    let agent = Agent::new(&server, &api);
    let running = agent.spawn(&[
        "--limit-rate",
        "2M",
        "--id",
        "tt0133093",
        big.to_str().expect("utf-8"),
    ]);
    held_on_server(&api, 1 << 20);
    server.kill();
    std::thread::sleep(Duration::from_millis(1500));
    let server = start(&dirs, &replay, &env);
    let (code, events) = running.wait(120);
    assert_eq!(code, 0, "{events:#?}");
    assert!(
        events.iter().any(|e| e["event"] == "retrying"),
        "it waited for the server: {events:#?}"
    );
    let f = filed(&dirs.media(), "tt0133093").expect("filed");
    assert_eq!(sha256_file(&f), sha256_file(&big));
    drop(server);
}

#[test]
fn uploads_through_nginx() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let nginx = Nginx::start(&dirs, &server.addr, 0);
    let src = dirs.path("src");
    let big = movie(&src.join("Alien.1979.avi"), 4, true);
    let agent = Agent::at(
        &format!("http://{}", nginx.addr),
        Some(crate::agent::token_of(&api)),
    );
    let run = agent.upload(&["--yes", big.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{:#?}\n{}", run.events, run.stderr);
    let f = filed(&dirs.media(), "tt0078748").expect("filed");
    assert_eq!(sha256_file(&f), sha256_file(&big));
}

#[test]
fn a_file_whose_name_says_nothing_is_identified_by_its_own_title_tag() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay, &[]);
    let api = server.admin();
    let src = dirs.path("src");
    let mkv = movie_titled(
        &src.join("DSC_0042.mkv"),
        1,
        false,
        Some("The Matrix (1999)"),
    );
    let mp4 = movie_titled(&src.join("movie_final.mp4"), 1, false, Some("Alien (1979)"));
    let agent = Agent::new(&server, &api);
    let run = agent.upload(&["--yes", src.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{:#?}\n{}", run.events, run.stderr);
    for (id, src) in [("tt0133093", &mkv), ("tt0078748", &mp4)] {
        let f = filed(&dirs.media(), id).unwrap_or_else(|| panic!("{id} filed: {:#?}", run.events));
        assert_eq!(sha256_file(&f), sha256_file(src));
    }
}
