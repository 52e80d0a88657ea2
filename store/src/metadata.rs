//! The metadata cache (the notes' metadata table, one row per title) and each user's own values
//! for its fields, kept apart so a refresh never touches them.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::{ContentId, Store, changes, now};

/// A running time in the notes' three formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    pub minutes: i64,
    /// ISO 8601, `PT1H46M`.
    pub iso: String,
    /// As people write it, `1h 46min`.
    pub text: String,
}

impl Duration {
    pub fn from_minutes(minutes: i64) -> Self {
        let (h, m) = (minutes / 60, minutes % 60);
        let (iso, text) = match (h, m) {
            (0, m) => (format!("PT{m}M"), format!("{m}min")),
            (h, 0) => (format!("PT{h}H"), format!("{h}h")),
            (h, m) => (format!("PT{h}H{m}M"), format!("{h}h {m}min")),
        };
        Duration { minutes, iso, text }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub value: f64,
    pub votes: i64,
    pub max: f64,
}

/// Everything known about a title, with the notes' field names. Only `id` and `title` are
/// always there; a field the source lacks is `None` or empty, never a guess.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub id: ContentId,
    pub title: String,
    #[serde(default)]
    pub original_title: Option<String>,
    #[serde(default)]
    pub year: Option<i64>,
    /// IMDb's title type: `movie`, `tvSeries`, `short`, `videoGame`, …
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub stars: Vec<String>,
    #[serde(default)]
    pub cast: Vec<String>,
    #[serde(default)]
    pub directors: Vec<String>,
    #[serde(default)]
    pub writers: Vec<String>,
    #[serde(default)]
    pub genres: Vec<String>,
    #[serde(default)]
    pub duration: Option<Duration>,
    #[serde(default)]
    pub plot_short: Option<String>,
    #[serde(default)]
    pub plot_long: Option<String>,
    #[serde(default)]
    pub rating: Option<Rating>,
    #[serde(default)]
    pub poster_url: Option<String>,
    #[serde(default)]
    pub parental_rating: Option<String>,
    #[serde(default)]
    pub metascore: Option<i64>,
    /// Related titles, by content id.
    #[serde(default)]
    pub suggestions: Vec<String>,
    #[serde(default)]
    pub tagline: Option<String>,
    #[serde(default)]
    pub wikidata_id: Option<String>,
    #[serde(default)]
    pub rotten_tomatoes: Option<String>,
    #[serde(default)]
    pub metacritic_url: Option<String>,
    #[serde(default)]
    pub metacritic_rating: Option<i64>,
    /// Release date, countries, languages, other titles, filming locations, budget, gross.
    #[serde(default)]
    pub details: Option<Value>,
    #[serde(default)]
    pub awards: Option<String>,
    #[serde(default)]
    pub trailer_url: Option<String>,
}

impl Metadata {
    /// A title known by name only.
    pub fn named(id: ContentId, title: String) -> Self {
        Metadata {
            id,
            title,
            original_title: None,
            year: None,
            kind: None,
            stars: vec![],
            cast: vec![],
            directors: vec![],
            writers: vec![],
            genres: vec![],
            duration: None,
            plot_short: None,
            plot_long: None,
            rating: None,
            poster_url: None,
            parental_rating: None,
            metascore: None,
            suggestions: vec![],
            tagline: None,
            wikidata_id: None,
            rotten_tomatoes: None,
            metacritic_url: None,
            metacritic_rating: None,
            details: None,
            awards: None,
            trailer_url: None,
        }
    }
}

/// A cache row: the metadata and how it was fetched.
#[derive(Debug, Clone)]
pub struct MetadataRecord {
    pub metadata: Metadata,
    /// When the source page was fetched; `None` while only a placeholder is known.
    pub fetched_at: Option<i64>,
    pub fetch_error: Option<String>,
    pub fetch_attempts: i64,
    /// The poster in the library, relative to the media root.
    pub poster_file: Option<String>,
}

const COLS: &str = "content_id, title, original_title, year, kind, stars, cast_members, directors,
    writers, genres, duration_minutes, plot_short, plot_long, rating_value, rating_votes, rating_max,
    poster_url, parental_rating, metascore, suggestions, tagline, wikidata_id, rotten_tomatoes,
    metacritic_url, metacritic_rating, details, awards, trailer_url, fetched_at, fetch_error,
    fetch_attempts, poster_file";

