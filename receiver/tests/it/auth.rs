//! Every endpoint needs a login or a token; a cookie-authenticated change needs the CSRF token;
//! setup happens once; login tells nothing about which part was wrong.

use serde_json::json;

use crate::support::{Dirs, Server, assert_error};

/// Every API endpoint but setup and login, with a method that reaches it.
const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/api/auth/check"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/tokens"),
    (
        "GET",
        "/api/library/upload/?type=info&name=a.mkv&size=1&last_modified=1",
    ),
    ("POST", "/api/library/upload/info"),
    (
        "POST",
        "/api/library/upload/?type=init&name=a.mkv&size=1&last_modified=1&id=tt0000001",
    ),
    (
        "GET",
        "/api/library/upload/?type=init&name=a.mkv&size=1&last_modified=1&id=tt0000001",
    ),
    (
        "POST",
        "/api/library/upload/?type=chunk&offset=0&uploadId=0123456789abcdef0123456789abcdef",
    ),
    (
        "HEAD",
        "/api/library/upload/?uploadId=0123456789abcdef0123456789abcdef",
    ),
    (
        "POST",
        "/api/library/upload/?type=end&uploadId=0123456789abcdef0123456789abcdef",
    ),
    ("GET", "/api/library/movies/"),
    ("GET", "/api/library/movies/tt0000001"),
    (
        "PATCH",
        "/api/library/movies/0000000000000000000000000000000000000000000000000000000000000000",
    ),
    ("DELETE", "/api/library/delete/?content_id=tt0000001"),
    ("GET", "/api/library/collection/"),
    ("POST", "/api/library/collection/"),
    ("GET", "/api/library/collection/1"),
    ("PUT", "/api/library/collection/1"),
    ("PATCH", "/api/library/collection/1"),
    ("DELETE", "/api/library/collection/1"),
    ("GET", "/api/monitor"),
    ("GET", "/"),
    ("GET", "/media/tt0000001/tt0000001.mkv"),
    ("GET", "/movie/tt0000001/"),
];

#[test]
fn every_endpoint_answers_401_without_credentials() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let anon = server.anon();
    let bad_token = crate::support::Api {
        addr: server.addr.clone(),
        auth: vec![("Authorization".into(), "Bearer 00ff".into())],
    };
    let bad_cookie = crate::support::Api {
        addr: server.addr.clone(),
        auth: vec![("Cookie".into(), "oott_session=forged".into())],
    };
    for (method, path) in ENDPOINTS {
        for (who, client) in [
            ("nobody", &anon),
            ("a wrong token", &bad_token),
            ("a forged cookie", &bad_cookie),
        ] {
            let r = client.request(method, path, &[("Content-Type", "application/json")], b"{}");
            assert_eq!(r.status, 401, "{method} {path} for {who}: {}", r.text());
        }
    }
}

#[test]
fn a_cookie_session_changes_nothing_without_the_csrf_token() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let session = server.login("admin", "correct horse");
    let no_csrf = session.cookie_only();
    let wrong_csrf = crate::support::Api {
        addr: server.addr.clone(),
        auth: vec![
            session.auth[0].clone(),
            ("X-CSRF-Token".into(), "0".repeat(64)),
        ],
    };
    // Logout goes last: it ends the session the other rows use.
    let changes = ENDPOINTS
        .iter()
        .filter(|(m, p)| !matches!(*m, "GET" | "HEAD") && *p != "/api/auth/logout");
    for (method, path) in changes.chain([&("POST", "/api/auth/logout")]) {
        for client in [&no_csrf, &wrong_csrf] {
            let r = client.request(method, path, &[("Content-Type", "application/json")], b"{}");
            assert_error(&r, 403, "csrf_failed");
        }
        // The same request with the token passes the check (whatever it then answers).
        let r = session.request(method, path, &[("Content-Type", "application/json")], b"{}");
        assert!(
            r.status != 401 && r.status != 403,
            "{method} {path} with CSRF: {} {}",
            r.status,
            r.text()
        );
    }
    assert_eq!(no_csrf.get("/api/auth/check").status, 401, "logged out");
}

#[test]
fn reading_needs_no_csrf_token_and_the_token_can_be_read_again() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let session = server.login("admin", "correct horse");
    let no_csrf = session.cookie_only();
    assert_eq!(no_csrf.get("/api/auth/check").status, 204);
    assert_eq!(no_csrf.get("/api/library/movies/").status, 200);
    // After a reload a page cannot read the HttpOnly cookie, but it can ask for its CSRF token.
    let me = no_csrf.get("/api/auth/me").json();
    assert_eq!(me["csrf_token"].as_str(), Some(session.auth[1].1.as_str()));
    assert_eq!(me["user"]["role"].as_str(), Some("admin"));
}

