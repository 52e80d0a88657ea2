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

/// Titles compare without case and punctuation: "Star Wars: Episode IV" = "star wars episode iv".
fn norm(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
