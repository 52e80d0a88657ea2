//! Search over the rendered index, by the real `assets/search.js` running under Node: folding
//! agrees with the renderer's, the table of queries finds the expected title first, and a
//! query downloads only a few small files.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::library::fill;
use crate::support::Lib;

/// (query, expected first result)
const TABLE: &[(&str, &str)] = &[
    ("spider man", "tt0145487"),
    ("spiderman", "tt0145487"),
    ("Spider-Man", "tt0145487"),
    ("spider verse", "tt4633694"),
    ("leon", "tt0110413"),
    ("léon", "tt0110413"),
    ("amelie", "tt0211915"),
    ("amelie poulain", "tt0211915"),
    ("matrx", "tt0133093"),
    ("the matrix", "tt0133093"),
    ("matrix 1999", "tt0133093"),
    ("keanu", "tt0133093"),
    ("blade runner", "tt0083658"),
    ("blade runner 2049", "tt1856101"),
    ("villeneuve", "tt1856101"),
    ("alien", "tt0078748"),
    ("aliens", "tt0090605"),
    ("terminator 2", "tt0103064"),
    ("judgment day", "tt0103064"),
    ("godfather", "tt0068646"),
    ("godfather part ii", "tt0071562"),
    ("pulp", "tt0110912"),
    ("tarantino", "tt0110912"),
    ("kill bill", "tt0266697"),
    ("se7en", "tt0114369"),
    ("fight club", "tt0137523"),
    ("usual suspects", "tt0114814"),
    ("kubrick", "tt0062622"),
    ("2001 space", "tt0062622"),
    ("12 angry men", "tt0050083"),
    ("samurai", "tt0047478"),
    ("shichinin", "tt0047478"),
    ("chihiro", "tt0245429"),
    ("fellowship", "tt0120737"),
    ("fellowshp", "tt0120737"),
    ("wall-e", "tt0910970"),
    ("walle", "tt0910970"),
    ("jaws", "tt0073195"),
    ("extra terrestrial", "tt0083866"),
    ("back future", "tt0088763"),
    ("oceans eleven", "tt0240772"),
    ("mad max", "tt1392190"),
    ("nolan", "tt0468569"),
    ("interstelar", "tt0816692"),
    ("incepton", "tt1375666"),
    ("hitchcock psycho", "tt0054215"),
    ("das boot", "tt0082096"),
    ("crouching tiger", "tt0190332"),
    ("laberinto", "tt0457430"),
    ("de niro heat", "tt0113277"),
    ("portman", "tt0110413"),
    ("1994", "tt0110912"),
];

/// Strings both sides must fold alike.
const FOLD: &[&str] = &[
    "Spider-Man: Into the Spider-Verse",
    "Léon",
    "Amélie",
    "Ocean's Eleven",
    "WALL·E",
    "Jürgen Prochnow",
    "Toshirô Mifune",
    "E.T. the Extra-Terrestrial",
    "Ærøskøbing ŁÓDŹ straße",
];

fn node(site: &std::path::Path, input: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/search.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .arg(site)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed to test the search module (make test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "node failed");
    serde_json::from_slice(&out.stdout).expect("node answered json")
}

