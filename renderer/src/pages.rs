//! Renders one target: an HTML page through the templates in `templates/`, or a JSON file for
//! the pages' scripts (rows, buckets, search shards). `None` means the file should not exist.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};
use store::text::QuickMap;
use store::{CardRow, IndexView, Store, Title};
use tinytemplate::TinyTemplate;

use crate::Error;
use crate::fold::{SPLIT_AT, is_number, slug};
use crate::key::ListKey;
use crate::model::{decade, doc_shards};
use crate::target::{STATIC_PAGES, Target, row_file};

/// How many carousels the home page's HTML holds; the rest load as the person scrolls.
pub const INLINE_ROWS: usize = 4;
/// Cards in a carousel.
pub const ROW_LEN: i64 = 20;

pub struct Pages {
    tt: TinyTemplate<'static>,
    /// Cards rendered by this thread, by title id (`card_html`).
    cards: std::cell::RefCell<QuickMap<String, std::rc::Rc<str>>>,
}

/// What a render reads.
pub struct Ctx<'a> {
    pub idx: IndexView<'a>,
    pub store: &'a Store,
    /// Titles already loaded (a full render loads them all at once).
    pub titles: &'a HashMap<String, Title>,
    /// What movie pages read, when a full render holds it in memory.
    pub memory: Option<&'a Memory<'a>>,
    /// The search manifest, made once a render (the search page carries a copy).
    pub manifest: &'a std::sync::OnceLock<Value>,
}

/// What a movie page shows of the rest of the library: its related titles' cards, its
/// collections, and the title up next in a sequel collection.
pub struct Links<'a> {
    related: Vec<std::borrow::Cow<'a, CardRow>>,
    collections: Vec<InCollection>,
    up_next: Option<UpNext>,
}

/// A collection a movie page names.
#[derive(Serialize)]
struct InCollection {
    id: String,
    name: String,
}

/// The title after this one in a sequel collection.
#[derive(Serialize)]
struct UpNext {
    id: String,
    title: String,
    year: Option<i64>,
    collection: String,
}

fn up_next_of(card: &CardRow, collection: &str) -> UpNext {
    UpNext {
        id: card.id.clone(),
        title: card.title.clone(),
        year: card.year,
        collection: collection.to_owned(),
    }
}

fn links_from_index(id: &str, c: &Ctx<'_>) -> Result<Links<'static>, Error> {
    let related = c
        .idx
        .cards(&c.idx.related_of(id)?)?
        .into_iter()
        .map(std::borrow::Cow::Owned)
        .collect();
    let mut collections = Vec::new();
    let mut up_next = None;
    for key in c.idx.keys_of(id)?.into_iter() {
        let Some(ListKey::Collection(cid)) = ListKey::parse(&key) else {
            continue;
        };
        let Some(list) = c.idx.list(&key)? else {
            continue;
        };
        collections.push(InCollection {
            id: cid.to_string(),
            name: list.label.clone(),
        });
        // In a sequel collection, the title after this one is up next.
        let sequel = c
            .store
            .collection(cid)?
            .is_some_and(|k| k.kind == store::CollectionKind::Sequel);
        if sequel && up_next.is_none() {
            let order = c.idx.members(&key)?;
            let next = order
                .iter()
                .position(|m| m == id)
                .and_then(|i| order.get(i + 1));
            if let Some(card) = next.and_then(|n| c.idx.cards(std::slice::from_ref(n)).ok()?.pop())
            {
                up_next = Some(up_next_of(&card, &list.label));
            }
        }
    }
    Ok(Links {
        related,
        collections,
        up_next,
    })
}

/// What movie pages read, held in memory by a full render, so that they are rendered while
/// the index is still being loaded. It answers as the loaded index would.
pub struct Memory<'a> {
    cards: QuickMap<&'a str, &'a CardRow>,
    /// The cards by their bucket (`store::card_bucket`).
    buckets: QuickMap<i64, Vec<&'a CardRow>>,
    /// The lists: their members in their own order, and their labels.
    lists: QuickMap<&'a str, (Vec<&'a str>, &'a str)>,
    /// Each title's related titles, in its order.
    related: QuickMap<&'a str, Vec<&'a str>>,
    /// The collections of each title, by key.
    collections_of: QuickMap<&'a str, Vec<&'a str>>,
    sequels: std::collections::HashSet<i64>,
}