fn list(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let s: Option<String> = r.get(i)?;
    Ok(s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// A title's metadata record by its id (`?1`), read by `from_row`.
pub(crate) static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {COLS} FROM metadata WHERE content_id = ?1"));

/// The columns the renderer's index is not made from (a movie page shows them): left empty
/// by `SUMMARY_BY_ID`.
const NOT_SUMMARISED: &[&str] = &[
    "cast_members",
    "writers",
    "plot_short",
    "plot_long",
    "poster_url",
    "parental_rating",
    "metascore",
    "tagline",
    "wikidata_id",
    "rotten_tomatoes",
    "metacritic_url",
    "metacritic_rating",
    "details",
    "awards",
    "trailer_url",
    "fetch_error",
];

/// `BY_ID` with the columns of `NOT_SUMMARISED` read as NULL (`from_row` reads them as empty).
pub(crate) static SUMMARY_BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let cols: Vec<&str> = COLS
        .split(',')
        .map(str::trim)
        .map(|c| {
            if NOT_SUMMARISED.contains(&c) {
                "NULL"
            } else {
                c
            }
        })
        .collect();
    format!(
        "SELECT {} FROM metadata WHERE content_id = ?1",
        cols.join(", ")
    )
});

/// A title's metadata record, on a connection (or in a transaction) already held.
pub(crate) fn metadata_of(
    conn: &rusqlite::Connection,
    id: &ContentId,
) -> Result<Option<MetadataRecord>> {
    record_with(&mut *conn.prepare_cached(&BY_ID)?, id)
}

