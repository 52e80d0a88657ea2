//! What each person has watched and where they stopped: one row per person and title, theirs
//! alone. A title counts as watched once 90% of it was played (or the person says so); watching
//! it again from the start keeps it watched until it is unmarked.

use rusqlite::params;

use crate::error::Result;
use crate::{ContentId, FileId, Store, now};

/// The share of a title played at which it counts as watched.
pub const WATCHED_AT: f64 = 0.9;

/// A person's place in a title.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WatchState {
    pub content_id: ContentId,
    /// The version played, while that file is in the library.
    pub file_id: Option<FileId>,
    pub position_s: f64,
    pub duration_s: f64,
    pub watched: bool,
    pub updated_at: i64,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WatchState> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let id: String = r.get(0)?;
    let file: Option<String> = r.get(1)?;
    Ok(WatchState {
        content_id: ContentId::parse(&id).map_err(|e| bad(0, e.to_string()))?,
        file_id: file
            .map(|f| FileId::parse(&f).map_err(|e| bad(1, e.to_string())))
            .transpose()?,
        position_s: r.get(2)?,
        duration_s: r.get(3)?,
        watched: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

const COLS: &str = "content_id, file_id, position_s, duration_s, watched, updated_at";

impl Store {
    /// Every title a person has a place in or has watched, the latest first.
    pub fn watch_states(&self, user: i64) -> Result<Vec<WatchState>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLS} FROM watch_state WHERE user_id = ?1 ORDER BY updated_at DESC, content_id"
        ))?;
        let rows = stmt.query_map([user], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records where a person is in a title; reaching 90% marks it watched. Answers the state.
    pub fn save_position(
        &self,
        user: i64,
        id: &ContentId,
        file: Option<&FileId>,
        position_s: f64,
        duration_s: f64,
    ) -> Result<WatchState> {
        let watched = duration_s > 0.0 && position_s >= WATCHED_AT * duration_s;
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO watch_state (user_id, content_id, file_id, position_s, duration_s,
                                          watched, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (user_id, content_id) DO UPDATE SET file_id = excluded.file_id,
                     position_s = excluded.position_s, duration_s = excluded.duration_s,
                     watched = watch_state.watched OR excluded.watched,
                     updated_at = excluded.updated_at",
                params![
                    user,
                    id.as_str(),
                    file.map(FileId::as_str),
                    position_s,
                    duration_s,
                    watched,
                    now()
                ],
            )?;
            Ok(tx.query_row(
                &format!("SELECT {COLS} FROM watch_state WHERE user_id = ?1 AND content_id = ?2"),
                params![user, id.as_str()],
                from_row,
            )?)
        })
    }

    /// Marks a title watched or not; marking it watched also clears the place to resume from.
    pub fn set_watched(&self, user: i64, id: &ContentId, watched: bool) -> Result<WatchState> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO watch_state (user_id, content_id, watched, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id, content_id) DO UPDATE SET watched = excluded.watched,
                     position_s = CASE WHEN excluded.watched THEN 0 ELSE watch_state.position_s END,
                     updated_at = excluded.updated_at",
                params![user, id.as_str(), watched, now()],
            )?;
            Ok(tx.query_row(
                &format!("SELECT {COLS} FROM watch_state WHERE user_id = ?1 AND content_id = ?2"),
                params![user, id.as_str()],
                from_row,
            )?)
        })
    }

    /// Forgets a person's place in a title and whether they watched it; answers whether there
    /// was anything.
    pub fn clear_watch_state(&self, user: i64, id: &ContentId) -> Result<bool> {
        Ok(self.conn().execute(
            "DELETE FROM watch_state WHERE user_id = ?1 AND content_id = ?2",
            params![user, id.as_str()],
        )? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_percent_is_watched_and_each_person_has_their_own() {
        let dir = tempfile::tempdir().expect("dir");
        let s = Store::open(&dir.path().join("t.db")).expect("store");
        let a = s.create_user("a", "x", crate::Role::Admin).expect("a").id;
        let b = s.create_user("b", "x", crate::Role::Member).expect("b").id;
        let id = ContentId::parse("tt0000001").expect("id");
        let st = s.save_position(a, &id, None, 600.0, 1000.0).expect("save");
        assert!(!st.watched);
        assert_eq!(
            s.watch_states(b).expect("b's").len(),
            0,
            "b sees none of a's"
        );
        assert!(
            s.save_position(a, &id, None, 900.0, 1000.0)
                .expect("90%")
                .watched
        );
        assert!(
            s.save_position(a, &id, None, 10.0, 1000.0)
                .expect("again")
                .watched,
            "watching again keeps it watched"
        );
        let st = s.set_watched(a, &id, false).expect("unmark");
        assert!(!st.watched);
        assert_eq!(st.position_s, 10.0);
        let st = s.set_watched(a, &id, true).expect("mark");
        assert!(st.watched && st.position_s == 0.0);
        assert!(s.clear_watch_state(a, &id).expect("clear"));
        assert!(s.watch_states(a).expect("a's").is_empty());
    }
}
