//! What the renderer reads: every title in the library with its metadata and files, in bulk
//! for a full render or one at a time for an incremental one.

use rusqlite::params;

use crate::error::Result;
use crate::{Collection, ContentFile, ContentId, MetadataRecord, Store};

/// A title in the library as the catalogue shows it.
#[derive(Debug, Clone)]
pub struct Title {
    pub record: MetadataRecord,
    /// When its first file was filed.
    pub added_at: i64,
    pub files: Vec<ContentFile>,
    /// Its other files (poster, card, trailer, subtitles), as their rows say.
    pub side: Vec<crate::LibraryFile>,
}

/// A category (the notes' category table): a named, ordered list of titles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub content: Vec<ContentId>,
}

impl Store {
    /// The ids of every title that has a file, ordered.
    pub fn library_ids(&self) -> Result<Vec<ContentId>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT content_id FROM content_files ORDER BY content_id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|r| r.ok().and_then(|s| ContentId::parse(&s).ok()))
            .collect();
        Ok(ids)
    }

    /// These titles, those without a file left out.
    pub fn titles(&self, ids: &[ContentId]) -> Result<Vec<Title>> {
        self.titles_by(ids, &crate::metadata::BY_ID)
    }

    /// The titles of `ids` as `titles` reads them, but with only what a card, the lists and
    /// the search index are made of: their cast and writers, plots, tagline, awards, details,
    /// links and poster address are left empty (a full render reads every title twice, once
    /// for its index and once for its page).
    pub fn title_summaries(&self, ids: &[ContentId]) -> Result<Vec<Title>> {
        self.titles_by(ids, &crate::metadata::SUMMARY_BY_ID)
    }

    fn titles_by(&self, ids: &[ContentId], metadata_sql: &str) -> Result<Vec<Title>> {
        // One transaction for them all: one snapshot, and no lock and no transaction a title;
        // its three statements looked up once, not once a title.
        self.tx(|tx| {
            let mut files_of = tx.prepare_cached(&crate::files::BY_TITLE)?;
            let mut record_of = tx.prepare_cached(metadata_sql)?;
            let mut side_of = tx.prepare_cached(&crate::library_files::BY_TITLE)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let files = crate::files::files_with(&mut files_of, id)?;
                if files.is_empty() {
                    continue;
                }
                let Some(record) = crate::metadata::record_with(&mut record_of, id)? else {
                    continue;
                };
                let added_at = files.iter().map(|f| f.created_at).min().unwrap_or(0);
                let side = crate::library_files::side_files_with(&mut side_of, id)?
                    .into_iter()
                    .filter(|f| f.kind != crate::FileKind::Movie)
                    .collect();
                out.push(Title {
                    record,
                    added_at,
                    files,
                    side,
                });
            }
            Ok(out)
        })
    }

    /// Every category with its titles.
    pub fn categories(&self) -> Result<Vec<Category>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT id, slug, name FROM categories ORDER BY position, id")?;
        let heads: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut items = conn.prepare_cached(
            "SELECT content_id FROM category_items WHERE category_id = ?1 ORDER BY position",
        )?;
        let mut out = Vec::new();
        for (id, slug, name) in heads {
            let content = items
                .query_map(params![id], |r| r.get::<_, String>(0))?
                .filter_map(|r| r.ok().and_then(|s| ContentId::parse(&s).ok()))
                .collect();
            out.push(Category {
                id,
                slug,
                name,
                content,
            });
        }
        Ok(out)
    }

    /// Creates the built-in collections once (on a database that has none).
    pub fn seed_collections(
        &self,
        builtin: &[(&str, crate::CollectionKind, &[&str])],
    ) -> Result<usize> {
        let have: i64 = self.conn().query_row(
            "SELECT count(*) FROM collections WHERE builtin = 1",
            [],
            |r| r.get(0),
        )?;
        if have > 0 {
            return Ok(0);
        }
        for (name, kind, ids) in builtin {
            let ids: Vec<ContentId> = ids
                .iter()
                .filter_map(|i| ContentId::parse(i).ok())
                .collect();
            let c: Collection = self.create_collection(name, *kind, &ids)?;
            self.conn()
                .execute("UPDATE collections SET builtin = 1 WHERE id = ?1", [c.id])?;
        }
        Ok(builtin.len())
    }

    /// Files many titles at once (a restore, an import, a benchmark library): each title's
    /// metadata and its file, in one transaction.
    pub fn import(&self, titles: &[(crate::Metadata, crate::NewFile)]) -> Result<()> {
        let now = crate::now();
        self.tx(|tx| {
            for (m, f) in titles {
                crate::metadata::save_tx(tx, m, now)?;
                crate::files::insert_tx(tx, f)?;
            }
            Ok(())
        })
    }

    /// The newest change's sequence number (0 for none).
    pub fn last_change(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?)
    }
}

