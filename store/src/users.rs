//! Users, login sessions, API tokens and per-user settings. Secrets are stored only as hashes;
//! hashing passwords is the caller's business, this module only keeps the result.

use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::{Store, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    fn parse(s: &str) -> Self {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Member
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub can_upload: bool,
}

impl User {
    /// Whether this user may add, replace and delete files and edit collections.
    pub fn may_manage_library(&self) -> bool {
        self.role == Role::Admin || self.can_upload
    }
}

/// A live login session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

const USER_COLS: &str = "u.id, u.username, u.role, u.can_upload";

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?),
        can_upload: r.get(3)?,
    })
}

impl Store {
    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
    }

    /// Creates the first user as admin, atomically refusing once any user exists.
    pub fn create_first_admin(&self, username: &str, password_hash: &str) -> Result<User> {
        self.tx(|tx| {
            let n: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
            if n > 0 {
                return Err(Error::Conflict("admin"));
            }
            insert_user(tx, username, password_hash, Role::Admin)
        })
    }

    pub fn create_user(&self, username: &str, password_hash: &str, role: Role) -> Result<User> {
        self.tx(|tx| insert_user(tx, username, password_hash, role))
    }

    /// The user and their password hash, by name (case-insensitive).
    pub fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.username = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [username], |r| Ok((user_from_row(r)?, r.get(4)?)))
            .optional()?)
    }

    pub fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let t = now();
        self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
            params![token_hash, user_id, csrf_token, t, t + ttl_secs],
        )?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired.
    pub fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {USER_COLS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2"
        );
        Ok(self
            .conn()
            .query_row(&sql, params![token_hash, now()], |r| {
                Ok(Session {
                    user: user_from_row(r)?,
                    csrf_token: r.get(4)?,
                })
            })
            .optional()?)
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
            "SELECT {USER_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1"
        );
        let user = conn
            .query_row(&sql, [token_hash], user_from_row)
            .optional()?;
        if user.is_some() {
            conn.execute(
                "UPDATE api_tokens SET last_used = ?2 WHERE token_hash = ?1",
                params![token_hash, now()],
            )?;
        }
        Ok(user)
    }
}

fn insert_user(
    tx: &rusqlite::Transaction<'_>,
    username: &str,
    password_hash: &str,
    role: Role,
) -> Result<User> {
    let taken: bool = tx.query_row(
        "SELECT count(*) > 0 FROM users WHERE username = ?1",
        [username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::Conflict("user"));
    }
    tx.execute(
        "INSERT INTO users (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![username, password_hash, role.as_str(), now()],
    )?;
    Ok(User {
        id: tx.last_insert_rowid(),
        username: username.to_owned(),
        role,
        can_upload: false,
    })
}

#[cfg(test)]
mod tests {
    use crate::db::test_store;

    #[test]
    fn first_admin_only_once() {
        let (_d, s) = test_store();
        let admin = s.create_first_admin("ada", "h").expect("first admin");
        assert!(admin.may_manage_library());
        assert!(s.create_first_admin("bob", "h").is_err());
        let (found, hash) = s.user_by_name("ADA").expect("query").expect("found");
        assert_eq!((found.id, hash.as_str()), (admin.id, "h"));
    }

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
    fn tokens_name_their_owner() {
        let (_d, s) = test_store();
        let u = s.create_first_admin("ada", "h").expect("admin");
        s.create_api_token(u.id, "th", "agent").expect("token");
        assert_eq!(s.user_by_token("th").expect("q").map(|x| x.id), Some(u.id));
        assert!(s.user_by_token("nope").expect("q").is_none());
    }
}