impl<'a> Memory<'a> {
    pub fn new(bulk: &'a store::Bulk, sequels: std::collections::HashSet<i64>) -> Self {
        let cards = bulk.cards.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut buckets: QuickMap<i64, Vec<&CardRow>> = QuickMap::default();
        for c in &bulk.cards {
            buckets
                .entry(store::card_bucket(&c.id))
                .or_default()
                .push(c);
        }
        let mut collections_of: QuickMap<&str, Vec<&str>> = QuickMap::default();
        // The lists as the index will hold them (`Bulk::lists`), each in its own order.
        let lists = bulk
            .lists()
            .into_iter()
            .map(
                |store::BulkList {
                     key,
                     label,
                     mut members,
                 }| {
                    members.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
                    if key.starts_with("collection/") {
                        for m in &members {
                            collections_of.entry(&m.id).or_default().push(key);
                        }
                    }
                    let ids = members.iter().map(|m| &*m.id).collect();
                    (key, (ids, label))
                },
            )
            .collect();
        for keys in collections_of.values_mut() {
            keys.sort_unstable();
        }
        // Each related title once, where it first is; a title's first list counts.
        let mut related: QuickMap<&str, Vec<&str>> = QuickMap::default();
        for (owner, ids) in &bulk.related {
            related.entry(owner).or_insert_with(|| {
                let mut once: Vec<&str> = Vec::with_capacity(ids.len());
                for id in ids {
                    if !once.contains(&&**id) {
                        once.push(id);
                    }
                }
                once
            });
        }
        Memory {
            cards,
            buckets,
            lists,
            related,
            collections_of,
            sequels,
        }
    }

    /// A list's label and the cards of its titles in the library, in no order.
    fn list_cards(&self, key: &str) -> Option<(&'a str, Vec<&'a CardRow>)> {
        let (ids, label) = self.lists.get(key)?;
        Some((
            label,
            ids.iter()
                .filter_map(|i| self.cards.get(i).copied())
                .collect(),
        ))
    }

    /// The cards of the titles in the card buckets `buckets`, by id.
    fn in_buckets(&self, buckets: &[i64]) -> Vec<&'a CardRow> {
        let mut rows: Vec<&CardRow> = buckets
            .iter()
            .filter_map(|b| self.buckets.get(b))
            .flatten()
            .copied()
            .collect();
        rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        rows
    }

    /// The titles a movie page links to as related, in the library or not.
    pub fn related_ids(&self, id: &str) -> Vec<String> {
        self.related
            .get(id)
            .map_or(vec![], |ids| ids.iter().map(|i| i.to_string()).collect())
    }

    fn links(&self, id: &str) -> Links<'a> {
        let related = self.related.get(id).map_or(vec![], |ids| {
            ids.iter()
                .filter_map(|i| self.cards.get(i).map(|c| std::borrow::Cow::Borrowed(*c)))
                .collect()
        });
        let mut collections = Vec::new();
        let mut up_next = None;
        for key in self.collections_of.get(id).into_iter().flatten() {
            let Some(ListKey::Collection(cid)) = ListKey::parse(key) else {
                continue;
            };
            let Some((order, label)) = self.lists.get(key) else {
                continue;
            };
            collections.push(InCollection {
                id: cid.to_string(),
                name: (*label).to_owned(),
            });
            if self.sequels.contains(&cid) && up_next.is_none() {
                let next = order
                    .iter()
                    .position(|m| *m == id)
                    .and_then(|i| order.get(i + 1));
                if let Some(card) = next.and_then(|n| self.cards.get(n)) {
                    up_next = Some(up_next_of(card, label));
                }
            }
        }
        Links {
            related,
            collections,
            up_next,
        }
    }
}

#[derive(Serialize)]
struct Head {
    title: String,
    page: &'static str,
}

/// A card as the templates and the JSON files carry it: only what a card needs.
#[derive(Serialize, Clone)]
pub struct Card {
    id: String,
    title: String,
    year: Option<i64>,
    poster: Option<String>,
    stars: Vec<String>,
}

fn card(c: &CardRow) -> Card {
    Card {
        id: c.id.clone(),
        title: c.title.clone(),
        year: c.year,
        poster: c.poster.clone(),
        stars: c.stars.clone(),
    }
}

fn cards(rows: &[CardRow]) -> Vec<Card> {
    rows.iter().map(card).collect()
}

/// The cards of `ids` in the library, in the order asked: from memory when a full render
/// holds the cards, else from the index.
fn cards_of(ids: &[String], c: &Ctx<'_>) -> Result<Vec<Card>, Error> {
    Ok(match c.memory {
        Some(m) => ids
            .iter()
            .filter_map(|id| m.cards.get(id.as_str()).map(|r| card(r)))
            .collect(),
        None => cards(&c.idx.cards(ids)?),
    })
}

/// The cards of the titles in the card buckets `buckets`, by id: from memory when a full
/// render holds the cards, else from the index.
fn cards_in_buckets<'a>(
    buckets: &[i64],
    c: &Ctx<'a>,
) -> Result<Vec<std::borrow::Cow<'a, CardRow>>, Error> {
    Ok(match c.memory {
        Some(m) => m
            .in_buckets(buckets)
            .into_iter()
            .map(std::borrow::Cow::Borrowed)
            .collect(),
        None => c
            .idx
            .cards_in_buckets(buckets)?
            .into_iter()
            .map(std::borrow::Cow::Owned)
            .collect(),
    })
}

