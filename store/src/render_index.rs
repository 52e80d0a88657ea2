//! The renderer's own index, kept in a file beside the site it describes (never in the main
//! database, which the renderer only reads): each title's card, the list files it belongs to,
//! its search tokens, and the change-log position the site reflects. It is derived data: a
//! full render rebuilds it, and an incremental one changes it in the transaction that ends
//! the render, so a render killed part way leaves it as it was.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Rows inserted many to a statement (`head` then `VALUES` groups of `N` parameters): a bulk
/// load of a few hundred thousand rows pays a statement's step and reset once a group, not once
/// a row. Rows are inserted in the order they are pushed.
struct Rows<'t, 'v, const N: usize> {
    tx: &'t Transaction<'t>,
    head: &'static str,
    /// The statement that inserts `AT_ONCE` rows, once prepared.
    full: Option<rusqlite::Statement<'t>>,
    rows: Vec<[&'v dyn rusqlite::ToSql; N]>,
}

impl<'t, 'v, const N: usize> Rows<'t, 'v, N> {
    /// How many rows a statement inserts.
    const AT_ONCE: usize = 32;

    fn new(tx: &'t Transaction<'t>, head: &'static str) -> Self {
        Rows {
            tx,
            head,
            full: None,
            rows: Vec::with_capacity(Self::AT_ONCE),
        }
    }

    fn push(&mut self, row: [&'v dyn rusqlite::ToSql; N]) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() == Self::AT_ONCE {
            self.flush()?;
        }
        Ok(())
    }

    /// The statement that inserts `n` rows.
    fn statement(&self, n: usize) -> Result<rusqlite::Statement<'t>> {
        let group = format!("({})", vec!["?"; N].join(", "));
        let sql = format!("{} {}", self.head, vec![group; n].join(", "));
        Ok(self.tx.prepare(&sql)?)
    }

    fn flush(&mut self) -> Result<()> {
        let mut tail;
        let stmt = match self.rows.len() {
            0 => return Ok(()),
            Self::AT_ONCE => match &mut self.full {
                Some(s) => s,
                None => self.full.insert(self.statement(Self::AT_ONCE)?),
            },
            n => {
                tail = self.statement(n)?;
                &mut tail
            }
        };
        for (i, value) in self.rows.iter().flatten().enumerate() {
            stmt.raw_bind_parameter(i + 1, value)?;
        }
        stmt.raw_execute()?;
        self.rows.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.flush()
    }
}

/// What a card shows, plus the keys lists are sorted by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRow {
    pub id: String,
    pub title: String,
    pub year: Option<i64>,
    pub poster: Option<String>,
    pub stars: Vec<String>,
    pub sort_title: String,
    pub rating: Option<f64>,
    pub votes: i64,
    pub added_at: i64,
    /// What the library view sorts and filters by beyond the card (JSON: runtime, height,
    /// subtitles, genres).
    pub facts: String,
}

/// A list file and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// A title in a list, as a bulk load takes it (`IndexTx::add_member`'s arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub key: Shared,
    pub label: Shared,
    pub id: Shared,
    /// Who put it there: the title itself (the lists its own data puts it in) or the list
    /// itself (a collection's or a category's titles), so a membership is found by its owner
    /// through the index of either.
    pub owner: Shared,
    pub added_at: i64,
    pub position: i64,
}

/// Text that many rows hold (a list's key and label, a title's id, a token): one copy shared.
pub type Shared = std::sync::Arc<str>;

