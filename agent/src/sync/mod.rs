//! `oott-agent sync`: keeps backup mirrors identical to the primary with the real `rsync`.
//! The database's file rows and the site's files, compared with a saved manifest of what each
//! mirror holds, say what to push; a push goes in the order that keeps a mirror consistent at
//! every moment: media, then a snapshot of the database (SQLite's online backup), then pages,
//! deletions last.

mod rsync;
mod state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::config::Mirror;

use crate::report::Report;
use rsync::{Mode, Rsync};
use state::{Entry, MirrorState};

pub struct Options {
    pub config: store::config::Config,
    pub mirrors: Vec<Mirror>,
    pub once: bool,
    pub audit: bool,
    pub bwlimit: Option<String>,
    /// How often the database and the site are looked at for changes.
    pub interval: Duration,
    /// The background audit's pace, in bytes a second (none: no background audit).
    pub audit_rate: Option<u64>,
}

/// Where things go on a mirror, below its URL.
const MEDIA: &str = "media";
const SITE: &str = "data/site";
/// The mark a promoted mirror carries (`oott-receiver promote`): it is pushed to no more.
const PROMOTED: &str = "data/PROMOTED";

fn mtime_ns(m: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128
}

fn entry(path: &Path) -> Option<Entry> {
    let m = std::fs::metadata(path).ok()?;
    Some(Entry {
        size: m.len(),
        mtime: mtime_ns(&m),
    })
}

/// Files by mirror path.
type Files = BTreeMap<String, Entry>;

/// The library's part of what the mirrors should hold: every file row (with each root's
/// marker), by mirror path.
fn media_wanted(
    config: &store::config::Config,
    db: &store::Store,
) -> anyhow::Result<BTreeMap<String, Entry>> {
    let mut out = BTreeMap::new();
    let roots = config.roots();
    for r in &roots {
        let marker = r.path.join(store::layout::ROOT_MARKER);
        if let Some(e) = entry(&marker) {
            out.insert(
                format!("{MEDIA}/{}/{}", r.name, store::layout::ROOT_MARKER),
                e,
            );
        }
    }
    for f in db.library_files().context("reading the library's files")? {
        let name = if f.root.is_empty() {
            "1"
        } else {
            f.root.as_str()
        };
        let Some(root) = roots.iter().find(|r| r.name == name) else {
            continue;
        };
        if let Some(e) = entry(&root.path.join(&f.path)) {
            out.insert(format!("{MEDIA}/{name}/{}", f.path), e);
        }
    }
    Ok(out)
}

/// Every file of the site (dot names left out) under `from`, by mirror path, into `out`.
fn walk_site(site: &Path, from: &Path, out: &mut BTreeMap<String, Entry>) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
    {
        let Ok(e) = e else { continue };
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(site) else {
            continue;
        };
        if let (Some(rel), Ok(m)) = (rel.to_str(), e.metadata()) {
            out.insert(
                format!("{SITE}/{rel}"),
                Entry {
                    size: m.len(),
                    mtime: mtime_ns(&m),
                },
            );
        }
    }
}

/// Brings the site's part up to date for the paths events named: a file is looked at again, a
/// folder walked again, and what is gone forgotten.
fn update_site(site: &Path, cache: &mut BTreeMap<String, Entry>, paths: &[PathBuf]) {
    for p in paths {
        let Ok(rel) = p.strip_prefix(site) else {
            continue;
        };
        let Some(rel) = rel.to_str() else { continue };
        if rel.split('/').any(|seg| seg.starts_with('.')) {
            continue;
        }
        let key = format!("{SITE}/{rel}");
        let under = format!("{key}/");
        cache.retain(|k, _| *k != key && !k.starts_with(&under));
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk_site(site, p, cache),
            Ok(m) => {
                cache.insert(
                    key,
                    Entry {
                        size: m.len(),
                        mtime: mtime_ns(&m),
                    },
                );
            }
            Err(_) => {}
        }
    }
}

/// What one push did.
#[derive(Debug, Default)]
struct Pushed {
    media: usize,
    pages: usize,
    database: bool,
    deleted: usize,
    bytes: u64,
}

