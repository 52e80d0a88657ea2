//! Snapshots of the pages of the fixture library, and the files one change touches.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::library::fill;
use crate::support::{Lib, tree};

fn pretty(bytes: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The fixture library, filled within one second. "Recently added" orders titles by the second
/// their file was added, then by id: a fill that crossed a second (a busy machine) reordered
/// the home page's snapshot.
fn filled_within_a_second() -> Lib {
    let second = || {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("clock")
    };
    for _ in 0..5 {
        let lib = Lib::new();
        std::thread::sleep(std::time::Duration::from_nanos(
            1_000_000_000 - u64::from(second().subsec_nanos()),
        ));
        let start = second().as_secs();
        fill(&lib);
        if second().as_secs() == start {
            return lib;
        }
    }
    panic!("filling the fixture library took over a second five times");
}

#[test]
fn pages_of_the_fixture_library() {
    let lib = filled_within_a_second();
    let site = lib.site("site");
    let report = renderer::full(&lib.store, &site).expect("render");
    assert!(report.full && report.written > 100, "{report:?}");
    let files = tree(&site);
    for (name, path) in [
        ("home", "index.html"),
        ("movie", "movie/tt0133093.html"),
        ("genre", "genre/sci-fi/index.html"),
        ("genre_bucket", "genre/sci-fi/1999.json"),
        ("collection", "collection/1/index.html"),
        ("collections", "collection/index.html"),
        ("rows", "rows/index.json"),
        ("row_top", "rows/top.json"),
        ("az", "az/index.html"),
        ("search_shard", "search/t/mat.json"),
        ("login", "login/index.html"),
    ] {
        let bytes = files
            .get(path)
            .unwrap_or_else(|| panic!("{path} was not rendered"));
        insta::assert_snapshot!(name, pretty(bytes));
    }
    // The card JSON carries what a card needs and nothing more.
    let row: serde_json::Value = serde_json::from_slice(&files["rows/recent.json"]).expect("json");
    let mut keys: Vec<&str> = row["cards"][0]
        .as_object()
        .expect("card")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["id", "poster", "stars", "title", "year"]);
}

fn mtimes(root: &std::path::Path) -> BTreeMap<String, SystemTime> {
    tree(root)
        .keys()
        .map(|k| {
            (
                k.clone(),
                std::fs::metadata(root.join(k))
                    .and_then(|m| m.modified())
                    .expect("mtime"),
            )
        })
        .collect()
}

#[test]
fn one_edit_writes_only_the_files_whose_bytes_change() {
    let lib = Lib::new();
    fill(&lib);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("full");
    let before = tree(&site);
    let times = mtimes(&site);
    std::thread::sleep(std::time::Duration::from_millis(20));

    let mut m = lib.metadata("tt0114478");
    m.rating = Some(store::Rating {
        value: 9.9,
        votes: 30_000,
        max: 10.0,
    });
    lib.store.save_metadata(&m, 2).expect("edit");
    let report = renderer::incremental(&lib.store, &site).expect("incremental");
    let after = tree(&site);
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(
        report.written,
        changed.len(),
        "written {report:?}, changed {changed:?}"
    );
    assert_eq!(report.removed, 0);
    assert!(
        changed.iter().any(|c| c.as_str() == "movie/tt0114478.html"),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|c| c.as_str() == "rows/top.json"),
        "it is now the best rated: {changed:?}"
    );
    // Its own page, the rows and search files its rating reaches; not the lists it stays in
    // with the same card, nor the pages that show it as a related title.
    assert!(
        report.targets < 20,
        "the edit considered {} files",
        report.targets
    );
    let now = mtimes(&site);
    for (k, t) in &times {
        if !changed.contains(&k) {
            assert_eq!(now.get(k), Some(t), "{k} was rewritten with the same bytes");
        }
    }
    // Nothing changed: nothing is considered.
    let idle = renderer::incremental(&lib.store, &site).expect("idle");
    assert_eq!((idle.targets, idle.written), (0, 0));
}

