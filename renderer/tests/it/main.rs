//! The renderer's integration tests: real SQLite libraries, real sites on disk.
//!
//! - `pages`: snapshots of the pages of a small library, and the files one change touches
//! - `incremental`: after random adds, edits, deletes and collection changes, the incremental
//!   site equals a full rebuild byte for byte
//! - `links`: every internal link resolves, also in sites left by renders killed part way
//! - `search`: the search module (the real `assets/search.js`, under Node) over the index

mod incremental;
mod library;
mod links;
mod pages;
mod search;
mod support;