#[derive(Serialize)]
struct Row {
    title: String,
    link: Option<String>,
    cards: Vec<Card>,
}

fn json(v: &impl Serialize) -> Result<Option<Vec<u8>>, Error> {
    Ok(Some(serde_json::to_vec(v)?))
}

impl Pages {
    pub fn new() -> Result<Self, Error> {
        let mut tt = TinyTemplate::new();
        for (name, text) in [
            ("head", include_str!("../../templates/head.html")),
            ("foot", include_str!("../../templates/foot.html")),
            ("card", include_str!("../../templates/card.html")),
            ("row", include_str!("../../templates/row.html")),
            ("home", include_str!("../../templates/home.html")),
            ("movie", include_str!("../../templates/movie.html")),
            ("list", include_str!("../../templates/list.html")),
            ("index", include_str!("../../templates/index.html")),
            ("library", include_str!("../../templates/library.html")),
            ("static", include_str!("../../templates/static.html")),
        ] {
            tt.add_template(name, text)?;
        }
        // `{genre|slug}`: a genre's part of its list's path.
        tt.add_formatter("slug", |v, out| {
            if let Value::String(s) = v {
                tinytemplate::escape(&slug(s), out);
            }
            Ok(())
        });
        // `{name|query}`: a text as a URL's query value.
        tt.add_formatter("query", |v, out| {
            if let Value::String(s) = v {
                query_escape(s, out);
            }
            Ok(())
        });
        Ok(Pages {
            tt,
            cards: Default::default(),
        })
    }

