//! A render: full (rebuild the index, write every file, remove what no longer belongs) or
//! incremental (follow the change log from where the site is, and write only the files the
//! changed titles and collections reach). Files go out leaves first, then the lists that link
//! to them, then the home page; removals last.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use store::{Bulk, ContentId, IndexReader, IndexTx, Interner, Member, RenderIndex, Store, Title};

use crate::Error;
use crate::fold::{SPLIT_AT, shard_chain};
use crate::key::ListKey;
use crate::model::{card, doc_shards, memberships, related, search_tokens};
use crate::pages::{Ctx, Memory, Pages};
use crate::target::{INDEXES, STATIC_PAGES, Target, always, for_key};
use crate::write::{Outcome, begin, end, remove, walk, write_if_changed, write_new};

/// What a render did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub full: bool,
    /// Files considered.
    pub targets: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// The change-log position the site now reflects.
    pub seq: i64,
}

/// The renderer's index for a site directory.
pub fn index_path(out: &Path) -> std::path::PathBuf {
    out.join(".render").join("index.db")
}

/// Renders what changed since the last render (everything, if the site has no complete index).
pub fn incremental(store: &Store, out: &Path) -> Result<Report, Error> {
    if is_blank(out)? {
        return full(store, out);
    }
    begin(out)?;
    let report = incremental_inner(store, out)?;
    end(out)?;
    Ok(report)
}

fn incremental_inner(store: &Store, out: &Path) -> Result<Report, Error> {
    let mut idx = RenderIndex::open(&index_path(out))?;
    idx.map_pages()?;
    let tx = idx.begin()?;
    if tx.state("complete")? != Some(1) {
        drop(tx);
        return full_with(store, out, &mut idx, Mode::Live);
    }
    let from = tx.state("seq")?.unwrap_or(0);
    let changes = store.changes_since(from, 1_000_000)?;
    let Some(last) = changes.last().map(|c| c.seq) else {
        return Ok(Report {
            seq: from,
            ..Report::default()
        });
    };
    let mut targets: BTreeSet<Target> = always().into_iter().collect();
    let mut titles = BTreeSet::new();
    let mut collections = BTreeSet::new();
    for c in &changes {
        if let Some(id) = &c.content_id {
            titles.insert(id.clone());
        }
        if let Some(id) = c.collection_id {
            collections.insert(id);
        }
    }
    // The search shards of the changed titles' words: where they live before the change, and
    // after it.
    let words = |targets: &mut BTreeSet<Target>| -> Result<(), Error> {
        for id in &titles {
            for token in tx.tokens_of(id)? {
                targets.extend(live_shards(&tx, &token)?);
            }
        }
        Ok(())
    };
    words(&mut targets)?;
    for id in &titles {
        if let Ok(cid) = ContentId::parse(id) {
            let title = store.titles(std::slice::from_ref(&cid))?.pop();
            reindex_title(&tx, id, title.as_ref(), &mut targets)?;
        }
    }
    words(&mut targets)?;
    for id in collections {
        reindex_collection(&tx, store, id, &mut targets)?;
    }
    // A prefix whose shard splits or joins again moves every token under it.
    for (prefix, before, now) in tx.prefix_changes()? {
        if (before > SPLIT_AT) != (now > SPLIT_AT) {
            let from = prefix.chars().count();
            for n in from..=store::COUNTED_PREFIXES.end() + 1 {
                let shards = tx.shards_under(&prefix, &|t: &str| crate::fold::first_chars(t, n))?;
                targets.extend(shards.into_iter().map(Target::Shard));
            }
        }
    }
    // The search document files the changed titles are in, by the old and the new spread; all of
    // them when the spread changes.
    let (old, new) = (tx.state("docs")?.unwrap_or(0), doc_shards(tx.card_count()?));
    if old != new {
        targets.extend((0..old.max(new)).map(Target::Docs));
        targets.extend((0..old.max(new)).map(Target::Library));
        tx.set_state("docs", new)?;
    } else {
        for id in &titles {
            let n = store::card_bucket(id) % new;
            targets.extend([Target::Docs(n), Target::Library(n)]);
        }
    }
    let linked: Vec<&Target> = targets.iter().collect();
    placeholders(out, &linked, |id| Ok(tx.related_of(id)?))?;
    let mut report = write_targets(store, out, Reads::Tx(&tx), None, targets, Mode::Live)?;
    tx.set_state("seq", last)?;
    tx.commit()?;
    report.seq = last;
    Ok(report)
}

