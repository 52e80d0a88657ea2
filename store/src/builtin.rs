//! The collections a new library starts with: well-known franchises and sequels, by IMDb id.
//! They are ordinary collections afterwards, editable through the collections API.

use crate::CollectionKind::{self, Franchise, Sequel};

pub const BUILTIN_COLLECTIONS: &[(&str, CollectionKind, &[&str])] = &[
    (
        "The Matrix",
        Franchise,
        &["tt0133093", "tt0234215", "tt0242653", "tt10838180"],
    ),
    (
        "The Lord of the Rings",
        Sequel,
        &["tt0120737", "tt0167261", "tt0167260"],
    ),
    (
        "The Godfather",
        Sequel,
        &["tt0068646", "tt0071562", "tt0099674"],
    ),
    (
        "Back to the Future",
        Sequel,
        &["tt0088763", "tt0096874", "tt0099088"],
    ),
    (
        "Alien",
        Franchise,
        &["tt0078748", "tt0090605", "tt0103644", "tt0118583"],
    ),
    (
        "The Terminator",
        Franchise,
        &["tt0088247", "tt0103064", "tt0181852"],
    ),
    (
        "Star Wars",
        Franchise,
        &[
            "tt0120915",
            "tt0121765",
            "tt0121766",
            "tt0076759",
            "tt0080684",
            "tt0086190",
        ],
    ),
    (
        "Indiana Jones",
        Franchise,
        &["tt0082971", "tt0087469", "tt0097576", "tt0367882"],
    ),
    (
        "Die Hard",
        Franchise,
        &["tt0095016", "tt0099423", "tt0112864", "tt0337978"],
    ),
    (
        "Toy Story",
        Franchise,
        &["tt0114709", "tt0120363", "tt0435761", "tt1979376"],
    ),
    (
        "Harry Potter",
        Franchise,
        &[
            "tt0241527",
            "tt0295297",
            "tt0304141",
            "tt0330373",
            "tt0373889",
            "tt0417741",
            "tt0926084",
            "tt1201607",
        ],
    ),
    (
        "Jurassic Park",
        Franchise,
        &["tt0107290", "tt0119567", "tt0163025"],
    ),
    (
        "Mad Max",
        Franchise,
        &["tt0079501", "tt0082694", "tt0089530", "tt1392190"],
    ),
    (
        "Rocky",
        Franchise,
        &["tt0075148", "tt0079817", "tt0084602", "tt0089927"],
    ),
    (
        "The Dark Knight Trilogy",
        Sequel,
        &["tt0372784", "tt0468569", "tt1345836"],
    ),
    (
        "John Wick",
        Franchise,
        &["tt2911666", "tt4425200", "tt6146586", "tt10366206"],
    ),
    (
        "Pirates of the Caribbean",
        Franchise,
        &["tt0325980", "tt0383574", "tt0449088"],
    ),
    (
        "Jason Bourne",
        Franchise,
        &["tt0258463", "tt0372183", "tt0440963"],
    ),
];
