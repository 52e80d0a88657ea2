//! The library API: listing, the identity check, replacing, versions, refiling, deleting,
//! collections and the monitor.

use serde_json::json;

use crate::support::{Dirs, FileSpec, Server, assert_error, sha256_file};

#[test]
fn filed_titles_are_listed_with_card_fields_only() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    for (i, (name, cid)) in [
        ("Zodiac.2007.mkv", "tt0443706"),
        ("Alien.1979.mkv", "tt0078748"),
        ("Heat.1995.mp4", "tt0113277"),
    ]
    .iter()
    .enumerate()
    {
        api.upload(&FileSpec::new(name, 100 + i, 60 + i as u64), cid);
    }
    let r = api.get("/api/library/movies/?per_page=2");
    let v = r.json();
    assert_eq!(
        (v["total"].as_i64(), v["movies"].as_array().map(Vec::len)),
        (Some(3), Some(2))
    );
    let first = &v["movies"][0];
    assert_eq!(
        first["title"].as_str(),
        Some("Alien 1979"),
        "sorted by title, named from the file until metadata arrives"
    );
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("card")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["id", "poster", "stars", "title", "year"]);
    let page2 = api.get("/api/library/movies/?per_page=2&page=2").json();
    assert_eq!(page2["movies"][0]["id"].as_str(), Some("tt0443706"));
    assert_error(&api.get("/api/library/movies/?page=x"), 400, "invalid_page");
}

#[test]
fn the_identity_check_and_lookup_by_file_id() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    assert_error(&api.get("/api/library/movies/tt0133093"), 404, "not_found");
    assert_error(
        &api.get("/api/library/movies/tt13"),
        400,
        "invalid_content_id",
    );
    assert_error(&api.get("/api/library/movies/whatever"), 400, "invalid_id");
    let f = FileSpec::new("The.Matrix.1999.1080p.mkv", 2000, 70);
    let end = api.upload(&f, "tt0133093");
    let v = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        (v["has_file"].as_bool(), v["metadata_pending"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        v["files"][0]["original_name"].as_str(),
        Some(f.name.as_str())
    );
    let fid = end["file_id"].as_str().expect("file id");
    let by_file = api.get(&format!("/api/library/movies/{fid}")).json();
    assert_eq!(by_file["content_id"].as_str(), Some("tt0133093"));
    assert_eq!(by_file["file"]["size"].as_u64(), Some(2000));
}

