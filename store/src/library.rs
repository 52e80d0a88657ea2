//! Read models of the library: the cards a listing shows, one title with its files, statistics.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::files::files_of_tx;
use crate::{ContentFile, ContentId, Store};

/// What a card needs, and nothing more (the notes' "Fetch content").
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MovieCard {
    pub id: String,
    pub title: String,
    pub year: Option<i64>,
    /// Path of the poster under `/media/`, once it is in the library.
    pub poster: Option<String>,
    pub stars: Vec<String>,
}

/// A title in the library with its files.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MovieInfo {
    #[serde(flatten)]
    pub card: MovieCard,
    /// True while the metadata has not been fetched.
    pub metadata_pending: bool,
    pub files: Vec<ContentFile>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LibraryStats {
    pub titles: i64,
    pub files: i64,
    pub bytes: i64,
    /// Files at least 720 lines high, as ffprobe read them.
    pub hd_files: i64,
    /// The play time of every file ffprobe has read, in seconds.
    pub play_time_s: i64,
}

const CARD_COLS: &str = "m.content_id, m.title, m.year, m.poster_file, m.stars";

fn card_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MovieCard> {
    let stars: Option<String> = r.get(4)?;
    Ok(MovieCard {
        id: r.get(0)?,
        title: r.get(1)?,
        year: r.get(2)?,
        // Cards use the small version the receiver makes beside the poster.
        poster: r
            .get::<_, Option<String>>(3)?
            .map(|p| format!("/media/{}", crate::layout::card_of_poster(&p))),
        stars: stars
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
    })
}

impl Store {
    /// One page of the titles that have a file, by title; and the number of such titles.
    pub fn list_movies(&self, offset: i64, limit: i64) -> Result<(Vec<MovieCard>, i64)> {
        let conn = self.conn();
        let total: i64 = conn.query_row(
            "SELECT count(DISTINCT content_id) FROM content_files",
            [],
            |r| r.get(0),
        )?;
        let sql = format!(
            "SELECT {CARD_COLS} FROM metadata m
             WHERE EXISTS (SELECT 1 FROM content_files f WHERE f.content_id = m.content_id)
             ORDER BY m.title COLLATE NOCASE, m.content_id LIMIT ?1 OFFSET ?2"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let cards = stmt
            .query_map(params![limit, offset], card_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok((cards, total))
    }

    /// The title with its files, if the store knows it at all.
    pub fn movie(&self, id: &ContentId) -> Result<Option<MovieInfo>> {
        self.tx(|tx| {
            let sql =
                format!("SELECT {CARD_COLS}, m.fetched_at FROM metadata m WHERE m.content_id = ?1");
            let found = tx
                .query_row(&sql, [id.as_str()], |r| {
                    Ok((card_from_row(r)?, r.get::<_, Option<i64>>(5)?.is_none()))
                })
                .optional()?;
            let Some((card, metadata_pending)) = found else {
                return Ok(None);
            };
            let files = files_of_tx(tx, id)?;
            Ok(Some(MovieInfo {
                card,
                metadata_pending,
                files,
            }))
        })
    }

    pub fn library_stats(&self) -> Result<LibraryStats> {
        Ok(self.conn().query_row(
            "SELECT count(DISTINCT content_id), count(*),
                    (SELECT coalesce(sum(size), 0) FROM library_files),
                    count(CASE WHEN height >= 720 THEN 1 END),
                    coalesce(sum(duration_ms), 0) / 1000
             FROM content_files",
            [],
            |r| {
                Ok(LibraryStats {
                    titles: r.get(0)?,
                    files: r.get(1)?,
                    bytes: r.get(2)?,
                    hd_files: r.get(3)?,
                    play_time_s: r.get(4)?,
                })
            },
        )?)
    }
}
