//! What a title contributes to the site: its card, the lists it belongs to (with their labels)
//! and its search tokens. Lists are bucketed so one title touches few list files: genre and
//! decade by year.

use store::{CardRow, Title};

use crate::fold::{slug, sort_title, tokens};
use crate::key::ListKey;

/// Search fields, in the postings' low bits.
pub const FIELD_TITLE: i64 = 0;
pub const FIELD_ORIGINAL: i64 = 1;
pub const FIELD_PERSON: i64 = 2;
pub const FIELD_YEAR: i64 = 3;

/// How many files the search documents are spread over for a library of `titles`: about 32
/// cards a file, a power of two from 16 to `CARD_BUCKETS` (so a file is a set of buckets).
pub fn doc_shards(titles: i64) -> i64 {
    (((titles + 31) / 32).max(1) as u64)
        .next_power_of_two()
        .clamp(16, store::CARD_BUCKETS as u64) as i64
}

/// A list a title is in: its key and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub key: String,
    pub label: String,
}

pub fn card(t: &Title) -> CardRow {
    let m = &t.record.metadata;
    CardRow {
        id: m.id.to_string(),
        title: m.title.clone(),
        year: m.year,
        poster: t
            .record
            .poster_file
            .as_ref()
            .map(|p| format!("/media/{}", store::layout::card_of_poster(p))),
        stars: m.stars.iter().take(3).cloned().collect(),
        sort_title: sort_title(&m.title),
        rating: m.rating.as_ref().map(|r| r.value),
        votes: m.rating.as_ref().map(|r| r.votes).unwrap_or(0),
        added_at: t.added_at,
        facts: facts(t).to_string(),
    }
}

/// What the library view sorts and filters a title by beyond its card: its runtime in minutes
/// (`m`), the height of its best version (`h`), whether it has subtitles (`s`) and its genres
/// (`g`).
fn facts(t: &Title) -> serde_json::Value {
    let m = &t.record.metadata;
    let minutes = m.duration.as_ref().map(|d| d.minutes).or_else(|| {
        t.files
            .iter()
            .filter_map(|f| f.duration_ms)
            .max()
            .map(|ms| (ms + 30_000) / 60_000)
    });
    let height = t.files.iter().filter_map(|f| f.height).max();
    let subs = t.side.iter().any(|f| {
        matches!(
            f.kind,
            store::FileKind::Subtitle | store::FileKind::SubtitleEmbedded
        )
    });
    let genres = &m.genres;
    serde_json::json!({"m": minutes, "h": height, "s": subs, "g": genres})
}

/// The decade label of a year: `1990s`.
pub fn decade(year: i64) -> String {
    format!("{}s", year - year.rem_euclid(10))
}

/// The lists a title belongs to by its own data (collections and categories own theirs).
pub fn memberships(t: &Title) -> Vec<Membership> {
    let m = &t.record.metadata;
    let year = m
        .year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "unknown".into());
    let mut out = Vec::new();
    let mut add = |key: String, label: String| out.push(Membership { key, label });
    for g in &m.genres {
        let s = slug(g);
        add(ListKey::Genre(s.clone()).to_string(), g.clone());
        add(
            ListKey::GenreYear(s, year.clone()).to_string(),
            format!("{g} · {year}"),
        );
    }
    if let Some(y) = m.year {
        let d = decade(y);
        add(ListKey::Decade(d.clone()).to_string(), d.clone());
        add(
            ListKey::DecadeYear(d, y.to_string()).to_string(),
            y.to_string(),
        );
    }
    out
}

/// The titles a title's page lists as related, in its order: the suggestions that are
/// content ids (only those can be titles in the library).
pub fn related(t: &Title) -> Vec<&str> {
    t.record
        .metadata
        .suggestions
        .iter()
        .map(String::as_str)
        .filter(|s| store::ContentId::parse(s).is_ok())
        .collect()
}

/// The title's search tokens with their fields.
pub fn search_tokens(t: &Title) -> Vec<(String, i64)> {
    let m = &t.record.metadata;
    let mut out: Vec<(String, i64)> = Vec::new();
    let mut add = |text: &str, field: i64| {
        for tok in tokens(text) {
            if !out.iter().any(|(t, f)| t == &tok && *f == field) {
                out.push((tok, field));
            }
        }
    };
    add(&m.title, FIELD_TITLE);
    if let Some(o) = m.original_title.as_deref().filter(|o| *o != m.title) {
        add(o, FIELD_ORIGINAL);
    }
    for p in m.directors.iter().chain(m.stars.iter().take(5)) {
        add(p, FIELD_PERSON);
    }
    if let Some(y) = m.year {
        add(&y.to_string(), FIELD_YEAR);
    }
    out
}
