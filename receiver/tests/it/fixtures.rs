//! Parsers against real-world input in `../shared/fixtures/`: the file-name corpus and the IMDb
//! pages. Under CI the folder must be there; elsewhere a test says it did not run.

use std::path::PathBuf;

use serde_json::Value;

/// The shared fixtures folder, or `None` (with a notice) on a machine without it.
pub fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!(
        "NOTICE: {} is missing: this test did not run",
        dir.display()
    );
    None
}

/// Titles compare without case, accents and punctuation: "Star Wars: Episode IV" = "star wars episode iv".
fn norm(s: &str) -> String {
    receiver::meta::suggest::fold(s).join(" ")
}

#[test]
fn file_name_parser_on_the_shared_corpus() {
    let Some(dir) = shared() else { return };
    let text = std::fs::read_to_string(dir.join("filenames.jsonl")).expect("corpus");
    let (mut total, mut misses) = (0, Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("json line");
        let name = row["filename"].as_str().expect("filename");
        let want_title = row["title"].as_str().expect("title");
        let want_year = row["year"].as_i64().map(|y| y as i32);
        let check_year = row["year_checked"].as_bool().unwrap_or(false);
        let got = receiver::meta::filename::parse(name);
        total += 1;
        let title_ok = norm(&got.title) == norm(want_title);
        let year_ok = !check_year || got.year == want_year;
        if !(title_ok && year_ok) {
            misses.push(format!(
                "  {name}\n    got {:?} {:?}, want {want_title:?} {want_year:?}",
                got.title, got.year
            ));
        }
    }
    let accuracy = (total - misses.len()) as f64 / total as f64;
    println!(
        "file-name parser: {}/{} right ({:.1}%); misses:\n{}",
        total - misses.len(),
        total,
        accuracy * 100.0,
        misses.join("\n")
    );
    assert!(
        accuracy >= 0.95,
        "accuracy {:.1}% is under 95%; misses:\n{}",
        accuracy * 100.0,
        misses.join("\n")
    );
}