/// A first render, built beside the site and swapped in, writes what a render in place writes;
/// a later full render of a site in place writes only what changed and removes what no longer
/// belongs.
#[test]
fn a_first_render_and_a_render_in_place_write_the_same_site() {
    let lib = Lib::new();
    fill(&lib);
    let first = lib.site("first");
    let report = renderer::full(&lib.store, &first).expect("first");
    assert_eq!(report.written, tree(&first).len(), "{report:?}");
    // A site with something in it is rendered in place.
    let live = lib.site("live");
    std::fs::create_dir_all(live.join("movie")).expect("dir");
    std::fs::write(live.join("movie/tt0000001.html"), b"stale").expect("stale");
    std::fs::write(live.join("index.html"), b"old home").expect("old");
    // A title's page where renderers before put it, a folder a title: it goes, with its folder.
    std::fs::create_dir_all(live.join("movie/tt0133093")).expect("dir");
    std::fs::write(live.join("movie/tt0133093/index.html"), b"old place").expect("old place");
    let report = renderer::full(&lib.store, &live).expect("in place");
    assert_eq!(report.removed, 2, "{report:?}");
    assert!(
        !live.join("movie/tt0133093").exists(),
        "the old page's folder is left"
    );
    crate::support::assert_same_site(&first, &live, "first render and render in place");
    // Both can go on incrementally, and a full render in place changes nothing.
    let again = renderer::full(&lib.store, &first).expect("again");
    assert_eq!((again.written, again.removed), (0, 0), "{again:?}");
    let mut m = lib.metadata("tt0114478");
    m.title = "The Usual Suspects, Again".into();
    lib.store.save_metadata(&m, 2).expect("edit");
    renderer::incremental(&lib.store, &first).expect("first");
    renderer::incremental(&lib.store, &live).expect("live");
    crate::support::assert_same_site(&first, &live, "after an edit");
}

/// The search manifest the search page carries, as the browser reads its attribute.
fn inline_manifest(site: &std::path::Path) -> serde_json::Value {
    let page = std::fs::read_to_string(site.join("search/index.html")).expect("search page");
    let attr = page
        .split("data-manifest=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the search page carries the manifest");
    let text = attr
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).expect("manifest JSON")
}

/// A first query needs no request for the manifest: the search page carries the one the site
/// has, also after an incremental render that adds a shard.
#[test]
fn the_search_page_carries_the_search_manifest() {
    let lib = Lib::new();
    fill(&lib);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("full");
    let file = |site: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(site.join("search/manifest.json")).expect("file"))
            .expect("json")
    };
    assert_eq!(inline_manifest(&site), file(&site));
    let before = file(&site);
    let mut m = lib.metadata("tt0114478");
    m.title = "Zyxwv Qqqq".into();
    lib.store.save_metadata(&m, 2).expect("edit");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert_ne!(file(&site), before, "a new word makes a new shard");
    assert_eq!(inline_manifest(&site), file(&site));
}

/// Regression: a `javascript:` trailer URL from a page was rendered as a link (nginx's CSP
/// blocked it; the receiver's own serving did not). Only http(s) links are rendered.
#[test]
fn only_web_urls_become_links() {
    let lib = Lib::new();
    let mut m = store::Metadata::named(
        store::ContentId::parse("tt0000801").expect("id"),
        "Scripted".into(),
    );
    m.trailer_url = Some("javascript:alert(document.cookie)".into());
    m.metacritic_url = Some("JavaScript:alert(1)".into());
    lib.add(&m);
    let mut ok = store::Metadata::named(
        store::ContentId::parse("tt0000802").expect("id"),
        "Linked".into(),
    );
    ok.trailer_url = Some("https://www.imdb.com/video/vi1/".into());
    lib.add(&ok);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("full");
    let bad = std::fs::read_to_string(site.join("movie/tt0000801.html")).expect("page");
    assert!(!bad.to_ascii_lowercase().contains("javascript:"), "{bad}");
    let good = std::fs::read_to_string(site.join("movie/tt0000802.html")).expect("page");
    assert!(good.contains("https://www.imdb.com/video/vi1/"));
}

