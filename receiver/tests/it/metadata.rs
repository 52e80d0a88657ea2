//! Metadata and identification against a local stand-in for IMDb and Wikidata: the cache, the
//! fields, posters and trailers, search and guessing, users' own values, and IMDb misbehaving
//! while uploads go on.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::imdb::{Mode, Replay};
use crate::support::{Api, Dirs, FileSpec, Server, assert_error, wait_for};

fn start(dirs: &Dirs, replay: &Replay) -> Server {
    Server::start_with(
        dirs,
        &[
            ("OOTT_IMDB_URL", &replay.url),
            ("OOTT_IMDB_SUGGEST_URL", &replay.url),
            ("OOTT_WIKIDATA_URL", &replay.url),
        ],
    )
}

/// The title as a user sees it in the library, once its metadata has been fetched.
fn fetched(api: &Api, cid: &str) -> Value {
    wait_for(20, &format!("metadata of {cid}"), || {
        let v = api.get(&format!("/api/library/movies/{cid}")).json();
        (v["metadata"]["pending"] == false).then_some(v)
    })
}

#[test]
fn metadata_has_the_notes_fields_and_comes_from_the_cache_the_second_time() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let r = api.get("/api/metadata/tt0133093");
    assert_eq!(r.status, 200, "{}", r.text());
    let m = r.json();
    assert_eq!(
        (m["id"].as_str(), m["title"].as_str(), m["year"].as_i64()),
        (Some("tt0133093"), Some("The Matrix"), Some(1999))
    );
    assert_eq!(
        m["duration"],
        json!({"minutes": 136, "iso": "PT2H16M", "text": "2h 16min"})
    );
    assert_eq!(
        m["rating"],
        json!({"value": 8.7, "votes": 1_987_654, "max": 10.0})
    );
    assert_eq!(m["genres"], json!(["Action", "Sci-Fi"]));
    assert_eq!(m["directors"], json!(["Lana Wachowski", "Lilly Wachowski"]));
    assert_eq!(
        m["stars"],
        json!(["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"])
    );
    assert_eq!(m["cast"].as_array().map(Vec::len), Some(4));
    assert_eq!(m["suggestions"], json!(["tt0234215", "tt0242653"]));
    assert_eq!(
        (m["parental_rating"].as_str(), m["metascore"].as_i64()),
        (Some("R"), Some(73))
    );
    assert_eq!(
        m["awards"].as_str(),
        Some("Won 4 Oscars. 42 wins & 51 nominations total")
    );
    assert_eq!(
        m["details"]["budget"],
        json!({"amount": 63_000_000, "currency": "USD"})
    );
    assert_eq!(
        (m["wikidata_id"].as_str(), m["rotten_tomatoes"].as_str()),
        (Some("Q83495"), Some("m/matrix"))
    );
    assert_eq!(
        m["metacritic_url"].as_str(),
        Some("https://www.metacritic.com/movie/the-matrix")
    );
    for field in [
        "plot_short",
        "plot_long",
        "poster_url",
        "tagline",
        "metacritic_rating",
        "trailer_url",
        "writers",
    ] {
        assert!(m.get(field).is_some(), "{field} is part of the answer");
    }
    assert!(m["fetched_at"].as_i64().is_some());
    let hits = replay.hits();
    let again = api.get("/api/metadata/tt0133093").json();
    assert_eq!(again["title"], m["title"]);
    assert_eq!(replay.hits(), hits, "the second answer came from the cache");

    // The old itemprop layout through the same path.
    let alien = api.get("/api/metadata/tt0078748").json();
    assert_eq!(
        (alien["title"].as_str(), alien["year"].as_i64()),
        (Some("Alien"), Some(1979))
    );
    assert_eq!(alien["writers"], json!(["Dan O'Bannon", "Ronald Shusett"]));
    assert_eq!(
        alien["tagline"].as_str(),
        Some("In space no one can hear you scream.")
    );
    assert_eq!(alien["rating"]["votes"].as_i64(), Some(712_345));
    assert_error(&api.get("/api/metadata/tt9999999"), 404, "no_such_title");
    assert_error(&api.get("/api/metadata/tt99"), 400, "invalid_content_id");
}