/// A title's metadata record through `BY_ID` prepared once (for many titles in a row).
pub(crate) fn record_with(
    stmt: &mut rusqlite::Statement<'_>,
    id: &ContentId,
) -> Result<Option<MetadataRecord>> {
    Ok(stmt.query_row([id.as_str()], from_row).optional()?)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<MetadataRecord> {
    let id: String = r.get(0)?;
    let id = ContentId::parse(&id).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let rating = match (r.get::<_, Option<f64>>(13)?, r.get::<_, Option<i64>>(14)?) {
        (Some(value), votes) => Some(Rating {
            value,
            votes: votes.unwrap_or(0),
            max: r.get::<_, Option<f64>>(15)?.unwrap_or(10.0),
        }),
        _ => None,
    };
    let details: Option<String> = r.get(25)?;
    Ok(MetadataRecord {
        metadata: Metadata {
            id,
            title: r.get(1)?,
            original_title: r.get(2)?,
            year: r.get(3)?,
            kind: r.get(4)?,
            stars: list(r, 5)?,
            cast: list(r, 6)?,
            directors: list(r, 7)?,
            writers: list(r, 8)?,
            genres: list(r, 9)?,
            duration: r.get::<_, Option<i64>>(10)?.map(Duration::from_minutes),
            plot_short: r.get(11)?,
            plot_long: r.get(12)?,
            rating,
            poster_url: r.get(16)?,
            parental_rating: r.get(17)?,
            metascore: r.get(18)?,
            suggestions: list(r, 19)?,
            tagline: r.get(20)?,
            wikidata_id: r.get(21)?,
            rotten_tomatoes: r.get(22)?,
            metacritic_url: r.get(23)?,
            metacritic_rating: r.get(24)?,
            details: details.and_then(|d| serde_json::from_str(&d).ok()),
            awards: r.get(26)?,
            trailer_url: r.get(27)?,
        },
        fetched_at: r.get(28)?,
        fetch_error: r.get(29)?,
        fetch_attempts: r.get(30)?,
        poster_file: r.get(31)?,
    })
}

fn json_list(v: &[String]) -> Option<String> {
    (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default())
}

impl Store {
    pub fn metadata(&self, id: &ContentId) -> Result<Option<MetadataRecord>> {
        metadata_of(&self.conn(), id)
    }

    /// Stores freshly fetched metadata, replacing the cached fields (users' own values live
    /// elsewhere and are untouched) and clearing any fetch error.
    pub fn save_metadata(&self, m: &Metadata, fetched_at: i64) -> Result<()> {
        self.tx(|tx| save_tx(tx, m, fetched_at))
    }

    /// Records where the title's poster is in the library.
    pub fn set_poster_file(&self, id: &ContentId, path: Option<&str>) -> Result<()> {
        self.tx(|tx| {
            tx.execute(
                "UPDATE metadata SET poster_file = ?2 WHERE content_id = ?1",
                params![id.as_str(), path],
            )?;
            changes::record(tx, changes::ChangeKind::MetadataChanged, Some(id), None)
        })
    }

    /// Records a failed fetch and when to try again.
    pub fn record_fetch_error(&self, id: &ContentId, error: &str, retry_at: i64) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "UPDATE metadata SET fetch_error = ?2, fetch_attempts = fetch_attempts + 1, next_fetch_at = ?3
             WHERE content_id = ?1",
            params![id.as_str(), error, retry_at],
        )?;
        Ok(conn
            .query_row(
                "SELECT fetch_attempts FROM metadata WHERE content_id = ?1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Titles in the library whose metadata should be fetched now: never fetched (and not
    /// waiting for a retry), or fetched before `stale_before`.
    pub fn metadata_due(&self, now: i64, stale_before: i64, limit: i64) -> Result<Vec<ContentId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT m.content_id FROM metadata m
             WHERE EXISTS (SELECT 1 FROM content_files f WHERE f.content_id = m.content_id)
               AND ((m.fetched_at IS NULL AND coalesce(m.next_fetch_at, 0) <= ?1)
                    OR (m.fetched_at IS NOT NULL AND m.fetched_at < ?2 AND coalesce(m.next_fetch_at, 0) <= ?1))
             ORDER BY m.fetched_at IS NOT NULL, m.next_fetch_at LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![now, stale_before, limit], |r| r.get::<_, String>(0))?;
        Ok(rows
            .filter_map(|r| r.ok().and_then(|s| ContentId::parse(&s).ok()))
            .collect())
    }

    /// The user's own values for a title's fields.
    pub fn overrides(&self, user_id: i64, id: &ContentId) -> Result<Map<String, Value>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT field, value FROM metadata_overrides WHERE user_id = ?1 AND content_id = ?2 ORDER BY field",
        )?;
        let rows = stmt.query_map(params![user_id, id.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Map::new();
        for row in rows {
            let (field, value) = row?;
            out.insert(field, serde_json::from_str(&value)?);
        }
        Ok(out)
    }

    /// Sets some of the user's own values (the others stay as they are).
    pub fn set_overrides(
        &self,
        user_id: i64,
        id: &ContentId,
        values: &Map<String, Value>,
    ) -> Result<()> {
        self.tx(|tx| {
            for (field, value) in values {
                tx.execute(
                    "INSERT INTO metadata_overrides (user_id, content_id, field, value, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (user_id, content_id, field) DO UPDATE SET value = ?4, updated_at = ?5",
                    params![user_id, id.as_str(), field, value.to_string(), now()],
                )?;
            }
            Ok(())
        })
    }

    /// Removes the user's own values for the given fields, or all of them for the title.
    pub fn clear_overrides(
        &self,
        user_id: i64,
        id: &ContentId,
        fields: Option<&[String]>,
    ) -> Result<usize> {
        self.tx(|tx| {
            Ok(match fields {
                None => tx.execute(
                    "DELETE FROM metadata_overrides WHERE user_id = ?1 AND content_id = ?2",
                    params![user_id, id.as_str()],
                )?,
                Some(fields) => {
                    let mut n = 0;
                    for f in fields {
                        n += tx.execute(
                            "DELETE FROM metadata_overrides WHERE user_id = ?1 AND content_id = ?2 AND field = ?3",
                            params![user_id, id.as_str(), f],
                        )?;
                    }
                    n
                }
            })
        })
    }

    /// A cached suggestion answer no older than `max_age` seconds.
    pub fn cached_suggestion(&self, query: &str, max_age: i64) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT body FROM suggestion_cache WHERE query = ?1 AND fetched_at >= ?2",
                params![query, now() - max_age],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn cache_suggestion(&self, query: &str, body: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO suggestion_cache (query, body, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (query) DO UPDATE SET body = ?2, fetched_at = ?3",
            params![query, body, now()],
        )?;
        Ok(())
    }
}

