//! A render: full (rebuild the index, write every file, remove what no longer belongs) or
//! incremental (follow the change log from where the site is, and write only the files the
//! changed titles and collections reach). Files go out leaves first, then the lists that link
//! to them, then the home page; removals last.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use store::{ContentId, IndexTx, RenderIndex, Store, Title};

use crate::Error;
use crate::key::ListKey;
use crate::model::{card, doc_shards, memberships, related, search_tokens};
use crate::pages::{Ctx, Pages};
use crate::target::{INDEXES, STATIC_PAGES, Target, always, for_key, shards_of};
use crate::write::{Outcome, begin, end, remove, walk, write_if_changed};

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
    begin(out)?;
    let report = incremental_inner(store, out)?;
    end(out)?;
    Ok(report)
}

fn incremental_inner(store: &Store, out: &Path) -> Result<Report, Error> {
    let mut idx = RenderIndex::open(&index_path(out))?;
    let tx = idx.begin()?;
    if tx.state("complete")? != Some(1) {
        drop(tx);
        return full_with(store, out, &mut idx);
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
    for id in &titles {
        if let Ok(cid) = ContentId::parse(id) {
            let title = store.titles(std::slice::from_ref(&cid))?.pop();
            reindex_title(&tx, id, title.as_ref(), Some(&mut targets))?;
        }
    }
    for id in collections {
        reindex_collection(&tx, store, id, Some(&mut targets))?;
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
    let mut report = write_targets(store, out, &tx, targets, &HashMap::new())?;
    tx.set_state("seq", last)?;
    tx.commit()?;
    report.seq = last;
    Ok(report)
}

/// Renders everything from scratch.
pub fn full(store: &Store, out: &Path) -> Result<Report, Error> {
    begin(out)?;
    let mut idx = RenderIndex::open(&index_path(out))?;
    let report = full_with(store, out, &mut idx)?;
    end(out)?;
    Ok(report)
}

fn full_with(store: &Store, out: &Path, idx: &mut RenderIndex) -> Result<Report, Error> {
    let seq = store.last_change()?;
    let tx = idx.begin()?;
    tx.clear()?;
    let all = store.library_titles()?;
    for t in &all {
        reindex_title(&tx, t.record.metadata.id.as_str(), Some(t), None)?;
    }
    for c in store.collections()? {
        reindex_collection(&tx, store, c.id, None)?;
    }
    tx.index_after_bulk()?;
    for cat in store.categories()? {
        let key = ListKey::Category(cat.slug.clone()).to_string();
        for (i, id) in cat.content.iter().enumerate() {
            tx.add_member(&key, &cat.name, id.as_str(), &key, 0, i as i64)?;
        }
    }
    let mut targets: BTreeSet<Target> = always().into_iter().collect();
    for name in INDEXES {
        targets.insert(Target::Index(name));
    }
    for name in STATIC_PAGES {
        targets.insert(Target::Static(name));
    }
    for t in &all {
        targets.insert(Target::Movie(t.record.metadata.id.to_string()));
    }
    for list in tx.lists("")? {
        targets.extend(for_key(&list.key));
    }
    for token in tx.all_tokens()? {
        targets.extend(shards_of(&token));
    }
    let docs = doc_shards(tx.card_count()?);
    targets.extend((0..docs).map(Target::Docs));
    targets.extend((0..docs).map(Target::Library));
    tx.set_state("docs", docs)?;
    let titles: HashMap<String, Title> = all
        .into_iter()
        .map(|t| (t.record.metadata.id.to_string(), t))
        .collect();
    let produced: BTreeSet<String> = targets.iter().map(Target::path).collect();
    // The assets first: every page uses them.
    let mut assets = Report::default();
    let files = crate::static_files();
    for (rel, bytes) in &files {
        count(&mut assets, write_if_changed(out, rel, bytes)?);
    }
    let mut report = write_targets(store, out, &tx, targets, &titles)?;
    report.written += assets.written;
    report.unchanged += assets.unchanged;
    // Whatever is left from before and belongs to no target goes (assets are kept in step above).
    for rel in walk(out)? {
        let asset = files.iter().any(|(f, _)| *f == rel);
        if !produced.contains(&rel) && !asset && remove(out, &rel)? {
            report.removed += 1;
        }
    }
    tx.set_state("seq", seq)?;
    tx.set_state("complete", 1)?;
    tx.commit()?;
    report.full = true;
    report.seq = seq;
    Ok(report)
}

/// A page being rendered for the first time, before its content is there.
const PLACEHOLDER: &str = "<!doctype html><meta charset=\"utf-8\"><title>Open OTT</title><p>This page is being prepared; reload in a moment.</p>\n";

fn count(r: &mut Report, o: Outcome) {
    match o {
        Outcome::Written => r.written += 1,
        Outcome::Unchanged => r.unchanged += 1,
    }
}

/// Brings the index in step with a title (`None`: gone from the library), adding to `affected`
/// every file its old and new state reach.
fn reindex_title(
    tx: &IndexTx<'_>,
    id: &str,
    title: Option<&Title>,
    affected: Option<&mut BTreeSet<Target>>,
) -> Result<(), Error> {
    let tracking = affected.is_some();
    let (old_keys, old_tokens) = if tracking {
        (tx.keys_of(id)?, tx.tokens_of(id)?)
    } else {
        (vec![], vec![])
    };
    if tracking {
        tx.remove(id)?;
    }
    if let Some(t) = title {
        let c = card(t);
        tx.put_card(&c)?;
        for m in memberships(t) {
            tx.add_member(&m.key, &m.label, id, id, c.added_at, 0)?;
        }
        for (key, member, position) in related(t) {
            tx.add_member(&key, "", &member, id, 0, position)?;
        }
        for (token, field) in search_tokens(t) {
            tx.add_token(&token, id, field, c.votes)?;
        }
    }
    if let Some(affected) = affected {
        affected.insert(Target::Movie(id.to_owned()));
        let new_keys = tx.keys_of(id)?;
        let new_tokens = tx.tokens_of(id)?;
        for key in old_keys.iter().chain(&new_keys) {
            affected.extend(for_key(key));
        }
        for token in old_tokens.iter().chain(&new_tokens) {
            affected.extend(shards_of(token));
        }
    }
    Ok(())
}

/// Brings the index in step with a collection (gone, renamed, or its titles changed).
fn reindex_collection(
    tx: &IndexTx<'_>,
    store: &Store,
    id: i64,
    affected: Option<&mut BTreeSet<Target>>,
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
    if let Some(affected) = affected {
        affected.extend(for_key(&key));
        for m in old.iter().chain(&new) {
            affected.insert(Target::Movie(m.clone()));
        }
    }
    Ok(())
}

fn write_targets(
    store: &Store,
    out: &Path,
    tx: &IndexTx<'_>,
    targets: BTreeSet<Target>,
    titles: &HashMap<String, Title>,
) -> Result<Report, Error> {
    let pages = Pages::new()?;
    let ctx = Ctx {
        idx: tx,
        store,
        titles,
    };
    let mut ordered: Vec<Target> = targets.into_iter().collect();
    ordered.sort_by_key(|t| t.level());
    // Pages that are linked before they are written get a placeholder without links first, so
    // a render stopped at any point leaves no link that leads nowhere: the list and index pages
    // that movie pages link to, and new movie pages other movie pages link to.
    let new_movies: HashSet<&str> = ordered
        .iter()
        .filter_map(|t| match t {
            Target::Movie(id) if !out.join(t.path()).exists() => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let mut linked_new: BTreeSet<String> = BTreeSet::new();
    if !new_movies.is_empty() {
        for t in &ordered {
            if let Target::Movie(id) = t {
                let related = tx.members(&ListKey::Related(id.to_string()).to_string())?;
                linked_new.extend(
                    related
                        .into_iter()
                        .filter(|r| new_movies.contains(r.as_str())),
                );
            }
        }
    }
    for t in &ordered {
        let linked_page = matches!(
            t,
            Target::ListPage(_) | Target::Index(_) | Target::Home | Target::Static(_)
        ) || matches!(t, Target::Movie(id) if linked_new.contains(id));
        if linked_page && !out.join(t.path()).exists() {
            write_if_changed(out, &t.path(), PLACEHOLDER.as_bytes())?;
        }
    }
    let mut report = Report {
        targets: ordered.len(),
        ..Report::default()
    };
    let mut gone = Vec::new();
    // This thread renders; writers put the files on disk meanwhile. Every file of a level is
    // on disk before the next level starts, so the link order holds.
    let writers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    std::thread::scope(|scope| -> Result<(), Error> {
        for level in ordered.chunk_by(|a, b| a.level() == b.level()) {
            let (send, receive) = std::sync::mpsc::sync_channel::<(String, Vec<u8>)>(64);
            let receive = std::sync::Arc::new(std::sync::Mutex::new(receive));
            let workers: Vec<_> = (0..writers)
                .map(|_| {
                    let receive = receive.clone();
                    scope.spawn(move || -> std::io::Result<Report> {
                        let mut r = Report::default();
                        loop {
                            let next = receive.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            let Ok((path, bytes)) = next else {
                                return Ok(r);
                            };
                            count(&mut r, write_if_changed(out, &path, &bytes)?);
                        }
                    })
                })
                .collect();
            let mut rendered = Ok(());
            for t in level {
                match pages.render(t, &ctx) {
                    Ok(Some(bytes)) => {
                        if send.send((t.path(), bytes)).is_err() {
                            break; // a writer failed; its error is reported below
                        }
                    }
                    Ok(None) => gone.push(t.path()),
                    Err(e) => {
                        rendered = Err(e);
                        break;
                    }
                }
            }
            drop(send);
            for w in workers {
                let r = w
                    .join()
                    .map_err(|_| std::io::Error::other("a writer thread panicked"))??;
                report.written += r.written;
                report.unchanged += r.unchanged;
            }
            rendered?;
        }
        Ok(())
    })?;
    for rel in gone {
        if remove(out, &rel)? {
            report.removed += 1;
        }
    }
    Ok(report)
}