/// Renders everything from scratch.
pub fn full(store: &Store, out: &Path) -> Result<Report, Error> {
    if is_blank(out)?
        && let Some(report) = full_fresh(store, out)?
    {
        return Ok(report);
    }
    begin(out)?;
    let mut idx = RenderIndex::open(&index_path(out))?;
    let report = full_with(store, out, &mut idx, Mode::Live)?;
    end(out)?;
    Ok(report)
}

/// How a render puts its files on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Into the site people read: only the files whose bytes change, each through a temporary
    /// name, with placeholders first for the pages that are linked before they are written.
    Live,
    /// Into a folder no one reads yet, swapped in whole when complete: each file written once,
    /// straight under its name.
    Fresh,
}

/// Whether a site holds nothing but the renderer's own folder (or is not there yet).
fn is_blank(out: &Path) -> std::io::Result<bool> {
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    for e in entries {
        if e?.file_name() != ".render" {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The first render of a site: into a fresh folder beside it, which then replaces the blank
/// site in one rename, so no reader ever sees part of a site. `None` (render in place) when
/// that cannot be done: a parent folder that is not writable, a site that is a mount point or
/// a link.
fn full_fresh(store: &Store, out: &Path) -> Result<Option<Report>, Error> {
    use std::os::unix::fs::MetadataExt;
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(None);
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if let Ok(site) = std::fs::symlink_metadata(out) {
        let parent_dev = std::fs::metadata(&parent).map(|m| m.dev()).ok();
        if site.file_type().is_symlink() || Some(site.dev()) != parent_dev {
            return Ok(None);
        }
    }
    // What first renders killed part way left.
    let stem = format!(".{name}.fresh-");
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&stem) {
                std::fs::remove_dir_all(e.path())?;
            }
        }
    }
    let fresh = parent.join(format!("{stem}{}", std::process::id()));
    match std::fs::create_dir(&fresh) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    let rendered = std::fs::create_dir(fresh.join(".render"))
        .map_err(Error::from)
        .and_then(|()| {
            let idx = RenderIndex::open(&index_path(&fresh))?;
            idx.unjournaled()?;
            Ok(idx)
        })
        .and_then(|mut idx| full_with(store, &fresh, &mut idx, Mode::Fresh));
    let swapped = rendered.and_then(|report| {
        // The blank site's own folder goes; the empty site is then replaced in one step.
        match std::fs::remove_dir_all(out.join(".render")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        std::fs::rename(&fresh, out)?;
        Ok(report)
    });
    if swapped.is_err() {
        let _ = std::fs::remove_dir_all(&fresh);
    }
    swapped.map(Some)
}

fn full_with(
    store: &Store,
    out: &Path,
    idx: &mut RenderIndex,
    mode: Mode,
) -> Result<Report, Error> {
    let seq = store.last_change()?;
    let started = std::time::Instant::now();
    let tx = idx.begin()?;
    tx.clear()?;
    let (ids, mut bulk) = read_rows(store, &store.library_ids()?)?;
    let mut shared = Interner::default();
    let collections = store.collections()?;
    let loaded = started.elapsed();
    let listed = collections
        .iter()
        .map(|c| (ListKey::Collection(c.id).to_string(), &c.name, &c.content));
    let categories = store.categories()?;
    let listed = listed.chain(categories.iter().map(|c| {
        (
            ListKey::Category(c.slug.clone()).to_string(),
            &c.name,
            &c.content,
        )
    }));
    for (key, name, content) in listed {
        let (key, label) = (shared.get(&key), shared.get(name));
        bulk.members
            .extend(content.iter().enumerate().map(|(i, id)| Member {
                key: key.clone(),
                label: label.clone(),
                id: shared.get(id.as_str()),
                owner: key.clone(),
                added_at: 0,
                position: i as i64,
            }));
    }
    drop(shared);
    let bulk = bulk;
    let docs = doc_shards(bulk.cards.len() as i64);
    let sequels: HashSet<i64> = collections
        .iter()
        .filter(|c| c.kind == store::CollectionKind::Sequel)
        .map(|c| c.id)
        .collect();
    let files = crate::static_files();
    // This thread loads the index from the rows and commits it while another works out every
    // file, writes the assets and renders the movie pages from memory (on every core). The
    // other files are written from the committed index, and it is marked complete only at the
    // end, so a render killed between is followed by a full one. In a fresh folder, which no
    // one reads before it is swapped in, the order of the files does not matter: the rest is
    // rendered while the movie pages are still being written.
    let path = index_path(out);
    let memory: OnceLock<Memory<'_>> = OnceLock::new();
    let (counted, counts) = std::sync::mpsc::channel::<Vec<(String, i64)>>();
    let (planned, plan) = std::sync::mpsc::channel::<BTreeSet<Target>>();
    // The files other than the movie pages, from the committed index (and the rows in memory).
    let others = |targets| {
        write_targets(
            store,
            out,
            Reads::Committed(&path),
            memory.get(),
            targets,
            mode,
        )
    };
    let (movies, indexed, early) = std::thread::scope(|scope| {
        let movies = scope.spawn(|| -> Result<_, Error> {
            let mut targets: BTreeSet<Target> = always().into_iter().collect();
            targets.extend(INDEXES.iter().map(|name| Target::Index(name)));
            targets.extend(STATIC_PAGES.iter().map(|name| Target::Static(name)));
            targets.extend(ids.iter().cloned().map(Target::Movie));
            let keys: BTreeSet<&str> = bulk.members.iter().map(|m| &*m.key).collect();
            for key in keys {
                targets.extend(for_key(key));
            }
            // How many postings each counted prefix has: which shards are split, so where
            // each token lives.
            let mut counts: store::text::QuickMap<&str, i64> = Default::default();
            for (token, ..) in &bulk.tokens {
                for p in store::counted_prefixes(token) {
                    *counts.entry(p).or_default() += 1;
                }
            }
            let _ = counted.send(counts.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect());
            let tokens: BTreeSet<&str> = bulk.tokens.iter().map(|t| &*t.0).collect();
            let split = |p: &str| counts.get(p).is_some_and(|n| *n > SPLIT_AT);
            for token in tokens {
                targets.extend(shard_chain(token, split).into_iter().map(Target::Shard));
            }
            targets.extend((0..docs).map(Target::Docs));
            targets.extend((0..docs).map(Target::Library));
            let produced: BTreeSet<String> = targets.iter().map(Target::path).collect();
            let memory = memory.get_or_init(|| Memory::new(&bulk, sequels));
            let (movies, rest): (Vec<Target>, BTreeSet<Target>) = {
                let (m, r): (BTreeSet<Target>, BTreeSet<Target>) =
                    targets.into_iter().partition(|t| t.level() == 0);
                (m.into_iter().collect(), r)
            };
            if mode == Mode::Live {
                let all: Vec<&Target> = movies.iter().chain(&rest).collect();
                placeholders(out, &all, |id| Ok(memory.related_ids(id)))?;
            }
            let _ = planned.send(rest);
            // The assets first: every page uses them.
            let mut assets = Report::default();
            for (rel, bytes) in &files {
                count(&mut assets, put(mode, out, rel, bytes)?);
            }
            let manifest = OnceLock::new();
            let rendered =
                render_parallel(store, out, None, &movies, Some(memory), &manifest, mode)?;
            Ok((movies.len(), produced, assets, rendered))
        });
        let indexed = (|| -> Result<std::time::Duration, Error> {
            tx.load(&bulk)?;
            // The prefix counts come from the other thread (which needs them first).
            let prefixes = counts
                .recv()
                .map_err(|_| std::io::Error::other("the planning thread stopped"))?;
            tx.load_prefixes(&prefixes)?;
            tx.index_after_bulk()?;
            tx.set_state("docs", docs)?;
            tx.commit()?;
            Ok(started.elapsed())
        })();
        let early = match (&indexed, mode) {
            (Ok(_), Mode::Fresh) => plan.recv().ok().map(others),
            _ => None,
        };
        let movies = movies
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("a rendering thread panicked").into()));
        (movies, indexed, early)
    });
    let indexed = indexed?;
    let (movie_count, produced, assets, (movie_report, gone)) = movies?;
    let mut report = match early {
        Some(report) => report?,
        None => match plan.try_recv() {
            Ok(targets) => others(targets)?,
            Err(_) => Report::default(),
        },
    };
    drop(memory);
    drop(bulk);
    report.targets += movie_count;
    report.written += movie_report.written;
    report.unchanged += movie_report.unchanged;
    for rel in gone {
        if remove(out, &rel)? {
            report.removed += 1;
        }
    }
    tracing::info!(
        "full render: {} titles read in {:.2?}, indexed by {:.2?}, {} files written by {:.2?}",
        ids.len(),
        loaded,
        indexed,
        report.written + assets.written,
        started.elapsed()
    );
    report.written += assets.written;
    report.unchanged += assets.unchanged;
    // Whatever is left from before and belongs to no target goes (assets are kept in step above).
    if mode == Mode::Live {
        for rel in walk(out)? {
            let asset = files.iter().any(|(f, _)| *f == rel);
            if !produced.contains(&rel) && !asset && remove(out, &rel)? {
                report.removed += 1;
            }
        }
    }
    let tx = idx.begin()?;
    tx.set_state("seq", seq)?;
    tx.set_state("complete", 1)?;
    tx.commit()?;
    report.full = true;
    report.seq = seq;
    Ok(report)
}

