//! A person's own watching: where they stopped and what they watched, saved and read back by
//! each user alone, 90% counting as watched, and the input checked.

use serde_json::json;

use crate::support::{Dirs, FileSpec, Server, assert_error};

#[test]
fn progress_and_watched_state_are_each_persons_own() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let r = admin.post_json(
        "/api/users",
        &json!({"username": "mia", "password": "long enough", "role": "member"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let mia = server.login("mia", "long enough");
    let end = admin.upload(&FileSpec::new("Heat (1995).mkv", 4096, 1), "tt0113277");
    let file = end["file_id"].as_str().expect("file id").to_owned();
    let other = admin.upload(&FileSpec::new("Alien (1979).mkv", 4096, 2), "tt0078748");

    let r = admin.send_json(
        "PUT",
        "/api/users/me/progress/tt0113277",
        &json!({"file_id": file, "position_s": 2472.5, "duration_s": 6000.0}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["watched"], false);
    let list = admin.get("/api/users/me/progress").json();
    let t = &list["titles"][0];
    assert_eq!(t["content_id"], "tt0113277");
    assert_eq!(t["position_s"], 2472.5);
    assert_eq!(t["file_id"], json!(file));
    assert_eq!(t["progress"], 0.412);
    assert_eq!(
        t["title"], "Heat (1995)",
        "with its card, for the Continue watching row"
    );
    assert_eq!(
        mia.get("/api/users/me/progress").json()["titles"],
        json!([]),
        "another person sees none of it"
    );

    // 90% played is watched, and stays so when watched again from the start.
    let r = admin.send_json(
        "PUT",
        "/api/users/me/progress/tt0113277",
        &json!({"position_s": 5400.0, "duration_s": 6000.0}),
    );
    assert_eq!(r.json()["watched"], true);
    let r = admin.send_json(
        "PUT",
        "/api/users/me/progress/tt0113277",
        &json!({"position_s": 12.0, "duration_s": 6000.0}),
    );
    assert_eq!(r.json()["watched"], true);
    let r = admin.send_json(
        "PUT",
        "/api/users/me/watched/tt0113277",
        &json!({"watched": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["watched"], false);
    // Marked by hand, without playing.
    let r = mia.send_json(
        "PUT",
        "/api/users/me/watched/tt0078748",
        &json!({"watched": true}),
    );
    assert_eq!(r.json()["watched"], true);
    assert_eq!(
        admin.get("/api/users/me/progress").json()["titles"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "mia's mark is hers"
    );

    // Bad input: a clear error, nothing kept.
    let put = |path: &str, body: serde_json::Value| admin.send_json("PUT", path, &body);
    for (r, status, code) in [
        (
            put(
                "/api/users/me/progress/tt0113277",
                json!({"position_s": -1, "duration_s": 10}),
            ),
            400,
            "invalid_value",
        ),
        (
            put(
                "/api/users/me/progress/tt0113277",
                json!({"position_s": 1e300, "duration_s": 10}),
            ),
            400,
            "invalid_value",
        ),
        (
            put(
                "/api/users/me/progress/tt0113277",
                json!({"file_id": other["file_id"], "position_s": 1, "duration_s": 10}),
            ),
            404,
            "not_found",
        ),
        (
            put(
                "/api/users/me/progress/tt0000001",
                json!({"position_s": 1, "duration_s": 10}),
            ),
            404,
            "not_found",
        ),
        (
            put(
                "/api/users/me/progress/../../x",
                json!({"position_s": 1, "duration_s": 10}),
            ),
            404,
            "not_found",
        ),
        (
            put(
                "/api/users/me/progress/tt01",
                json!({"position_s": 1, "duration_s": 10}),
            ),
            400,
            "invalid_content_id",
        ),
        (
            put("/api/users/me/watched/tt0113277", json!({"watched": "yes"})),
            400,
            "invalid_json",
        ),
    ] {
        assert_error(&r, status, code);
    }
    assert_error(
        &mia.cookie_only().send_json(
            "PUT",
            "/api/users/me/watched/tt0078748",
            &json!({"watched": false}),
        ),
        403,
        "csrf_failed",
    );
    assert_error(
        &server.anon().get("/api/users/me/progress"),
        401,
        "unauthorized",
    );
    let t = &admin.get("/api/users/me/progress").json()["titles"][0];
    assert_eq!(
        (t["position_s"].clone(), t["watched"].clone()),
        (json!(12.0), json!(false))
    );

    let r = admin.delete("/api/users/me/progress/tt0113277");
    assert_eq!(r.json()["cleared"], true);
    assert_eq!(
        admin.get("/api/users/me/progress").json()["titles"],
        json!([])
    );
    server.kill();
}
