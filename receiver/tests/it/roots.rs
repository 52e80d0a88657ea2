//! Several library roots (disks): a new title goes where there is room, a title's versions go
//! where the title is, a selection that fits no disk is refused at `info`, nginx serves every
//! disk behind login, and a title moved between disks survives a kill at every step.

use serde_json::{Value, json};

use crate::support::nginx::{binary, free_port};
use crate::support::{Api, Dirs, FileSpec, Server, assert_error, sha256_file, wait_for};

const MIB: usize = 1 << 20;

/// Which of `roots` (as the server sees them) holds `rel`.
fn holder(server: &Server, roots: &[std::path::PathBuf], rel: &str) -> Vec<usize> {
    roots
        .iter()
        .enumerate()
        .filter(|(_, r)| server.view(r).join(rel).is_file())
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn uploads_land_on_the_disk_with_room_and_nginx_serves_every_disk() {
    let dirs = Dirs::new();
    let roots = [dirs.path("disk-small"), dirs.path("disk-large")];
    let port = free_port();
    let nginx_bin = binary().display().to_string();
    let port_text = port.to_string();
    let server = Server::start_on_small_disks(
        &dirs,
        &[(&roots[0], "16m"), (&roots[1], "48m")],
        &[
            ("OOTT_DISK_RESERVE", "4MiB"),
            ("OOTT_NGINX", nginx_bin.as_str()),
            ("OOTT_NGINX_PORT", port_text.as_str()),
        ],
    );
    let api = server.admin();
    // Room: disk 1 has ~12 MiB above the reserve, disk 2 ~44 MiB.
    let a = FileSpec::new("Alpha (2001).mkv", 34 * MIB, 1);
    api.upload(&a, "tt0000801");
    assert_eq!(
        holder(&server, &roots, "tt0000801/tt0000801.mkv"),
        [2],
        "the most room"
    );
    let b = FileSpec::new("Beta (2002).mkv", 9 * MIB, 2);
    api.upload(&b, "tt0000802");
    assert_eq!(
        holder(&server, &roots, "tt0000802/tt0000802.mkv"),
        [1],
        "disk 2 is full now"
    );
    // A version goes where its title is, even when the other disk has more room.
    let b2 = FileSpec::new("Beta (2002) 720p.mkv", 2 * MIB, 3);
    let id = api.start_upload_with(&b2, "tt0000802", "&mode=version&label=720p");
    api.send_from(&id, &b2.data, 0, MIB);
    assert_eq!(api.end(&id).status, 200);
    assert_eq!(holder(&server, &roots, "tt0000802/tt0000802.720p.mkv"), [1]);
    // What fits neither disk is refused before a byte is sent.
    let r = api.post_json(
        "/api/library/upload/info",
        &json!([{"name": "Huge.mkv", "size": 20 * MIB, "last_modified": 1}]),
    );
    assert_eq!(r.json()["fits"], json!(false), "{}", r.text());
    assert_eq!(r.json()["reason"]["code"], json!("disk_full"));
    let r = api.post_json(
        "/api/library/upload/info",
        &json!([{"name": "Small.mkv", "size": MIB, "last_modified": 1}]),
    );
    assert_eq!(r.json()["fits"], json!(true), "{}", r.text());
    assert_error(
        &api.init(&FileSpec::new("Huge.mkv", 20 * MIB, 4), "tt0000803", ""),
        507,
        "disk_full",
    );
    let disks = api.get("/api/monitor").json()["disks"].clone();
    assert_eq!(disks.as_array().map(Vec::len), Some(2), "{disks}");
    assert!(
        disks[1]["library_bytes"].as_u64() >= Some(34 * MIB as u64),
        "{disks}"
    );

    // nginx, started by the receiver inside its own mount namespace, serves both disks.
    let front = format!("127.0.0.1:{port}");
    wait_for(20, "nginx", || {
        (server.anon().at(&front).get("/login/").status == 200).then_some(())
    });
    let session = server
        .login("admin", "correct horse")
        .cookie_only()
        .at(&front);
    for (url, f) in [
        ("/media/tt0000801/tt0000801.mkv", &a),
        ("/media/tt0000802/tt0000802.mkv", &b),
    ] {
        let r = session.get(url);
        assert_eq!(r.status, 200, "{url}");
        assert!(r.body == f.data, "{url}: the same bytes");
        let r = session.request("GET", url, &[("Range", "bytes=100-199")], b"");
        assert_eq!(
            (r.status, r.body.as_slice()),
            (206, &f.data[100..200]),
            "{url}"
        );
        assert_eq!(
            server.anon().at(&front).get(url).status,
            401,
            "{url} without a login"
        );
    }
    // And the receiver serving by itself does too.
    assert_eq!(api.get("/media/tt0000802/tt0000802.720p.mkv").body, b2.data);
}

/// Two roots on the ordinary disk, so that the receiver can be killed and started again.
fn start_two(dirs: &Dirs, crash_at: Option<&str>) -> Server {
    let list = format!(
        "{}:{}",
        dirs.path("one").display(),
        dirs.path("two").display()
    );
    let mut env = vec![("OOTT_MEDIA_ROOTS", list.as_str())];
    if let Some(point) = crash_at {
        env.push(("OOTT_CRASH_AT", point));
    }
    Server::start_with(dirs, &env)
}

fn where_is(dirs: &Dirs, rel: &str) -> Vec<&'static str> {
    ["one", "two"]
        .into_iter()
        .filter(|d| dirs.path(d).join(rel).is_file())
        .collect()
}