/// The state folder, the database and the rsync runner every pass shares.
struct Sync<'a> {
    opts: &'a Options,
    db: store::Store,
    dir: PathBuf,
    rsync: Rsync,
    snapshot: PathBuf,
    /// When each mirror was last asked whether it was promoted (once a minute, not per push).
    promoted_checked: std::sync::Mutex<BTreeMap<String, Instant>>,
}

impl Sync<'_> {
    /// A consistent copy of the database and its SHA-256.
    fn snapshot(&self) -> anyhow::Result<String> {
        self.db
            .backup_to(&self.snapshot)
            .context("snapshot of the database")?;
        let bytes = std::fs::read(&self.snapshot)?;
        Ok(Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Brings one mirror up to date.
    fn push(
        &self,
        m: &Mirror,
        st: &mut MirrorState,
        want: &BTreeMap<String, Entry>,
        db_hash: &str,
    ) -> anyhow::Result<Pushed> {
        let url = m.url.trim_end_matches('/');
        let changed: Vec<&String> = want
            .iter()
            .filter(|(p, w)| st.manifest.get(*p) != Some(*w))
            .map(|(p, _)| p)
            .collect();
        let gone: Vec<String> = st
            .manifest
            .keys()
            .filter(|p| !want.contains_key(*p))
            .cloned()
            .collect();
        let db_due = st.database.as_deref() != Some(db_hash);
        let mut done = Pushed::default();
        if changed.is_empty() && gone.is_empty() && !db_due {
            st.pending.clear();
            st.pending_bytes = 0;
            st.behind_since = None;
            return Ok(done);
        }
        st.pending = changed
            .iter()
            .map(|p| (*p).clone())
            .chain(gone.iter().cloned())
            .collect();
        st.pending_bytes = changed.iter().map(|p| want[*p].size).sum();
        st.behind_since.get_or_insert(store::now());
        st.save_unsynced()?;
        let check = {
            let mut seen = self
                .promoted_checked
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let due = seen
                .get(&m.name)
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
            if due {
                seen.insert(m.name.clone(), Instant::now());
            }
            due
        };
        if check && self.rsync.exists(&format!("{url}/{PROMOTED}")) {
            anyhow::bail!(
                "{} was promoted to a primary: it is pushed to no more",
                m.name
            );
        }
        // 1. Media, root by root: a page never links to a file the mirror lacks.
        let mut by_root: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in changed
            .iter()
            .filter(|p| p.starts_with(&format!("{MEDIA}/")))
        {
            if let Some((root, rel)) = p[MEDIA.len() + 1..].split_once('/') {
                by_root.entry(root).or_default().push(rel.to_owned());
            }
        }
        for (root, rels) in &by_root {
            let base = self.root_path(root)?;
            let out = self
                .rsync
                .run(Mode::Push, &base, rels, &format!("{url}/{MEDIA}/{root}/"))?;
            done.bytes += out.bytes_sent;
            done.media += rels.len();
            for rel in rels {
                let p = format!("{MEDIA}/{root}/{rel}");
                st.manifest.insert(p.clone(), want[&p]);
            }
            st.save_unsynced()?;
        }
        // 2. The database, a consistent snapshot put in place whole.
        if db_due {
            let from = self.snapshot.parent().context("snapshot folder")?;
            let out = self.rsync.run(
                Mode::Push,
                from,
                &["oott.db".to_owned()],
                &format!("{url}/data/"),
            )?;
            done.bytes += out.bytes_sent;
            done.database = true;
            st.database = Some(db_hash.to_owned());
            st.save_unsynced()?;
        }
        // 3. Pages, all put in place at the end of the batch.
        let pages: Vec<String> = changed
            .iter()
            .filter_map(|p| p.strip_prefix(&format!("{SITE}/")).map(str::to_owned))
            .collect();
        if !pages.is_empty() {
            let site = self.opts.config.site_dir();
            let out = self
                .rsync
                .run(Mode::Push, &site, &pages, &format!("{url}/{SITE}/"))?;
            done.bytes += out.bytes_sent;
            done.pages = pages.len();
            for rel in &pages {
                let p = format!("{SITE}/{rel}");
                st.manifest.insert(p.clone(), want[&p]);
            }
            st.save_unsynced()?;
        }
        // 4. Deletions last: pages first, then the media they no longer link to.
        let (gone_pages, gone_media): (Vec<&String>, Vec<&String>) = gone
            .iter()
            .partition(|p| p.starts_with(&format!("{SITE}/")));
        if !gone_pages.is_empty() {
            let rels: Vec<String> = gone_pages
                .iter()
                .filter_map(|p| p.strip_prefix(&format!("{SITE}/")).map(str::to_owned))
                .collect();
            self.rsync.run(
                Mode::Delete,
                &self.opts.config.site_dir(),
                &rels,
                &format!("{url}/{SITE}/"),
            )?;
        }
        let mut media_gone: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in &gone_media {
            if let Some((root, rel)) = p
                .strip_prefix(&format!("{MEDIA}/"))
                .and_then(|r| r.split_once('/'))
            {
                media_gone.entry(root).or_default().push(rel.to_owned());
            }
        }
        for (root, rels) in &media_gone {
            let base = self
                .root_path(root)
                .unwrap_or_else(|_| self.dir.join("empty"));
            self.rsync
                .run(Mode::Delete, &base, rels, &format!("{url}/{MEDIA}/{root}/"))?;
        }
        for p in &gone {
            st.manifest.remove(p);
        }
        done.deleted = gone.len();
        st.pending.clear();
        st.pending_bytes = 0;
        st.behind_since = None;
        st.last_push = Some(store::now());
        st.save_all()?;
        Ok(done)
    }

    fn root_path(&self, name: &str) -> anyhow::Result<PathBuf> {
        self.opts
            .config
            .roots()
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.path)
            .with_context(|| format!("no library disk {name} here"))
    }

    /// Compares every media file's contents with the mirror's and repairs what differs.
    fn audit(&self, m: &Mirror, st: &mut MirrorState, report: &Report) -> anyhow::Result<usize> {
        let all: Vec<String> = st
            .manifest
            .keys()
            .filter(|p| p.starts_with(&format!("{MEDIA}/")))
            .cloned()
            .collect();
        let n = self.audit_paths(m, &all, report)?;
        st.last_audit = Some(store::now());
        st.save()?;
        Ok(n)
    }

    /// The background audit's next step: the media file after the last one audited (from the
    /// first again after the last). Answers its size, for the byte rate.
    fn audit_next(&self, m: &Mirror, st: &mut MirrorState, report: &Report) -> anyhow::Result<u64> {
        let media = format!("{MEDIA}/");
        let after = st.audit_cursor.clone().unwrap_or_default();
        let next = st
            .manifest
            .range(after.clone()..)
            .find(|(p, _)| **p != after && p.starts_with(&media))
            .or_else(|| st.manifest.iter().find(|(p, _)| p.starts_with(&media)))
            .map(|(p, e)| (p.clone(), e.size));
        let Some((path, size)) = next else {
            return Ok(0);
        };
        if path <= after {
            // Round the whole library: a full audit is done.
            st.last_audit = Some(store::now());
        }
        self.audit_paths(m, std::slice::from_ref(&path), report)?;
        st.audit_cursor = Some(path);
        st.save()?;
        Ok(size)
    }

    /// Compares the contents of the media files at these mirror paths and repairs what differs.
    /// The primary's own copy is checked first against the SHA-256 its row recorded: a copy
    /// that no longer matches is never pushed over a good one, but healed from the mirror's copy
    /// when that one matches the row.
    fn audit_paths(&self, m: &Mirror, paths: &[String], report: &Report) -> anyhow::Result<usize> {
        let url = m.url.trim_end_matches('/');
        let mut by_root: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in paths {
            if let Some((root, rel)) = p
                .strip_prefix(&format!("{MEDIA}/"))
                .and_then(|r| r.split_once('/'))
            {
                by_root
                    .entry(root.to_owned())
                    .or_default()
                    .push(rel.to_owned());
            }
        }
        let mut repaired = 0;
        for (root, rels) in &by_root {
            let base = self.root_path(root)?;
            let to = format!("{url}/{MEDIA}/{root}/");
            let mut sound = Vec::with_capacity(rels.len());
            for rel in rels {
                let key = format!("{MEDIA}/{root}/{rel}");
                let recorded = self
                    .db
                    .library_file_sha256(root, rel)
                    .context("reading a file's row")?;
                match recorded {
                    Some(want) if sha256_file(&base.join(rel)).ok().as_ref() != Some(&want) => {
                        repaired += usize::from(self.heal(m, &base.join(rel), &key, &want, report));
                    }
                    _ => sound.push(rel.clone()),
                }
            }
            let rels = &sound;
            let differing = self.rsync.run(Mode::Compare, &base, rels, &to)?.differing;
            for d in &differing {
                report.emit(
                    "audit_difference",
                    json!({"mirror": m.name, "path": format!("{MEDIA}/{root}/{d}")}),
                    Some(format!(
                        "{}: {MEDIA}/{root}/{d} differs from the primary's; repairing it",
                        m.name
                    )),
                );
            }
            self.rsync.run(Mode::Repair, &base, &differing, &to)?;
            repaired += differing.len();
        }
        Ok(repaired)
    }
}