/// Orders shared texts; one copy shared by many rows is equal to itself without a look at its
/// bytes (a bulk load compares a list's key with itself a million times).
fn shared_cmp(a: &Shared, b: &Shared) -> std::cmp::Ordering {
    if std::sync::Arc::ptr_eq(a, b) {
        std::cmp::Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Hands out one shared copy of each text it is given.
#[derive(Debug, Default)]
pub struct Interner(crate::text::QuickSet<Shared>);

impl Interner {
    pub fn get(&mut self, text: &str) -> Shared {
        if let Some(s) = self.0.get(text) {
            return s.clone();
        }
        let s: Shared = text.into();
        self.0.insert(s.clone());
        s
    }
}

/// What a full render loads into an empty index at once.
#[derive(Debug, Default)]
pub struct Bulk {
    pub cards: Vec<CardRow>,
    pub members: Vec<Member>,
    /// (token, id, field, votes)
    pub tokens: Vec<(Shared, Shared, i64, i64)>,
    /// Each title's related titles, in its own order (in the library or not).
    pub related: Vec<(Shared, Vec<Shared>)>,
}

/// A list as a bulk load makes it: its key, its label (its last new member's) and its members,
/// each title once (its first membership of the list counts), by title.
#[derive(Debug)]
pub struct BulkList<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub members: Vec<&'a Member>,
}

impl Bulk {
    /// The lists the memberships make, by key, as `add_member` one by one in this order would
    /// leave them: one sort, no set of (list, title) pairs.
    pub fn lists(&self) -> Vec<BulkList<'_>> {
        let mut all: Vec<(usize, &Member)> = self.members.iter().enumerate().collect();
        all.sort_unstable_by(|(i, a), (j, b)| {
            shared_cmp(&a.key, &b.key)
                .then_with(|| shared_cmp(&a.id, &b.id))
                .then(i.cmp(j))
        });
        all.dedup_by(|(_, b), (_, a)| shared_cmp(&a.key, &b.key).is_eq() && a.id == b.id);
        all.chunk_by(|(_, a), (_, b)| shared_cmp(&a.key, &b.key).is_eq())
            .map(|list| {
                let last = list.iter().max_by_key(|(i, _)| *i).map(|(_, m)| *m);
                BulkList {
                    key: &list[0].1.key,
                    label: last.map_or("", |m| &m.label),
                    members: list.iter().map(|(_, m)| *m).collect(),
                }
            })
            .collect()
    }

    pub fn append(&mut self, mut other: Bulk) {
        self.cards.append(&mut other.cards);
        self.members.append(&mut other.members);
        self.tokens.append(&mut other.tokens);
        self.related.append(&mut other.related);
    }
}

/// The lengths of the token prefixes whose postings the index counts, so that a search shard's
/// size is one lookup: the renderer splits a shard of a prefix with too many postings by the
/// next character, down to prefixes one character longer than the longest counted. Not deeper:
/// a typo is found only past the letters that name a word's shard (`nakamra` finds `nakamura`
/// in the shard `nakam`, not below a split `nakam`).
pub const COUNTED_PREFIXES: std::ops::RangeInclusive<usize> = 3..=4;

/// The counted prefixes of a token (none for a number, whose shard never splits).
pub fn counted_prefixes(token: &str) -> impl Iterator<Item = &str> {
    let number = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    // Where each prefix of one, two, … characters ends.
    let ends = token
        .char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain((!token.is_empty()).then_some(token.len()));
    ends.enumerate()
        .filter(move |(n, _)| !number && COUNTED_PREFIXES.contains(&(n + 1)))
        .map(move |(_, end)| &token[..end])
}

/// Ids as one text, in order (ids hold no spaces).
fn joined(ids: &[impl AsRef<str>]) -> String {
    let mut out = String::new();
    for id in ids {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(id.as_ref());
    }
    out
}

/// The bucket of a card: the number in its id, modulo `CARD_BUCKETS`.
pub fn card_bucket(id: &str) -> i64 {
    id.get(2..).and_then(|d| d.parse::<i64>().ok()).unwrap_or(0) % CARD_BUCKETS
}

pub struct RenderIndex {
    conn: Connection,
}

/// The memberships `?1` owns: its own, found through the members' index by title, or its
/// list's, found through the table's key (`Member::owner`); no index by owner to keep.
const OWNED: &str = "(id = ?1 OR key = ?1) AND owner = ?1";