#[test]
fn a_move_between_disks_killed_at_each_step_leaves_the_title_whole_and_served() {
    // Both disks are folders of one file system here, so a new title may go to either: the
    // test moves it to the other one from wherever it landed.
    for (seed, point, switched) in [
        (1, "move:after-intent", false),
        (2, "move:copied", false),
        (3, "move:switched", true),
    ] {
        let dirs = Dirs::new();
        let server = start_two(&dirs, Some(point));
        let api = server.admin();
        let f = FileSpec::new("Mover.mkv", 3 * MIB, seed);
        api.upload(&f, "tt0000810");
        let sub = api.request(
            "POST",
            "/api/library/subtitles/tt0000810?lang=en",
            &[],
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n",
        );
        assert_eq!(sub.status, 200);
        let from = where_is(&dirs, "tt0000810/tt0000810.mkv");
        assert_eq!(from.len(), 1, "on one disk: {from:?}");
        let (from, to, to_name) = if from[0] == "one" {
            ("one", "two", "2")
        } else {
            ("two", "one", "1")
        };
        let r = api.try_request_json(
            "POST",
            "/api/library/movies/tt0000810/move",
            &json!({"root": to_name}),
        );
        assert!(r.is_err(), "{point}: the server aborts there");
        server.wait_exit();

        let server = start_two(&dirs, None);
        let api = Api {
            addr: server.addr.clone(),
            auth: api.auth.clone(),
        };
        let lands = if switched { to } else { from };
        for rel in ["tt0000810/tt0000810.mkv", "tt0000810/tt0000810.en.vtt"] {
            assert_eq!(
                where_is(&dirs, rel),
                [lands],
                "{point}: {rel} whole on one disk"
            );
        }
        assert_eq!(
            sha256_file(&dirs.path(lands).join("tt0000810/tt0000810.mkv")),
            f.sha256()
        );
        let served = api.get("/media/tt0000810/tt0000810.mkv");
        assert!(served.body == f.data, "{point}: served");
        let check: Value = api.get("/api/monitor").json()["library_check"].clone();
        assert_eq!(check["unresolved"], json!(0), "{point}: {check}");
        // The move can be made again and finishes.
        let (other, other_name) = if lands == "one" {
            ("two", "2")
        } else {
            ("one", "1")
        };
        let r = api.post_json(
            "/api/library/movies/tt0000810/move",
            &json!({"root": other_name}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(where_is(&dirs, "tt0000810/tt0000810.mkv"), [other]);
        assert!(api.get("/media/tt0000810/tt0000810.en.vtt").status == 200);
    }
}

#[test]
fn roots_listed_in_another_order_are_refused_at_start() {
    let dirs = Dirs::new();
    let server = start_two(&dirs, None);
    drop(server);
    let list = format!(
        "{}:{}",
        dirs.path("two").display(),
        dirs.path("one").display()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oott-receiver"))
        .env("OOTT_MEDIA_ROOTS", &list)
        .env("OOTT_DATA_DIR", dirs.data())
        .env("OOTT_PORT", "0")
        .env("OOTT_NGINX", "off")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in the order they were added"), "{err}");
}