impl Sync<'_> {
    /// Heals a primary's file that no longer matches its recorded SHA-256 from the mirror's
    /// copy, fetched beside it under a temporary dot-name and renamed over it only when it
    /// matches. Answers whether it was healed; when not, the primary's copy stays as it is
    /// (and is not pushed) and the error is reported.
    fn heal(&self, m: &Mirror, path: &Path, key: &str, want: &str, report: &Report) -> bool {
        report.emit(
            "audit_primary_damaged",
            json!({"mirror": m.name, "path": key}),
            Some(format!(
                "{key}: the primary's copy no longer matches its recorded SHA-256; \
                 fetching the copy on {}",
                m.name
            )),
        );
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let tmp = dir.join(store::layout::temp_name(&name.to_string_lossy()));
        let url = format!("{}/{key}", m.url.trim_end_matches('/'));
        let healed = self.rsync.fetch(&url, &tmp).and_then(|()| {
            let got = sha256_file(&tmp)?;
            anyhow::ensure!(
                got == want,
                "the copy on {} does not match the recorded SHA-256 either",
                m.name
            );
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, path)?;
            Ok(())
        });
        match healed {
            Ok(()) => {
                report.emit(
                    "audit_healed",
                    json!({"mirror": m.name, "path": key}),
                    Some(format!("{key}: healed from the copy on {}", m.name)),
                );
                true
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                report.emit(
                    "error",
                    json!({"mirror": m.name, "path": key, "error": format!("{e:#}")}),
                    Some(format!(
                        "{key}: the primary's copy is damaged and could not be healed: {e:#}"
                    )),
                );
                false
            }
        }
    }
}

