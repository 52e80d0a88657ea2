//! Login sessions and API tokens: created, looked up by the hash of their secret, listed and
//! revoked by their owner. A session's public id is the first 16 hex digits of its token hash,
//! which tells nothing about the token.

use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::users::{USER_COLS, User, user_from_row};
use crate::{Store, now};

/// A live login session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    /// When the session was last seen, to keep `last_seen` current without a write per request.
    pub last_seen: i64,
}

/// A session as its owner's list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    pub user_agent: String,
    pub address: String,
}

/// Where a new session comes from, for its owner's list.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_agent: String,
    pub address: String,
}

/// An API token as its owner's list shows it (never the token itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used: Option<i64>,
}

/// The length of a session's public id.
const SESSION_ID_LEN: usize = 16;

impl Store {
    pub fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        self.create_session_from(
            user_id,
            token_hash,
            csrf_token,
            ttl_secs,
            &Origin::default(),
        )
    }

    pub fn create_session_from(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        ttl_secs: i64,
        origin: &Origin,
    ) -> Result<()> {
        let t = now();
        self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at,
             last_seen, user_agent, address) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
            params![
                token_hash,
                user_id,
                csrf_token,
                t,
                t + ttl_secs,
                origin.user_agent,
                origin.address
            ],
        )?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired.
    pub fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {USER_COLS}, s.csrf_token, s.last_seen FROM sessions s
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2"
        );
        Ok(self
            .conn()
            .query_row(&sql, params![token_hash, now()], |r| {
                Ok(Session {
                    user: user_from_row(r)?,
                    csrf_token: r.get(6)?,
                    last_seen: r.get(7)?,
                })
            })
            .optional()?)
    }

    /// Records that a session was used; a read-only copy (a mirror's) records nothing.
    pub fn touch_session(&self, token_hash: &str) -> Result<()> {
        if self.is_read_only() {
            return Ok(());
        }
        self.conn().execute(
            "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
            params![token_hash, now()],
        )?;
        Ok(())
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    pub fn delete_expired_sessions(&self) -> Result<usize> {
        Ok(self
            .conn()
            .execute("DELETE FROM sessions WHERE expires_at <= ?1", [now()])?)
    }

    /// A user's live sessions, newest first.
    pub fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT substr(token_hash, 1, ?3), created_at, last_seen, expires_at, user_agent,
             address FROM sessions WHERE user_id = ?1 AND expires_at > ?2
             ORDER BY created_at DESC, token_hash",
        )?;
        let rows = stmt.query_map(params![user_id, now(), SESSION_ID_LEN as i64], |r| {
            Ok(SessionInfo {
                id: r.get(0)?,
                created_at: r.get(1)?,
                last_seen: r.get(2)?,
                expires_at: r.get(3)?,
                user_agent: r.get(4)?,
                address: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ends one of a user's sessions by its public id.
    pub fn revoke_session(&self, user_id: i64, id: &str) -> Result<()> {
        if id.len() != SESSION_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::NotFound("session"));
        }
        let n = self.conn().execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND substr(token_hash, 1, ?3) = ?2",
            params![user_id, id, SESSION_ID_LEN as i64],
        )?;
        if n == 0 {
            return Err(Error::NotFound("session"));
        }
        Ok(())
    }

    /// The public id of the session with this token hash.
    pub fn session_id(token_hash: &str) -> &str {
        &token_hash[..SESSION_ID_LEN.min(token_hash.len())]
    }

    pub fn create_api_token(&self, user_id: i64, token_hash: &str, name: &str) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![user_id, token_hash, name, now()],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// The owner of an API token, recording its use.
    pub fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {USER_COLS}, t.last_used FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1"
        );
        let found = conn
            .query_row(&sql, [token_hash], |r| {
                Ok((user_from_row(r)?, r.get::<_, Option<i64>>(6)?))
            })
            .optional()?;
        let Some((user, last_used)) = found else {
            return Ok(None);
        };
        // A token used in a burst (an agent's chunks) is recorded once a minute, not per request.
        let t = now();
        let read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
        if last_used.is_none_or(|l| t - l >= 60) && !read_only {
            conn.execute(
                "UPDATE api_tokens SET last_used = ?2 WHERE token_hash = ?1",
                params![token_hash, t],
            )?;
        }
        Ok(Some(user))
    }

    pub fn api_tokens_of(&self, user_id: i64) -> Result<Vec<TokenInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, created_at, last_used FROM api_tokens WHERE user_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([user_id], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                last_used: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<()> {
        let n = self.conn().execute(
            "DELETE FROM api_tokens WHERE user_id = ?1 AND id = ?2",
            params![user_id, id],
        )?;
        if n == 0 {
            return Err(Error::NotFound("token"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;

    #[test]
    fn sessions_expire() {
        let (_d, s) = test_store();
        let u = s.create_first_admin("ada", "h").expect("admin");
        s.create_session(u.id, "live", "c1", 60).expect("session");
        s.create_session(u.id, "dead", "c2", -1).expect("session");
        assert_eq!(
            s.session("live").expect("q").map(|x| x.csrf_token),
            Some("c1".into())
        );
        assert!(s.session("dead").expect("q").is_none());
        assert_eq!(s.delete_expired_sessions().expect("sweep"), 1);
        s.delete_session("live").expect("logout");
        assert!(s.session("live").expect("q").is_none());
    }

    #[test]
    fn sessions_are_listed_and_revoked_by_their_owner_only() {
        let (_d, s) = test_store();
        let a = s.create_first_admin("ada", "h").expect("admin");
        let b = s.create_user("bob", "h", crate::Role::Member).expect("bob");
        let origin = Origin {
            user_agent: "Firefox".into(),
            address: "127.0.0.1".into(),
        };
        let hash = "ab".repeat(32);
        s.create_session_from(a.id, &hash, "c", 60, &origin)
            .expect("session");
        let list = s.sessions_of(a.id).expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, Store::session_id(&hash));
        assert_eq!(list[0].user_agent, "Firefox");
        assert!(matches!(
            s.revoke_session(b.id, &list[0].id),
            Err(Error::NotFound(_))
        ));
        s.revoke_session(a.id, &list[0].id).expect("revoke");
        assert!(s.session(&hash).expect("q").is_none());
    }

    #[test]
    fn tokens_name_their_owner_and_can_be_revoked() {
        let (_d, s) = test_store();
        let u = s.create_first_admin("ada", "h").expect("admin");
        let id = s.create_api_token(u.id, "th", "agent").expect("token");
        assert_eq!(s.user_by_token("th").expect("q").map(|x| x.id), Some(u.id));
        assert!(s.user_by_token("nope").expect("q").is_none());
        let list = s.api_tokens_of(u.id).expect("list");
        assert_eq!((list[0].id, list[0].name.as_str()), (id, "agent"));
        assert!(list[0].last_used.is_some());
        s.revoke_api_token(u.id, id).expect("revoke");
        assert!(s.user_by_token("th").expect("q").is_none());
    }
}
