//! Metadata and identification: the file-name parser, the IMDb scraper and suggestion search,
//! Wikidata enrichment, posters, the cache-first metadata service and its API.

pub mod api;
pub mod fetch;
pub mod filename;
pub mod imdb;
pub mod poster;
pub mod service;
pub mod suggest;
pub mod wikidata;