/// The secondary indexes, dropped while a full render loads the tables and made again after.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS cards_added ON cards(added_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS cards_rating ON cards(rating DESC, votes DESC, id);
CREATE INDEX IF NOT EXISTS members_by_id ON members(id, key);
CREATE INDEX IF NOT EXISTS members_recent ON members(key, added_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS cards_bucket ON cards(bucket);
CREATE INDEX IF NOT EXISTS prefixes_by_postings ON prefixes(postings);
";

/// The index's layout; an index of another version is dropped and rebuilt by a full render.
const VERSION: i64 = 12;

/// Cards are spread over this many buckets (by the number in their id), which the search
/// document files group.
pub const CARD_BUCKETS: i64 = 4096;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, year INTEGER, poster TEXT, stars TEXT NOT NULL,
    sort_title TEXT NOT NULL, rating REAL, votes INTEGER NOT NULL, added_at INTEGER NOT NULL,
    bucket INTEGER NOT NULL, facts TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS lists (key TEXT PRIMARY KEY, label TEXT NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    key TEXT NOT NULL, id TEXT NOT NULL, owner TEXT NOT NULL, added_at INTEGER NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (token TEXT NOT NULL, id TEXT NOT NULL, field INTEGER NOT NULL,
    votes INTEGER NOT NULL, PRIMARY KEY (token, id, field)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prefixes (prefix TEXT PRIMARY KEY, postings INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens_of (id TEXT PRIMARY KEY, tokens TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suggested (owner TEXT PRIMARY KEY, ids TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS related (member TEXT NOT NULL, owner TEXT NOT NULL,
    PRIMARY KEY (member, owner)) WITHOUT ROWID;
";

fn card_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CardRow> {
    Ok(CardRow {
        id: r.get(0)?,
        title: r.get(1)?,
        year: r.get(2)?,
        poster: r.get(3)?,
        stars: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
        sort_title: r.get(5)?,
        rating: r.get(6)?,
        votes: r.get(7)?,
        added_at: r.get(8)?,
        facts: r.get(9)?,
    })
}

const CARD_COLS: &str = "c.id, c.title, c.year, c.poster, c.stars, c.sort_title, c.rating, c.votes, c.added_at, c.facts";

impl RenderIndex {
    /// Opens (creating) the index at `path`. It is derived data, so it trades durability for
    /// speed: a crash can at worst cost a full render.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version != VERSION {
            conn.execute_batch(
                "DROP TABLE IF EXISTS state; DROP TABLE IF EXISTS cards; DROP TABLE IF EXISTS lists;
                 DROP TABLE IF EXISTS members; DROP TABLE IF EXISTS tokens;
                 DROP TABLE IF EXISTS prefixes; DROP TABLE IF EXISTS suggested;
                 DROP TABLE IF EXISTS related; DROP TABLE IF EXISTS tokens_of;",
            )?;
            conn.pragma_update(None, "user_version", VERSION)?;
        }
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(INDEXES)?;
        Ok(RenderIndex { conn })
    }

    /// For an index built whole in a folder no one reads yet (thrown away if the build is
    /// killed): no journal, nothing waited for on the disk, and the pages of the load kept in
    /// memory rather than written out and read back as it goes. Later opens journal it again.
    pub fn unjournaled(&self) -> Result<()> {
        self.conn.pragma_update(None, "journal_mode", "OFF")?;
        self.conn.pragma_update(None, "synchronous", "OFF")?;
        self.conn.pragma_update(None, "cache_size", -(1i64 << 18))?;
        Ok(())
    }

    /// Reads the index's pages through a memory map rather than a copy per page read, for a
    /// render that reads a few parts of a large index (an incremental one); a full render reads
    /// it all, and would hold every page it maps.
    pub fn map_pages(&self) -> Result<()> {
        self.conn.pragma_update(None, "mmap_size", 1i64 << 32)?;
        // Nor is the log folded into the file when the render ends: a later commit does it
        // once the log has grown (a small render would pay for that on every close).
        self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        Ok(())
    }

    pub fn begin(&mut self) -> Result<IndexTx<'_>> {
        // `&mut self` keeps this the connection's only transaction.
        let conn: &Connection = &self.conn;
        Ok(IndexTx {
            tx: Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?,
            view: IndexView { conn },
            touched: Default::default(),
        })
    }
}

/// One render's changes to the index, committed when the render is done. It reads as an
/// `IndexView` of itself (what it has changed included).
pub struct IndexTx<'a> {
    tx: Transaction<'a>,
    view: IndexView<'a>,
    /// The counted prefixes this transaction changed, with their postings before.
    touched: std::cell::RefCell<std::collections::BTreeMap<String, i64>>,
}

impl<'a> std::ops::Deref for IndexTx<'a> {
    type Target = IndexView<'a>;

    fn deref(&self) -> &IndexView<'a> {
        &self.view
    }
}

/// A connection of its own to a committed index, for a thread that renders beside others.
/// It reads one snapshot: the index as it was when the reader was opened.
pub struct IndexReader {
    conn: Connection,
}

impl IndexReader {
    /// A reader of no index, for a thread whose pages read nothing from it (a full render's
    /// movie pages, answered from the rows in memory).
    pub fn empty() -> Result<Self> {
        Ok(IndexReader {
            conn: Connection::open_in_memory()?,
        })
    }

    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The snapshot starts with the first read.
        conn.execute_batch("BEGIN")?;
        conn.query_row("SELECT count(*) FROM state", [], |_| Ok(()))?;
        Ok(IndexReader { conn })
    }

    pub fn view(&self) -> IndexView<'_> {
        IndexView { conn: &self.conn }
    }
}

