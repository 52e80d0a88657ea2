//! Users, their role and grants, invitations and per-user settings. Secrets are stored only as
//! hashes; hashing passwords is the caller's business, this module only keeps the result.

use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::{Store, now};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    #[default]
    Member,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    pub(crate) fn parse(s: &str) -> Self {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Member
        }
    }
}

/// What a member may do beyond browsing, streaming and editing their own metadata. Admins may
/// do everything whatever their grants say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Grants {
    pub can_upload: bool,
    pub can_delete: bool,
    pub can_edit_collections: bool,
}

/// An action that needs more than a member's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Add, replace and refile files, refresh metadata.
    Upload,
    /// Remove titles and files.
    Delete,
    /// Create, change and delete collections.
    EditCollections,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    #[serde(flatten)]
    pub grants: Grants,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this user may do `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.is_admin()
            || match p {
                Permission::Upload => self.grants.can_upload,
                Permission::Delete => self.grants.can_delete,
                Permission::EditCollections => self.grants.can_edit_collections,
            }
    }
}

/// A user as the admin's list shows them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserListing {
    #[serde(flatten)]
    pub user: User,
    pub created_at: i64,
    pub last_login: Option<i64>,
}

/// What an admin changes about a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub can_upload: Option<bool>,
    pub can_delete: Option<bool>,
    pub can_edit_collections: Option<bool>,
}

/// An invitation as its creator sees it (the link's token is shown only once, at creation).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Invitation {
    pub id: i64,
    pub role: Role,
    #[serde(flatten)]
    pub grants: Grants,
    pub created_at: i64,
    pub expires_at: i64,
}

pub(crate) const USER_COLS: &str =
    "u.id, u.username, u.role, u.can_upload, u.can_delete, u.can_edit_collections";

/// Reads `USER_COLS` starting at column 0.
pub(crate) fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?),
        grants: Grants {
            can_upload: r.get(3)?,
            can_delete: r.get(4)?,
            can_edit_collections: r.get(5)?,
        },
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
            insert_user(tx, username, password_hash, Role::Admin, Grants::default())
        })
    }

    pub fn create_user(&self, username: &str, password_hash: &str, role: Role) -> Result<User> {
        self.create_user_with(username, password_hash, role, Grants::default())
    }

    pub fn create_user_with(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        grants: Grants,
    ) -> Result<User> {
        self.tx(|tx| insert_user(tx, username, password_hash, role, grants))
    }

    /// The user and their password hash, by name (case-insensitive).
    pub fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.username = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [username], |r| Ok((user_from_row(r)?, r.get(6)?)))
            .optional()?)
    }

    /// The user and their password hash, by id.
    pub fn user_by_id(&self, id: i64) -> Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.id = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [id], |r| Ok((user_from_row(r)?, r.get(6)?)))
            .optional()?)
    }

    pub fn list_users(&self) -> Result<Vec<UserListing>> {
        let sql = format!(
            "SELECT {USER_COLS}, u.created_at, u.last_login FROM users u ORDER BY u.username"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(UserListing {
                user: user_from_row(r)?,
                created_at: r.get(6)?,
                last_login: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn record_login(&self, user_id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE users SET last_login = ?2 WHERE id = ?1",
            params![user_id, now()],
        )?;
        Ok(())
    }

    /// Changes a user's role and grants; refuses to leave the server without an admin.
    pub fn update_user(&self, id: i64, p: &UserPatch) -> Result<User> {
        self.tx(|tx| {
            let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1");
            let mut u = tx
                .query_row(&sql, [id], user_from_row)
                .optional()?
                .ok_or(Error::NotFound("user"))?;
            if let Some(role) = p.role {
                if u.role == Role::Admin && role != Role::Admin && admin_count(tx)? <= 1 {
                    return Err(Error::Refused("the last admin cannot stop being one"));
                }
                u.role = role;
            }
            let g = &mut u.grants;
            g.can_upload = p.can_upload.unwrap_or(g.can_upload);
            g.can_delete = p.can_delete.unwrap_or(g.can_delete);
            g.can_edit_collections = p.can_edit_collections.unwrap_or(g.can_edit_collections);
            tx.execute(
                "UPDATE users SET role = ?2, can_upload = ?3, can_delete = ?4,
                 can_edit_collections = ?5 WHERE id = ?1",
                params![
                    id,
                    u.role.as_str(),
                    g.can_upload,
                    g.can_delete,
                    g.can_edit_collections
                ],
            )?;
            Ok(u)
        })
    }

    /// Sets a new password hash and ends the user's sessions, all but `keep_session` (the
    /// token hash of the session that asked, when users change their own password). With
    /// `end_tokens` (an admin's reset) the user's API tokens end too: whoever took over the
    /// account may have made some.
    pub fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        end_tokens: bool,
    ) -> Result<()> {
        self.tx(|tx| {
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?;
            if n == 0 {
                return Err(Error::NotFound("user"));
            }
            tx.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2",
                params![id, keep_session],
            )?;
            if end_tokens {
                tx.execute("DELETE FROM api_tokens WHERE user_id = ?1", [id])?;
            }
            Ok(())
        })
    }

    /// Removes a user with their sessions, tokens, settings and own metadata; their files stay.
    pub fn delete_user(&self, id: i64) -> Result<()> {
        self.tx(|tx| {
            let role: Option<String> = tx
                .query_row("SELECT role FROM users WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            match role.as_deref() {
                None => return Err(Error::NotFound("user")),
                Some("admin") if admin_count(tx)? <= 1 => {
                    return Err(Error::Refused("the last admin cannot be removed"));
                }
                _ => {}
            }
            tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    pub fn create_invitation(
        &self,
        token_hash: &str,
        role: Role,
        grants: Grants,
        created_by: i64,
        ttl_secs: i64,
    ) -> Result<Invitation> {
        let conn = self.conn();
        let t = now();
        conn.execute(
            "INSERT INTO invitations (token_hash, role, can_upload, can_delete,
             can_edit_collections, created_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                token_hash,
                role.as_str(),
                grants.can_upload,
                grants.can_delete,
                grants.can_edit_collections,
                created_by,
                t,
                t + ttl_secs
            ],
        )?;
        Ok(Invitation {
            id: conn.last_insert_rowid(),
            role,
            grants,
            created_at: t,
            expires_at: t + ttl_secs,
        })
    }

    /// Invitations not yet used and not expired.
    pub fn open_invitations(&self) -> Result<Vec<Invitation>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{INVITATION_SELECT} WHERE used_at IS NULL AND expires_at > ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([now()], invitation_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The open invitation with this token hash.
    pub fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "{INVITATION_SELECT} WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2"
                ),
                params![token_hash, now()],
                invitation_from_row,
            )
            .optional()?)
    }

    pub fn delete_invitation(&self, id: i64) -> Result<()> {
        let n = self
            .conn()
            .execute("DELETE FROM invitations WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(Error::NotFound("invitation"));
        }
        Ok(())
    }

    /// Creates the invited user and spends the invitation, atomically: a link works once.
    pub fn accept_invitation(
        &self,
        token_hash: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<User> {
        self.tx(|tx| {
            let inv = tx
                .query_row(
                    &format!(
                        "{INVITATION_SELECT} WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2"
                    ),
                    params![token_hash, now()],
                    invitation_from_row,
                )
                .optional()?
                .ok_or(Error::NotFound("invitation"))?;
            let user = insert_user(tx, username, password_hash, inv.role, inv.grants)?;
            tx.execute(
                "UPDATE invitations SET used_by = ?2, used_at = ?3 WHERE id = ?1",
                params![inv.id, user.id, now()],
            )?;
            Ok(user)
        })
    }

    /// A user's settings as stored: key and JSON value.
    pub fn settings(&self, user_id: i64) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT key, value FROM user_settings WHERE user_id = ?1 ORDER BY key")?;
        let rows = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets each key to its JSON value, in one transaction.
    pub fn put_settings(&self, user_id: i64, values: &[(String, String)]) -> Result<()> {
        self.tx(|tx| {
            for (k, v) in values {
                tx.execute(
                    "INSERT INTO user_settings (user_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
                    params![user_id, k, v],
                )?;
            }
            Ok(())
        })
    }
}

const INVITATION_SELECT: &str = "SELECT id, role, can_upload, can_delete, can_edit_collections,
    created_at, expires_at FROM invitations";

fn invitation_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        id: r.get(0)?,
        role: Role::parse(&r.get::<_, String>(1)?),
        grants: Grants {
            can_upload: r.get(2)?,
            can_delete: r.get(3)?,
            can_edit_collections: r.get(4)?,
        },
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
    })
}

fn admin_count(tx: &rusqlite::Transaction<'_>) -> Result<i64> {
    Ok(
        tx.query_row("SELECT count(*) FROM users WHERE role = 'admin'", [], |r| {
            r.get(0)
        })?,
    )
}

fn insert_user(
    tx: &rusqlite::Transaction<'_>,
    username: &str,
    password_hash: &str,
    role: Role,
    grants: Grants,
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
        "INSERT INTO users (username, password_hash, role, can_upload, can_delete,
         can_edit_collections, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            username,
            password_hash,
            role.as_str(),
            grants.can_upload,
            grants.can_delete,
            grants.can_edit_collections,
            now()
        ],
    )?;
    Ok(User {
        id: tx.last_insert_rowid(),
        username: username.to_owned(),
        role,
        grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_store;

    #[test]
    fn first_admin_only_once() {
        let (_d, s) = test_store();
        let admin = s.create_first_admin("ada", "h").expect("first admin");
        assert!(admin.may(Permission::Upload) && admin.may(Permission::Delete));
        assert!(s.create_first_admin("bob", "h").is_err());
        let (found, hash) = s.user_by_name("ADA").expect("query").expect("found");
        assert_eq!((found.id, hash.as_str()), (admin.id, "h"));
    }

    #[test]
    fn grants_give_members_single_rights() {
        let (_d, s) = test_store();
        let _admin = s.create_first_admin("ada", "h").expect("admin");
        let m = s.create_user("bob", "h", Role::Member).expect("member");
        assert!(!m.may(Permission::Upload));
        let patch = UserPatch {
            can_upload: Some(true),
            ..Default::default()
        };
        let m = s.update_user(m.id, &patch).expect("grant");
        assert!(m.may(Permission::Upload));
        assert!(!m.may(Permission::Delete) && !m.may(Permission::EditCollections));
    }

    #[test]
    fn the_last_admin_stays() {
        let (_d, s) = test_store();
        let a = s.create_first_admin("ada", "h").expect("admin");
        let demote = UserPatch {
            role: Some(Role::Member),
            ..Default::default()
        };
        assert!(matches!(
            s.update_user(a.id, &demote),
            Err(Error::Refused(_))
        ));
        assert!(matches!(s.delete_user(a.id), Err(Error::Refused(_))));
        let b = s
            .create_user("bea", "h", Role::Admin)
            .expect("second admin");
        s.update_user(a.id, &demote).expect("now ada may step down");
        assert!(matches!(s.delete_user(b.id), Err(Error::Refused(_))));
    }

    #[test]
    fn an_invitation_works_once() {
        let (_d, s) = test_store();
        let a = s.create_first_admin("ada", "h").expect("admin");
        let g = Grants {
            can_upload: true,
            ..Default::default()
        };
        s.create_invitation("inv", Role::Member, g, a.id, 60)
            .expect("invite");
        s.create_invitation("old", Role::Member, g, a.id, -1)
            .expect("expired invite");
        assert_eq!(s.open_invitations().expect("list").len(), 1);
        assert!(s.invitation("old").expect("q").is_none());
        let u = s.accept_invitation("inv", "cy", "h2").expect("accept");
        assert_eq!((u.role, u.grants), (Role::Member, g));
        assert!(matches!(
            s.accept_invitation("inv", "dee", "h3"),
            Err(Error::NotFound(_))
        ));
        assert!(s.open_invitations().expect("list").is_empty());
    }

    #[test]
    fn settings_are_replaced_per_key() {
        let (_d, s) = test_store();
        let a = s.create_first_admin("ada", "h").expect("admin");
        let put = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        s.put_settings(a.id, &put("theme", "\"dark\""))
            .expect("put");
        s.put_settings(a.id, &put("theme", "\"light\""))
            .expect("put");
        s.put_settings(a.id, &put("autoplay", "false"))
            .expect("put");
        assert_eq!(
            s.settings(a.id).expect("get"),
            vec![
                ("autoplay".to_owned(), "false".to_owned()),
                ("theme".to_owned(), "\"light\"".to_owned())
            ]
        );
    }
}