#[test]
fn search_finds_what_people_type() {
    let lib = Lib::new();
    fill(&lib);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("render");
    let queries: Vec<&str> = TABLE.iter().map(|(q, _)| *q).collect();
    let out = node(&site, &json!({"queries": queries, "fold": FOLD}));

    for (s, js) in FOLD.iter().zip(out["tokens"].as_array().expect("tokens")) {
        let rust: Vec<String> = renderer::fold::tokens(s);
        assert_eq!(json!(rust), *js, "the browser folds {s:?} differently");
    }
    let mut misses = Vec::new();
    for ((q, want), got) in TABLE
        .iter()
        .zip(out["results"].as_array().expect("results"))
    {
        let first = got["ids"][0].as_str().unwrap_or("(nothing)");
        if first != *want {
            misses.push(format!(
                "{q:?}: first {first}, want {want} (all: {})",
                got["ids"]
            ));
        }
        assert!(
            got["bytes"].as_u64().unwrap_or(u64::MAX) < 64 * 1024,
            "{q:?} fetched {} bytes",
            got["bytes"]
        );
    }
    // A one-word query whose titles fit a first page finds their cards in its token shard:
    // one request (the manifest is in the search page), no document file.
    let out = node(
        &site,
        &json!({"queries": ["matrix", "inception"], "fold": []}),
    );
    for got in out["results"].as_array().expect("results") {
        let files: Vec<&str> = got["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| !f.ends_with("manifest.json"))
            .collect();
        assert!(
            files.iter().all(|f| f.starts_with("/search/t/")) && !got["ids"][0].is_null(),
            "{}: {files:?} → {}",
            got["q"],
            got["ids"]
        );
    }
    assert!(
        misses.is_empty(),
        "{} of {} queries missed:\n{}",
        misses.len(),
        TABLE.len(),
        misses.join("\n")
    );
}

/// A title numbered `n` whose name shares its first letters with thousands of others.
fn serenade(n: u64) -> (store::Metadata, store::NewFile) {
    let id = store::ContentId::parse(&format!("tt{:07}", 7_000_000 + n)).expect("id");
    let mut m = store::Metadata::named(id.clone(), format!("Serenade {n}"));
    m.year = Some(1950 + (n % 60) as i64);
    let f = store::NewFile {
        file_id: store::FileId::of(&format!("s{n}.mkv"), 1, 1),
        content_id: id.clone(),
        label: String::new(),
        path: format!("{id}/{id}.mkv"),
        root: String::new(),
        ext: "mkv".into(),
        size: 1,
        original_name: format!("s{n}.mkv"),
        last_modified: 1,
        uploaded_by: None,
        placeholder_title: m.title.clone(),
    };
    (m, f)
}

#[test]
fn a_crowded_shard_splits_and_joins_again() {
    let lib = Lib::new();
    let limit = renderer::fold::SPLIT_AT as u64;
    lib.store
        .import(&(0..limit).map(serenade).collect::<Vec<_>>())
        .expect("import");
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("render");
    let shard = |site: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(site.join("search/t/ser.json")).expect("shard"))
            .expect("json")
    };
    assert_eq!(
        shard(&site).get("split"),
        None,
        "{limit} postings fit one shard"
    );
    assert!(!site.join("search/t/sere.json").exists());

    // One more title: the shard splits.
    lib.store.import(&[serenade(limit)]).expect("one more");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert_eq!(shard(&site)["split"], true);
    assert!(site.join("search/t/sere.json").exists());
    let fresh = lib.site("fresh");
    renderer::full(&lib.store, &fresh).expect("full");
    crate::support::assert_same_site(&site, &fresh, "after the split");
    let out = node(
        &site,
        &json!({"queries": ["serenade 1234", "serenad 77", "1234"], "fold": []}),
    );
    let first = |i: usize| out["results"][i]["ids"][0].as_str().map(str::to_owned);
    assert_eq!(first(0).as_deref(), Some("tt7001234"), "{out}");
    assert_eq!(first(1).as_deref(), Some("tt7000077"), "{out}");
    assert_eq!(first(2).as_deref(), Some("tt7001234"), "{out}");

    // And back under the limit: it joins again.
    lib.remove("tt7000000");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert_eq!(shard(&site).get("split"), None);
    assert!(!site.join("search/t/sere.json").exists());
    let again = lib.site("again");
    renderer::full(&lib.store, &again).expect("full");
    crate::support::assert_same_site(&site, &again, "after the join");

    // A library that grows past 4,096 titles spreads its search documents over more files.
    let spread = |site: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(site.join("search/manifest.json")).expect("manifest"))
            .expect("json")
    };
    assert_eq!(spread(&site)["docs"], 128);
    lib.store
        .import(&(limit + 1..4200).map(serenade).collect::<Vec<_>>())
        .expect("grow");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert_eq!(spread(&site)["docs"], 256);
    let grown = lib.site("grown");
    renderer::full(&lib.store, &grown).expect("full");
    crate::support::assert_same_site(&site, &grown, "after the spread grew");
    let out = node(&site, &json!({"queries": ["serenade 4100"], "fold": []}));
    assert_eq!(out["results"][0]["ids"][0], "tt7004100", "{out}");
}

/// A shard that splits moves every word under it, not only the words of the title that made it
/// split: here "serpent", in a title the change does not touch, moves to its own shard too, and
/// back when the shard joins again.
#[test]
fn a_shard_that_splits_moves_the_words_the_change_did_not_touch() {
    let lib = Lib::new();
    let limit = renderer::fold::SPLIT_AT as u64;
    let mut serpent = serenade(limit + 10);
    serpent.0.title = "Serpent".into();
    serpent.1.placeholder_title = "Serpent".into();
    let mut titles: Vec<_> = (0..limit - 1).map(serenade).collect();
    titles.push(serpent);
    lib.store.import(&titles).expect("import");
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("render");
    assert!(!site.join("search/t/serp.json").exists());
    let found = |site: &std::path::Path| {
        let out = node(site, &json!({"queries": ["serpent"], "fold": []}));
        out["results"][0]["ids"][0].as_str().map(str::to_owned)
    };
    assert_eq!(found(&site).as_deref(), Some("tt7003010"));

    lib.store.import(&[serenade(limit)]).expect("one more");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert!(site.join("search/t/serp.json").exists(), "serpent moved");
    assert_eq!(found(&site).as_deref(), Some("tt7003010"));
    let fresh = lib.site("fresh");
    renderer::full(&lib.store, &fresh).expect("full");
    crate::support::assert_same_site(&site, &fresh, "after the split");

    lib.remove("tt7000000");
    lib.remove("tt7000001");
    renderer::incremental(&lib.store, &site).expect("incremental");
    assert!(
        !site.join("search/t/serp.json").exists(),
        "serpent moved back"
    );
    assert_eq!(found(&site).as_deref(), Some("tt7003010"));
    let again = lib.site("again");
    renderer::full(&lib.store, &again).expect("full");
    crate::support::assert_same_site(&site, &again, "after the join");
}