impl IndexTx<'_> {
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }

    pub fn set_state(&self, name: &str, value: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
            params![name, value],
        )?;
        Ok(())
    }

    /// Empties the index for a full render, and drops the secondary indexes while it is
    /// loaded (`index_after_bulk` makes them again).
    pub fn clear(&self) -> Result<()> {
        // Each index `INDEXES` makes: `CREATE INDEX IF NOT EXISTS <name> ON …`.
        for name in INDEXES.lines().filter_map(|l| l.split_whitespace().nth(5)) {
            self.tx
                .execute(&format!("DROP INDEX IF EXISTS {name}"), [])?;
        }
        self.tx.execute_batch(
            "DELETE FROM cards; DELETE FROM lists; DELETE FROM members; DELETE FROM tokens;
             DELETE FROM prefixes; DELETE FROM suggested; DELETE FROM related;
             DELETE FROM tokens_of;
             DELETE FROM state;",
        )?;
        Ok(())
    }

    /// Loads an emptied index (`clear`) with rows as `put_card`, `add_member` and `add_token`
    /// one by one in this order would (the first of a list's title or of a token's posting
    /// counts; a list is labelled by its last new member), but sorted by key first, so that
    /// each table grows at its end.
    pub fn load(&self, bulk: &Bulk) -> Result<()> {
        let mut cards: Vec<&CardRow> = bulk.cards.iter().collect();
        cards.sort_by(|a, b| a.id.cmp(&b.id));
        let derived: Vec<(String, i64)> = cards
            .iter()
            .map(|c| Ok((serde_json::to_string(&c.stars)?, card_bucket(&c.id))))
            .collect::<Result<_>>()?;
        let mut insert = Rows::new(
            &self.tx,
            "INSERT INTO cards (id, title, year, poster, stars, sort_title, rating, votes, added_at, bucket, facts) VALUES",
        );
        for (c, (stars, bucket)) in cards.iter().zip(&derived) {
            insert.push([
                &c.id,
                &c.title,
                &c.year,
                &c.poster,
                stars,
                &c.sort_title,
                &c.rating,
                &c.votes,
                &c.added_at,
                bucket,
                &c.facts,
            ])?;
        }
        insert.finish()?;
        let lists = bulk.lists();
        let mut members = Rows::new(
            &self.tx,
            "INSERT INTO members (key, id, owner, added_at, position) VALUES",
        );
        for m in lists.iter().flat_map(|l| &l.members) {
            members.push([&m.key, &m.id, &m.owner, &m.added_at, &m.position])?;
        }
        members.finish()?;
        let mut insert = self
            .tx
            .prepare_cached("INSERT INTO lists (key, label, count) VALUES (?1, ?2, ?3)")?;
        for l in &lists {
            insert.execute(params![l.key, l.label, l.members.len() as i64])?;
        }
        // Each title's words, from its postings as they come (a title's together, titles by id).
        let mut words: Vec<&str> = Vec::new();
        let tokens_of: Vec<(&Shared, String)> = bulk
            .tokens
            .chunk_by(|a, b| a.1 == b.1)
            .map(|postings| {
                words.clear();
                words.extend(postings.iter().map(|p| &*p.0));
                words.sort_unstable();
                words.dedup();
                (&postings[0].1, words.join(" "))
            })
            .collect();
        let mut insert = Rows::new(
            &self.tx,
            "INSERT OR IGNORE INTO tokens_of (id, tokens) VALUES",
        );
        for (id, words) in &tokens_of {
            insert.push([id, words])?;
        }
        insert.finish()?;
        // The postings of each word, in the order they came (a full render's come by title id,
        // a title's by field, so each word's are sorted already: only the words are sorted,
        // not a million postings). Stable: the first of equal postings stays first.
        let mut words: crate::text::QuickMap<&str, Vec<&(Shared, Shared, i64, i64)>> =
            Default::default();
        for t in &bulk.tokens {
            words.entry(&t.0).or_default().push(t);
        }
        let mut sorted: Vec<&str> = words.keys().copied().collect();
        sorted.sort_unstable();
        let mut insert = Rows::new(
            &self.tx,
            "INSERT INTO tokens (token, id, field, votes) VALUES",
        );
        for word in sorted {
            let postings = words.get_mut(word).expect("a word's postings");
            let by_posting = |a: &&(Shared, Shared, i64, i64), b: &&(Shared, Shared, i64, i64)| {
                shared_cmp(&a.1, &b.1).then(a.2.cmp(&b.2))
            };
            if !postings.is_sorted_by(|a, b| by_posting(a, b).is_le()) {
                postings.sort_by(by_posting);
            }
            postings.dedup_by(|b, a| (&a.1, a.2) == (&b.1, b.2));
            for (token, id, field, votes) in postings.iter() {
                insert.push([token, id, field, votes])?;
            }
        }
        insert.finish()?;
        // The first list of a title counts, as `set_related` one by one would have it.
        let mut related: Vec<&(Shared, Vec<Shared>)> = bulk.related.iter().collect();
        related.sort_by(|a, b| shared_cmp(&a.0, &b.0));
        related.dedup_by(|b, a| a.0 == b.0);
        let lists: Vec<String> = related.iter().map(|(_, ids)| joined(ids)).collect();
        let mut list = Rows::new(&self.tx, "INSERT INTO suggested (owner, ids) VALUES");
        for ((owner, _), ids) in related.iter().zip(&lists) {
            list.push([owner, ids])?;
        }
        list.finish()?;
        // Who shows each title, in the table's own order (by the title shown, then by owner).
        let mut pairs: Vec<(&Shared, &Shared)> = related
            .iter()
            .flat_map(|(owner, ids)| ids.iter().map(move |m| (m, owner)))
            .collect();
        pairs.sort_unstable_by(|a, b| shared_cmp(a.0, b.0).then_with(|| shared_cmp(a.1, b.1)));
        pairs.dedup();
        let mut insert = Rows::new(&self.tx, "INSERT INTO related (member, owner) VALUES");
        for (member, owner) in &pairs {
            insert.push([*member, *owner])?;
        }
        insert.finish()
    }

    /// Sets the titles related to `owner`, in its order (none: it has no list).
    pub fn set_related(&self, owner: &str, ids: &[impl AsRef<str>]) -> Result<()> {
        // The pairs it made, found by its list (the table is ordered by the title shown).
        let mut gone = self
            .tx
            .prepare_cached("DELETE FROM related WHERE member = ?1 AND owner = ?2")?;
        for member in self.related_of(owner)? {
            gone.execute([member.as_str(), owner])?;
        }
        self.tx
            .prepare_cached("DELETE FROM suggested WHERE owner = ?1")?
            .execute([owner])?;
        if ids.is_empty() {
            return Ok(());
        }
        self.tx
            .prepare_cached("INSERT INTO suggested (owner, ids) VALUES (?1, ?2)")?
            .execute(params![owner, joined(ids)])?;
        let mut insert = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO related (member, owner) VALUES (?1, ?2)")?;
        for id in ids {
            insert.execute(params![id.as_ref(), owner])?;
        }
        Ok(())
    }

    /// Loads the postings of each counted prefix (`counted_prefixes`) into an emptied index.
    pub fn load_prefixes(&self, prefixes: &[(String, i64)]) -> Result<()> {
        let mut insert = self
            .tx
            .prepare_cached("INSERT INTO prefixes (prefix, postings) VALUES (?1, ?2)")?;
        let mut prefixes: Vec<&(String, i64)> = prefixes.iter().collect();
        prefixes.sort_unstable();
        for (prefix, postings) in prefixes {
            insert.execute(params![prefix, postings])?;
        }
        Ok(())
    }

    /// The counted prefixes this transaction changed: (prefix, postings before, postings now).
    pub fn prefix_changes(&self) -> Result<Vec<(String, i64, i64)>> {
        self.touched
            .borrow()
            .iter()
            .map(|(p, before)| Ok((p.clone(), *before, self.postings_with_prefix(p)?)))
            .collect()
    }

    /// Makes the secondary indexes again after a bulk load.
    pub fn index_after_bulk(&self) -> Result<()> {
        self.tx.execute_batch(INDEXES)?;
        Ok(())
    }

    /// Removes a title: its card, the memberships it owns (list counts go down; a collection's
    /// membership of it stays, owned by the collection) and its tokens.
    pub fn remove(&self, id: &str) -> Result<()> {
        self.drop_owned(id)?;
        self.set_related(id, &[] as &[&str])?;
        let mut postings = self
            .tx
            .prepare_cached("DELETE FROM tokens WHERE token = ?1 AND id = ?2")?;
        for token in self.tokens_of(id)? {
            let gone = postings.execute([&token, id])?;
            self.count_postings(&token, -(gone as i64))?;
        }
        self.tx
            .prepare_cached("DELETE FROM tokens_of WHERE id = ?1")?
            .execute([id])?;
        self.tx.execute("DELETE FROM cards WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Removes every membership `owner` made; answers the list keys that lost members.
    pub fn drop_owned(&self, owner: &str) -> Result<Vec<String>> {
        let keys: Vec<String> = {
            let mut stmt = self
                .tx
                .prepare_cached(&format!("SELECT DISTINCT key FROM members WHERE {OWNED}"))?;
            stmt.query_map([owner], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        // Counted through the owner's rows alone, not by a look at every member of each list
        // (a genre holds thousands).
        let lost: Vec<(String, i64)> = {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT key, count(*) FROM members WHERE {OWNED} GROUP BY key"
            ))?;
            stmt.query_map([owner], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut fewer = self
            .tx
            .prepare_cached("UPDATE lists SET count = count - ?2 WHERE key = ?1")?;
        for (key, n) in &lost {
            fewer.execute(params![key, n])?;
        }
        self.tx
            .prepare_cached(&format!("DELETE FROM members WHERE {OWNED}"))?
            .execute([owner])?;
        let mut empty = self
            .tx
            .prepare_cached("DELETE FROM lists WHERE key = ?1 AND count <= 0")?;
        for key in &keys {
            empty.execute([key])?;
        }
        Ok(keys)
    }

    pub fn put_card(&self, c: &CardRow) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT INTO cards (id, title, year, poster, stars, sort_title, rating, votes, added_at, bucket, facts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET title = ?2, year = ?3, poster = ?4, stars = ?5,
                 sort_title = ?6, rating = ?7, votes = ?8, added_at = ?9, bucket = ?10, facts = ?11",
        )?
        .execute(params![
                c.id,
                c.title,
                c.year,
                c.poster,
                serde_json::to_string(&c.stars)?,
                c.sort_title,
                c.rating,
                c.votes,
                c.added_at,
                card_bucket(&c.id),
                c.facts
            ])?;
        Ok(())
    }

    /// Adds a title to a list (creating the list with its label), on behalf of `owner`.
    pub fn add_member(
        &self,
        key: &str,
        label: &str,
        id: &str,
        owner: &str,
        added_at: i64,
        position: i64,
    ) -> Result<()> {
        debug_assert!(
            owner == id || owner == key,
            "a membership's owner is its title or its list"
        );
        let new = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO members (key, id, owner, added_at, position) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![key, id, owner, added_at, position])?;
        if new == 1 {
            self.tx
                .prepare_cached(
                    "INSERT INTO lists (key, label, count) VALUES (?1, ?2, 1)
                     ON CONFLICT (key) DO UPDATE SET count = count + 1, label = ?2",
                )?
                .execute(params![key, label])?;
        }
        Ok(())
    }

    /// Adds a search token of a title with `votes` (its popularity, kept with the token so a
    /// shard reads one table).
    pub fn add_token(&self, token: &str, id: &str, field: i64, votes: i64) -> Result<()> {
        let new = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO tokens (token, id, field, votes) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![token, id, field, votes])?;
        if new == 1 {
            self.count_postings(token, 1)?;
            // A word already listed (in another field) is listed again: `tokens_of` answers
            // each once.
            self.tx
                .prepare_cached(
                    "INSERT INTO tokens_of (id, tokens) VALUES (?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET tokens = tokens || ' ' || ?2",
                )?
                .execute(params![id, token])?;
        }
        Ok(())
    }

    /// Adds `by` to the postings of each counted prefix of `token` (a prefix with none left goes).
    fn count_postings(&self, token: &str, by: i64) -> Result<()> {
        let mut add = self.tx.prepare_cached(
            "INSERT INTO prefixes (prefix, postings) VALUES (?1, ?2)
             ON CONFLICT (prefix) DO UPDATE SET postings = postings + ?2",
        )?;
        let mut empty = self
            .tx
            .prepare_cached("DELETE FROM prefixes WHERE prefix = ?1 AND postings <= 0")?;
        let mut touched = self.touched.borrow_mut();
        for prefix in counted_prefixes(token) {
            if !touched.contains_key(prefix) {
                touched.insert(prefix.to_owned(), self.postings_with_prefix(prefix)?);
            }
            add.execute(params![prefix, by])?;
            if by < 0 {
                empty.execute([prefix])?;
            }
        }
        Ok(())
    }
}

