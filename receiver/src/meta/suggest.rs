//! IMDb's title-suggestion answers (`/suggestion/titles/x/<query>.json`) as candidates, and their
//! ranking against what a file name says.

use serde::Serialize;
use serde_json::Value;

use super::filename::Parsed;

/// One possible title for a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub title: String,
    pub year: Option<i64>,
    pub year_range: Option<String>,
    /// IMDb's type id: `movie`, `tvMovie`, `tvSeries`, `short`, `video`, `videoGame`, …
    pub kind: Option<String>,
    /// As IMDb shows it: `feature`, `TV movie`, …
    pub kind_label: Option<String>,
    pub stars: String,
    pub poster: Option<String>,
    /// IMDb's popularity rank (smaller is more popular).
    pub rank: Option<i64>,
    /// How well this candidate fits the file, 0 to 100.
    pub score: f64,
    /// Set on the first candidate when it is clearly ahead (`rank`): what "Confirm all" and an
    /// unattended agent may take without asking.
    pub confident: bool,
}

/// Reads a suggestion answer; entries that are not titles (people, companies) are left out.
pub fn parse(body: &str) -> Result<Vec<Candidate>, serde_json::Error> {
    let v: Value = serde_json::from_str(body)?;
    let items = v["d"].as_array().cloned().unwrap_or_default();
    Ok(items
        .iter()
        .filter(|i| {
            i["id"]
                .as_str()
                .is_some_and(|id| store::ContentId::parse(id).is_ok())
        })
        .map(|i| Candidate {
            id: i["id"].as_str().unwrap_or_default().to_owned(),
            title: i["l"].as_str().unwrap_or_default().to_owned(),
            year: i["y"].as_i64(),
            year_range: i["yr"].as_str().map(str::to_owned),
            kind: i["qid"].as_str().map(str::to_owned),
            kind_label: i["q"].as_str().map(str::to_owned),
            stars: i["s"].as_str().unwrap_or_default().to_owned(),
            poster: i["i"]["imageUrl"].as_str().map(str::to_owned),
            rank: i["rank"].as_i64(),
            score: 0.0,
            confident: false,
        })
        .collect())
}

/// The search a file name leads to: its title, its part, its year.
pub fn query_for(p: &Parsed) -> String {
    let mut q = p.title.clone();
    if let Some(part) = &p.part {
        q.push_str(&format!(" Part {part}"));
    }
    if let Some(y) = p.year {
        q.push_str(&format!(" {y}"));
    }
    q
}

/// Lowercase words without punctuation or accents (the catalogue search's folding).
pub fn fold(s: &str) -> Vec<String> {
    store::text::fold(s)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Scores and sorts candidates for a parsed file name: the title's words, the year, the kind
/// (movies above TV, shorts and games, unless the name says it is a series), then popularity.
pub fn rank(p: &Parsed, mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    let want = fold(&p.title);
    let wants_series = {
        let n = p.name.to_ascii_lowercase();
        n.contains("season") || n.contains("series") || has_episode_mark(&n)
    };
    for c in &mut candidates {
        let got = fold(&c.title);
        let title = similarity(&want, &got);
        let year = match (p.year, c.year) {
            (Some(a), Some(b)) if a as i64 == b => 25.0,
            (Some(a), Some(b)) if (a as i64 - b).abs() == 1 => 12.0,
            (Some(_), Some(_)) => -15.0,
            _ => 0.0,
        };
        let kind = match c.kind.as_deref() {
            Some("tvSeries" | "tvMiniSeries") if wants_series => 15.0,
            Some("movie") => 15.0,
            Some("tvMovie") => 8.0,
            Some("video") => 4.0,
            Some("tvSpecial") => 3.0,
            Some("short" | "tvShort") => 0.0,
            Some("tvSeries" | "tvMiniSeries" | "tvEpisode") => 0.0,
            Some("videoGame" | "podcastSeries" | "podcastEpisode") => -40.0,
            _ => 2.0,
        };
        let popularity = c
            .rank
            .map(|r| 5.0 * (1.0 - (r.max(1) as f64).log10() / 7.0).clamp(0.0, 1.0))
            .unwrap_or(0.0);
        c.score =
            ((title * 55.0 + year + kind + popularity).clamp(0.0, 100.0) * 10.0).round() / 10.0;
    }
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.rank.unwrap_or(i64::MAX).cmp(&b.rank.unwrap_or(i64::MAX)))
    });
    // Clearly ahead: a strong match on its own evidence (the title, the year when the name has
    // one, a film), and well before the next one.
    let second = candidates.get(1).map_or(0.0, |c| c.score);
    if let Some(top) = candidates.first_mut() {
        let strong = top.score >= CONFIDENT_SCORE && (p.year.is_some() || top.score >= 85.0);
        top.confident = strong && top.score - second >= CONFIDENT_GAP;
    }
    candidates
}