    /// A card as the card template renders it, once a render thread: a title shown as related
    /// on many pages is rendered once, not once a page.
    fn card_html(&self, c: &CardRow) -> Result<std::rc::Rc<str>, Error> {
        if let Some(html) = self.cards.borrow().get(&c.id) {
            return Ok(html.clone());
        }
        /// What the card template reads.
        #[derive(Serialize)]
        struct Shown<'a> {
            id: &'a str,
            title: &'a str,
            year: Option<i64>,
            poster: Option<&'a str>,
        }
        let shown = Shown {
            id: &c.id,
            title: &c.title,
            year: c.year,
            poster: c.poster.as_deref(),
        };
        let html: std::rc::Rc<str> = self.tt.render("card", &shown)?.into();
        self.cards.borrow_mut().insert(c.id.clone(), html.clone());
        Ok(html)
    }

    fn html(&self, name: &str, ctx: &impl Serialize) -> Result<Option<Vec<u8>>, Error> {
        Ok(Some(self.tt.render(name, ctx)?.into_bytes()))
    }

    pub fn render(&self, t: &Target, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        match t {
            Target::Movie(id) => self.movie(id, c),
            Target::Bucket(key) => bucket(key, c),
            Target::Shard(s) => shard(s, c),
            Target::Library(n) => library(*n, c),
            Target::Docs(n) => docs(*n, c),
            Target::Row(name) => match row(name, c)? {
                Some(r) => json(&r),
                None => Ok(None),
            },
            Target::ListPage(key) => self.list_page(key, c),
            Target::Index(name) => self.index(name, c),
            Target::RowsIndex => {
                let rows: Vec<Value> = row_order(c)?
                    .into_iter()
                    .map(|(name, title)| json!({"src": format!("/rows/{}.json", row_file(&name)), "title": title}))
                    .collect();
                json(&json!({"rows": rows}))
            }
            Target::SearchManifest => search_manifest(c),
            Target::Home => self.home(c),
            Target::Static(name) => self.static_page(name, c),
        }
    }

    fn home(&self, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        let order = row_order(c)?;
        let mut rows = Vec::new();
        for (name, _) in order.iter().take(INLINE_ROWS) {
            rows.extend(row(name, c)?);
        }
        self.html(
            "home",
            &json!({"head": Head { title: "Home".into(), page: "home" }, "rows": rows, "inline": rows.len(), "empty": order.is_empty()}),
        )
    }

    fn static_page(&self, name: &str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        let title = match name {
            "search" => "Search",
            "login" => "Log in",
            "setup" => "Set up",
            "upload" => "Upload",
            "invite" => "Join",
            "account" => "Your account",
            "users" => "Users",
            "settings" => "Server settings",
            "missing" => "Page not found",
            "offline" => "Offline",
            _ => "Server monitor",
        };
        let page = STATIC_PAGES
            .iter()
            .find(|p| **p == name)
            .copied()
            .unwrap_or("static");
        let mut v = json!({"head": Head { title: title.into(), page }});
        for p in STATIC_PAGES {
            v[*p] = json!(*p == name);
        }
        if name == "search" {
            // The search manifest in the page itself: a first query asks for its shards at once.
            v["manifest"] = json!(search_manifest_value(c)?.to_string());
        }
        self.html("static", &v)
    }

    fn list_page(&self, key: &str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        let Some(list) = c.idx.list(key)? else {
            return Ok(None);
        };
        let kind = ListKey::parse(key).map_or("", |k| k.kind());
        let (shown, sections, count) = if matches!(kind, "genre" | "decade") {
            let mut buckets = c.idx.lists(&format!("{key}/"))?;
            buckets.sort_by(|a, b| b.key.cmp(&a.key));
            let sections: Vec<Value> = buckets
                .iter()
                .map(|b| json!({"label": b.key.rsplit('/').next().unwrap_or(""), "count": b.count, "src": format!("/{}.json", b.key)}))
                .collect();
            // Each title once: in its year's section, loaded as it scrolls into view.
            if c.idx.list_cards(key, true, 1)?.is_empty() {
                return Ok(None);
            }
            (Vec::new(), sections, list.count)
        } else {
            let all = cards(&c.idx.list_cards(key, false, i64::MAX)?);
            let n = all.len() as i64;
            (all, vec![], n)
        };
        if shown.is_empty() && sections.is_empty() {
            return Ok(None);
        }
        let page = if kind == "collection" {
            "collection"
        } else {
            "list"
        };
        self.html(
            "list",
            &json!({"head": Head { title: list.label.clone(), page }, "title": list.label, "count": count, "cards": shown, "sections": sections}),
        )
    }

    fn index(&self, name: &'static str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        let lists = c.idx.lists(&format!("{name}/"))?;
        let mut top: Vec<_> = lists
            .into_iter()
            .filter(|l| l.key.matches('/').count() == 1)
            .collect();
        if name == "decade" {
            top.sort_by(|a, b| b.key.cmp(&a.key));
        } else {
            top.sort_by(|a, b| {
                a.label
                    .to_lowercase()
                    .cmp(&b.label.to_lowercase())
                    .then(a.key.cmp(&b.key))
            });
        }
        if name == "az" {
            // The library view: every title in one grid, sorted and filtered in the browser
            // from `library/<n>.json` (`assets/library.js`).
            let total = c.idx.card_count()?;
            let letters: Vec<String> = ('A'..='Z')
                .map(String::from)
                .chain(["#".to_owned()])
                .collect();
            return self.html(
                "library",
                &json!({"head": Head { title: "Library".into(), page: "library" }, "count": total, "letters": letters}),
            );
        }
        let mut links = Vec::new();
        for l in top {
            let count = if name == "collection" {
                c.idx.list_cards(&l.key, false, i64::MAX)?.len() as i64
            } else {
                l.count
            };
            if count > 0 {
                links.push(
                    json!({"href": format!("/{}/", l.key), "label": l.label, "count": count}),
                );
            }
        }
        let title = match name {
            "genre" => "Genres",
            "decade" => "Decades",
            _ => "Collections",
        };
        self.html("index", &json!({"head": Head { title: title.into(), page: "index" }, "title": title, "links": links}))
    }

    fn movie(&self, id: &str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
        let loaded;
        let t = match c.titles.get(id) {
            Some(t) => t,
            None => {
                let Ok(cid) = store::ContentId::parse(id) else {
                    return Ok(None);
                };
                let Some(t) = c.store.titles(&[cid])?.pop() else {
                    return Ok(None);
                };
                loaded = t;
                &loaded
            }
        };
        let m = &t.record.metadata;
        let Links {
            related,
            collections,
            up_next,
        } = match c.memory {
            Some(mem) => mem.links(id),
            None => links_from_index(id, c)?,
        };
        let versions: Vec<Version> = t
            .files
            .iter()
            .map(|f| {
                let mut label = if f.label.is_empty() {
                    "Main".to_owned()
                } else {
                    f.label.clone()
                };
                if let Some(t) = &f.technical {
                    label.push_str(&technical_label(t));
                }
                // A version browsers cannot play in its own container plays from its MP4 copy.
                let src = t
                    .side
                    .iter()
                    .find(|s| s.kind == store::FileKind::Remux && s.label == f.label)
                    .map_or(&f.path, |s| &s.path);
                // Its HLS ladder, once transcoding made one.
                let hls = t
                    .side
                    .iter()
                    .find(|s| {
                        s.kind == store::FileKind::Hls
                            && s.label == f.label
                            && s.path.ends_with(&format!("/{}", store::layout::HLS_MASTER))
                    })
                    .map(|s| format!("/media/{}", s.path));
                // Whether browsers play `src` (a file not read yet is given the benefit).
                let plays = match f.technical.as_ref().map(|t| t.playable.as_str()) {
                    Some("transcode") => false,
                    Some("remux") => src != &f.path,
                    _ => true,
                };
                Version {
                    src: format!("/media/{src}"),
                    label,
                    height: f.technical.as_ref().and_then(|t| t.height),
                    hls,
                    plays,
                    file_id: &f.file_id,
                }
            })
            .collect();
        let (subtitles, trailer) = side_files(&t.side);
        let rating = m.rating.as_ref();
        let mut details = Vec::new();
        if let Some(d) = m.details.as_ref().and_then(Value::as_object) {
            for (k, name) in [
                ("release_date", "Released"),
                ("countries", "Countries"),
                ("languages", "Languages"),
                ("also_known_as", "Also known as"),
                ("filming_locations", "Filmed in"),
                ("budget", "Budget"),
                ("gross_worldwide", "Gross worldwide"),
            ] {
                let value = match d.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    Some(Value::Object(o)) => format!(
                        "{} {}",
                        o.get("currency").and_then(Value::as_str).unwrap_or(""),
                        thousands(o.get("amount").and_then(Value::as_i64).unwrap_or(0))
                    ),
                    _ => continue,
                };
                details.push(Named { name, value });
            }
        }
        let mut links = vec![Link {
            name: "IMDb",
            href: format!("https://www.imdb.com/title/{id}/"),
        }];
        if let Some(w) = &m.wikidata_id {
            links.push(Link {
                name: "Wikidata",
                href: format!("https://www.wikidata.org/wiki/{w}"),
            });
        }
        if let Some(r) = &m.rotten_tomatoes {
            links.push(Link {
                name: "Rotten Tomatoes",
                href: format!("https://www.rottentomatoes.com/{r}"),
            });
        }
        if let Some(u) = m.metacritic_url.as_ref().filter(|u| store::is_web_url(u)) {
            links.push(Link {
                name: "Metacritic",
                href: u.clone(),
            });
        }
        let ctx = MoviePage {
            head: Head {
                title: m.title.clone(),
                page: "movie",
            },
            id,
            title: &m.title,
            original_title: m.original_title.as_deref().filter(|o| *o != m.title),
            year: m.year,
            decade: m.year.map(decade),
            duration: m.duration.as_ref().map(|d| d.text.as_str()),
            parental_rating: m.parental_rating.as_deref(),
            rating: rating.map(|r| r.value),
            rating_max: rating.map(|r| {
                if r.max.fract() == 0.0 {
                    format!("{}", r.max as i64)
                } else {
                    r.max.to_string()
                }
            }),
            votes: rating.map(|r| thousands(r.votes)),
            metascore: m.metascore,
            genres: &m.genres,
            tagline: m.tagline.as_deref(),
            plot_short: m.plot_short.as_deref(),
            plot_long: m.plot_long.as_deref(),
            credits: credits(&[
                ("Directed by", "directors", &m.directors),
                ("Written by", "writers", &m.writers),
                ("Stars", "stars", &m.stars),
            ]),
            cast: &m.cast,
            awards: m.awards.as_deref(),
            poster: t.record.poster_file.as_ref().map(|p| format!("/media/{p}")),
            collections,
            up_next,
            first_src: versions.first().map(|v| v.src.clone()),
            versions,
            subtitles,
            trailer_src: trailer,
            trailer_url: m.trailer_url.as_deref().filter(|u| store::is_web_url(u)),
            related: related
                .iter()
                .map(|c| self.card_html(c))
                .collect::<Result<_, Error>>()?,
            details,
            links,
        };
        self.html("movie", &ctx)
    }
}