#[test]
fn an_upload_brings_metadata_poster_card_and_trailer() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    api.upload(
        &FileSpec::new("The.Matrix.1999.1080p.mkv", 3000, 1),
        "tt0133093",
    );
    let v = fetched(&api, "tt0133093");
    assert_eq!(
        v["title"].as_str(),
        Some("The Matrix"),
        "the card shows the real title now"
    );
    let poster = wait_for(10, "the poster", || {
        let v = api.get("/api/library/movies/tt0133093").json();
        v["metadata"]["poster"].as_str().map(str::to_owned)
    });
    assert_eq!(poster, "/media/tt0133093/tt0133093.jpg");
    let card = wait_for(10, "the card poster", || {
        image::open(dirs.media().join("tt0133093/tt0133093.card.jpg")).ok()
    });
    assert_eq!(card.width(), 342);
    assert_eq!(
        image::open(dirs.media().join("tt0133093/tt0133093.jpg"))
            .expect("poster")
            .width(),
        600
    );
    let listing = api.get("/api/library/movies/").json();
    assert_eq!(
        listing["movies"][0]["poster"].as_str(),
        Some("/media/tt0133093/tt0133093.card.jpg")
    );
    assert_eq!(listing["movies"][0]["year"].as_i64(), Some(1999));
    let trailer = wait_for(10, "the trailer", || {
        std::fs::metadata(dirs.media().join("tt0133093/tt0133093_preview.mp4")).ok()
    });
    assert_eq!(trailer.len(), 100_000);
    assert_eq!(api.get("/media/tt0133093/tt0133093.card.jpg").status, 200);
}

/// Regression: a title identified by a pasted IMDb link (looked up, so cached, just before the
/// upload) never got its poster, because the fetch after filing saw fresh metadata and did
/// nothing.
#[test]
fn a_title_identified_by_a_pasted_link_gets_its_poster() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let r = api.get("/api/metadata/search?q=https%3A%2F%2Fwww.imdb.com%2Ftitle%2Ftt0133093%2F");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"][0]["id"], "tt0133093");
    api.upload(&FileSpec::new("matrix.mkv", 3000, 1), "tt0133093");
    let poster = wait_for(15, "the poster", || {
        let v = api.get("/api/library/movies/tt0133093").json();
        v["metadata"]["poster"].as_str().map(str::to_owned)
    });
    assert_eq!(poster, "/media/tt0133093/tt0133093.jpg");
    wait_for(15, "the trailer", || {
        std::fs::metadata(dirs.media().join("tt0133093/tt0133093_preview.mp4")).ok()
    });
}

/// Regression: the movie page kept linking to IMDb's trailer after the trailer was downloaded,
/// until another change re-rendered it. The download is a change of its own now.
#[test]
fn a_downloaded_trailer_replaces_the_link_on_the_page_by_itself() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    api.upload(&FileSpec::new("The.Matrix.1999.mkv", 3000, 1), "tt0133093");
    let page = dirs.data().join("site/movie/tt0133093.html");
    let html = wait_for(30, "the page playing the downloaded trailer", || {
        std::fs::read_to_string(&page)
            .ok()
            .filter(|p| p.contains("/media/tt0133093/tt0133093_preview.mp4"))
    });
    assert!(
        !html.contains("Watch the trailer</a>"),
        "no link to IMDb's trailer left"
    );
}

/// Regression: a title page in an older layout than the known ones was answered 502 although
/// it names its title, year, director and rating in ordinary markup.
#[test]
fn an_older_layout_title_page_is_answered_not_502() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let r = api.get("/api/metadata/tt0000990");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["title"], "Lanterns Over Harbour");
    assert_eq!(v["year"], 2013);
    assert_eq!(v["directors"], serde_json::json!(["Ines Varga"]));
    assert_eq!(v["rating"]["value"], 7.1);
}