/// Stores fetched metadata inside a transaction (see `Store::save_metadata`).
pub(crate) fn save_tx(tx: &rusqlite::Transaction<'_>, m: &Metadata, fetched_at: i64) -> Result<()> {
    let rating = m.rating.as_ref();
    tx.execute(
        "INSERT INTO metadata (content_id, title, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (content_id) DO NOTHING",
        params![m.id.as_str(), m.title, now()],
    )?;
    tx.execute(
        "UPDATE metadata SET title = ?2, original_title = ?3, year = ?4, kind = ?5, stars = ?6,
            cast_members = ?7, directors = ?8, writers = ?9, genres = ?10, duration_minutes = ?11,
            plot_short = ?12, plot_long = ?13, rating_value = ?14, rating_votes = ?15,
            rating_max = ?16, poster_url = ?17, parental_rating = ?18, metascore = ?19,
            suggestions = ?20, tagline = ?21, wikidata_id = ?22, rotten_tomatoes = ?23,
            metacritic_url = ?24, metacritic_rating = ?25, details = ?26, awards = ?27,
            trailer_url = ?28, fetched_at = ?29, fetch_error = NULL, fetch_attempts = 0,
            next_fetch_at = NULL, updated_at = ?30
         WHERE content_id = ?1",
        params![
            m.id.as_str(),
            m.title,
            m.original_title,
            m.year,
            m.kind,
            json_list(&m.stars),
            json_list(&m.cast),
            json_list(&m.directors),
            json_list(&m.writers),
            json_list(&m.genres),
            m.duration.as_ref().map(|d| d.minutes),
            m.plot_short,
            m.plot_long,
            rating.map(|r| r.value),
            rating.map(|r| r.votes),
            rating.map(|r| r.max),
            m.poster_url,
            m.parental_rating,
            m.metascore,
            json_list(&m.suggestions),
            m.tagline,
            m.wikidata_id,
            m.rotten_tomatoes,
            m.metacritic_url,
            m.metacritic_rating,
            m.details.as_ref().map(Value::to_string),
            m.awards,
            m.trailer_url,
            fetched_at,
            now(),
        ],
    )?;
    changes::record(tx, changes::ChangeKind::MetadataChanged, Some(&m.id), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;

    #[test]
    fn durations_in_three_formats() {
        assert_eq!(
            Duration::from_minutes(106),
            Duration {
                minutes: 106,
                iso: "PT1H46M".into(),
                text: "1h 46min".into()
            }
        );
        assert_eq!(Duration::from_minutes(45).iso, "PT45M");
        assert_eq!(Duration::from_minutes(120).text, "2h");
    }

    #[test]
    fn saved_metadata_round_trips_and_keeps_overrides_apart() {
        let (_d, s) = test_store();
        let id = ContentId::parse("tt0114814").expect("id");
        let mut m = Metadata::named(id.clone(), "The Usual Suspects".into());
        m.year = Some(1995);
        m.genres = vec!["Crime".into(), "Drama".into()];
        m.duration = Some(Duration::from_minutes(106));
        m.rating = Some(Rating {
            value: 8.5,
            votes: 1_078_970,
            max: 10.0,
        });
        m.details = Some(serde_json::json!({"countries": ["US"]}));
        s.save_metadata(&m, 1000).expect("save");
        let user = s.create_first_admin("a", "h").expect("user");
        let mut mine = Map::new();
        mine.insert("title".into(), Value::String("Suspects".into()));
        s.set_overrides(user.id, &id, &mine).expect("override");
        s.save_metadata(&m, 2000).expect("refresh");
        let got = s.metadata(&id).expect("q").expect("row");
        assert_eq!(got.metadata, m);
        assert_eq!(got.fetched_at, Some(2000));
        assert_eq!(
            s.overrides(user.id, &id).expect("q")["title"],
            "Suspects",
            "a refresh leaves the user's values"
        );
        assert_eq!(s.clear_overrides(user.id, &id, None).expect("clear"), 1);
    }
}

/// Whether `s` is an `http` or `https` address, the only kind a page may link to or the server
/// may fetch: never `javascript:`, `data:` or `file:`.
pub fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The URL fields of a title's metadata.
pub const URL_FIELDS: &[&str] = &["poster_url", "trailer_url", "metacritic_url"];

impl Metadata {
    /// Drops any URL field that is not an `http(s)` address (see `is_web_url`).
    pub fn keep_web_urls(&mut self) {
        for url in [
            &mut self.poster_url,
            &mut self.trailer_url,
            &mut self.metacritic_url,
        ] {
            if url.as_deref().is_some_and(|u| !is_web_url(u)) {
                *url = None;
            }
        }
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn web_urls() {
        for ok in ["https://www.imdb.com/video/x", "HTTP://a.b/c"] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "//evil.example/x",
            "https://a.b/\njavascript:x",
            "http",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
