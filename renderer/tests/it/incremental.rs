//! The property: after any sequence of adds, edits, deletes, collection changes and side files
//! (posters, trailers, subtitles) arriving or going after a title was rendered, the site an
//! incremental render keeps equals a full rebuild, byte for byte.

use store::{CollectionKind, CollectionPatch, ContentId, FileKind, NewLibraryFile, layout};

use crate::library::FILMS;
use crate::support::{Lib, assert_same_site, dangling, meta};

/// A small deterministic random source.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const GENRES: &[&str] = &["Action", "Drama", "Comedy", "Sci-Fi", "Horror", "Western"];

/// A title with every field a page shows filled in, so that a full render (which builds its
/// index from `Store::title_summaries`) and an incremental one (from whole titles) are compared
/// over all of them.
fn whole(film: &crate::support::Spec) -> store::Metadata {
    let mut m = meta(film);
    // Names of their own, so that a field read by one side only shows in the search files.
    m.cast = m
        .stars
        .iter()
        .cloned()
        .chain([format!("Extra in {}", m.title)])
        .collect();
    m.writers = vec![format!("Scribe of {}", m.title)];
    m.plot_long = Some(format!("The long story of {}.", m.title));
    m.tagline = Some(format!("{}: the tagline", m.title));
    m.awards = Some("2 wins".into());
    m.parental_rating = Some("PG".into());
    m.metascore = Some(70);
    m.details = Some(serde_json::json!({"countries": ["US"], "languages": ["English"]}));
    m
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let lib = Lib::new();
    let site = lib.site("incremental");
    let mut present: Vec<usize> = Vec::new();
    for (i, film) in FILMS.iter().enumerate().take(FILMS.len() / 2) {
        lib.add(&whole(film));
        present.push(i);
    }
    renderer::full(&lib.store, &site).expect("first render");
    let mut collections: Vec<i64> = Vec::new();
    let mut log = Vec::new();
    for step in 0..steps {
        let op = rng.below(9);
        match op {
            0 | 1 => {
                let absent: Vec<usize> =
                    (0..FILMS.len()).filter(|i| !present.contains(i)).collect();
                if let Some(&i) = absent.get(rng.below(absent.len().max(1))) {
                    let mut m = whole(&FILMS[i]);
                    m.suggestions = (0..rng.below(4))
                        .map(|_| FILMS[rng.below(FILMS.len())].id.to_string())
                        .collect();
                    lib.add(&m);
                    present.push(i);
                    log.push(format!("add {}", FILMS[i].id));
                }
            }
            2 if !present.is_empty() => {
                let i = present.remove(rng.below(present.len()));
                lib.remove(FILMS[i].id);
                log.push(format!("delete {}", FILMS[i].id));
            }
            3 | 4 if !present.is_empty() => {
                let i = present[rng.below(present.len())];
                let mut m = lib.metadata(FILMS[i].id);
                match rng.below(5) {
                    0 => m.title = format!("{} (edited {step})", m.title),
                    1 => m.genres = vec![GENRES[rng.below(GENRES.len())].to_string()],
                    2 => m.year = Some(1930 + rng.below(95) as i64),
                    3 => {
                        m.rating = Some(store::Rating {
                            value: (rng.below(100) as f64) / 10.0,
                            votes: rng.below(100_000) as i64,
                            max: 10.0,
                        })
                    }
                    _ => m.suggestions = vec![FILMS[rng.below(FILMS.len())].id.to_string()],
                }
                lib.store.save_metadata(&m, 3).expect("edit");
                log.push(format!("edit {}", FILMS[i].id));
            }
            5 => {
                let ids: Vec<ContentId> = (0..1 + rng.below(4))
                    .map(|_| ContentId::parse(FILMS[rng.below(FILMS.len())].id).expect("id"))
                    .collect();
                if collections.is_empty() || rng.below(2) == 0 {
                    let c = lib
                        .store
                        .create_collection(&format!("Set {step}"), CollectionKind::Custom, &ids)
                        .expect("create");
                    collections.push(c.id);
                    log.push(format!("collection create {}", c.id));
                } else {
                    let id = collections[rng.below(collections.len())];
                    let patch = CollectionPatch {
                        name: Some(format!("Renamed {step}")),
                        content: Some(ids),
                        ..Default::default()
                    };
                    lib.store.update_collection(id, &patch).expect("update");
                    log.push(format!("collection update {id}"));
                }
            }
            6 if !collections.is_empty() => {
                let id = collections.remove(rng.below(collections.len()));
                lib.store.delete_collection(id).expect("delete collection");
                log.push(format!("collection delete {id}"));
            }
            // A poster, trailer or subtitle arrives in the background, as the receiver's
            // metadata worker or the subtitle API records it.
            7 if !present.is_empty() => {
                let i = present[rng.below(present.len())];
                let id = ContentId::parse(FILMS[i].id).expect("id");
                let (kind, label, path) = match rng.below(4) {
                    0 => (FileKind::Poster, String::new(), layout::poster(&id)),
                    1 => (FileKind::Card, String::new(), layout::card(&id)),
                    2 => (
                        FileKind::Trailer,
                        String::new(),
                        layout::trailer(&id, "mp4"),
                    ),
                    _ => {
                        let lang = ["en", "de", "pt-br"][rng.below(3)];
                        (
                            FileKind::Subtitle,
                            lang.to_owned(),
                            layout::subtitle(&id, lang),
                        )
                    }
                };
                lib.store
                    .record_library_file(&NewLibraryFile {
                        content_id: id,
                        kind,
                        label,
                        root: String::new(),
                        path: path.clone(),
                        size: 100 + step as u64,
                        mtime: step as i64,
                    })
                    .expect("side file");
                log.push(format!("side file {path}"));
            }
            // A side file goes (the library check dropped its row).
            8 if !present.is_empty() => {
                let i = present[rng.below(present.len())];
                let id = ContentId::parse(FILMS[i].id).expect("id");
                let side = lib.store.library_files_of(&id).expect("files");
                if let Some(f) = side.iter().find(|f| f.kind != FileKind::Movie) {
                    lib.store.forget_library_file(f).expect("forget");
                    log.push(format!("side file gone {}", f.path));
                }
            }
            _ => continue,
        }
        renderer::incremental(&lib.store, &site).expect("incremental");
        if step % 10 == 9 || step == steps - 1 {
            let fresh = lib.site(&format!("full-{step}"));
            renderer::full(&lib.store, &fresh).expect("full");
            assert_same_site(
                &site,
                &fresh,
                &format!("seed {seed} step {step}, after {log:?}"),
            );
            assert_eq!(
                dangling(&site),
                Vec::<String>::new(),
                "seed {seed} step {step}"
            );
        }
    }
}

#[test]
fn incremental_equals_full_seed_1() {
    run(1, 40);
}

#[test]
fn incremental_equals_full_seed_2() {
    run(2, 40);
}

#[test]
fn incremental_equals_full_seed_3() {
    run(3, 40);
}
