//! Test support: a library in a real SQLite file, filled through the store as the receiver
//! would fill it, and checks over rendered sites.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use store::{ContentId, FileId, Metadata, NewFile, Rating, Store};

pub struct Lib {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

/// A title for the fixture library.
#[derive(Clone)]
pub struct Spec {
    pub id: &'static str,
    pub title: &'static str,
    pub original: Option<&'static str>,
    pub year: i64,
    pub genres: &'static [&'static str],
    pub directors: &'static [&'static str],
    pub stars: &'static [&'static str],
    pub votes: i64,
    pub rating: f64,
}

impl Lib {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
        let store = Store::open(&dir.path().join("data/oott.db")).expect("store");
        Lib { dir, store }
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn media(&self) -> PathBuf {
        self.dir.path().join("media")
    }
    pub fn site(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Files a title (its metadata first, as a fetch would, then its file).
    pub fn add(&self, m: &Metadata) {
        self.store.save_metadata(m, 1).expect("metadata");
        let id = m.id.to_string();
        self.store
            .insert_file(&NewFile {
                file_id: FileId::of(&format!("{id}.mkv"), 1000, 1),
                content_id: m.id.clone(),
                label: String::new(),
                path: format!("{id}/{id}.mkv"),
                root: String::new(),
                ext: "mkv".into(),
                size: 1000,
                original_name: format!("{id}.mkv"),
                last_modified: 1,
                uploaded_by: None,
                placeholder_title: m.title.clone(),
            })
            .expect("file");
    }

    pub fn remove(&self, id: &str) {
        self.store
            .delete_title_files(&ContentId::parse(id).expect("id"))
            .expect("delete");
    }

    pub fn metadata(&self, id: &str) -> Metadata {
        self.store
            .metadata(&ContentId::parse(id).expect("id"))
            .expect("q")
            .expect("row")
            .metadata
    }
}

pub fn meta(s: &Spec) -> Metadata {
    let mut m = Metadata::named(ContentId::parse(s.id).expect("id"), s.title.into());
    m.original_title = s.original.map(str::to_owned);
    m.year = Some(s.year);
    m.kind = Some("movie".into());
    m.genres = s.genres.iter().map(|g| g.to_string()).collect();
    m.directors = s.directors.iter().map(|g| g.to_string()).collect();
    m.stars = s.stars.iter().map(|g| g.to_string()).collect();
    m.rating = Some(Rating {
        value: s.rating,
        votes: s.votes,
        max: 10.0,
    });
    m.duration = Some(store::Duration::from_minutes(100 + s.year % 40));
    m.plot_short = Some(format!("A film called {}.", s.title));
    m
}

/// Every file of a site and its bytes (the renderer's own `.render/` left out).
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if rel == ".render" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// Asserts two sites hold the same files with the same bytes.
#[track_caller]
pub fn assert_same_site(a: &Path, b: &Path, context: &str) {
    let (a, b) = (tree(a), tree(b));
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "{context}: the sites differ in {differ:?}"
    );
}

/// Internal links of a site that lead nowhere: `href`/`src` in pages and `/…` strings in JSON
/// (a card's id leads to its movie page). `/media/` and `/api/` are outside the site.
pub fn dangling(root: &Path) -> Vec<String> {
    let files = tree(root);
    let exists = |link: &str| {
        let path = link
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_start_matches('/');
        let path = path.replace("%20", " ");
        // A title's page, as nginx and the receiver serve it (`renderer::movie_file`).
        let movie = path
            .strip_prefix("movie/")
            .and_then(|p| p.strip_suffix('/'))
            .filter(|id| !id.contains('/'))
            .is_some_and(|id| files.contains_key(&renderer::movie_file(id)));
        movie
            || path.is_empty() && files.contains_key("index.html")
            || files.contains_key(&path)
            || files.contains_key(&format!(
                "{}index.html",
                if path.ends_with('/') {
                    path.clone()
                } else {
                    format!("{path}/")
                }
            ))
    };
    let mut bad = Vec::new();
    for (name, bytes) in &files {
        if name.split('/').any(|p| p.starts_with('.')) {
            continue; // a temporary file a killed render left
        }
        let text = String::from_utf8_lossy(bytes);
        let mut links = Vec::new();
        if name.ends_with(".html") {
            for attr in ["href=\"", "src=\"", "data-src=\"", "data-rows=\""] {
                for part in text.split(attr).skip(1) {
                    links.push(part.split('"').next().unwrap_or("").to_owned());
                }
            }
        } else if name.ends_with(".json") {
            let v: serde_json::Value =
                serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            collect_json_links(&v, &mut links);
        }
        for l in links {
            if l.starts_with('/')
                && !l.starts_with("/media/")
                && !l.starts_with("/api/")
                && !exists(&l)
            {
                bad.push(format!("{name} → {l}"));
            }
        }
    }
    bad
}

fn collect_json_links(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.starts_with('/') => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_json_links(x, out)),
        serde_json::Value::Object(o) => {
            // A card: its id is a link to its page.
            if let (Some(id), Some(_)) = (o.get("id").and_then(|i| i.as_str()), o.get("title")) {
                out.push(format!("/movie/{id}/"));
            }
            o.values().for_each(|x| collect_json_links(x, out));
        }
        _ => {}
    }
}