/// The SHA-256 of a file's contents, in lowercase hex.
fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// What is looked at between passes: the database file and its write-ahead log.
fn fingerprint(config: &store::config::Config) -> Vec<Option<(u64, i128)>> {
    let db = config.db_path();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    [db, wal]
        .iter()
        .map(|p| std::fs::metadata(p).ok().map(|m| (m.len(), mtime_ns(&m))))
        .collect()
}

/// Runs the sync agent; answers the exit code (0 all mirrors up to date, 2 some failed).
pub fn run(opts: &Options, report: &Report) -> anyhow::Result<u8> {
    if opts.mirrors.is_empty() {
        anyhow::bail!("no mirror: give --mirror NAME=URL or [[mirror]] in the configuration");
    }
    let db_path = opts.config.db_path();
    let db = store::Store::open_read_only(&db_path)
        .with_context(|| format!("opening {}", db_path.display()))?;
    let dir = opts.config.data_dir.join("sync");
    std::fs::create_dir_all(dir.join("snapshot"))?;
    std::fs::create_dir_all(dir.join("empty"))?;
    let sync = Sync {
        opts,
        db,
        snapshot: dir.join("snapshot").join("oott.db"),
        dir,
        rsync: Rsync {
            bwlimit: opts.bwlimit.clone(),
        },
        promoted_checked: std::sync::Mutex::new(BTreeMap::new()),
    };
    let mut states = Vec::new();
    for m in &opts.mirrors {
        states.push(MirrorState::load(&sync.dir, &m.name)?);
    }
    let mut retry_at: Vec<Option<Instant>> = vec![None; opts.mirrors.len()];
    let mut failures: Vec<u32> = vec![0; opts.mirrors.len()];
    let mut next_audit: Vec<Instant> = vec![Instant::now(); opts.mirrors.len()];
    let mut last_seen = None;
    let mut last_full = Instant::now();
    let mut db_hash = String::new();
    let mut hints = Hints::start(&opts.config);
    // With the watcher's hints a whole comparison now and then is a safety net; without them,
    // it is how changes to the site and the media are found.
    let full_every = Duration::from_secs(if hints.watching() { 60 } else { 10 });
    let site = opts.config.site_dir();
    // What the mirrors should hold: the library's files and the site's, kept between passes.
    let mut media: Option<Files> = None;
    let mut pages: Option<Files> = None;
    loop {
        let print = fingerprint(&opts.config);
        let hinted = hints.take();
        let due_retry = retry_at
            .iter()
            .any(|t| t.is_some_and(|t| Instant::now() >= t));
        let changed = last_seen.as_ref() != Some(&print);
        let full = opts.once
            || pages.is_none()
            || last_full.elapsed() >= full_every
            || hinted.as_ref().is_some_and(|h| h.rescan);
        if changed || hinted.is_some() || due_retry || full {
            if changed || db_hash.is_empty() {
                db_hash = sync.snapshot()?;
            }
            match (&mut pages, &hinted) {
                (Some(cache), Some(h)) if !full => update_site(&site, cache, &h.paths),
                (Some(_), None) if !full => {}
                _ => {
                    let mut all = BTreeMap::new();
                    walk_site(&site, &site, &mut all);
                    pages = Some(all);
                    last_full = Instant::now();
                }
            }
            let media_hinted = hinted
                .as_ref()
                .is_some_and(|h| h.paths.iter().any(|p| !p.starts_with(&site)));
            if changed || full || media_hinted || media.is_none() {
                media = Some(media_wanted(&opts.config, &sync.db)?);
            }
            let mut want = media.clone().unwrap_or_default();
            want.extend(pages.iter().flatten().map(|(k, v)| (k.clone(), *v)));
            let mut failed = false;
            for (i, m) in opts.mirrors.iter().enumerate() {
                if retry_at[i].is_some_and(|t| Instant::now() < t) && !opts.once {
                    continue;
                }
                let st = &mut states[i];
                let t = Instant::now();
                match sync.push(m, st, &want, &db_hash) {
                    Ok(p) => {
                        failures[i] = 0;
                        retry_at[i] = None;
                        st.reachable = Some(true);
                        st.last_error = None;
                        if p.media + p.pages + p.deleted > 0 || p.database {
                            report.emit(
                                "pushed",
                                json!({"mirror": m.name, "media": p.media, "pages": p.pages,
                                       "database": p.database, "deleted": p.deleted,
                                       "bytes": p.bytes, "seconds": t.elapsed().as_secs_f64()}),
                                Some(format!(
                                    "{}: {} media files, {} pages{}, {} deleted, {} bytes in {:.1} s",
                                    m.name, p.media, p.pages,
                                    if p.database { ", the database" } else { "" },
                                    p.deleted, p.bytes, t.elapsed().as_secs_f64()
                                )),
                            );
                        }
                        if opts.audit {
                            let n = sync.audit(m, st, report)?;
                            report.emit(
                                "audited",
                                json!({"mirror": m.name, "repaired": n}),
                                Some(format!(
                                    "{}: audit done, {n} file{} repaired",
                                    m.name,
                                    if n == 1 { "" } else { "s" }
                                )),
                            );
                        }
                    }
                    Err(e) => {
                        failed = true;
                        failures[i] += 1;
                        let wait = crate::transfer::backoff(failures[i] + 2);
                        retry_at[i] = Some(Instant::now() + wait);
                        st.reachable = Some(false);
                        st.last_error = Some(format!("{e:#}"));
                        report.emit(
                            "error",
                            json!({"mirror": m.name, "error": format!("{e:#}"),
                                   "retry_seconds": wait.as_secs_f64()}),
                            Some(format!(
                                "{}: {e:#}; trying again in {:.0} s",
                                m.name,
                                wait.as_secs_f64()
                            )),
                        );
                    }
                }
                let _ = st.save();
            }
            write_status(&sync.dir, &opts.mirrors, &states);
            last_seen = Some(print);
            if opts.once {
                return Ok(if failed { 2 } else { 0 });
            }
        }
        // The background audit, a file at a time, at its byte rate, on reachable mirrors.
        if let Some(rate) = opts.audit_rate.filter(|_| !opts.once) {
            for (i, m) in opts.mirrors.iter().enumerate() {
                if retry_at[i].is_some() || Instant::now() < next_audit[i] {
                    continue;
                }
                match sync.audit_next(m, &mut states[i], report) {
                    Ok(bytes) => {
                        let pause =
                            Duration::from_secs_f64(bytes.max(1) as f64 / rate.max(1) as f64);
                        next_audit[i] = Instant::now() + pause.max(opts.interval);
                    }
                    Err(e) => {
                        states[i].last_error = Some(format!("audit: {e:#}"));
                        next_audit[i] = Instant::now() + Duration::from_secs(60);
                    }
                }
            }
        }
        if crate::terminal::stopping() {
            return Ok(0);
        }
        hints.wait(opts.interval);
    }
}