/// A page being rendered for the first time, before its content is there.
const PLACEHOLDER: &str = "<!doctype html><meta charset=\"utf-8\"><title>Open OTT</title><p>This page is being prepared; reload in a moment.</p>\n";

/// Puts one file on disk as `mode` says.
fn put(mode: Mode, out: &Path, rel: &str, bytes: &[u8]) -> std::io::Result<Outcome> {
    match mode {
        Mode::Live => write_if_changed(out, rel, bytes),
        Mode::Fresh => write_new(out, rel, bytes).map(|()| Outcome::Written),
    }
}

fn count(r: &mut Report, o: Outcome) {
    match o {
        Outcome::Written => r.written += 1,
        Outcome::Unchanged => r.unchanged += 1,
    }
}

/// Brings the index in step with a title (`None`: gone from the library), adding to `affected`
/// every file its old and new lists reach (its search shards are the caller's).
fn reindex_title(
    tx: &IndexTx<'_>,
    id: &str,
    title: Option<&Title>,
    affected: &mut BTreeSet<Target>,
) -> Result<(), Error> {
    // What a list shows of the title: its card, the keys it sorts by, its lists and their
    // labels; and the movie pages that show it as a related title.
    let shown = |tx: &IndexTx<'_>| -> Result<_, Error> {
        let card = tx
            .cards(&[id.to_owned()])?
            .pop()
            .map(|c| (c.title, c.year, c.poster, c.stars, c.sort_title, c.added_at));
        let mut lists = Vec::new();
        for key in tx.keys_of(id)? {
            let label = tx.list(&key)?.map(|l| l.label);
            lists.push((key, label));
        }
        Ok((card, lists, tx.related_to(id)?))
    };
    let (old_card, old_lists, old_pages) = shown(tx)?;
    tx.remove(id)?;
    if let Some(t) = title {
        let rows = title_rows(t, &mut Interner::default());
        for c in &rows.cards {
            tx.put_card(c)?;
        }
        for m in &rows.members {
            tx.add_member(&m.key, &m.label, &m.id, &m.owner, m.added_at, m.position)?;
        }
        for (token, id, field, votes) in &rows.tokens {
            tx.add_token(token, id, *field, *votes)?;
        }
        for (owner, related) in &rows.related {
            tx.set_related(owner, related)?;
        }
    }
    affected.insert(Target::Movie(id.to_owned()));
    let (new_card, new_lists, new_pages) = shown(tx)?;
    // A list the title stays in, under the same label, with the same card, is as it was (an
    // edit of the rating alone changes none of them).
    let same_card = old_card.is_some() && old_card == new_card;
    // The library view counts the titles.
    if old_card.is_some() != new_card.is_some() {
        affected.insert(Target::Index("az"));
    }
    for (key, label) in old_lists.iter().chain(&new_lists) {
        let list = (key.clone(), label.clone());
        let stays = old_lists.contains(&list) && new_lists.contains(&list);
        if !(same_card && stays) {
            affected.extend(for_key(key));
        }
    }
    for page in old_pages.iter().chain(&new_pages) {
        let stays = old_pages.contains(page) && new_pages.contains(page);
        if !(same_card && stays) {
            affected.insert(Target::Movie(page.clone()));
        }
    }
    Ok(())
}

