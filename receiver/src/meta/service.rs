//! The metadata service (the notes' "movapi"): the cache first, IMDb on a miss; the title's
//! poster and trailer into the library; suggestion searches, cached too. A background worker
//! fetches what uploads left pending and retries failures with back-off, so an unreachable
//! IMDb never holds up an upload.

use std::sync::Arc;
use std::time::Duration;

use store::{ContentId, Metadata, MetadataRecord, Store};
use tokio::sync::mpsc;

use super::fetch::{FetchError, Fetcher, Hosts};
use super::filename::Parsed;
use super::imdb::{self, PageError};
use super::suggest::{self, Candidate};
use super::{poster, wikidata};
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("IMDb has no title {0}")]
    NoSuchTitle(ContentId),
    #[error("IMDb's page could not be read: {0}")]
    Page(#[from] PageError),
    #[error("IMDb answered with {got} when asked for {asked}")]
    WrongTitle { asked: ContentId, got: ContentId },
    #[error("IMDb's suggestion answer could not be read: {0}")]
    Suggestion(#[from] serde_json::Error),
    #[error("{0}")]
    Store(#[from] store::Error),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

pub struct MetaService {
    fetcher: Fetcher,
    /// The same, for suggestion lookups, with a quarter of the gap.
    suggester: Fetcher,
    imdb_url: String,
    suggest_url: String,
    wikidata_url: Option<String>,
    store: Arc<Store>,
    /// The library roots: a title's poster and trailer go on its own.
    roots: Vec<store::config::Root>,
    /// The settings in force (the disk reserve and library quota, which a trailer download
    /// honours as uploads do).
    live: crate::settings::LiveHandle,
    max_age: Duration,
    retry: Duration,
    queue: mpsc::UnboundedSender<ContentId>,
    // std mutex: taken once, by the worker, at start.
    inbox: std::sync::Mutex<Option<mpsc::UnboundedReceiver<ContentId>>>,
}

/// How long suggestion answers are kept.
const SUGGESTION_MAX_AGE: i64 = 7 * 86_400;

impl MetaService {
    pub fn new(config: &Config, store: Arc<Store>, live: crate::settings::LiveHandle) -> Self {
        let (queue, inbox) = mpsc::unbounded_channel();
        let trim = |s: &str| s.trim_end_matches('/').to_owned();
        let hosts = || {
            Hosts::new(
                [
                    config.imdb_url.as_str(),
                    config.imdb_suggest_url.as_str(),
                    config.wikidata_url.as_str(),
                ],
                &config.media_hosts,
            )
        };
        MetaService {
            // Suggestion lookups (small JSON answers from IMDb's search service) may start four
            // times as often as page fetches: guesses for a selection come back together.
            suggester: Fetcher::new(
                hosts(),
                config.fetch_timeout,
                Duration::from_millis(config.fetch_gap_ms / 4),
                config.fetch_retries,
                Duration::from_millis(500).min(config.metadata_retry),
            ),
            fetcher: Fetcher::new(
                Hosts::new(
                    [
                        config.imdb_url.as_str(),
                        config.imdb_suggest_url.as_str(),
                        config.wikidata_url.as_str(),
                    ],
                    &config.media_hosts,
                ),
                config.fetch_timeout,
                Duration::from_millis(config.fetch_gap_ms),
                config.fetch_retries,
                Duration::from_millis(500).min(config.metadata_retry),
            ),
            imdb_url: trim(&config.imdb_url),
            suggest_url: trim(&config.imdb_suggest_url),
            wikidata_url: Some(trim(&config.wikidata_url)).filter(|u| !u.is_empty()),
            store,
            roots: config.roots(),
            live,
            max_age: config.metadata_max_age,
            retry: config.metadata_retry,
            queue,
            inbox: std::sync::Mutex::new(Some(inbox)),
        }
    }

    /// Asks the worker to fetch a title's metadata soon.
    pub fn enqueue(&self, id: ContentId) {
        let _ = self.queue.send(id);
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> store::Result<T> + Send + 'static,
    ) -> Result<T, MetaError> {
        let s = self.store.clone();
        Ok(tokio::task::spawn_blocking(move || f(&s)).await??)
    }

    /// The cached metadata; fetched first when there is none yet (and no retry is pending).
    /// Stale metadata is answered as it is and refreshed in the background.
    pub async fn get(&self, id: &ContentId) -> Result<MetadataRecord, MetaError> {
        let i = id.clone();
        let cached = self.db(move |s| s.metadata(&i)).await?;
        match cached {
            Some(rec) if rec.fetched_at.is_some() => {
                if rec
                    .fetched_at
                    .is_some_and(|t| t < store::now() - self.max_age.as_secs() as i64)
                {
                    self.enqueue(id.clone());
                }
                Ok(rec)
            }
            Some(rec) if rec.fetch_attempts > 0 => Ok(rec),
            _ => self.refresh(id).await,
        }
    }

    /// Fetches the title now, stores it (the users' own values are kept apart and untouched),
    /// and for a title in the library brings its poster and trailer.
    pub async fn refresh(&self, id: &ContentId) -> Result<MetadataRecord, MetaError> {
        match self.fetch(id).await {
            Ok(m) => {
                let m2 = m.clone();
                // A page read only in part is fetched again within a day.
                let fetched = if imdb::read_in_part(&m) {
                    store::now() - self.max_age.as_secs() as i64 + 86_400
                } else {
                    store::now()
                };
                self.db(move |s| s.save_metadata(&m2, fetched)).await?;
                let i = id.clone();
                if !self.db(move |s| s.files_of(&i)).await?.is_empty() {
                    self.bring_media(&m).await;
                }
                let i = id.clone();
                self.db(move |s| s.metadata(&i))
                    .await?
                    .ok_or(MetaError::NoSuchTitle(id.clone()))
            }
            Err(e) => {
                let (i, msg) = (id.clone(), e.to_string());
                let base = self.retry.as_secs().max(1) as i64;
                self.db(move |s| {
                    let attempts = s.metadata(&i)?.map(|r| r.fetch_attempts).unwrap_or(0);
                    let wait = (base << attempts.min(12)).min(6 * 3600);
                    s.record_fetch_error(&i, &msg, store::now() + wait)
                })
                .await?;
                tracing::warn!(content = %id, "metadata: {e}");
                Err(e)
            }
        }
    }

    /// The title page, read and checked, with the Wikidata ids when Wikidata answers.
    async fn fetch(&self, id: &ContentId) -> Result<Metadata, MetaError> {
        let url = format!("{}/title/{id}/", self.imdb_url);
        let page = self.fetcher.get(&url, 16 << 20).await.map_err(|e| {
            if e.is_not_found() {
                MetaError::NoSuchTitle(id.clone())
            } else {
                MetaError::Fetch(e)
            }
        })?;
        let html = String::from_utf8_lossy(&page).into_owned();
        let asked = id.clone();
        let mut m = tokio::task::spawn_blocking(move || imdb::parse_as(&html, &asked)).await??;
        if &m.id != id {
            return Err(MetaError::WrongTitle {
                asked: id.clone(),
                got: m.id,
            });
        }
        if let Some(base) = &self.wikidata_url {
            match wikidata::lookup(&self.fetcher, base, id.as_str()).await {
                Ok(Some(w)) => {
                    m.wikidata_id = w.wikidata_id;
                    m.rotten_tomatoes = w.rotten_tomatoes;
                    m.metacritic_url = w.metacritic_url;
                }
                Ok(None) => {}
                Err(e) => tracing::info!(content = %id, "wikidata: {e}"),
            }
        }
        Ok(m)
    }

    /// The poster (and its card version) and a downloadable trailer, into the title's folder.
    async fn bring_media(&self, m: &Metadata) {
        let id = m.id.clone();
        let name = self
            .db(move |s| s.title_root(&id))
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| "1".to_owned());
        let Some(root) = self.roots.iter().find(|r| r.name == name).cloned() else {
            tracing::warn!(content = %m.id, "its disk {name} is not configured; no poster or trailer");
            return;
        };
        if let Some(url) = &m.poster_url {
            let stored = match self.fetcher.get(url, 20 << 20).await {
                Ok(bytes) => {
                    let (root, id) = (root.clone(), m.id.clone());
                    tokio::task::spawn_blocking(move || poster::store_poster(&root, &id, &bytes))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()))
                }
                Err(e) => Err(e.to_string()),
            };
            match stored {
                Ok(rows) => {
                    let recorded = self
                        .db(move |s| rows.iter().try_for_each(|f| s.record_library_file(f)))
                        .await;
                    if let Err(e) = recorded {
                        tracing::warn!(content = %m.id, "recording the poster: {e}");
                    }
                }
                Err(e) => tracing::warn!(content = %m.id, "poster: {e}"),
            }
        } else {
            self.frame_poster(m, &root).await;
        }
        if let Some(url) = &m.trailer_url
            && let Some(ext) = video_extension(url)
        {
            let rel = store::layout::trailer(&m.id, ext);
            let dest = root.path.join(&rel);
            // The trailer takes only what uploads may take: never the reserve, never space
            // promised to unfinished uploads, never past the quota.
            let limits = crate::settings::read(&self.live);
            let (roots, store, reserve, quota) = (
                self.roots.clone(),
                self.store.clone(),
                limits.disk_reserve,
                limits.library_quota,
            );
            let on = root.name.clone();
            let room = tokio::task::spawn_blocking(move || {
                crate::space::Space::measure_blocking(&roots, reserve, quota, &store).map(|s| {
                    let quota_left = s.quota.map_or(u64::MAX, |q| {
                        q.saturating_sub(s.library_bytes.saturating_add(s.pending_bytes))
                    });
                    s.root(&on).map_or(0, |r| r.usable(&[])).min(quota_left)
                })
            })
            .await;
            let limit = match room {
                Ok(Ok(room)) => room.min(2 << 30),
                _ => 0,
            };
            if limit == 0 {
                tracing::info!(content = %m.id, "trailer: no room on the disk; not downloaded");
            } else {
                match self.fetcher.download(url, &dest, limit).await {
                    Ok(size) => {
                        let row = store::NewLibraryFile {
                            content_id: m.id.clone(),
                            kind: store::FileKind::Trailer,
                            label: String::new(),
                            root: root.name.clone(),
                            path: rel,
                            size,
                            mtime: store::now(),
                        };
                        if let Err(e) = self.db(move |s| s.record_library_file(&row)).await {
                            tracing::warn!(content = %m.id, "recording the trailer: {e}");
                        }
                    }
                    Err(e) => tracing::info!(content = %m.id, "trailer: {e}"),
                }
            }
        }
    }

    /// A title IMDb has no poster for gets a frame of its video (a tenth of the way in), unless
    /// it has a poster already.
    async fn frame_poster(&self, m: &Metadata, root: &store::config::Root) {
        let id = m.id.clone();
        let (files, side) = match self
            .db(move |s| Ok((s.files_of(&id)?, s.library_files_of(&id)?)))
            .await
        {
            Ok(x) => x,
            Err(_) => return,
        };
        if side.iter().any(|f| f.kind == store::FileKind::Poster) {
            return;
        }
        let Some(file) = files.first() else {
            return;
        };
        let movie = root.path.join(&file.path);
        let at = file
            .technical
            .as_ref()
            .and_then(|t| t.duration_ms)
            .map_or(0.0, |ms| ms as f64 / 10_000.0);
        let (root2, id) = (root.clone(), m.id.clone());
        let made = tokio::task::spawn_blocking(move || -> Result<_, String> {
            let grab = |seek: f64| {
                std::process::Command::new("ffmpeg")
                    .args([
                        "-v",
                        "error",
                        "-nostdin",
                        "-ss",
                        &format!("{seek:.3}"),
                        "-i",
                    ])
                    .arg(&movie)
                    .args(["-frames:v", "1", "-vf", "scale=600:-2", "-f", "image2pipe"])
                    .args(["-c:v", "mjpeg", "-"])
                    .output()
                    .map_err(|e| e.to_string())
            };
            let mut out = grab(at)?;
            if out.stdout.is_empty() {
                out = grab(0.0)?;
            }
            if out.stdout.is_empty() {
                return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
            }
            poster::store_poster(&root2, &id, &out.stdout).map_err(|e| e.to_string())
        })
        .await;
        match made {
            Ok(Ok(rows)) => {
                if let Err(e) = self
                    .db(move |s| rows.iter().try_for_each(|f| s.record_library_file(f)))
                    .await
                {
                    tracing::warn!(content = %m.id, "recording the frame poster: {e}");
                }
            }
            Ok(Err(e)) => tracing::info!(content = %m.id, "no frame for a poster: {e}"),
            Err(_) => {}
        }
    }

    /// Title candidates for a search: a pasted IMDb id or URL is taken directly; anything else
    /// goes to IMDb's suggestion search (cached).
    pub async fn search(&self, q: &str) -> Result<Vec<Candidate>, MetaError> {
        if let Some(id) = imdb::id_in(q).and_then(|i| ContentId::parse(&i).ok()) {
            let rec = self.get(&id).await?;
            return Ok(vec![candidate_of(&rec)]);
        }
        let key = suggest::fold(q).join(" ");
        if key.is_empty() {
            return Ok(vec![]);
        }
        let k = key.clone();
        let body = match self
            .db(move |s| s.cached_suggestion(&k, SUGGESTION_MAX_AGE))
            .await?
        {
            Some(body) => body,
            None => {
                let url = format!(
                    "{}/suggestion/titles/x/{}.json",
                    self.suggest_url,
                    percent_encode(q.trim())
                );
                let body =
                    String::from_utf8_lossy(&self.suggester.get(&url, 4 << 20).await?).into_owned();
                suggest::parse(&body)?;
                let (k, b) = (key.clone(), body.clone());
                self.db(move |s| s.cache_suggestion(&k, &b)).await?;
                body
            }
        };
        Ok(suggest::parse(&body)?)
    }

    /// Ranked candidates for a file name: searched with its title, part and year, and with the
    /// title alone when that finds nothing.
    pub async fn guess(&self, parsed: &Parsed) -> Result<Vec<Candidate>, MetaError> {
        if parsed.title.is_empty() {
            return Ok(vec![]);
        }
        let mut found = self.search(&suggest::query_for(parsed)).await?;
        if found.is_empty() && parsed.year.is_some() {
            found = self.search(&parsed.title).await?;
        }
        Ok(suggest::rank(parsed, found))
    }

    /// Fetches what is due (queued titles, pending and failed ones whose wait is over, stale
    /// ones) until the process ends.
    pub async fn run_worker(self: Arc<Self>) {
        let Some(mut inbox) = self.inbox.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let tick = self
            .retry
            .min(Duration::from_secs(60))
            .max(Duration::from_millis(200));
        loop {
            let now = store::now();
            let stale = now - self.max_age.as_secs() as i64;
            match self.db(move |s| s.metadata_due(now, stale, 20)).await {
                Ok(due) => {
                    for id in due {
                        let _ = self.refresh(&id).await;
                    }
                }
                Err(e) => tracing::warn!("metadata worker: {e}"),
            }
            tokio::select! {
                Some(id) = inbox.recv() => {
                    let i = id.clone();
                    let rec = self.db(move |s| s.metadata(&i)).await.ok().flatten();
                    match rec.filter(|r| r.fetched_at.is_some_and(|t| t >= store::now() - 60)) {
                        // Fetched a moment ago (a pasted link is looked up before the upload):
                        // not again, but a title that now has files gets its poster and trailer.
                        Some(r) => {
                            let i = id.clone();
                            let has_files = self.db(move |s| s.files_of(&i)).await
                                .is_ok_and(|f| !f.is_empty());
                            if has_files && r.poster_file.is_none() {
                                self.bring_media(&r.metadata).await;
                            }
                        }
                        None => {
                            let _ = self.refresh(&id).await;
                        }
                    }
                }
                _ = tokio::time::sleep(tick) => {}
            }
        }
    }
}

/// A candidate made from cached metadata (for a pasted id or URL).
fn candidate_of(rec: &MetadataRecord) -> Candidate {
    let m = &rec.metadata;
    Candidate {
        id: m.id.to_string(),
        title: m.title.clone(),
        year: m.year,
        year_range: None,
        kind: m.kind.clone(),
        kind_label: None,
        stars: m.stars.join(", "),
        poster: m.poster_url.clone(),
        rank: None,
        score: 100.0,
        // The person named this very title.
        confident: true,
    }
}

fn video_extension(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next()?.to_ascii_lowercase();
    ["mp4", "m4v", "webm", "mov", "mkv"]
        .into_iter()
        .find(|ext| path.ends_with(&format!(".{ext}")))
}

/// Percent-encodes a path segment.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