/// Reads of the index: through a render's own transaction (an `IndexTx` derefs to one), or
/// through an `IndexReader`'s connection.
#[derive(Clone, Copy)]
pub struct IndexView<'c> {
    conn: &'c Connection,
}

impl IndexView<'_> {
    /// A named number (the change-log position, whether the index is complete).
    pub fn state(&self, name: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM state WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    /// The list keys a title belongs to.
    pub fn keys_of(&self, id: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key FROM members WHERE id = ?1 ORDER BY key")?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The titles related to `owner`, in its order (each once, in the library or not).
    pub fn related_of(&self, owner: &str) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for id in self.spaced("SELECT ids FROM suggested WHERE owner = ?1", owner)? {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The words of a text column that holds them separated by spaces (`joined`), from the
    /// row `sql` finds for `key` (none when there is no row).
    fn spaced(&self, sql: &str, key: &str) -> Result<Vec<String>> {
        let text: Option<String> = self
            .conn
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(text
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The titles whose related titles include `member`, by id.
    pub fn related_to(&self, member: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT owner FROM related WHERE member = ?1 ORDER BY owner")?;
        let rows = stmt.query_map([member], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A title's search tokens.
    pub fn tokens_of(&self, id: &str) -> Result<Vec<String>> {
        let mut out = self.spaced("SELECT tokens FROM tokens_of WHERE id = ?1", id)?;
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The ids in a list, in its own order.
    pub fn members(&self, key: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM members WHERE key = ?1 ORDER BY position, id")?;
        let rows = stmt.query_map([key], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The cards of a list: in its own order, or newest first, at most `limit`.
    pub fn list_cards(&self, key: &str, newest_first: bool, limit: i64) -> Result<Vec<CardRow>> {
        let order = if newest_first {
            "m.added_at DESC, m.id DESC"
        } else {
            "m.position, m.id"
        };
        let sql = format!(
            "SELECT {CARD_COLS} FROM members m JOIN cards c ON c.id = m.id WHERE m.key = ?1 ORDER BY {order} LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![key, limit], card_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Cards by id (those not in the library left out), in the order asked.
    pub fn cards(&self, ids: &[String]) -> Result<Vec<CardRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {CARD_COLS} FROM cards c WHERE c.id = ?1"))?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(c) = stmt.query_row([id], card_from_row).optional()? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The newest cards, or the best rated (with at least `min_votes` votes).
    pub fn top_cards(&self, by_rating: bool, min_votes: i64, limit: i64) -> Result<Vec<CardRow>> {
        let sql = if by_rating {
            format!(
                "SELECT {CARD_COLS} FROM cards c WHERE c.rating IS NOT NULL AND c.votes >= ?1 ORDER BY c.rating DESC, c.votes DESC, c.id LIMIT ?2"
            )
        } else {
            format!(
                "SELECT {CARD_COLS} FROM cards c WHERE ?1 >= 0 ORDER BY c.added_at DESC, c.id DESC LIMIT ?2"
            )
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![min_votes, limit], card_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The lists whose keys start with `prefix`, by key.
    pub fn lists(&self, prefix: &str) -> Result<Vec<ListRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, label, count FROM lists WHERE key >= ?1 AND key < ?1 || char(1114111) ORDER BY key",
        )?;
        let rows = stmt.query_map([prefix], |r| {
            Ok(ListRow {
                key: r.get(0)?,
                label: r.get(1)?,
                count: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn list(&self, key: &str) -> Result<Option<ListRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT key, label, count FROM lists WHERE key = ?1")?
            .query_row([key], |r| {
                Ok(ListRow {
                    key: r.get(0)?,
                    label: r.get(1)?,
                    count: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Tokens starting with `prefix` (or, `exact`, only `prefix` itself), with their postings:
    /// (token, id, field, votes).
    pub fn tokens_with_prefix(
        &self,
        prefix: &str,
        exact: bool,
    ) -> Result<Vec<(String, String, i64, i64)>> {
        let sql = if exact {
            "SELECT token, id, field, votes FROM tokens WHERE token = ?1 ORDER BY id, field"
        } else {
            "SELECT token, id, field, votes FROM tokens WHERE token >= ?1 AND token < ?1 || char(1114111) ORDER BY token, id, field"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([prefix], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many cards there are.
    pub fn card_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM cards")?
            .query_row([], |r| r.get(0))?)
    }

    /// The cards in some buckets, by id.
    pub fn cards_in_buckets(&self, buckets: &[i64]) -> Result<Vec<CardRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CARD_COLS} FROM cards c WHERE c.bucket = ?1"
        ))?;
        let mut out = Vec::new();
        for b in buckets {
            out.extend(
                stmt.query_map([b], card_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            );
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// How many postings the tokens starting with `prefix` have.
    pub fn postings_with_prefix(&self, prefix: &str) -> Result<i64> {
        if counted_prefixes(prefix).last() == Some(prefix) {
            return Ok(self
                .conn
                .prepare_cached("SELECT postings FROM prefixes WHERE prefix = ?1")?
                .query_row([prefix], |r| r.get(0))
                .optional()?
                .unwrap_or(0));
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM tokens WHERE token >= ?1 AND token < ?1 || char(1114111)",
            )?
            .query_row([prefix], |r| r.get(0))?)
    }

    /// The counted prefixes with more than `postings` postings, in order.
    pub fn prefixes_over(&self, postings: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT prefix FROM prefixes WHERE postings > ?1 ORDER BY prefix")?;
        let rows = stmt.query_map([postings], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The distinct shards (`shard_of`) of the tokens starting with `prefix`, one index seek
    /// per shard rather than a pass over every token: after a token whose shard is a prefix
    /// of it with a letter in it, every token of that prefix is in that shard, and is skipped.
    pub fn shards_under(
        &self,
        prefix: &str,
        shard_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT token FROM tokens WHERE token >= ?1 AND token < ?2 || char(1114111)
             ORDER BY token LIMIT 1",
        )?;
        let mut out = std::collections::BTreeSet::new();
        let mut from = prefix.to_owned();
        while let Some(token) = stmt
            .query_row([from.as_str(), prefix], |r| r.get::<_, String>(0))
            .optional()?
        {
            from = match shard_of(&token) {
                Some(s) if s != token && !s.bytes().all(|b| b.is_ascii_digit()) => {
                    let next = format!("{s}\u{10FFFF}");
                    out.insert(s);
                    next
                }
                Some(s) => {
                    out.insert(s);
                    format!("{token}\0")
                }
                None => format!("{token}\0"),
            };
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counted_prefixes_of_a_token() {
        fn all(t: &str) -> Vec<&str> {
            counted_prefixes(t).collect()
        }
        assert_eq!(all("matrix"), ["mat", "matr"]);
        assert_eq!(all("mat"), ["mat"]);
        assert_eq!(all("ma"), Vec::<&str>::new());
        assert_eq!(all("1999"), Vec::<&str>::new());
        assert_eq!(all("ōkami"), ["ōka", "ōkam"]);
    }

    #[test]
    fn clearing_drops_every_secondary_index() {
        let dir = tempfile::tempdir().expect("dir");
        let mut idx = RenderIndex::open(&dir.path().join("index.db")).expect("open");
        let tx = idx.begin().expect("tx");
        let count = |tx: &IndexTx<'_>| -> i64 {
            tx.tx
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index'
                     AND name NOT LIKE 'sqlite_autoindex%'",
                    [],
                    |r| r.get(0),
                )
                .expect("count")
        };
        assert_eq!(
            count(&tx),
            INDEXES.lines().filter(|l| !l.trim().is_empty()).count() as i64
        );
        tx.clear().expect("clear");
        assert_eq!(count(&tx), 0, "an index left while the tables load");
        tx.index_after_bulk().expect("again");
        assert!(count(&tx) > 0);
    }

    #[test]
    fn who_shows_a_title_follows_each_related_list() {
        let dir = tempfile::tempdir().expect("dir");
        let mut idx = RenderIndex::open(&dir.path().join("index.db")).expect("open");
        let tx = idx.begin().expect("tx");
        let s = |t: &str| Shared::from(t);
        let bulk = Bulk {
            related: vec![
                (s("tt0000002"), vec![s("tt0000001"), s("tt0000003")]),
                (
                    s("tt0000001"),
                    vec![s("tt0000003"), s("tt0000002"), s("tt0000003")],
                ),
            ],
            ..Bulk::default()
        };
        tx.load(&bulk).expect("load");
        let shown_by = |id: &str| tx.related_to(id).expect("related_to");
        assert_eq!(shown_by("tt0000003"), ["tt0000001", "tt0000002"]);
        assert_eq!(shown_by("tt0000001"), ["tt0000002"]);
        assert_eq!(
            tx.related_of("tt0000001").expect("of"),
            ["tt0000003", "tt0000002"]
        );
        // A list replaced: the titles it no longer names are no longer shown by it.
        tx.set_related("tt0000002", &["tt0000004"]).expect("set");
        assert_eq!(shown_by("tt0000003"), ["tt0000001"]);
        assert!(shown_by("tt0000001").is_empty());
        assert_eq!(shown_by("tt0000004"), ["tt0000002"]);
        tx.remove("tt0000001").expect("remove");
        assert!(shown_by("tt0000003").is_empty());
        assert!(shown_by("tt0000002").is_empty());
        assert_eq!(shown_by("tt0000004"), ["tt0000002"]);
    }

    #[test]
    fn prefix_counts_follow_the_postings() {
        let dir = std::env::temp_dir().join(format!("oott-prefixes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut idx = RenderIndex::open(&dir.join("index.db")).expect("open");
        let tx = idx.begin().expect("tx");
        tx.add_token("matrix", "tt0000001", 0, 10).expect("add");
        tx.add_token("matrix", "tt0000001", 0, 10)
            .expect("the same posting again");
        tx.add_token("matter", "tt0000002", 2, 10).expect("add");
        tx.add_token("matrix", "tt0000002", 0, 10).expect("add");
        assert_eq!(tx.postings_with_prefix("mat").expect("count"), 3);
        assert_eq!(tx.postings_with_prefix("matr").expect("count"), 2);
        assert_eq!(tx.prefixes_over(2).expect("over"), ["mat"]);
        tx.remove("tt0000002").expect("remove");
        assert_eq!(tx.postings_with_prefix("mat").expect("count"), 1);
        assert_eq!(tx.postings_with_prefix("matt").expect("count"), 0);
        assert_eq!(
            tx.prefix_changes().expect("changes"),
            [
                ("mat".to_owned(), 0, 1),
                ("matr".to_owned(), 0, 1),
                ("matt".to_owned(), 0, 0)
            ]
        );
        drop(tx);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