#[cfg(test)]
mod tests {
    use crate::db::test_store;
    use crate::{ContentId, FileId, Metadata, NewFile, Rating};

    #[test]
    fn a_summary_is_its_title_without_what_only_its_page_shows() {
        let (_dir, store) = test_store();
        let id = ContentId::parse("tt0133093").expect("id");
        store
            .insert_file(&NewFile {
                file_id: FileId::of("the.matrix.1999.mkv", 1, 0),
                content_id: id.clone(),
                label: String::new(),
                path: "movies/The Matrix (1999)/The Matrix (1999).mkv".into(),
                root: "1".into(),
                ext: "mkv".into(),
                size: 1,
                original_name: "the.matrix.1999.mkv".into(),
                last_modified: 0,
                uploaded_by: None,
                placeholder_title: "The Matrix".into(),
            })
            .expect("file");
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut m = Metadata::named(id.clone(), "The Matrix".into());
        m.original_title = Some("Matrix".into());
        m.year = Some(1999);
        m.kind = Some("movie".into());
        m.stars = names(&["Keanu Reeves", "Laurence Fishburne"]);
        m.cast = names(&["Keanu Reeves", "Carrie-Anne Moss"]);
        m.directors = names(&["Lana Wachowski"]);
        m.writers = names(&["Lilly Wachowski"]);
        m.genres = names(&["Action", "Sci-Fi"]);
        m.plot_short = Some("A hacker learns.".into());
        m.plot_long = Some("A hacker learns the truth.".into());
        m.rating = Some(Rating {
            value: 8.7,
            votes: 2_000_000,
            max: 10.0,
        });
        m.tagline = Some("Free your mind".into());
        m.awards = Some("Won 4 Oscars".into());
        m.suggestions = names(&["tt0234215"]);
        m.details = Some(serde_json::json!({"countries": ["US"]}));
        m.trailer_url = Some("https://example.org/trailer".into());
        m.poster_url = Some("https://example.org/poster.jpg".into());
        m.parental_rating = Some("R".into());
        m.metascore = Some(73);
        m.wikidata_id = Some("Q83495".into());
        m.rotten_tomatoes = Some("https://example.org/rt".into());
        m.metacritic_url = Some("https://example.org/mc".into());
        m.metacritic_rating = Some(73);
        store.save_metadata(&m, 1).expect("metadata");
        let full = store.titles(std::slice::from_ref(&id)).expect("titles");
        let summary = store
            .title_summaries(std::slice::from_ref(&id))
            .expect("summaries");
        let (full, summary) = (&full[0], &summary[0]);
        assert_eq!(full.files, summary.files);
        assert_eq!(full.added_at, summary.added_at);
        // Every field a page alone shows is empty, every other one as the whole title has it.
        assert_eq!(full.record.metadata, m);
        let mut blanked = m.clone();
        (blanked.cast, blanked.writers) = (vec![], vec![]);
        (blanked.plot_short, blanked.plot_long, blanked.tagline) = (None, None, None);
        (blanked.awards, blanked.details, blanked.trailer_url) = (None, None, None);
        (
            blanked.poster_url,
            blanked.parental_rating,
            blanked.metascore,
        ) = (None, None, None);
        (blanked.wikidata_id, blanked.rotten_tomatoes) = (None, None);
        (blanked.metacritic_url, blanked.metacritic_rating) = (None, None);
        assert_eq!(summary.record.metadata, blanked);
        assert_eq!(summary.record.metadata.stars, m.stars);
        assert_eq!(summary.record.metadata.suggestions, m.suggestions);
    }
}
