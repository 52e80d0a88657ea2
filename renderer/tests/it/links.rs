//! Every internal link of a rendered site resolves: after a normal render, and in the site a
//! render leaves when it is killed (kill -9) at any point, full or incremental.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::library::fill;
use crate::support::{Lib, Spec, assert_same_site, dangling, meta};

#[test]
fn a_rendered_site_has_no_dangling_links() {
    let lib = Lib::new();
    fill(&lib);
    let site = lib.site("site");
    renderer::full(&lib.store, &site).expect("render");
    assert_eq!(dangling(&site), Vec::<String>::new());
    // The related title that is not in the library is not linked; the ones that are, are.
    let matrix = String::from_utf8(std::fs::read(site.join("movie/tt0133093.html")).expect("page"))
        .expect("utf8");
    assert!(matrix.contains("/movie/tt0088247/") && matrix.contains("/movie/tt1375666/"));
    assert!(!matrix.contains("tt9999999"));
}

const NAMES: &[&str] = &[
    "Night", "River", "Ghost", "Summer", "Iron", "Silent", "Lost", "Golden", "Last", "Red",
];
const NOUNS: &[&str] = &[
    "Harbour", "Kingdom", "Protocol", "Garden", "Letters", "Machine", "Frontier", "Voyage",
];
const GENRES: &[&str] = &[
    "Action", "Drama", "Comedy", "Sci-Fi", "Horror", "Romance", "Thriller",
];

/// A synthetic title number `n`.
fn synthetic(n: usize) -> store::Metadata {
    let id: &'static str = Box::leak(format!("tt{:07}", 5_000_000 + n).into_boxed_str());
    let title: &'static str = Box::leak(
        format!(
            "{} {} {}",
            NAMES[n % NAMES.len()],
            NOUNS[(n / 10) % NOUNS.len()],
            n
        )
        .into_boxed_str(),
    );
    let g = [GENRES[n % GENRES.len()], GENRES[(n / 7) % GENRES.len()]];
    let genres: &'static [&'static str] = Box::leak(Box::new(g));
    let mut m = meta(&Spec {
        id,
        title,
        original: None,
        year: 1950 + (n % 75) as i64,
        genres,
        directors: &["Ada Director"],
        stars: &["Sam Star", "Kim Actor"],
        votes: (n * 37 % 90_000) as i64,
        rating: 5.0 + (n % 50) as f64 / 10.0,
    });
    m.suggestions = vec![
        format!("tt{:07}", 5_000_000 + (n * 7 + 3) % 900),
        format!("tt{:07}", 5_000_000 + (n + 1) % 900),
    ];
    m
}

fn render_killed(lib: &Lib, site: &std::path::Path, full: bool, after: Duration) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oott-render"));
    cmd.env("OOTT_DATA_DIR", lib.data())
        .env("OOTT_MEDIA_ROOT", lib.media())
        .env("OOTT_SITE_DIR", site);
    if full {
        cmd.arg("--full");
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("oott-render");
    std::thread::sleep(after);
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    !finished
}

/// The folders first renders build beside a site before they swap it in.
fn fresh_folders(lib: &Lib) -> Vec<String> {
    std::fs::read_dir(lib.site(""))
        .expect("lib dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".site.fresh-"))
        .collect()
}

#[test]
fn renders_killed_part_way_leave_no_dangling_link() {
    let lib = Lib::new();
    for n in 0..900 {
        lib.add(&synthetic(n));
    }
    let site = lib.site("site");
    // A first render builds the site beside it and swaps it in whole: killed, it leaves the
    // site as it was (blank), never a part of one.
    let mut killed = 0;
    for ms in [40, 150, 400] {
        let blank = crate::support::tree(&site).is_empty();
        if render_killed(&lib, &site, true, Duration::from_millis(ms)) && blank {
            killed += 1;
            // Killed before the swap, the site is as it was; a render that reached the swap
            // (one rename) as it was being killed left the whole site: its home page and its
            // index marked complete, nothing half-written.
            let tree = crate::support::tree(&site);
            let whole = tree.contains_key("index.html")
                && !site.join(".render/running").exists()
                && !tree.keys().any(|p| p.contains(".tmp-"));
            assert!(
                tree.is_empty() || whole,
                "a first render killed after {ms} ms left part of a site"
            );
        }
        assert_eq!(
            dangling(&site),
            Vec::<String>::new(),
            "first render killed after {ms} ms"
        );
    }
    assert!(killed >= 1, "a first render was killed part way");
    assert!(
        !fresh_folders(&lib).is_empty(),
        "the killed first render left its folder"
    );
    renderer::full(&lib.store, &site).expect("complete");
    assert_eq!(
        fresh_folders(&lib),
        Vec::<String>::new(),
        "a render removes what killed ones left"
    );
    assert_eq!(dangling(&site), Vec::<String>::new());

    // Full renders of a live site, each after changes, killed part way.
    let mut killed = 0;
    for (round, ms) in [40, 150, 400, 900, 1500].into_iter().enumerate() {
        for n in (round..900).step_by(9) {
            let mut m = synthetic(n);
            m.title = format!("Round {round} {n}");
            m.genres = vec![GENRES[round % GENRES.len()].into()];
            lib.store.save_metadata(&m, 4).expect("edit");
        }
        for n in 0..20 {
            lib.add(&synthetic(2000 + round * 20 + n));
        }
        killed += usize::from(render_killed(&lib, &site, true, Duration::from_millis(ms)));
        assert_eq!(
            dangling(&site),
            Vec::<String>::new(),
            "full render killed after {ms} ms"
        );
    }
    assert!(
        killed >= 2,
        "the renders were killed part way ({killed} times)"
    );
    renderer::full(&lib.store, &site).expect("complete");

    // Now many changes, and incremental renders killed part way.
    for n in 900..1100 {
        lib.add(&synthetic(n));
    }
    for n in (0..900).step_by(5) {
        lib.remove(&format!("tt{:07}", 5_000_000 + n));
    }
    for n in (1..900).step_by(7) {
        let mut m = synthetic(n);
        m.title = format!("Edited {n}");
        m.genres = vec!["Western".into()];
        lib.store.save_metadata(&m, 5).expect("edit");
    }
    for ms in [30, 120, 350, 800] {
        render_killed(&lib, &site, false, Duration::from_millis(ms));
        assert_eq!(
            dangling(&site),
            Vec::<String>::new(),
            "incremental render killed after {ms} ms"
        );
    }
    renderer::incremental(&lib.store, &site).expect("complete incremental");
    let fresh = lib.site("fresh");
    renderer::full(&lib.store, &fresh).expect("fresh");
    assert_same_site(&site, &fresh, "after the killed renders");
}
