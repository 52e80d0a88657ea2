//! Users and access: the admin's user management and invitations, roles and grants checked on
//! every library change, members' own password, sessions, tokens and settings, and login
//! limited per account and per address.

use serde_json::{Value, json};

use crate::support::{Api, Dirs, FileSpec, Server, assert_error};

/// Creates a user through the admin API and logs them in.
fn add_user(server: &Server, admin: &Api, name: &str, extra: Value) -> (i64, Api) {
    let mut body = json!({"username": name, "password": "member password"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let r = admin.post_json("/api/users", &body);
    assert_eq!(r.status, 201, "create user: {}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    (id, server.login(name, "member password"))
}

/// What a user may change in the library, tried for real: upload (init), delete, and
/// create a collection. Answers (upload, delete, collections) as allowed or not.
fn rights(api: &Api, seed: u64) -> (bool, bool, bool) {
    let f = FileSpec::new(&format!("Rights {seed}.mkv"), 100, seed);
    let up = api.init(&f, "tt0000900", "").status;
    let del = api
        .delete("/api/library/delete/?content_id=tt0000901")
        .status;
    let col = api
        .post_json(
            "/api/library/collection/",
            &json!({"name": format!("c{seed}"), "type": "custom"}),
        )
        .status;
    for s in [up, del, col] {
        assert!(s != 401, "logged in");
    }
    (up != 403, del != 403, col != 403)
}

#[test]
fn members_may_change_only_what_they_are_granted() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    // Something for the delete to find.
    admin.upload(&FileSpec::new("Deletable.mkv", 100, 90), "tt0000901");
    assert_eq!(rights(&admin, 1), (true, true, true), "an admin may all");
    let (id, member) = add_user(&server, &admin, "mia", json!({}));
    assert_eq!(
        rights(&member, 2),
        (false, false, false),
        "a member may none"
    );
    assert_eq!(member.get("/api/library/movies/").status, 200, "but browse");
    assert_eq!(
        member
            .send_json(
                "PUT",
                "/api/users/me/metadata/tt0000901",
                &json!({"title": "Mine"})
            )
            .status,
        200,
        "and edit their own metadata"
    );
    for (grant, want) in [
        ("can_upload", (true, false, false)),
        ("can_delete", (true, true, false)),
        ("can_edit_collections", (true, true, true)),
    ] {
        let r = admin.send_json("PATCH", &format!("/api/users/{id}"), &json!({grant: true}));
        assert_eq!(r.status, 200, "{grant}: {}", r.text());
        assert_eq!(
            rights(&member, 3 + grant.len() as u64),
            want,
            "after {grant}"
        );
        if want.1 {
            // The member's delete went through: put the title back for the next round.
            admin.upload(
                &FileSpec::new(&format!("{grant}.mkv"), 100, 91),
                "tt0000901",
            );
        }
    }
    // Members see nothing of the user administration.
    for (method, path) in [
        ("GET", "/api/users"),
        ("POST", "/api/users"),
        ("PATCH", "/api/users/1"),
        ("DELETE", "/api/users/1"),
        ("GET", "/api/users/invitations"),
        ("POST", "/api/users/invitations"),
    ] {
        let r = member.send_json(
            method,
            path,
            &json!({"username": "x", "password": "12345678"}),
        );
        assert_error(&r, 403, "forbidden");
    }
}

#[test]
fn the_admin_creates_resets_and_removes_users() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let (id, member) = add_user(&server, &admin, "max", json!({"role": "member"}));
    let list = admin.get("/api/users").json();
    let names: Vec<&str> = list["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["admin", "max"]);
    assert!(list["users"][1]["last_login"].is_i64(), "{list}");
    assert_error(
        &admin.post_json(
            "/api/users",
            &json!({"username": "MAX", "password": "another one"}),
        ),
        409,
        "username_taken",
    );
    assert_error(
        &admin.post_json("/api/users", &json!({"username": "short", "password": "x"})),
        400,
        "weak_password",
    );

    // A reset password works at once and ends the user's sessions.
    let r = admin.send_json(
        "PATCH",
        &format!("/api/users/{id}"),
        &json!({"password": "a new password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(member.get("/api/auth/check").status, 401, "logged out");
    let member = server.login("max", "a new password");

    // The last admin can neither step down nor go.
    let me = admin.get("/api/auth/me").json()["user"]["id"]
        .as_i64()
        .expect("admin id");
    assert_error(
        &admin.send_json(
            "PATCH",
            &format!("/api/users/{me}"),
            &json!({"role": "member"}),
        ),
        409,
        "refused",
    );
    assert_error(&admin.delete(&format!("/api/users/{me}")), 409, "refused");

    assert_eq!(admin.delete(&format!("/api/users/{id}")).status, 204);
    assert_eq!(member.get("/api/auth/check").status, 401, "removed");
    assert_eq!(
        server
            .anon()
            .post_json(
                "/api/auth/login",
                &json!({"username": "max", "password": "a new password"})
            )
            .status,
        401
    );
    assert_error(&admin.delete(&format!("/api/users/{id}")), 404, "not_found");
}

#[test]
fn an_invitation_link_lets_a_person_choose_their_password_once() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let r = admin.post_json(
        "/api/users/invitations",
        &json!({"role": "member", "can_upload": true}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let inv = r.json();
    let token = inv["token"].as_str().expect("token").to_owned();
    assert_eq!(
        inv["path"].as_str(),
        Some(format!("/invite/?token={token}").as_str())
    );
    assert_eq!(
        admin.get("/api/users/invitations").json()["invitations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let anon = server.anon();
    let check = anon.get(&format!("/api/auth/invitation?token={token}"));
    assert_eq!(check.status, 200, "anyone with the link may look");
    assert_eq!(check.json()["can_upload"], json!(true));
    assert_error(
        &anon.get("/api/auth/invitation?token=forged"),
        404,
        "invalid_invitation",
    );

    let accept = json!({"token": token, "username": "nina", "password": "nina's password"});
    let r = anon.post_json("/api/auth/invitation", &accept);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["user"]["role"], json!("member"));
    assert!(r.header("set-cookie").is_some(), "logged in at once");
    let nina = server.login("nina", "nina's password");
    let f = FileSpec::new("Invited.mkv", 100, 92);
    assert_eq!(
        nina.init(&f, "tt0000902", "").status,
        201,
        "the grant came along"
    );
    let again = json!({"token": token, "username": "other", "password": "other password"});
    assert_error(
        &anon.post_json("/api/auth/invitation", &again),
        404,
        "invalid_invitation",
    );

    // A withdrawn link no longer works.
    let id = admin.post_json("/api/users/invitations", &json!({})).json()["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        admin.delete(&format!("/api/users/invitations/{id}")).status,
        204
    );
    assert!(
        admin.get("/api/users/invitations").json()["invitations"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn members_change_their_own_password_and_keep_their_session() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let (_, member) = add_user(&server, &admin, "omar", json!({}));
    let elsewhere = server.login("omar", "member password");
    let change = |current: &str| {
        member.send_json(
            "PUT",
            "/api/users/me/password",
            &json!({"current_password": current, "new_password": "omar's new password"}),
        )
    };
    assert_error(&change("wrong password"), 403, "wrong_password");
    assert_eq!(change("member password").status, 204);
    assert_eq!(
        member.get("/api/auth/check").status,
        204,
        "this session stays"
    );
    assert_eq!(elsewhere.get("/api/auth/check").status, 401, "others end");
    server.login("omar", "omar's new password");
}

#[test]
fn sessions_and_tokens_are_listed_and_revoked() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let a = server.login("admin", "correct horse");
    let b = server.login("admin", "correct horse");
    let list = a.get("/api/auth/sessions").json();
    let sessions = list["sessions"].as_array().expect("sessions");
    // setup, admin()'s login, a and b.
    assert_eq!(sessions.len(), 4, "{list}");
    assert_eq!(
        sessions
            .iter()
            .filter(|s| s["current"] == json!(true))
            .count(),
        1
    );
    assert!(sessions.iter().all(|s| s["address"] == json!("127.0.0.1")));
    // b ends a's session.
    let a_id = sessions
        .iter()
        .find(|s| s["current"] == json!(true))
        .and_then(|s| s["id"].as_str())
        .expect("a's id")
        .to_owned();
    assert_eq!(b.delete(&format!("/api/auth/sessions/{a_id}")).status, 204);
    assert_eq!(a.get("/api/auth/check").status, 401);
    assert_error(
        &b.delete("/api/auth/sessions/0123456789abcdef"),
        404,
        "not_found",
    );

    let token = b.token_client();
    let tokens = b.get("/api/auth/tokens").json();
    let list = tokens["tokens"].as_array().expect("tokens");
    assert_eq!(list.len(), 2, "admin()'s and this one: {tokens}");
    let t = list.last().expect("the newest");
    assert_eq!(t["name"], json!("tests"));
    assert!(
        t.get("token").is_none() && t.get("token_hash").is_none(),
        "{t}"
    );
    assert_eq!(token.get("/api/auth/check").status, 204);
    let id = t["id"].as_i64().expect("id");
    assert_eq!(b.delete(&format!("/api/auth/tokens/{id}")).status, 204);
    assert_eq!(token.get("/api/auth/check").status, 401, "revoked");
}

#[test]
fn settings_have_defaults_and_take_only_known_values() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let s = admin.get("/api/users/me/settings").json();
    assert_eq!(s["theme"], json!("system"));
    assert_eq!(
        s["autoplay"],
        json!(false),
        "nothing plays by itself unless asked"
    );
    let r = admin.send_json(
        "PUT",
        "/api/users/me/settings",
        &json!({"theme": "light", "subtitle_language": "fr", "autoplay": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let s = admin.get("/api/users/me/settings").json();
    assert_eq!(
        (&s["theme"], &s["subtitle_language"], &s["autoplay"]),
        (&json!("light"), &json!("fr"), &json!(true))
    );
    for (bad, code) in [
        (json!({"theme": "purple"}), "invalid_setting"),
        (json!({"autoplay": "yes"}), "invalid_setting"),
        (json!({"language": "en; DROP"}), "invalid_setting"),
        (json!({"colour": "red"}), "unknown_setting"),
        (json!({"theme": "dark", "nonsense": 1}), "unknown_setting"),
    ] {
        assert_error(
            &admin.send_json("PUT", "/api/users/me/settings", &bad),
            400,
            code,
        );
    }
    assert_eq!(
        admin.get("/api/users/me/settings").json()["theme"],
        json!("light"),
        "a refused change changes nothing"
    );
    // Settings are per user.
    let (_, member) = add_user(&server, &admin, "pia", json!({}));
    assert_eq!(
        member.get("/api/users/me/settings").json()["theme"],
        json!("system")
    );
}

#[test]
fn logins_are_limited_per_account_and_per_address() {
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[
            ("OOTT_LOGIN_ATTEMPTS_PER_ACCOUNT", "3"),
            ("OOTT_LOGIN_ATTEMPTS_PER_ADDRESS", "6"),
        ],
    );
    let _admin = server.admin();
    let anon = server.anon();
    let login = |user: &str, pw: &str| {
        anon.post_json(
            "/api/auth/login",
            &json!({"username": user, "password": pw}),
        )
    };
    for _ in 0..3 {
        assert_error(&login("admin", "guess guess"), 401, "bad_credentials");
    }
    let r = login("admin", "correct horse");
    assert_error(&r, 429, "too_many_attempts");
    assert!(
        r.header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s > 0)
    );
    // Other names from this address count towards the address's limit.
    for name in ["bob", "cy", "dee"] {
        assert_error(&login(name, "guess guess"), 401, "bad_credentials");
    }
    assert_error(&login("eve", "guess guess"), 429, "too_many_attempts");
    // Behind nginx (which proves itself with its secret), the address is the one nginx saw:
    // another address is not locked out.
    let secret = std::fs::read_to_string(dirs.data().join("proxy-secret")).expect("secret");
    assert_error(
        &anon.request(
            "POST",
            "/api/auth/login",
            &[
                ("Content-Type", "application/json"),
                ("X-Real-IP", "192.0.2.7"),
                ("X-OOTT-Proxy", secret.trim()),
            ],
            br#"{"username": "fay", "password": "guess guess"}"#,
        ),
        401,
        "bad_credentials",
    );
}