/// The scraper on the real IMDb pages, field by field against `imdb/expected.json`.
#[test]
fn imdb_scraper_on_the_real_pages() {
    let Some(dir) = shared() else { return };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("imdb/expected.json")).expect("expected.json"),
    )
    .expect("json");
    let mut mismatches = Vec::new();
    let (mut filled, mut compared) = (0, 0);
    for page in expected["title_pages"].as_array().expect("title_pages") {
        let file = page["file"].as_str().expect("file");
        let want = &page["expected"];
        let html = std::fs::read_to_string(dir.join("imdb").join(file)).expect("page");
        let m = receiver::meta::imdb::parse(&html).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = serde_json::to_value(&m).expect("to json");
        let votes = m.rating.as_ref().map(|r| r.votes);
        // (expected field, what the scraper answered)
        let fields: Vec<(&str, Value)> = vec![
            ("imdb_id", got["id"].clone()),
            ("title", got["title"].clone()),
            ("original_title", got["original_title"].clone()),
            ("title_type", got["kind"].clone()),
            ("year", got["year"].clone()),
            ("genres_all", got["genres"].clone()),
            ("directors", got["directors"].clone()),
            ("writers", got["writers"].clone()),
            ("stars", got["stars"].clone()),
            ("cast_top", got["cast"].clone()),
            ("runtime_minutes", got["duration"]["minutes"].clone()),
            ("plot", got["plot_short"].clone()),
            ("rating_value", got["rating"]["value"].clone()),
            (
                "rating_votes",
                votes.map(Value::from).unwrap_or(Value::from(0)),
            ),
            ("content_rating", got["parental_rating"].clone()),
            ("poster_url", got["poster_url"].clone()),
            ("trailer_url", got["trailer_url"].clone()),
            (
                "trailer_video_id",
                got["details"]["trailer_video_id"].clone(),
            ),
            ("metascore", got["metascore"].clone()),
            ("tagline", got["tagline"].clone()),
        ];
        for (name, value) in fields {
            let want_value = match (name, &want[name]) {
                // A page with no rating may say 0 or nothing for its votes.
                ("rating_votes", Value::Null) => Value::from(0),
                (_, v) => v.clone(),
            };
            compared += 1;
            if !want_value.is_null() && want_value != Value::Array(vec![]) {
                filled += 1;
            }
            let same = match (&value, &want_value) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b || (a.is_null() && b == &Value::Array(vec![])),
            };
            if !same {
                mismatches.push(format!("{file} {name}: got {value}, want {want_value}"));
            }
        }
    }
    println!(
        "scraper: {} of {compared} fields match ({filled} non-empty on the pages)",
        compared - mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "scraper mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// The file-name parser on names from other projects' naming tests (each row says where it
/// comes from): title and year, compared folded.
#[test]
fn file_name_parser_on_names_from_other_projects() {
    let table = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/names/table.tsv"),
    )
    .expect("table");
    let fold = |s: &str| {
        store::text::fold(s)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (mut right, mut misses) = (0u32, Vec::new());
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    for row in &rows {
        let cols: Vec<&str> = row.split('\t').collect();
        let (name, title, year) = (cols[0], cols[1], cols[2].parse::<i32>().ok());
        let p = receiver::meta::filename::parse(name);
        if fold(&p.title) == fold(title) && p.year == year {
            right += 1;
        } else {
            misses.push(format!(
                "{name}: got {:?} {:?}, want {title:?} {year:?}",
                p.title, p.year
            ));
        }
    }
    let share = f64::from(right) / rows.len() as f64;
    println!(
        "file names from other projects: {right} of {} right ({:.1}%); misses:\n{}",
        rows.len(),
        share * 100.0,
        misses.join("\n")
    );
    // The issue's goal for names never seen; the misses are listed above.
    assert!(
        share >= 0.95,
        "{:.1}%:\n{}",
        share * 100.0,
        misses.join("\n")
    );
}

/// From file name to the chosen id, end to end: each name is parsed, and its candidates (a
/// recorded suggestion answer) ranked; the top one must be the film the name stands for, and a
/// top one taken without asking (`confident`) must never be a wrong one.
#[test]
fn identification_end_to_end_on_recorded_suggestion_answers() {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let table = std::fs::read_to_string(here.join("names/identify.tsv")).expect("identify table");
    let shared = shared();
    let (mut rows, mut right, mut confident, mut misses) = (0u32, 0u32, 0u32, Vec::new());
    for row in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = row.split('\t').collect();
        let (name, answer, want) = (cols[0], cols[1], cols.get(2).copied().unwrap_or(""));
        let path = match answer.split_once(':') {
            Some(("shared", f)) => match &shared {
                Some(dir) => dir.join(format!("imdb/suggestion/{f}.json")),
                None => continue,
            },
            Some(("own", f)) => here.join(format!("imdb/suggestion/{f}.json")),
            _ => panic!("{row}: which answer?"),
        };
        let body = std::fs::read_to_string(&path).expect("answer");
        let parsed = receiver::meta::filename::parse(name);
        let ranked = receiver::meta::suggest::rank(
            &parsed,
            receiver::meta::suggest::parse(&body).expect("answer parses"),
        );
        rows += 1;
        let top = ranked.first();
        if top.map(|c| c.id.as_str()).unwrap_or("") == want {
            right += 1;
            confident += u32::from(top.is_some_and(|c| c.confident));
        } else {
            assert!(
                !top.is_some_and(|c| c.confident),
                "{name}: {:?} taken without asking, want {want:?}",
                top.map(|c| &c.id)
            );
            misses.push(format!(
                "{name}: top {:?} ({:?} {:?}), want {want:?}",
                top.map(|c| &c.id),
                parsed.title,
                parsed.year
            ));
        }
    }
    println!(
        "identification end to end: {right} of {rows} right, {confident} of them confident; misses:\n{}",
        misses.join("\n")
    );
    assert!(rows >= 4, "{rows} rows");
    assert!(
        f64::from(right) >= 0.95 * f64::from(rows),
        "{right} of {rows}:\n{}",
        misses.join("\n")
    );
}

