//! The keys of the lists a title can be in, spelled in one place. A key is also the list's
//! path in the site (`genre/drama/` is its page, `genre/drama/1994.json` a bucket of it) and
//! the name the render index keeps its members under. (A title's related titles are kept apart,
//! as its own list.)

use std::fmt;

/// One list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListKey {
    /// A genre, by its slug.
    Genre(String),
    /// A genre's titles of one year (`unknown` for titles without one): a bucket its page
    /// loads.
    GenreYear(String, String),
    /// A decade, as `1990s`.
    Decade(String),
    /// A decade's titles of one year.
    DecadeYear(String, String),
    Collection(i64),
    /// A category, by its slug.
    Category(String),
}

impl ListKey {
    /// Reads a key as `Display` writes it.
    pub fn parse(key: &str) -> Option<ListKey> {
        let parts: Vec<&str> = key.split('/').collect();
        Some(match parts.as_slice() {
            ["genre", slug] => ListKey::Genre((*slug).to_owned()),
            ["genre", slug, year] => ListKey::GenreYear((*slug).to_owned(), (*year).to_owned()),
            ["decade", d] => ListKey::Decade((*d).to_owned()),
            ["decade", d, year] => ListKey::DecadeYear((*d).to_owned(), (*year).to_owned()),
            ["collection", id] => ListKey::Collection(id.parse().ok()?),
            ["category", slug] => ListKey::Category((*slug).to_owned()),
            _ => return None,
        })
    }

    /// The list a bucket belongs to (a genre's or a decade's), for a bucket key.
    pub fn parent(&self) -> Option<ListKey> {
        match self {
            ListKey::GenreYear(slug, _) => Some(ListKey::Genre(slug.clone())),
            ListKey::DecadeYear(d, _) => Some(ListKey::Decade(d.clone())),
            _ => None,
        }
    }

    /// Whether the list keeps its own order (collections and categories) rather than the
    /// library's.
    pub fn own_order(&self) -> bool {
        matches!(self, ListKey::Collection(_) | ListKey::Category(_))
    }

    /// The kind, as the first part of the key (`genre`, `decade`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            ListKey::Genre(_) | ListKey::GenreYear(..) => "genre",
            ListKey::Decade(_) | ListKey::DecadeYear(..) => "decade",
            ListKey::Collection(_) => "collection",
            ListKey::Category(_) => "category",
        }
    }
}

impl fmt::Display for ListKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListKey::Genre(slug) => write!(f, "genre/{slug}"),
            ListKey::GenreYear(slug, year) => write!(f, "genre/{slug}/{year}"),
            ListKey::Decade(d) => write!(f, "decade/{d}"),
            ListKey::DecadeYear(d, year) => write!(f, "decade/{d}/{year}"),
            ListKey::Collection(id) => write!(f, "collection/{id}"),
            ListKey::Category(slug) => write!(f, "category/{slug}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back() {
        for k in [
            ListKey::Genre("sci-fi".into()),
            ListKey::GenreYear("drama".into(), "1994".into()),
            ListKey::GenreYear("drama".into(), "unknown".into()),
            ListKey::Decade("1990s".into()),
            ListKey::DecadeYear("1990s".into(), "1999".into()),
            ListKey::Collection(7),
            ListKey::Category("noir".into()),
        ] {
            assert_eq!(ListKey::parse(&k.to_string()), Some(k.clone()), "{k}");
        }
        assert_eq!(ListKey::parse("genre/x/1990/more"), None);
        assert_eq!(ListKey::parse("nothing"), None);
    }
}