#[test]
fn setup_once_login_logout_and_tokens() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let anon = server.anon();
    assert_eq!(
        anon.get("/api/auth/setup").json()["setup_required"].as_bool(),
        Some(true)
    );
    assert_error(
        &anon.post_json(
            "/api/auth/setup",
            &json!({"username": "a", "password": "short"}),
        ),
        400,
        "weak_password",
    );
    let first = anon.post_json(
        "/api/auth/setup",
        &json!({"username": "admin", "password": "correct horse"}),
    );
    assert_eq!(first.status, 201);
    assert!(
        first.json()["csrf_token"]
            .as_str()
            .is_some_and(|t| t.len() == 64)
    );
    let cookie = first.header("set-cookie").expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(
        anon.get("/api/auth/setup").json()["setup_required"].as_bool(),
        Some(false)
    );
    let again = anon.post_json(
        "/api/auth/setup",
        &json!({"username": "mallory", "password": "correct horse"}),
    );
    assert_error(&again, 409, "already_set_up");

    assert_error(
        &anon.post_json(
            "/api/auth/login",
            &json!({"username": "admin", "password": "wrong horse"}),
        ),
        401,
        "bad_credentials",
    );
    assert_error(
        &anon.post_json(
            "/api/auth/login",
            &json!({"username": "nobody", "password": "correct horse"}),
        ),
        401,
        "bad_credentials",
    );

    let session = server.login("admin", "correct horse");
    assert_eq!(session.get("/api/auth/check").status, 204);
    let token = session.token_client();
    assert_eq!(token.get("/api/auth/check").status, 204);
    assert_eq!(session.post("/api/auth/logout", b"").status, 204);
    assert_eq!(
        session.get("/api/auth/check").status,
        401,
        "the session is gone after logout"
    );
    assert_eq!(
        token.get("/api/auth/check").status,
        204,
        "tokens outlive a logout"
    );
    // Passwords are stored as argon2id hashes, never as given.
    let db = store::Store::open_read_only(&dirs.db()).expect("db");
    let (_, hash) = db.user_by_name("admin").expect("query").expect("admin");
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains("correct horse"),
        "{hash}"
    );
}

#[test]
fn members_may_read_but_not_change_the_library() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let _admin = server.admin();
    let db = store::Store::open(&dirs.db()).expect("db");
    let member = db
        .create_user("member", "unused", store::Role::Member)
        .expect("member");
    let token = "member-token-for-tests";
    let hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    db.create_api_token(member.id, &hash, "t").expect("token");
    let m = crate::support::Api {
        addr: server.addr.clone(),
        auth: vec![("Authorization".into(), format!("Bearer {token}"))],
    };
    assert_eq!(m.get("/api/library/movies/").status, 200);
    let f = crate::support::FileSpec::new("Member.mkv", 100, 40);
    assert_error(&m.init(&f, "tt0000600", ""), 403, "forbidden");
    assert_error(
        &m.delete("/api/library/delete/?content_id=tt0000600"),
        403,
        "forbidden",
    );
    assert_error(
        &m.post_json(
            "/api/library/collection/",
            &json!({"name": "x", "type": "custom"}),
        ),
        403,
        "forbidden",
    );
}

#[test]
fn an_upload_belongs_to_the_user_who_made_it() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let admin = server.admin();
    let f = crate::support::FileSpec::new("Mine.mkv", 1000, 41);
    let u = admin.start_upload(&f, "tt0000601");
    let db = store::Store::open(&dirs.db()).expect("db");
    let other = db
        .create_user("other", "unused", store::Role::Admin)
        .expect("other admin");
    let hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(b"other-token")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    db.create_api_token(other.id, &hash, "t").expect("token");
    let o = crate::support::Api {
        addr: server.addr.clone(),
        auth: vec![("Authorization".into(), "Bearer other-token".into())],
    };
    assert_error(&o.chunk(&u, 0, &f.data[..10]), 404, "unknown_upload");
    assert_eq!(
        o.head(&format!("/api/library/upload/?uploadId={u}")).status,
        404
    );
    assert_error(&o.end(&u), 404, "unknown_upload");
    assert_eq!(admin.offset(&u), 0, "the owner's upload is untouched");
}