/// What the movie template reads: the title's own texts borrowed, made only what it shows.
#[derive(Serialize)]
struct MoviePage<'a> {
    head: Head,
    id: &'a str,
    title: &'a str,
    original_title: Option<&'a str>,
    year: Option<i64>,
    decade: Option<String>,
    duration: Option<&'a str>,
    parental_rating: Option<&'a str>,
    rating: Option<f64>,
    rating_max: Option<String>,
    votes: Option<String>,
    metascore: Option<i64>,
    genres: &'a [String],
    tagline: Option<&'a str>,
    plot_short: Option<&'a str>,
    plot_long: Option<&'a str>,
    credits: Vec<Credit<'a>>,
    cast: &'a [String],
    awards: Option<&'a str>,
    poster: Option<String>,
    collections: Vec<InCollection>,
    up_next: Option<UpNext>,
    first_src: Option<String>,
    versions: Vec<Version<'a>>,
    subtitles: Vec<Subtitle<'a>>,
    trailer_src: Option<String>,
    trailer_url: Option<&'a str>,
    /// Their cards as HTML (`card_html`).
    related: Vec<std::rc::Rc<str>>,
    details: Vec<Named>,
    links: Vec<Link>,
}

/// A version of a title the player offers.
#[derive(Serialize)]
struct Version<'a> {
    src: String,
    label: String,
    height: Option<i64>,
    hls: Option<String>,
    plays: bool,
    file_id: &'a store::FileId,
}