/// The least score of a candidate taken without asking, and its least lead over the next.
const CONFIDENT_SCORE: f64 = 80.0;
const CONFIDENT_GAP: f64 = 15.0;

fn has_episode_mark(n: &str) -> bool {
    let b = n.as_bytes();
    b.windows(6).any(|w| {
        w[0] == b's'
            && w[1].is_ascii_digit()
            && w[2].is_ascii_digit()
            && w[3] == b'e'
            && w[4].is_ascii_digit()
            && w[5].is_ascii_digit()
    })
}

/// How alike two titles are, 0 to 1: word overlap, with a bonus for the same words in order.
fn similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let common = a.iter().filter(|w| b.contains(w)).count() as f64;
    let dice = 2.0 * common / (a.len() + b.len()) as f64;
    let joined = (a.join("") == b.join("")) as u8 as f64;
    (dice * 0.9).max(joined * 0.95)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::filename;

    fn cand(id: &str, title: &str, year: i64, kind: &str, rank: i64) -> Candidate {
        Candidate {
            id: id.into(),
            title: title.into(),
            year: Some(year),
            year_range: None,
            kind: Some(kind.into()),
            kind_label: None,
            stars: String::new(),
            poster: None,
            rank: Some(rank),
            score: 0.0,
            confident: false,
        }
    }

    #[test]
    fn movies_of_the_right_year_come_first() {
        let p = filename::parse("The.Matrix.1999.1080p.BluRay.x264.mkv");
        let ranked = rank(
            &p,
            vec![
                cand("tt0365467", "Making 'The Matrix'", 1999, "tvMovie", 36_776),
                cand("tt0234215", "The Matrix Reloaded", 2003, "movie", 3_260),
                cand("tt0274085", "The Matrix", 1999, "videoGame", 900_000),
                cand("tt0133093", "The Matrix", 1999, "movie", 645),
            ],
        );
        assert_eq!(ranked[0].id, "tt0133093");
        assert_eq!(
            ranked.last().map(|c| c.id.as_str()),
            Some("tt0274085"),
            "{ranked:#?}"
        );
        assert!(ranked[0].score > 90.0, "{}", ranked[0].score);
        assert!(
            ranked[0].confident,
            "the film of that name and year, far ahead"
        );
        assert!(ranked[1..].iter().all(|c| !c.confident));
    }

    #[test]
    fn a_close_call_is_not_confident() {
        // Two films of one name, and a name without a year: which one is for the person.
        let p = filename::parse("Solaris.mkv");
        let ranked = rank(
            &p,
            vec![
                cand("tt0069293", "Solaris", 1972, "movie", 20_000),
                cand("tt0307479", "Solaris", 2002, "movie", 9_000),
            ],
        );
        assert!(!ranked[0].confident, "{ranked:#?}");
        // With the year, the 1972 film is clearly it.
        let p = filename::parse("Solaris.1972.mkv");
        let ranked = rank(
            &p,
            vec![
                cand("tt0069293", "Solaris", 1972, "movie", 20_000),
                cand("tt0307479", "Solaris", 2002, "movie", 9_000),
            ],
        );
        assert_eq!(ranked[0].id, "tt0069293");
        assert!(ranked[0].confident, "{ranked:#?}");
        // A weak match is never taken without asking.
        let p = filename::parse("Something.Else.2001.mkv");
        let ranked = rank(
            &p,
            vec![cand("tt0000001", "Other Thing", 2001, "movie", 100)],
        );
        assert!(!ranked[0].confident, "{ranked:#?}");
    }

    #[test]
    fn a_series_wins_when_the_name_says_so() {
        let p = filename::parse("Sherlock.S01E01.720p.mkv");
        let ranked = rank(
            &p,
            vec![
                cand("tt1", "Sherlock", 2009, "movie", 900),
                cand("tt1475582", "Sherlock", 2010, "tvSeries", 100),
            ],
        );
        assert_eq!(ranked[0].id, "tt1475582");
    }

    #[test]
    fn folding() {
        assert_eq!(
            fold("Léon: The Professional"),
            ["leon", "the", "professional"]
        );
        assert_eq!(fold("Spider-Man"), ["spider", "man"]);
        assert_eq!(fold("Ocean's Eleven"), ["oceans", "eleven"]);
    }
}