/// Regression: a title named by a long number (a 245-digit file name filed while IMDb could
/// not be reached) gave a search-index file name longer than the file system takes, and every
/// render failed from then on. A genre named at length is bounded the same way.
#[test]
fn a_long_number_title_and_a_long_genre_render_full_and_incremental() {
    let lib = Lib::new();
    fill(&lib);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("full");
    let mut m = store::Metadata::named(
        store::ContentId::parse("tt0000803").expect("id"),
        "7".repeat(245),
    );
    m.genres = vec!["Very ".repeat(80)];
    lib.add(&m);
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert!(site.join("movie/tt0000803.html").is_file());
    let mut next = lib.metadata("tt0114478");
    next.title = "Renamed Afterwards".into();
    lib.store.save_metadata(&next, 3).expect("edit");
    renderer::incremental(&lib.store, &site).expect("the catalogue keeps updating");
    let full = lib.site("full");
    renderer::full(&lib.store, &full).expect("full again");
    assert_eq!(tree(&site), tree(&full), "incremental = full");
}

/// A card's markup has one source in the scripts (`assets/card.js`, with the one escaping
/// helper of `assets/api.js`); the renderer draws cards with `templates/card.html`. They must be
/// the same, byte for byte, for titles with and without a poster or a year and with characters
/// that need escaping.
#[test]
fn the_scripts_draw_a_card_exactly_as_the_renderer_does() {
    use std::io::Write;
    let lib = Lib::new();
    for (i, title) in [
        "Tom & Jerry: \"The <Movie>\"",
        "Ocean's Eleven",
        "Léon",
        "Plain",
    ]
    .iter()
    .enumerate()
    {
        let id = store::ContentId::parse(&format!("tt00009{i:02}")).expect("id");
        let mut m = store::Metadata::named(id.clone(), (*title).into());
        m.year = (i % 2 == 0).then_some(1990 + i as i64);
        lib.add(&m);
        if i < 2 {
            lib.store
                .record_library_file(&store::NewLibraryFile {
                    content_id: id.clone(),
                    kind: store::FileKind::Poster,
                    label: String::new(),
                    root: "1".into(),
                    path: store::layout::poster(&id),
                    size: 1,
                    mtime: 1,
                })
                .expect("poster");
        }
    }
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("full");
    let row: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("rows/recent.json")).expect("row"))
            .expect("json");
    let cards = row["cards"].clone();
    assert_eq!(cards.as_array().map(Vec::len), Some(4), "{row}");
    let script = format!(
        "import {{ cardHtml }} from '{}';
         let input = '';
         for await (const chunk of process.stdin) input += chunk;
         console.log(JSON.stringify(JSON.parse(input).map(cardHtml)));",
        url_of(&site.join("assets/card.js"))
    );
    let mut child = std::process::Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node (make test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(cards.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("node");
    assert!(out.status.success(), "node failed");
    let drawn: Vec<String> = serde_json::from_slice(&out.stdout).expect("json");
    let home = std::fs::read_to_string(site.join("index.html")).expect("home");
    for card in &drawn {
        assert!(
            home.contains(card.as_str()),
            "the scripts drew\n{card}\nwhich the home page does not hold:\n{home}"
        );
    }
    assert!(
        drawn
            .iter()
            .any(|c| c.contains("Tom &amp; Jerry: &quot;The &lt;Movie&gt;&quot;"))
    );
    assert!(
        drawn.iter().any(|c| c.contains("<img")) && drawn.iter().any(|c| c.contains("noposter"))
    );
}

/// A file URL for a path, for Node's `import`.
fn url_of(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