/// File-system events under the media roots, the site and the database's folder, taken as hints
/// only: they bring the next pass at once and name the site's paths to look at again; an
/// overflowing queue asks for a whole comparison, and one comes every minute anyway, so a lost
/// event loses nothing.
struct Hints {
    watcher: Option<notify::RecommendedWatcher>,
    /// The paths of an event, or `None`: look at everything.
    rx: std::sync::mpsc::Receiver<Option<Vec<PathBuf>>>,
    pending: Option<Hint>,
}

/// What the events since the last pass named.
#[derive(Debug, Default)]
struct Hint {
    paths: Vec<PathBuf>,
    rescan: bool,
}

impl Hints {
    fn start(config: &store::config::Config) -> Hints {
        use notify::{EventKind, RecursiveMode, Watcher};
        let (tx, rx) = std::sync::mpsc::channel();
        let watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            let _ = match e {
                // Reading (ours, rsync's, nginx's) changes nothing.
                Ok(ev) if matches!(ev.kind, EventKind::Access(_)) => Ok(()),
                Ok(ev) if !ev.need_rescan() => tx.send(Some(ev.paths)),
                _ => tx.send(None),
            };
        });
        let watcher = watcher.ok().and_then(|mut w| {
            let mut ok = w
                .watch(&config.site_dir(), RecursiveMode::Recursive)
                .is_ok();
            ok &= w
                .watch(&config.data_dir, RecursiveMode::NonRecursive)
                .is_ok();
            for r in config.roots() {
                ok &= w.watch(&r.path, RecursiveMode::Recursive).is_ok();
            }
            ok.then_some(w)
        });
        Hints {
            watcher,
            rx,
            pending: None,
        }
    }

    fn watching(&self) -> bool {
        self.watcher.is_some()
    }

    fn add(&mut self, m: Option<Vec<PathBuf>>) {
        let h = self.pending.get_or_insert_with(Hint::default);
        match m {
            Some(paths) => h.paths.extend(paths),
            None => h.rescan = true,
        }
    }

    /// Waits up to `timeout` for an event; once one comes, until 50 ms pass without another
    /// (at most a second: a burst that goes on is pushed as it goes).
    fn wait(&mut self, timeout: Duration) {
        let Ok(m) = self.rx.recv_timeout(timeout) else {
            return;
        };
        self.add(m);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            match self.rx.recv_timeout(Duration::from_millis(50)) {
                Ok(m) => self.add(m),
                Err(_) => break,
            }
        }
    }

    /// What came since the last pass, if anything.
    fn take(&mut self) -> Option<Hint> {
        while let Ok(m) = self.rx.try_recv() {
            self.add(m);
        }
        self.pending.take()
    }
}

/// `<data_dir>/sync/status.json`, which the receiver's monitor shows.
fn write_status(dir: &Path, mirrors: &[Mirror], states: &[MirrorState]) {
    let now = store::now();
    let list: Vec<_> = mirrors
        .iter()
        .zip(states)
        .map(|(m, s)| {
            json!({"name": m.name, "url": m.url, "reachable": s.reachable,
                   "last_push": s.last_push, "lag_seconds": s.behind_since.map(|t| now - t).unwrap_or(0),
                   "pending_paths": s.pending.len(), "pending_bytes": s.pending_bytes,
                   "last_audit": s.last_audit, "error": s.last_error})
        })
        .collect();
    let v = json!({"updated": now, "mirrors": list});
    let _ = crate::config::write_atomic(&dir.join("status.json"), v.to_string().as_bytes(), false);
}
