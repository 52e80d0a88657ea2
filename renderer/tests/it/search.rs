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
    renderer::full(&lib.store, &site, &lib.media()).expect("render");
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
    assert!(
        misses.is_empty(),
        "{} of {} queries missed:\n{}",
        misses.len(),
        TABLE.len(),
        misses.join("\n")
    );
}