#[test]
fn search_takes_text_ids_and_urls_and_is_cached() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let r = api.get("/api/metadata/search?q=The%20Matrix%201999");
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<String> = r.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        ids,
        ["tt0133093", "tt0365467", "tt0274085"],
        "people are left out"
    );
    let hits = replay.hits();
    api.get("/api/metadata/search?q=the%20matrix%201999");
    assert_eq!(
        replay.hits(),
        hits,
        "the same search is answered from the cache"
    );
    for q in [
        "tt0133093",
        "https%3A%2F%2Fwww.imdb.com%2Ftitle%2Ftt0133093%2F%3Fref_%3Dfn",
    ] {
        let v = api.get(&format!("/api/metadata/search?q={q}")).json();
        assert_eq!(
            (
                v["results"][0]["id"].as_str(),
                v["results"][0]["title"].as_str()
            ),
            (Some("tt0133093"), Some("The Matrix")),
            "{q}"
        );
    }
    assert_eq!(
        api.get("/api/metadata/search?q=zzzz").json()["results"],
        json!([])
    );
    assert_error(&api.get("/api/metadata/search"), 400, "invalid_query");
}

#[test]
fn file_names_are_parsed_without_the_network_and_guessed_with_it() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let names = json!({"names": ["Movies/Dark City (1998)/Dark.City.(1998).DC.BDRip.720p.DTS.X264-CHD.mkv", "The.Matrix.1999.1080p.BluRay.x264-GRP.mkv"]});
    let r = api.post_json("/api/metadata/parse-filename", &names);
    assert_eq!(r.status, 200, "{}", r.text());
    let first = &r.json()["results"][0];
    assert_eq!(
        (
            first["title"].as_str(),
            first["year"].as_i64(),
            first["resolution"].as_str()
        ),
        (Some("Dark City"), Some(1998), Some("720p"))
    );
    for key in ["name", "source", "codec", "edition"] {
        assert!(first.get(key).is_some(), "{key}");
    }
    assert_eq!(replay.hits(), 0, "parsing asked nobody");

    let g = api.post_json("/api/metadata/guess", &json!({"names": ["The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", "Alien.1979.Directors.Cut.mkv"]})).json();
    let matrix = &g["results"][0]["candidates"];
    assert_eq!(matrix[0]["id"].as_str(), Some("tt0133093"), "{g}");
    assert_eq!(
        matrix
            .as_array()
            .and_then(|c| c.last())
            .and_then(|c| c["kind"].as_str()),
        Some("videoGame"),
        "games rank last"
    );
    assert!(matrix[0]["score"].as_f64() > matrix[1]["score"].as_f64());
    // "Alien 1979" finds nothing, so the title alone is searched.
    assert_eq!(
        g["results"][1]["candidates"][0]["id"].as_str(),
        Some("tt0078748"),
        "{g}"
    );
}

#[test]
fn a_users_own_values_survive_a_refresh() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    api.upload(&FileSpec::new("matrix.mkv", 1000, 2), "tt0133093");
    fetched(&api, "tt0133093");
    let path = "/api/users/me/metadata/tt0133093";
    let r = api.send_json(
        "PUT",
        path,
        &json!({"title": "Matrix (my cut)", "genres": ["Cyberpunk"]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        (
            v["metadata"]["title"].as_str(),
            v["metadata"]["genres"].clone()
        ),
        (Some("Matrix (my cut)"), json!(["Cyberpunk"]))
    );
    assert_eq!(v["user_fields"], json!(["genres", "title"]));
    assert_eq!(api.post("/api/metadata/tt0133093/refresh", b"").status, 200);
    let v = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        v["metadata"]["title"].as_str(),
        Some("Matrix (my cut)"),
        "a refresh keeps the user's value"
    );
    assert_eq!(
        api.get("/api/metadata/tt0133093").json()["title"].as_str(),
        Some("The Matrix"),
        "the cache is IMDb's"
    );
    assert_error(
        &api.send_json("PUT", path, &json!({"colour": "green"})),
        400,
        "invalid_field",
    );
    assert_error(
        &api.send_json("PUT", path, &json!({"year": "last year"})),
        400,
        "invalid_value",
    );
    assert_eq!(
        api.delete(&format!("{path}?fields=title")).json()["removed"].as_i64(),
        Some(1)
    );
    let v = api.get("/api/library/movies/tt0133093").json();
    assert_eq!(
        (v["metadata"]["title"].as_str(), v["user_fields"].clone()),
        (Some("The Matrix"), json!(["genres"]))
    );
    // Another user sees none of it.
    let db = store::Store::open(&dirs.db()).expect("db");
    let other = db
        .create_user("other", "x", store::Role::Member)
        .expect("user");
    assert!(
        db.overrides(other.id, &store::ContentId::parse("tt0133093").expect("id"))
            .expect("q")
            .is_empty()
    );
}