#[derive(Serialize)]
struct Named {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Link {
    name: &'static str,
    href: String,
}

/// A credit line: its role, the field a person's own values replace, its people.
#[derive(Serialize)]
struct Credit<'a> {
    role: &'static str,
    field: &'static str,
    names: &'a [String],
}

#[derive(Serialize)]
struct Subtitle<'a> {
    src: String,
    lang: &'a str,
    label: &'a str,
}

/// The credit lines that have names (each a link to a search for their titles).
fn credits<'a>(lines: &[(&'static str, &'static str, &'a Vec<String>)]) -> Vec<Credit<'a>> {
    lines
        .iter()
        .filter(|(_, _, names)| !names.is_empty())
        .map(|(role, field, names)| Credit { role, field, names })
        .collect()
}

/// Percent-encodes a query value (everything but unreserved characters, as UTF-8 bytes).
fn query_escape(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Subtitles (`<id>.<lang>.vtt`) and a downloaded trailer (`<id>_preview.<ext>`) beside the
/// movie in the library.
/// What a version is, as a person reads it: ` · 1080p · HDR10 · AAC 5.1`, and ` · needs
/// converting` when browsers cannot play it as it is.
fn technical_label(t: &store::Technical) -> String {
    let mut out = String::new();
    if let Some(h) = t.height {
        let quality = match h {
            2000.. => "4K",
            1000.. => "1080p",
            700.. => "720p",
            _ => "SD",
        };
        out.push_str(&format!(" · {quality}"));
    }
    if let Some(hdr) = &t.hdr {
        out.push_str(&format!(" · {hdr}"));
    }
    if let Some(a) = t.audio.first() {
        let channels = match a.channels {
            Some(1) => " mono",
            Some(2) => " stereo",
            Some(6) => " 5.1",
            Some(8) => " 7.1",
            _ => "",
        };
        out.push_str(&format!(" · {}{channels}", a.codec.to_uppercase()));
    }
    if t.playable == "transcode" {
        out.push_str(" · needs converting");
    }
    out
}

/// A title's subtitles and trailer, as its file rows name them.
fn side_files(side: &[store::LibraryFile]) -> (Vec<Subtitle<'_>>, Option<String>) {
    let mut subs = Vec::new();
    let mut trailer = None;
    for f in side {
        match f.kind {
            store::FileKind::Subtitle | store::FileKind::SubtitleEmbedded => subs.push(Subtitle {
                src: format!("/media/{}", f.path),
                lang: &f.label,
                label: &f.label,
            }),
            store::FileKind::Trailer => trailer = Some(format!("/media/{}", f.path)),
            _ => {}
        }
    }
    (subs, trailer)
}

/// The carousels of the home page, in order: recently added, top rated, genres, decades,
/// collections, categories (those with titles in the library only).
fn row_order(c: &Ctx<'_>) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    if !c.idx.top_cards(false, 0, 1)?.is_empty() {
        out.push(("recent".to_owned(), "Recently added".to_owned()));
    }
    if !c.idx.top_cards(true, 0, 1)?.is_empty() {
        out.push(("top".to_owned(), "Top rated".to_owned()));
    }
    let depth_one = |prefix: &str| -> Result<Vec<store::ListRow>, Error> {
        Ok(c.idx
            .lists(prefix)?
            .into_iter()
            .filter(|l| l.key.matches('/').count() == 1)
            .collect())
    };
    let mut genres = depth_one("genre/")?;
    genres.sort_by(|a, b| {
        a.label
            .to_lowercase()
            .cmp(&b.label.to_lowercase())
            .then(a.key.cmp(&b.key))
    });
    let mut decades = depth_one("decade/")?;
    decades.sort_by(|a, b| b.key.cmp(&a.key));
    let mut collections = depth_one("collection/")?;
    collections.sort_by(|a, b| {
        a.label
            .to_lowercase()
            .cmp(&b.label.to_lowercase())
            .then(a.key.cmp(&b.key))
    });
    let categories = depth_one("category/")?;
    for l in genres.into_iter().chain(decades) {
        out.push((l.key, l.label));
    }
    for l in collections.into_iter().chain(categories) {
        if !c.idx.list_cards(&l.key, false, 1)?.is_empty() {
            out.push((l.key, l.label));
        }
    }
    Ok(out)
}

