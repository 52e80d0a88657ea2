//! Without nginx the receiver serves the site and the media itself: Range requests (the
//! static-web-server case list), dot-paths refused, and nothing without a login but the login
//! and setup pages.

use crate::support::{Dirs, FileSpec, Server};

#[test]
fn range_requests_on_media() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Range.mp4", 1000, 50);
    let end = api.upload(&f, "tt0000700");
    let url = end["url"].as_str().expect("url").to_owned();
    assert_eq!(url, "/media/tt0000700/tt0000700.mp4");
    crate::support::assert_ranges(&api, &url, &f.data);
    let whole = api.get(&url);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.header("content-type"), Some("video/mp4"));
}

#[test]
fn nothing_is_served_without_a_login_but_login_and_setup() {
    let dirs = Dirs::new();
    let site = dirs.data().join("site");
    for page in [
        "index.html",
        "movie/tt0000701.html",
        "login/index.html",
        "setup/index.html",
        "assets/site.css",
    ] {
        let p = site.join(page);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, format!("<p>{page}</p>")).expect("write page");
    }
    let server = Server::start(&dirs);
    let api = server.admin();
    let f = FileSpec::new("Private.mkv", 500, 51);
    api.upload(&f, "tt0000701");
    let u = api.start_upload(&FileSpec::new("Staged.mkv", 500, 52), "tt0000702");
    let anon = server.anon();

    // The renderer replaces the hand-written site; wait for its page of the new title (the
    // hand-written one answers at once, and a render that starts before the upload is filed
    // removes it for a moment).
    crate::support::wait_for(20, "the rendered movie page", || {
        let r = api.get("/movie/tt0000701/");
        (r.status == 200 && !r.text().contains("<p>movie/")).then_some(())
    });
    for path in [
        "/",
        "/index.html",
        "/movie/tt0000701/",
        "/media/tt0000701/tt0000701.mkv",
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 401, "{path} without a login");
        assert!(!r.text().contains("<p>"), "{path} leaked content");
        let r = api.get(path);
        assert_eq!(r.status, 200, "{path} with a login");
    }
    // A browser is sent to the login page instead.
    let r = anon.request("GET", "/movie/tt0000701/", &[("Accept", "text/html")], b"");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/login/?next=/movie/tt0000701/")),
        "to the login page, and back after it"
    );
    // Without nginx too: a title's address without its slash is sent to it; one with no page,
    // or no title's, is the site's 404, and never a file beside the site.
    let r = api.get("/movie/tt0000701");
    assert_eq!(
        (r.status, r.header("location")),
        (308, Some("/movie/tt0000701/"))
    );
    for path in ["/movie/tt0009999/", "/movie/x/"] {
        let r = api.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("<html"), "{path}: the site's 404 page");
    }
    let r = api.get("/movie/..%2f..%2foott.db/");
    assert_eq!(r.status, 404);
    assert!(
        !r.text().contains("SQLite"),
        "the database, through a title's address"
    );
    for path in ["/login/", "/setup/", "/assets/site.css"] {
        assert_eq!(anon.get(path).status, 200, "{path} is public");
    }
    // Dot-paths (upload staging, temporary files) and escapes are refused even with a login.
    for path in [
        format!("/media/.uploads/{u}/part"),
        format!("/media/.uploads/{u}/info.json"),
        "/media/%2euploads/".to_owned(),
        "/media/../data/oott.db".to_owned(),
        "/media/%2e%2e/data/oott.db".to_owned(),
        "/.git/config".to_owned(),
    ] {
        let r = api.get(&path);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
}