/// IMDb misbehaving: the upload still completes at once, the error is visible, and once IMDb
/// answers again the retry brings the metadata.
fn upload_while_imdb(mode: Mode) {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    replay.set(mode.clone());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let t = Instant::now();
    let end = api.upload(&FileSpec::new("The.Matrix.1999.mkv", 5000, 3), "tt0133093");
    assert_eq!(end["content_id"].as_str(), Some("tt0133093"));
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{mode:?}: the upload waited for IMDb"
    );
    let failed = wait_for(30, "the error to show", || {
        let v = api.get("/api/library/movies/tt0133093").json();
        v["fetch_error"].is_string().then_some(v)
    });
    assert_eq!(
        failed["metadata_pending"].as_bool(),
        Some(true),
        "{mode:?}: {failed}"
    );
    assert_eq!(
        failed["title"].as_str(),
        Some("The Matrix 1999"),
        "filed with what is known"
    );
    replay.set(Mode::Normal);
    let v = fetched(&api, "tt0133093");
    assert_eq!(
        (v["title"].as_str(), v["fetch_error"].clone()),
        (Some("The Matrix"), Value::Null),
        "{mode:?}"
    );
}

#[test]
fn imdb_answering_500_does_not_hold_up_an_upload() {
    upload_while_imdb(Mode::Status(500));
}

#[test]
fn imdb_answering_429_does_not_hold_up_an_upload() {
    upload_while_imdb(Mode::Status(429));
}

#[test]
fn imdb_too_slow_does_not_hold_up_an_upload() {
    upload_while_imdb(Mode::Slow(Duration::from_secs(4)));
}

#[test]
fn imdb_sending_garbage_does_not_hold_up_an_upload() {
    upload_while_imdb(Mode::Garbage);
}

#[test]
fn imdb_sending_another_title_is_refused() {
    upload_while_imdb(Mode::OtherTitle);
}

#[test]
fn imdb_unreachable_then_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let dirs = Dirs::new();
    let server = Server::start_with(
        &dirs,
        &[
            ("OOTT_IMDB_URL", &url),
            ("OOTT_IMDB_SUGGEST_URL", &url),
            ("OOTT_WIKIDATA_URL", &url),
        ],
    );
    let api = server.admin();
    api.upload(&FileSpec::new("Alien.1979.mkv", 100, 4), "tt0078748");
    let v = wait_for(20, "the error", || {
        let v = api.get("/api/library/movies/tt0078748").json();
        v["fetch_error"].as_str().map(str::to_owned)
    });
    assert!(v.contains("cannot reach"), "{v}");
    assert_error(
        &api.get("/api/metadata/search?q=alien"),
        502,
        "metadata_unavailable",
    );
    let _replay = Replay::start_on(&format!("127.0.0.1:{port}"));
    let v = fetched(&api, "tt0078748");
    assert_eq!(v["title"].as_str(), Some("Alien"));
}

/// A title IMDb has no poster for gets a frame of its own video as its poster (and card).
#[test]
fn a_title_without_a_poster_gets_a_frame_of_its_video() {
    let (dirs, replay) = (Dirs::new(), Replay::start());
    let server = start(&dirs, &replay);
    let api = server.admin();
    let tmp = tempfile::tempdir().expect("dir");
    let data = crate::probe::ffmpeg(
        tmp.path(),
        "stub.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=320x240:r=10:d=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let f = FileSpec {
        name: "Stub (2014).mp4".into(),
        last_modified: 1_700_000_000_000,
        data,
    };
    // tt3303790 is a stub page: a title, no poster.
    api.upload(&f, "tt3303790");
    let poster = wait_for(30, "the frame poster", || {
        let v = api.get("/api/library/movies/tt3303790").json();
        v["metadata"]["poster"].as_str().map(str::to_owned)
    });
    assert_eq!(poster, "/media/tt3303790/tt3303790.jpg");
    let img = image::open(dirs.media().join("tt3303790/tt3303790.jpg")).expect("a JPEG");
    assert_eq!((img.width(), img.height()), (600, 450));
    let card = image::open(dirs.media().join("tt3303790/tt3303790.card.jpg")).expect("card");
    assert_eq!(card.width(), 342);
}
