//! Opening the database: pragmas, migrations, and the one connection every query goes through.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::{Error, Result};
use crate::schema::MIGRATIONS;

/// The database. One connection behind a std mutex: SQLite has one writer anyway, every call runs
/// on a blocking thread, and each holds the lock for one short statement or transaction.
pub struct Store {
    conn: Mutex<Connection>,
    /// For a read-only copy that is replaced whole (a mirror's): the file, and the inode the
    /// connection has open; a new inode at the path is opened before the next statement.
    follow: Option<Follow>,
}

struct Follow {
    path: std::path::PathBuf,
    inode: std::sync::atomic::AtomicU64,
}

fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// Opens an existing database without the right to write (for readers such as the renderer).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            conn: Mutex::new(conn),
            follow: None,
        })
    }

    /// Opens a copy of the database read-only and follows it: when the file at `path` is
    /// replaced (renamed over, as the sync agent puts a new snapshot in place), the next
    /// statement reads the new file. For a mirror.
    pub fn open_following(path: &Path) -> Result<Self> {
        let mut s = Self::open_read_only(path)?;
        s.follow = Some(Follow {
            path: path.to_path_buf(),
            inode: std::sync::atomic::AtomicU64::new(inode(path)),
        });
        Ok(s)
    }

    /// Writes a consistent copy of the database to `dest` with SQLite's online backup (never a
    /// copy of the live file, which a writer may be changing), in rollback-journal mode so that
    /// a reader can open it read-only on its own. `dest` is replaced whole.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let tmp = dest.with_extension("backup-tmp");
        let _ = std::fs::remove_file(&tmp);
        {
            let mut out = Connection::open(&tmp)?;
            {
                let conn = self.conn();
                let b = rusqlite::backup::Backup::new(&conn, &mut out)?;
                b.run_to_completion(256, std::time::Duration::ZERO, None)?;
            }
            out.pragma_update(None, "journal_mode", "DELETE")?;
        }
        std::fs::rename(&tmp, dest)?;
        Ok(())
    }

    /// Another connection to the same file, read-only, for a thread that reads beside this
    /// store's users without waiting for its lock (a render's threads). `None` for a database
    /// that is not a file.
    pub fn reader(&self) -> Result<Option<Self>> {
        let path = match self.conn().path() {
            Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => return Ok(None),
        };
        Self::open_read_only(&path).map(Some)
    }

    /// Whether this store may not write (a reader's, or a mirror's copy).
    pub fn is_read_only(&self) -> bool {
        self.conn().is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
    }

    fn setup(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            follow: None,
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is safe to take over.
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = &self.follow {
            use std::sync::atomic::Ordering;
            let now = inode(&f.path);
            if now != 0 && now != f.inode.load(Ordering::Relaxed) {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                if let Ok(fresh) = Connection::open_with_flags(&f.path, flags) {
                    let _ = fresh.busy_timeout(std::time::Duration::from_secs(5));
                    *conn = fresh;
                    f.inode.store(now, Ordering::Relaxed);
                }
            }
        }
        conn
    }

    /// Runs `f` in one transaction, committed only if it returns `Ok`.
    pub(crate) fn tx<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// The schema version this database is at.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) fn test_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("oott.db")).expect("open store");
    (dir, store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("oott.db");
        let store = Store::open(&path).expect("first open");
        assert_eq!(
            store.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
        drop(store);
        let store = Store::open(&path).expect("second open");
        assert_eq!(
            store.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
        let ro = Store::open_read_only(&path).expect("read-only open");
        assert!(ro.is_read_only() && !store.is_read_only());
        assert_eq!(
            ro.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("oott.db");
        Connection::open(&path)
            .and_then(|c| c.pragma_update(None, "user_version", 999))
            .expect("set version");
        assert!(matches!(
            Store::open(&path),
            Err(Error::SchemaTooNew { found: 999, .. })
        ));
    }

    #[test]
    fn a_followed_copy_reads_the_file_that_replaced_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("oott.db");
        let first = Store::open(&path).expect("open");
        first
            .conn()
            .execute_batch("PRAGMA user_version = 77")
            .expect("mark");
        drop(first);
        let follower = Store::open_following(&path).expect("follow");
        assert_eq!(follower.schema_version().expect("version"), 77);
        let next = dir.path().join("next.db");
        let second = Store::open(&next).expect("open");
        second
            .conn()
            .execute_batch("PRAGMA user_version = 78; PRAGMA journal_mode = DELETE")
            .expect("mark");
        drop(second);
        std::fs::rename(&next, &path).expect("replace");
        assert_eq!(follower.schema_version().expect("version"), 78);
        assert!(follower.is_read_only());
    }

    #[test]
    fn a_backup_is_whole_and_opens_read_only_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("oott.db")).expect("open");
        store
            .conn()
            .execute_batch("PRAGMA user_version = 91")
            .expect("mark");
        let copy = dir.path().join("copy/oott.db");
        std::fs::create_dir_all(copy.parent().expect("dir")).expect("dir");
        store.backup_to(&copy).expect("backup");
        let names: Vec<_> = std::fs::read_dir(copy.parent().expect("dir"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            names.len(),
            1,
            "no journal or temporary file beside it: {names:?}"
        );
        let ro = Store::open_read_only(&copy).expect("open the copy");
        assert_eq!(ro.schema_version().expect("version"), 91);
        // The same database gives the same bytes: an idle sync pass has nothing to send.
        let again = dir.path().join("copy/again.db");
        store.backup_to(&again).expect("backup again");
        assert_eq!(
            std::fs::read(&copy).expect("copy"),
            std::fs::read(&again).expect("again")
        );
    }
}