/// The shards a token is in now: its top-level shard and the split ones down to where it lives.
fn live_shards(tx: &IndexTx<'_>, token: &str) -> Result<Vec<Target>, Error> {
    let failed = std::cell::RefCell::new(None);
    let chain = shard_chain(token, |p| match tx.postings_with_prefix(p) {
        Ok(n) => n > SPLIT_AT,
        Err(e) => {
            failed.borrow_mut().get_or_insert(e);
            false
        }
    });
    match failed.into_inner() {
        Some(e) => Err(e.into()),
        None => Ok(chain.into_iter().map(Target::Shard).collect()),
    }
}

/// A title's rows in the index: its card, the lists it is in and its related titles' list,
/// its search tokens (texts that repeat shared through `shared`).
fn title_rows(t: &Title, shared: &mut Interner) -> Bulk {
    let c = card(t);
    let id = shared.get(&c.id);
    let members: Vec<Member> = memberships(t)
        .into_iter()
        .map(|m| Member {
            key: shared.get(&m.key),
            label: shared.get(&m.label),
            id: id.clone(),
            owner: id.clone(),
            added_at: c.added_at,
            position: 0,
        })
        .collect();
    let related = related(t).into_iter().map(|r| shared.get(r)).collect();
    // A posting once, however often its word is in the field.
    let mut postings = search_tokens(t);
    postings.sort_unstable();
    postings.dedup();
    let tokens = postings
        .into_iter()
        .map(|(token, field)| (shared.get(&token), id.clone(), field, c.votes))
        .collect();
    Bulk {
        cards: vec![c],
        members,
        tokens,
        related: vec![(id, related)],
    }
}