fn row(name: &str, c: &Ctx<'_>) -> Result<Option<Row>, Error> {
    let (title, link, rows) = match name {
        "recent" => (
            "Recently added".to_owned(),
            None,
            c.idx.top_cards(false, 0, ROW_LEN)?,
        ),
        "top" => (
            "Top rated".to_owned(),
            None,
            c.idx.top_cards(true, 0, ROW_LEN)?,
        ),
        key => {
            let Some(list) = c.idx.list(key)? else {
                return Ok(None);
            };
            let own_order = ListKey::parse(key).is_some_and(|k| k.own_order());
            (
                list.label,
                Some(format!("/{key}/")),
                c.idx.list_cards(key, !own_order, ROW_LEN)?,
            )
        }
    };
    Ok((!rows.is_empty()).then(|| Row {
        title,
        link,
        cards: cards(&rows),
    }))
}

fn bucket(key: &str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
    let read;
    // A full render holds every list in memory, as the index it loaded answers them.
    let (label, mut rows): (&str, Vec<&CardRow>) = match c.memory {
        Some(m) => match m.list_cards(key) {
            Some(list) => list,
            None => return Ok(None),
        },
        None => {
            let Some(list) = c.idx.list(key)? else {
                return Ok(None);
            };
            read = (list.label, c.idx.list_cards(key, false, i64::MAX)?);
            (read.0.as_str(), read.1.iter().collect())
        }
    };
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by(|a, b| {
        a.sort_title
            .cmp(&b.sort_title)
            .then(a.year.cmp(&b.year))
            .then(a.id.cmp(&b.id))
    });
    #[derive(Serialize)]
    struct File<'a> {
        cards: Vec<Card>,
        label: &'a str,
    }
    json(&File {
        cards: rows.into_iter().map(card).collect(),
        label,
    })
}

/// Popularity in five bits, from the number of votes (10 votes: 0, 10 million: 30).
fn popularity(votes: i64) -> i64 {
    ((((votes.max(0) as f64) + 1.0).log10() - 1.0) * 5.0)
        .floor()
        .clamp(0.0, 31.0) as i64
}

/// A search shard: `{"t": {token: [postings]}, "c": {id: card}}`, postings as differences, with
/// the cards of the titles a query answered from it most likely shows first. A shard of a
/// prefix with over `SPLIT_AT` postings holds only the token that is its name and
/// `"split": true`; its longer tokens are in the shards one character longer, which exist only
/// then (`fold::shard_chain`).
fn shard(s: &str, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
    let chars: Vec<char> = s.chars().collect();
    let split_at = |p: &str| -> Result<bool, Error> {
        Ok(store::COUNTED_PREFIXES.contains(&p.chars().count())
            && c.idx.postings_with_prefix(p)? > SPLIT_AT)
    };
    let (split, rows) = if chars.len() < 3 || is_number(s) {
        (false, c.idx.tokens_with_prefix(s, true)?)
    } else {
        // Below the top level, a shard exists only under split ones.
        for n in 3..chars.len() {
            if !split_at(&chars[..n].iter().collect::<String>())? {
                return Ok(None);
            }
        }
        let split = split_at(s)?;
        (split, c.idx.tokens_with_prefix(s, split)?)
    };
    // The titles a query answered from this shard most likely shows first: by the field a
    // posting is in (as the search weighs them), then by popularity.
    let mut best: Vec<(i64, i64, &str)> = rows
        .iter()
        .map(|(_, id, field, votes)| {
            let weight = FIELD_RANK.get(*field as usize).copied().unwrap_or(0);
            (-weight, -popularity(*votes), id.as_str())
        })
        .collect();
    best.sort_unstable();
    let mut first: Vec<String> = Vec::new();
    for (_, _, id) in best {
        if first.len() == SHARD_CARDS {
            break;
        }
        if !first.iter().any(|f| f == id) {
            first.push(id.to_owned());
        }
    }
    let known: std::collections::BTreeMap<String, Card> = cards_of(&first, c)?
        .into_iter()
        .map(|card| (card.id.clone(), card))
        .collect();
    let mut tokens: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (token, id, field, votes) in rows {
        let n: i64 = id.get(2..).and_then(|d| d.parse().ok()).unwrap_or(0);
        tokens
            .entry(token)
            .or_default()
            .push(n * 128 + field * 32 + popularity(votes));
    }
    if tokens.is_empty() && !split {
        return Ok(None);
    }
    // Postings ascending, each after the first as the difference to the one before: small
    // numbers, half the bytes.
    for postings in tokens.values_mut() {
        postings.sort_unstable();
        for i in (1..postings.len()).rev() {
            postings[i] -= postings[i - 1];
        }
    }
    /// The shard as its file holds it (keys in order, as a JSON object's would be).
    #[derive(Serialize)]
    struct File {
        c: std::collections::BTreeMap<String, Card>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        split: bool,
        t: std::collections::BTreeMap<String, Vec<i64>>,
    }
    json(&File {
        c: known,
        split,
        t: tokens,
    })
}