#[test]
fn replace_and_versions() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let cid = "tt0100000";
    api.upload(&FileSpec::new("Old.avi", 3000, 80), cid);
    let new = FileSpec::new("New.mkv", 2000, 81);
    let u = {
        let r = api.init(&new, cid, "&mode=replace");
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["upload_id"].as_str().expect("id").to_owned()
    };
    api.send_from(&u, &new.data, 0, 1000);
    assert_eq!(api.end(&u).status, 200);
    let files = api.get(&format!("/api/library/movies/{cid}")).json()["files"].clone();
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{files}");
    assert!(
        !dirs.media().join(format!("{cid}/{cid}.avi")).exists(),
        "the replaced file is gone"
    );
    assert_eq!(
        sha256_file(&dirs.media().join(format!("{cid}/{cid}.mkv"))),
        new.sha256()
    );

    let v4k = FileSpec::new("New.4K.mkv", 4000, 82);
    let r = api.init(&v4k, cid, "&mode=version&label=4K");
    assert_eq!(r.status, 201, "{}", r.text());
    let u = r.json()["upload_id"].as_str().expect("id").to_owned();
    api.send_from(&u, &v4k.data, 0, 4000);
    let end = api.end(&u).json();
    assert_eq!(
        end["path"].as_str(),
        Some(format!("{cid}/{cid}.4k.mkv").as_str())
    );
    assert_error(
        &api.init(
            &FileSpec::new("Other.4K.mkv", 100, 83),
            cid,
            "&mode=version&label=4k",
        ),
        409,
        "version_exists",
    );
    assert_eq!(
        api.get(&format!("/api/library/movies/{cid}")).json()["files"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn a_file_can_be_filed_under_another_title() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Wrong.Pick.mkv", 1500, 90);
    let fid = api.upload(&f, "tt0000901")["file_id"]
        .as_str()
        .expect("fid")
        .to_owned();
    api.upload(&FileSpec::new("Taken.mkv", 100, 91), "tt0000903");
    let r = api.send_json(
        "PATCH",
        &format!("/api/library/movies/{fid}"),
        &json!({"content_id": "tt0000902"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["path"].as_str(), Some("tt0000902/tt0000902.mkv"));
    assert!(!dirs.media().join("tt0000901/tt0000901.mkv").exists());
    assert_eq!(
        sha256_file(&dirs.media().join("tt0000902/tt0000902.mkv")),
        f.sha256()
    );
    assert_eq!(
        api.get("/api/library/movies/tt0000902").json()["has_file"].as_bool(),
        Some(true)
    );
    assert_eq!(
        api.get("/api/library/movies/tt0000901").json()["has_file"].as_bool(),
        Some(false)
    );
    let taken = api.send_json(
        "PATCH",
        &format!("/api/library/movies/{fid}"),
        &json!({"content_id": "tt0000903"}),
    );
    assert_error(&taken, 409, "title_has_file");
    let bad = api.send_json(
        "PATCH",
        &format!("/api/library/movies/{fid}"),
        &json!({"content_id": "tt9"}),
    );
    assert_error(&bad, 400, "invalid_content_id");
}

#[test]
fn deleting_a_title_removes_its_rows_then_its_files() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Doomed.mkv", 1200, 95);
    api.upload(&f, "tt0000950");
    let r = api.delete("/api/library/delete/?content_id=tt0000950");
    assert_eq!(
        (r.status, r.json()["files"].as_u64()),
        (200, Some(1)),
        "{}",
        r.text()
    );
    assert!(
        !dirs.media().join("tt0000950").exists(),
        "the title's folder is gone"
    );
    assert_eq!(
        api.get("/api/library/movies/").json()["total"].as_i64(),
        Some(0)
    );
    assert_error(
        &api.delete("/api/library/delete/?content_id=tt0000950"),
        404,
        "not_found",
    );
    assert_error(
        &api.delete("/api/library/delete/?content_id=../x"),
        400,
        "invalid_content_id",
    );
    // The same file can be uploaded again afterwards.
    api.upload(&f, "tt0000950");
}

#[test]
fn collections_as_the_notes_give_them() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let r = api.post_json(
        "/api/library/collection/",
        &json!({"name": "The Matrix", "type": "franchise", "content": ["tt0133093", "tt0234215"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    let path = format!("/api/library/collection/{id}");
    assert_eq!(
        api.get(&path).json()["content"],
        json!(["tt0133093", "tt0234215"])
    );
    let r = api.send_json(
        "PATCH",
        &path,
        &json!({"content": ["tt0234215", "tt0133093", "tt0242653"]}),
    );
    assert_eq!(
        (r.status, r.json()["name"].as_str()),
        (200, Some("The Matrix"))
    );
    assert_eq!(r.json()["content"][2].as_str(), Some("tt0242653"));
    let r = api.send_json("PUT", &path, &json!({"name": "Matrix", "type": "sequel"}));
    assert_eq!(
        (
            r.json()["type"].as_str(),
            r.json()["content"].as_array().map(Vec::len)
        ),
        (Some("sequel"), Some(0))
    );
    assert_error(
        &api.send_json("PUT", &path, &json!({"name": "Matrix"})),
        400,
        "missing_field",
    );
    assert_error(
        &api.post_json(
            "/api/library/collection/",
            &json!({"name": "x", "type": "saga"}),
        ),
        400,
        "invalid_type",
    );
    assert_error(
        &api.post_json(
            "/api/library/collection/",
            &json!({"name": "x", "type": "custom", "content": ["bad"]}),
        ),
        400,
        "invalid_content_id",
    );
    let all = api.get("/api/library/collection/").json();
    let names: Vec<&str> = all["collections"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"Matrix"), "{names:?}");
    assert!(
        names.contains(&"Star Wars") && names.contains(&"The Lord of the Rings"),
        "the built-in collections are there: {names:?}"
    );
    assert_eq!(names.len(), store::builtin::BUILTIN_COLLECTIONS.len() + 1);
    assert_eq!(api.delete(&path).status, 204);
    assert_error(&api.get(&path), 404, "not_found");
    assert_error(&api.delete(&path), 404, "not_found");
}

#[test]
fn the_monitor_counts_disk_library_and_traffic() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    api.upload(&FileSpec::new("Counted.mkv", 50_000, 99), "tt0000990");
    api.get("/media/tt0000990/tt0000990.mkv");
    let v = api.get("/api/monitor").json();
    assert!(v["disk"]["total"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(v["disk"]["free"].as_u64() <= v["disk"]["total"].as_u64());
    assert_eq!(v["disk"]["reserve"].as_u64(), Some(0));
    assert_eq!(
        (
            v["library"]["titles"].as_i64(),
            v["library"]["files"].as_i64(),
            v["library"]["size"].as_i64()
        ),
        (Some(1), Some(1), Some(50_000))
    );
    assert!(
        v["traffic"]["bytes_received"].as_u64().unwrap_or(0) >= 50_000,
        "{v}"
    );
    assert!(
        v["traffic"]["bytes_sent"].as_u64().unwrap_or(0) >= 50_000,
        "{v}"
    );
}

/// One version of a title can go without touching the others; the last one goes only with
/// its title.
#[test]
fn one_version_is_deleted_and_the_others_stay() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let main = FileSpec::new("Versions.mkv", 3000, 201);
    api.upload(&main, "tt0000960");
    let other = FileSpec::new("Versions 720p.mkv", 2000, 202);
    let id = api.start_upload_with(&other, "tt0000960", "&mode=version&label=720p");
    api.send_from(&id, &other.data, 0, 1 << 20);
    let filed = api.end(&id).json();
    let file_id = filed["file_id"].as_str().expect("file id").to_owned();
    let r = api.delete(&format!("/api/library/movies/{file_id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!dirs.media().join("tt0000960/tt0000960.720p.mkv").exists());
    assert!(dirs.media().join("tt0000960/tt0000960.mkv").is_file());
    let files = api.get("/api/library/movies/tt0000960").json()["files"].clone();
    assert_eq!(files.as_array().map(Vec::len), Some(1), "{files}");
    let main_id = files[0]["file_id"].as_str().expect("id").to_owned();
    assert_error(
        &api.delete(&format!("/api/library/movies/{main_id}")),
        409,
        "refused",
    );
    assert_error(
        &api.delete(&format!("/api/library/movies/{file_id}")),
        404,
        "not_found",
    );
}