/// Each title's rows (and its id), read a few hundred titles at a time on every core, each
/// thread through a connection of its own: the titles themselves are read again by the threads
/// that render their pages, rather than held all at once.
fn read_rows(store: &Store, ids: &[ContentId]) -> Result<(Vec<String>, Bulk), Error> {
    let per = ids.len().div_ceil(threads()).max(1);
    let parts: Vec<Result<(Vec<String>, Bulk), Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(per)
            .map(|part| {
                scope.spawn(move || -> Result<(Vec<String>, Bulk), Error> {
                    let own = store.reader()?;
                    let store = own.as_ref().unwrap_or(store);
                    let mut bulk = Bulk::default();
                    let mut shared = Interner::default();
                    let mut ids = Vec::with_capacity(part.len());
                    for some in part.chunks(TITLES_AT_ONCE) {
                        for t in store.title_summaries(some)? {
                            ids.push(t.record.metadata.id.to_string());
                            bulk.append(title_rows(&t, &mut shared));
                        }
                    }
                    Ok((ids, bulk))
                })
            })
            .collect();
        joined(handles)
    });
    let mut all = (Vec::with_capacity(ids.len()), Bulk::default());
    for part in parts {
        let (ids, bulk) = part?;
        all.0.extend(ids);
        all.1.append(bulk);
    }
    Ok(all)
}