/// A page in a layout the scraper has never seen still yields what it names: each real page
/// with every structure the scraper knows removed (the JSON-LD block, `__NEXT_DATA__`, the old
/// heading's microdata) gives back its id, title and year from the generic markup.
#[test]
fn a_page_stripped_of_every_known_structure_still_names_its_title_and_year() {
    let mut pages: Vec<(String, String)> = Vec::new();
    let own =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imdb/title");
    let mut dirs = vec![own];
    if let Some(dir) = shared() {
        dirs.push(dir.join("imdb/pages"));
    }
    for dir in dirs {
        for e in std::fs::read_dir(&dir).expect("pages").flatten() {
            let html = std::fs::read_to_string(e.path()).expect("page");
            pages.push((e.file_name().to_string_lossy().into_owned(), html));
        }
    }
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let cut = |html: &str, open: &str, close: &str| -> String {
        let mut out = html.to_owned();
        while let Some(at) = out.find(open) {
            let Some(end) = out[at..].find(close) else {
                break;
            };
            out.replace_range(at..at + end + close.len(), "");
        }
        out
    };
    for (name, html) in pages {
        let Ok(full) = receiver::meta::imdb::parse(&html) else {
            continue; // not a title page (a stub the tests refuse on purpose)
        };
        let mut bare = cut(&html, r#"<script type="application/ld+json""#, "</script>");
        bare = cut(&bare, r#"<script id="__NEXT_DATA__""#, "</script>");
        bare = bare.replace(r#"<h1 itemprop="name""#, "<h1");
        let m = receiver::meta::imdb::parse_as(&bare, &full.id)
            .unwrap_or_else(|e| panic!("{name} without its known structures: {e}"));
        assert_eq!(m.id, full.id, "{name}");
        assert_eq!(m.title, full.title, "{name}: the title");
        assert_eq!(m.year, full.year, "{name}: the year");
    }
}

/// Regression: a title page in an older layout (microdata inside the heading, no JSON) was
/// answered 502 although it names its title, year, director and rating.
#[test]
fn an_older_layout_page_is_read_not_answered_502() {
    let html = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/imdb/title/tt0000990.html"),
    )
    .expect("page");
    let m = receiver::meta::imdb::parse(&html).expect("read");
    assert_eq!(m.id.as_str(), "tt0000990");
    assert_eq!(m.title, "Lanterns Over Harbour");
    assert_eq!(m.year, Some(2013));
    assert_eq!(m.directors, ["Ines Varga"]);
    assert_eq!(m.genres, ["Drama", "Mystery"]);
    assert_eq!(
        m.rating.as_ref().map(|r| (r.value, r.votes)),
        Some((7.1, 12_345))
    );
    assert_eq!(m.duration.as_ref().map(|d| d.minutes), Some(104));
    assert!(
        receiver::meta::imdb::read_in_part(&m),
        "marked for an early refresh"
    );
}

/// The suggestion answers, against the `suggestions` section of `imdb/expected.json`.
#[test]
fn imdb_suggestions_on_the_real_answers() {
    let Some(dir) = shared() else { return };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("imdb/expected.json")).expect("expected.json"),
    )
    .expect("json");
    for s in expected["suggestions"].as_array().expect("suggestions") {
        let file = s["file"].as_str().expect("file");
        let body = std::fs::read_to_string(dir.join("imdb").join(file)).expect("answer");
        let got = receiver::meta::suggest::parse(&body).unwrap_or_else(|e| panic!("{file}: {e}"));
        let want = s["results"].as_array().expect("results");
        assert_eq!(
            got.len() as u64,
            s["count"].as_u64().expect("count"),
            "{file}"
        );
        for (g, w) in got.iter().zip(want) {
            let g = serde_json::to_value(g).expect("json");
            for (ours, theirs) in [
                ("id", "id"),
                ("title", "title"),
                ("year", "year"),
                ("year_range", "year_range"),
                ("kind", "kind"),
                ("kind_label", "kind_label"),
                ("rank", "rank"),
                ("poster", "poster_url"),
            ] {
                assert_eq!(g[ours], w[theirs], "{file} {}: {ours}", w["id"]);
            }
            let stars = w["stars"].as_str().unwrap_or("");
            assert_eq!(g["stars"].as_str(), Some(stars), "{file}");
        }
    }
}

/// Every SRT file of the shared fixtures becomes WebVTT whose cues are in order, with times that
/// parse and only the tags WebVTT knows; the styled example gives its expected output exactly.
#[test]
fn every_shared_srt_file_becomes_webvtt() {
    use receiver::library::srt::convert;
    let Some(dir) = shared() else { return };
    let mut converted = Vec::new();
    for sub in ["pysrt", "go-astisub"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("srt").join(sub))
            .expect("srt fixtures")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "srt"))
            .collect();
        names.sort();
        for path in names {
            let bytes = std::fs::read(&path).expect("read");
            let vtt = convert(&bytes).unwrap_or_else(|| panic!("{} gave no cue", path.display()));
            assert!(vtt.starts_with("WEBVTT\n\n"), "{}", path.display());
            let mut last = String::new();
            for line in vtt.lines().filter(|l| l.contains(" --> ")) {
                let start = line.split(" --> ").next().expect("start").to_owned();
                assert!(
                    start.len() == 12 && start >= last,
                    "{}: {line}",
                    path.display()
                );
                last = start;
            }
            for tag in vtt.match_indices('<').map(|(i, _)| &vtt[i..]) {
                let ok = ["<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<c.", "</c>"];
                assert!(
                    ok.iter().any(|t| tag.starts_with(t)),
                    "{}: {}",
                    path.display(),
                    &tag[..tag.len().min(20)]
                );
            }
            converted.push((path, vtt));
        }
    }
    assert!(converted.len() >= 15, "{} files", converted.len());
    let text = |name: &str| {
        converted
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} converted"))
    };
    let want = std::fs::read_to_string(dir.join("srt/go-astisub/example-out-styled.vtt"))
        .expect("expected output")
        .replace("\r\n", "\n");
    assert_eq!(
        text("go-astisub/example-in-styled.srt").trim_end(),
        want.trim_end()
    );
    assert!(
        text("pysrt/windows-1252.srt").contains('é')
            || text("pysrt/windows-1252.srt").contains('è')
    );
    assert!(
        text("go-astisub/example-in-html-entities.srt").contains("&amp; the gunslinger followed.")
    );
    assert!(text("go-astisub/example-in-html-entities.srt").contains("other &lt; worlds"));
    assert!(text("pysrt/bom-utf-16-le.srt").contains(" --> "));
    assert!(text("go-astisub/missing-sequence-in.srt").contains("00:01:39.000 --> 00:01:41.040"));
}
