//! The files of the site, one `Target` each: where it goes, when in a render it is written
//! (leaves before the lists that link to them, the home page last), and which files a list's
//! change reaches.

use crate::key::ListKey;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `movie/<id>.html`, served at `/movie/<id>/` (`movie_file`)
    Movie(String),
    /// `genre/<slug>/<year>.json`, `decade/<d>/<year>.json`
    Bucket(String),
    /// `search/t/<shard>.json`
    Shard(String),
    /// `search/d/<n>.json`
    Docs(i64),
    /// `library/<n>.json`: the library view's titles, spread as the search documents are
    Library(i64),
    /// `rows/<name>.json`: one carousel of the home page
    Row(String),
    /// `genre/<slug>/`, `decade/<d>/`, `collection/<id>/`, `category/<slug>/`
    ListPage(String),
    /// `genre/`, `decade/`, `collection/`, `az/`
    Index(&'static str),
    /// `rows/index.json`: the order of the home page's carousels
    RowsIndex,
    /// `search/manifest.json`: how the search documents are spread
    SearchManifest,
    /// `index.html`
    Home,
    /// `search/`, `login/`, `setup/`, `upload/`, `monitor/`
    Static(&'static str),
}

pub const STATIC_PAGES: &[&str] = &[
    "search", "login", "setup", "upload", "monitor", "invite", "account", "users", "settings",
    "missing", "offline",
];
pub const INDEXES: &[&str] = &["genre", "decade", "collection", "az"];

impl Target {
    pub fn path(&self) -> String {
        match self {
            Target::Movie(id) => movie_file(id),
            Target::Bucket(key) => format!("{key}.json"),
            Target::Shard(s) => format!("search/t/{s}.json"),
            Target::Library(n) => format!("library/{n}.json"),
            Target::Docs(n) => format!("search/d/{n}.json"),
            Target::Row(name) => format!("rows/{}.json", row_file(name)),
            Target::ListPage(key) => format!("{key}/index.html"),
            Target::Index(name) => format!("{name}/index.html"),
            Target::RowsIndex => "rows/index.json".into(),
            Target::SearchManifest => "search/manifest.json".into(),
            Target::Home => "index.html".into(),
            Target::Static(name) => format!("{name}/index.html"),
        }
    }

    /// Write order: what others link to comes first.
    pub fn level(&self) -> u8 {
        match self {
            Target::Movie(_) => 0,
            Target::Bucket(_)
            | Target::Shard(_)
            | Target::Docs(_)
            | Target::Library(_)
            | Target::Row(_) => 1,
            Target::ListPage(_) => 2,
            Target::Index(_) | Target::RowsIndex | Target::SearchManifest => 3,
            Target::Home | Target::Static(_) => 4,
        }
    }
}

/// The file of a title's page, which is served at `/movie/<id>/`: one file in `movie/`, not
/// a folder with an `index.html` in it. A folder a title made the file system's work for a
/// full render about three times that of the page alone (ext4 spreads new folders over the
/// disk); nginx (`templates/nginx.conf`) and the receiver (`serve::movie_page`) map the address
/// to it.
pub fn movie_file(id: &str) -> String {
    format!("movie/{id}.html")
}

/// A row's file name: its list key with `/` as `-` (`genre/action` → `genre-action`).
pub fn row_file(name: &str) -> String {
    name.replace('/', "-")
}

/// The files a change to list `key` can change.
pub fn for_key(key: &str) -> Vec<Target> {
    let Some(parsed) = ListKey::parse(key) else {
        return vec![];
    };
    match &parsed {
        ListKey::Genre(_) | ListKey::Decade(_) => vec![
            Target::ListPage(key.to_owned()),
            Target::Row(key.to_owned()),
            Target::Index(parsed.kind()),
            Target::RowsIndex,
            Target::Home,
        ],
        ListKey::GenreYear(..) | ListKey::DecadeYear(..) => {
            let mut v = vec![Target::Bucket(key.to_owned())];
            v.extend(parsed.parent().map(|p| Target::ListPage(p.to_string())));
            v
        }
        ListKey::Collection(_) => vec![
            Target::ListPage(key.to_owned()),
            Target::Row(key.to_owned()),
            Target::Index("collection"),
            Target::RowsIndex,
            Target::Home,
        ],
        ListKey::Category(_) => vec![
            Target::ListPage(key.to_owned()),
            Target::Row(key.to_owned()),
            Target::RowsIndex,
            Target::Home,
        ],
    }
}

/// What every change reaches: the home page, its first rows, the search manifest (and the
/// search page, which holds a copy of it).
pub fn always() -> Vec<Target> {
    vec![
        Target::Home,
        Target::RowsIndex,
        Target::Row("recent".into()),
        Target::Row("top".into()),
        Target::SearchManifest,
        Target::Static("search"),
    ]
}