/// What each thread answered, in order (a thread that panicked answers an error).
fn joined<T>(
    handles: Vec<std::thread::ScopedJoinHandle<'_, Result<T, Error>>>,
) -> Vec<Result<T, Error>> {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a render thread panicked").into()))
        })
        .collect()
}

/// Brings the index in step with a collection (gone, renamed, or its titles changed).
fn reindex_collection(
    tx: &IndexTx<'_>,
    store: &Store,
    id: i64,
    affected: &mut BTreeSet<Target>,
) -> Result<(), Error> {
    let key = ListKey::Collection(id).to_string();
    let old = tx.members(&key)?;
    tx.drop_owned(&key)?;
    let mut new = Vec::new();
    if let Some(c) = store.collection(id)? {
        for (i, cid) in c.content.iter().enumerate() {
            tx.add_member(&key, &c.name, cid.as_str(), &key, 0, i as i64)?;
            new.push(cid.to_string());
        }
    }
    affected.extend(for_key(&key));
    for m in old.iter().chain(&new) {
        affected.insert(Target::Movie(m.clone()));
    }
    Ok(())
}

/// Where the pages read the index from.
enum Reads<'a, 'b> {
    /// The render's own transaction (an incremental render: its changes are not committed
    /// until its files are written). One thread renders.
    Tx(&'a IndexTx<'b>),
    /// The committed index at this path: each rendering thread opens a connection of its own.
    Committed(&'a Path),
}

fn write_targets(
    store: &Store,
    out: &Path,
    reads: Reads<'_, '_>,
    memory: Option<&Memory<'_>>,
    targets: BTreeSet<Target>,
    mode: Mode,
) -> Result<Report, Error> {
    let mut ordered: Vec<Target> = targets.into_iter().collect();
    ordered.sort_by_key(|t| t.level());
    let mut report = Report {
        targets: ordered.len(),
        ..Report::default()
    };
    let mut gone = Vec::new();
    let manifest = OnceLock::new();
    // Every file of a level is on disk before the next level starts, so the link order holds.
    for level in ordered.chunk_by(|a, b| a.level() == b.level()) {
        let (r, g) = match reads {
            Reads::Tx(tx) => {
                let ctx = Ctx {
                    idx: **tx,
                    store,
                    titles: &HashMap::new(),
                    memory: None,
                    manifest: &manifest,
                };
                render_some(&ctx, level, &AtomicUsize::new(0), out, mode)?
            }
            Reads::Committed(path) => {
                render_parallel(store, out, Some(path), level, memory, &manifest, mode)?
            }
        };
        report.written += r.written;
        report.unchanged += r.unchanged;
        gone.extend(g);
    }
    for rel in gone {
        if remove(out, &rel)? {
            report.removed += 1;
        }
    }
    Ok(report)
}

/// How many titles a full render reads at once to make their index rows.
const TITLES_AT_ONCE: usize = 512;

/// How many targets a rendering thread takes at once (the titles of their movie pages read in
/// one go).
const TARGETS_AT_ONCE: usize = 32;

/// How many threads a full render reads and renders with: one a core.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
}