/// How many cards a search shard carries: four first pages of the query that is its name, so
/// that the first page of most other queries answered from it (a longer word, a typo, two
/// words) is inside too. At 100,000 titles, over ten queries in Chromium: 12 cards, median
/// 31–33 ms and 98.6 KB at most; 48 cards, 19–20 ms and 84.4 KB (fewer document files).
const SHARD_CARDS: usize = 48;

/// The order of a posting's field as the search weighs them (`FIELD_WEIGHT` in
/// `assets/search.js`: title 3, original title 2, person 1.2, year 1.5).
const FIELD_RANK: [i64; 4] = [4, 3, 1, 2];

/// How the search documents are spread (`docs`), and which token shards exist, so that a
/// search asks for all it needs at once, and only for those: the top-level three-character
/// shards of `a-z0-9` as a bitmap (`shards`, hex, bit `i` for the shard numbered `i` in base 36),
/// every other top-level one listed (`other`), and each split shard with the next characters of
/// the shards one character longer under it (`split`).
fn search_manifest(c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
    json(&search_manifest_value(c)?)
}

/// The search manifest (`search_manifest`) as a value.
fn search_manifest_value<'c>(c: &'c Ctx<'_>) -> Result<&'c Value, Error> {
    if let Some(v) = c.manifest.get() {
        return Ok(v);
    }
    let v = make_search_manifest(c)?;
    Ok(c.manifest.get_or_init(|| v))
}

fn make_search_manifest(c: &Ctx<'_>) -> Result<Value, Error> {
    let digit = |ch: char| ch.to_digit(36).filter(|_| !ch.is_ascii_uppercase());
    let mut bits = vec![0u8; 36 * 36 * 36 / 8];
    let mut other = Vec::new();
    for shard in c.idx.shards_under("", &|t| Some(crate::fold::shard(t)))? {
        let d: Vec<u32> = shard.chars().filter_map(digit).collect();
        if shard.chars().count() == 3 && d.len() == 3 {
            let i = (d[0] * 1296 + d[1] * 36 + d[2]) as usize;
            bits[i / 8] |= 1 << (i % 8);
        } else {
            other.push(shard);
        }
    }
    let hex: String = bits.iter().map(|b| format!("{b:02x}")).collect();
    let over = c.idx.prefixes_over(SPLIT_AT)?;
    let known: std::collections::HashSet<&str> = over.iter().map(String::as_str).collect();
    let mut split = serde_json::Map::new();
    for p in &over {
        let chars: Vec<char> = p.chars().collect();
        let under_split = (3..chars.len())
            .all(|n| known.contains(chars[..n].iter().collect::<String>().as_str()));
        if !under_split {
            continue;
        }
        let n = chars.len() + 1;
        let longer = c
            .idx
            .shards_under(p, &|t: &str| crate::fold::first_chars(t, n))?;
        let next: String = longer.iter().filter_map(|l| l.chars().nth(n - 1)).collect();
        split.insert(p.clone(), Value::String(next));
    }
    Ok(json!({
        "docs": doc_shards(c.idx.card_count()?),
        "shards": hex,
        "other": other,
        "split": split,
    }))
}

/// The library view's titles of shard `n` (the buckets of the search documents' shard `n`):
/// each card with what the view sorts and filters by, `[id, title, sort title, year, poster,
/// rating, added, facts]`, in the id's order.
fn library(n: i64, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
    let shards = doc_shards(c.idx.card_count()?);
    if n >= shards {
        return Ok(None);
    }
    let buckets: Vec<i64> = (n..store::CARD_BUCKETS).step_by(shards as usize).collect();
    // Written even when empty, so that the view asks for no file that is not there.
    let rows = cards_in_buckets(&buckets, c)?;
    type Entry<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<i64>,
        Option<&'a str>,
        Option<f64>,
        i64,
        Value,
    );
    let list: Vec<Entry> = rows
        .iter()
        .map(|r| {
            let facts: Value = serde_json::from_str(&r.facts).unwrap_or(Value::Null);
            (
                r.id.as_str(),
                r.title.as_str(),
                r.sort_title.as_str(),
                r.year,
                r.poster.as_deref(),
                r.rating,
                r.added_at,
                facts,
            )
        })
        .collect();
    json(&list)
}

/// The search documents of shard `n`: the cards of the buckets `n`, `n + N`, `n + 2N`, …
fn docs(n: i64, c: &Ctx<'_>) -> Result<Option<Vec<u8>>, Error> {
    let shards = doc_shards(c.idx.card_count()?);
    if n >= shards {
        return Ok(None);
    }
    let buckets: Vec<i64> = (n..store::CARD_BUCKETS).step_by(shards as usize).collect();
    let rows = cards_in_buckets(&buckets, c)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let map: std::collections::BTreeMap<&str, Card> =
        rows.iter().map(|r| (r.id.as_str(), card(r))).collect();
    json(&map)
}
