//! The renderer: reads the store (never writes it) and writes the static catalogue: the home
//! page of carousels, a page per movie, collection, genre and decade, the A–Z list, the search
//! index, and the pages the browser scripts bring to life. Incremental after each change;
//! `oott-render` (or `make rebuild`) renders everything from scratch.

pub mod fold;
mod key;
mod model;
mod pages;
mod site;
mod target;
mod write;

pub use site::{Report, full, incremental, index_path};
pub use target::movie_file;

/// What can go wrong in a render.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Store(#[from] store::Error),
    #[error("writing the site: {0}")]
    Io(#[from] std::io::Error),
    #[error("template: {0}")]
    Template(#[from] tinytemplate::error::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// The files written beside the pages as they are: every one of `ASSETS` under `assets/`, the
/// icons, and the service worker at the top (its scope is the whole site). Paths relative to
/// the site.
pub fn static_files() -> Vec<(String, &'static [u8])> {
    let mut v: Vec<(String, &'static [u8])> = ASSETS
        .iter()
        .filter(|(_, b)| !b.is_empty())
        .map(|(n, b)| (format!("assets/{n}"), b.as_bytes()))
        .collect();
    v.push((
        "assets/icons/icon-192.png".into(),
        include_bytes!("../../assets/icons/icon-192.png"),
    ));
    v.push((
        "assets/icons/icon-512.png".into(),
        include_bytes!("../../assets/icons/icon-512.png"),
    ));
    v.push((
        "sw.js".into(),
        include_str!("../../assets/sw.js").as_bytes(),
    ));
    v
}

/// The scripts and styles the pages use, written to `<site>/assets/`.
pub const ASSETS: &[(&str, &str)] = &[
    ("site.css", include_str!("../../assets/site.css")),
    ("app.js", include_str!("../../assets/app.js")),
    ("api.js", include_str!("../../assets/api.js")),
    ("card.js", include_str!("../../assets/card.js")),
    ("search.js", include_str!("../../assets/search.js")),
    ("account.js", include_str!("../../assets/account.js")),
    ("upload.js", include_str!("../../assets/upload.js")),
    ("monitor.js", include_str!("../../assets/monitor.js")),
    ("movie.js", include_str!("../../assets/movie.js")),
    ("player.js", include_str!("../../assets/player.js")),
    ("watch.js", include_str!("../../assets/watch.js")),
    ("library.js", include_str!("../../assets/library.js")),
    (
        "manifest.webmanifest",
        include_str!("../../assets/manifest.webmanifest"),
    ),
    ("settings.js", include_str!("../../assets/settings.js")),
    // What the player asks each server for to learn which answers fastest (`player.js`).
    ("ping", "ok\n"),
    // hls.js, from npm (`assets/vendor`, see `build.rs`); empty, and then not written, when
    // the build had no copy of it.
    (
        "hls.min.js",
        include_str!(concat!(env!("OUT_DIR"), "/hls.min.js")),
    ),
    (
        "collections.js",
        include_str!("../../assets/collections.js"),
    ),
];