/// Renders and writes `targets` on every core, each thread reading the committed index at
/// `index` through a connection of its own (a connection is not shared between threads), or
/// no index when every page is answered from `memory` (the index is still being loaded).
fn render_parallel(
    store: &Store,
    out: &Path,
    index: Option<&Path>,
    targets: &[Target],
    memory: Option<&Memory<'_>>,
    manifest: &OnceLock<serde_json::Value>,
    mode: Mode,
) -> Result<(Report, Vec<String>), Error> {
    let readers = (0..threads())
        .map(|_| match index {
            None => IndexReader::empty(),
            Some(path) => IndexReader::open(path),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // And a connection of its own to the database, so the threads do not take turns at it.
    let stores = (0..readers.len())
        .map(|_| store.reader())
        .collect::<Result<Vec<_>, _>>()?;
    let next = AtomicUsize::new(0);
    let parts: Vec<Result<(Report, Vec<String>), Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .zip(stores)
            .map(|(reader, own)| {
                let next = &next;
                scope.spawn(move || {
                    let ctx = Ctx {
                        idx: reader.view(),
                        store: own.as_ref().unwrap_or(store),
                        titles: &HashMap::new(),
                        memory,
                        manifest,
                    };
                    render_some(&ctx, targets, next, out, mode)
                })
            })
            .collect();
        joined(handles)
    });
    let mut report = Report::default();
    let mut gone = Vec::new();
    for part in parts {
        let (r, g) = part?;
        report.written += r.written;
        report.unchanged += r.unchanged;
        gone.extend(g);
    }
    Ok((report, gone))
}

/// Renders and writes the targets of `level` this thread takes, one at a time from `next`,
/// until none is left; answers what it did and the files that should not exist.
fn render_some(
    ctx: &Ctx<'_>,
    level: &[Target],
    next: &AtomicUsize,
    out: &Path,
    mode: Mode,
) -> Result<(Report, Vec<String>), Error> {
    let pages = Pages::new()?;
    let mut report = Report::default();
    let mut gone = Vec::new();
    loop {
        let from = next.fetch_add(TARGETS_AT_ONCE, Ordering::Relaxed);
        let Some(some) = level.get(from..(from + TARGETS_AT_ONCE).min(level.len())) else {
            return Ok((report, gone));
        };
        let rendered = (|| -> Result<(), Error> {
            // The titles of the movie pages among them, read at once.
            let ids: Vec<ContentId> = some
                .iter()
                .filter_map(|t| match t {
                    Target::Movie(id) => ContentId::parse(id).ok(),
                    _ => None,
                })
                .collect();
            let titles: HashMap<String, Title> = match ids.len() {
                0 | 1 => HashMap::new(),
                _ => ctx
                    .store
                    .titles(&ids)?
                    .into_iter()
                    .map(|t| (t.record.metadata.id.to_string(), t))
                    .collect(),
            };
            let ctx = Ctx {
                titles: &titles,
                ..*ctx
            };
            for t in some {
                match pages.render(t, &ctx)? {
                    Some(bytes) => count(&mut report, put(mode, out, &t.path(), &bytes)?),
                    None => gone.push(t.path()),
                }
            }
            Ok(())
        })();
        if let Err(e) = rendered {
            // The other threads stop at their next targets.
            next.store(level.len(), Ordering::Relaxed);
            return Err(e);
        }
    }
}

/// Pages that are linked before they are written get a placeholder without links first, so a
/// render stopped at any point leaves no link that leads nowhere: the list and index pages that
/// movie pages link to, and new movie pages other movie pages link to (`related` answers the
/// titles a movie page links to).
fn placeholders(
    out: &Path,
    targets: &[&Target],
    related: impl Fn(&str) -> Result<Vec<String>, Error>,
) -> Result<(), Error> {
    let new_movies: HashSet<&str> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Movie(id) if !out.join(t.path()).exists() => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let mut linked_new: BTreeSet<String> = BTreeSet::new();
    if !new_movies.is_empty() {
        for t in targets {
            if let Target::Movie(id) = t {
                linked_new.extend(
                    related(id)?
                        .into_iter()
                        .filter(|r| new_movies.contains(r.as_str())),
                );
            }
        }
    }
    for t in targets {
        let linked_page = matches!(
            t,
            Target::ListPage(_) | Target::Index(_) | Target::Home | Target::Static(_)
        ) || matches!(t, Target::Movie(id) if linked_new.contains(id));
        if linked_page && !out.join(t.path()).exists() {
            write_if_changed(out, &t.path(), PLACEHOLDER.as_bytes())?;
        }
    }
    Ok(())
}
