//! The render benchmark (`make bench`): synthetic libraries of 10,000 and 100,000 titles with
//! realistic field sizes; in one run, side by side, the full render of `oott-render` and of Hugo
//! building the same pages from equivalent content (time and peak RSS), the incremental render
//! after adding and after editing one title in the largest library, the bytes a first search
//! query downloads, and the floor on the disk: the same files written by a loop that does only
//! that.
//!
//! usage: render_bench [--sizes 10000,100000] [--hugo PATH] [--incremental-only]
//!
//! `--incremental-only` measures only the incremental renders, on the libraries an earlier run left.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use store::{ContentId, FileId, Metadata, NewFile, Rating, Store};

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elena", "Frank", "Grace", "Hugo", "Ines", "Jonas", "Kate",
    "Liam", "Maya", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tara", "Victor",
];
const LAST: &[&str] = &[
    "Andersen", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Olsen", "Petrov", "Quinn", "Rossi",
    "Schmidt", "Tanaka",
];
const WORDS: &[&str] = &[
    "night", "river", "ghost", "summer", "iron", "silent", "lost", "golden", "last", "red",
    "harbour", "kingdom", "protocol", "garden", "letters", "machine", "frontier", "voyage",
    "winter", "empire", "shadow", "city", "dream", "storm", "heart", "secret", "mirror", "falcon",
    "echo", "desert", "ocean", "crown", "signal", "island", "forest", "thunder", "glass", "paper",
    "stone", "wolf",
];
const GENRES: &[&str] = &[
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Sport",
    "Thriller",
    "War",
    "Western",
];

/// Syllables for a realistic vocabulary: thousands of words and names, a few of them common.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ten", "sa", "vor", "el", "an", "dri", "mo", "ne", "tu", "ba", "ri",
    "gen", "ho", "lu", "pas", "chi", "dor", "fa", "li", "quin", "ser", "tha", "ul", "ve", "won",
    "zy",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A word of a vocabulary of `size`, low ranks far more often (about Zipf's law).
    fn zipf_word(&mut self, size: u64, syllables: u64) -> String {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        let rank = ((size as f64) * u.powi(3)) as u64;
        word(rank, syllables)
    }
}

/// The word of rank `n`: syllables by its digits in base 30.
fn word(mut n: u64, syllables: u64) -> String {
    let mut w = String::new();
    for _ in 0..syllables {
        w.push_str(SYLLABLES[(n % SYLLABLES.len() as u64) as usize]);
        n /= SYLLABLES.len() as u64;
    }
    w
}

fn title_case(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn person(r: &mut Rng) -> String {
    let first = if r.below(2) == 0 {
        r.pick(FIRST).to_owned()
    } else {
        title_case(&r.zipf_word(900, 2))
    };
    let last = if r.below(4) == 0 {
        r.pick(LAST).to_owned()
    } else {
        title_case(&r.zipf_word(27_000, 3))
    };
    format!("{first} {last}")
}

/// Title number `n` of a library of `size`.
fn synthetic(n: u64, size: u64, r: &mut Rng) -> (Metadata, NewFile) {
    let id = ContentId::parse(&format!("tt{:07}", 1_000_000 + n)).expect("id");
    let words = 1 + r.below(4);
    let title = (0..words)
        .map(|_| {
            title_case(&if r.below(3) == 0 {
                r.pick(WORDS).to_owned()
            } else {
                r.zipf_word(27_000, 3)
            })
        })
        .collect::<Vec<_>>()
        .join(" ");
    let title = if r.below(5) == 0 {
        format!("The {title}")
    } else {
        title
    };
    let mut m = Metadata::named(id.clone(), title.clone());
    if r.below(6) == 0 {
        m.original_title = Some(format!(
            "{title} ({})",
            r.pick(&["Original", "Originale", "Original-Titel"])
        ));
    }
    m.year = Some(1920 + r.below(106) as i64);
    m.kind = Some("movie".into());
    let mut genres: Vec<String> = (0..1 + r.below(3))
        .map(|_| r.pick(GENRES).to_string())
        .collect();
    genres.dedup();
    m.genres = genres;
    m.directors = (0..1 + r.below(2)).map(|_| person(r)).collect();
    m.writers = (0..1 + r.below(3)).map(|_| person(r)).collect();
    m.stars = (0..3).map(|_| person(r)).collect();
    m.cast = (0..12).map(|_| person(r)).collect();
    m.duration = Some(store::Duration::from_minutes(80 + r.below(80) as i64));
    m.plot_short = Some((0..30).map(|_| r.pick(WORDS)).collect::<Vec<_>>().join(" ") + ".");
    m.rating = Some(Rating {
        value: 3.0 + r.below(65) as f64 / 10.0,
        votes: (r.below(1000) * r.below(1000)) as i64,
        max: 10.0,
    });
    m.parental_rating = Some(r.pick(&["G", "PG", "PG-13", "R"]).into());
    m.metascore = Some(20 + r.below(80) as i64);
    m.suggestions = (0..6)
        .map(|_| format!("tt{:07}", 1_000_000 + r.below(size)))
        .collect();
    m.awards = Some(format!(
        "{} wins & {} nominations total",
        r.below(20),
        r.below(40)
    ));
    m.details = Some(
        serde_json::json!({"release_date": format!("{}-0{}-1{}", m.year.unwrap_or(2000), 1 + r.below(9), r.below(10)), "countries": ["US"], "languages": ["English"]}),
    );
    let f = NewFile {
        file_id: FileId::of(&format!("{n}.mkv"), 1000, 1),
        content_id: id.clone(),
        label: String::new(),
        path: format!("{id}/{id}.mkv"),
        root: String::new(),
        ext: "mkv".into(),
        size: 4_000_000_000,
        original_name: format!("{title}.mkv"),
        last_modified: 1,
        uploaded_by: None,
        placeholder_title: title,
    };
    (m, f)
}

/// Runs a command to its end; answers seconds, peak RSS in MiB and its standard output.
fn measure(cmd: &mut Command) -> Result<(f64, f64, String)> {
    let t = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: waits for our own child; `usage` is writable rusage storage.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    let secs = t.elapsed().as_secs_f64();
    if rc != pid {
        bail!("wait4 failed");
    }
    // SAFETY: wait4 succeeded and filled it.
    let usage = unsafe { usage.assume_init() };
    let out = child
        .wait_with_output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
        .unwrap_or_default();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{:?} failed: {out}", cmd.get_program());
    }
    Ok((secs, usage.ru_maxrss as f64 / 1024.0, out))
}

/// Hugo content and layouts for the same pages: a page per movie, genre and decade lists,
/// a home page of the newest titles.
fn hugo_site(dir: &Path, titles: &[(Metadata, NewFile)]) -> Result<()> {
    let content = dir.join("content/movie");
    std::fs::create_dir_all(&content)?;
    std::fs::create_dir_all(dir.join("layouts"))?;
    std::fs::write(
        dir.join("hugo.toml"),
        "baseURL = '/'\ndisableKinds = ['rss', 'sitemap', 'robotstxt']\n[taxonomies]\ngenre = 'genres'\ndecade = 'decades'\n[pagination]\npagerSize = 100\n",
    )?;
    let head = r#"<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }}</title><link rel="stylesheet" href="/assets/site.css"></head><body><nav><a href="/">Home</a> <a href="/genres/">Genres</a></nav>"#;
    let card = r#"<a class="card" href="{{ .RelPermalink }}"><img src="{{ .Params.poster }}" alt=""><span>{{ .Title }}</span> <span>{{ .Params.year }}</span></a>"#;
    let single = format!(
        r#"{head}<h1>{{{{ .Title }}}}</h1><p>{{{{ .Params.year }}}} · {{{{ .Params.duration }}}} · ★ {{{{ .Params.rating }}}} ({{{{ .Params.votes }}}} votes)</p><p>{{{{ range .Params.genres }}}}<a href="/genres/{{{{ . | urlize }}}}/">{{{{ . }}}}</a> {{{{ end }}}}</p><p>{{{{ .Params.plot }}}}</p><dl><dt>Directed by</dt><dd>{{{{ delimit .Params.directors ", " }}}}</dd><dt>Written by</dt><dd>{{{{ delimit .Params.writers ", " }}}}</dd><dt>Stars</dt><dd>{{{{ delimit .Params.stars ", " }}}}</dd><dt>Awards</dt><dd>{{{{ .Params.awards }}}}</dd></dl><video controls src="/media/{{{{ .Params.file }}}}"></video><p>{{{{ delimit .Params.cast ", " }}}}</p>{{{{ range .Params.suggestions }}}}{{{{ with site.GetPage (printf "/movie/%s" .) }}}}{card}{{{{ end }}}}{{{{ end }}}}</body></html>"#
    );
    let list = format!(
        r#"{head}<h1>{{{{ .Title }}}}</h1>{{{{ range .Paginator.Pages }}}}{card}{{{{ end }}}}{{{{ with .Paginator.Next }}}}<a href="{{{{ .URL }}}}">next</a>{{{{ end }}}}</body></html>"#
    );
    let home = format!(
        r#"{head}<h1>Home</h1>{{{{ range first 20 (sort .Site.RegularPages "Params.added" "desc") }}}}{card}{{{{ end }}}}{{{{ range .Site.Taxonomies.genres }}}}<h2>{{{{ .Page.Title }}}}</h2>{{{{ range first 20 .Pages }}}}{card}{{{{ end }}}}{{{{ end }}}}</body></html>"#
    );
    let terms = format!(
        r#"{head}<h1>{{{{ .Title }}}}</h1>{{{{ range .Data.Terms.Alphabetical }}}}<a href="{{{{ .Page.RelPermalink }}}}">{{{{ .Page.Title }}}}</a> {{{{ .Count }}}} {{{{ end }}}}</body></html>"#
    );
    std::fs::write(dir.join("layouts/single.html"), single)?;
    std::fs::write(dir.join("layouts/list.html"), &list)?;
    std::fs::write(dir.join("layouts/term.html"), &list)?;
    std::fs::write(dir.join("layouts/taxonomy.html"), terms)?;
    std::fs::write(dir.join("layouts/home.html"), home)?;
    for (i, (m, f)) in titles.iter().enumerate() {
        let mut s = String::from("---\n");
        let list = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
        let _ = writeln!(s, "title: {}", serde_json::to_string(&m.title)?);
        let _ = writeln!(s, "id: {}", m.id);
        let _ = writeln!(s, "year: {}", m.year.unwrap_or(0));
        let _ = writeln!(s, "decades: [\"{}s\"]", m.year.unwrap_or(0) / 10 * 10);
        let _ = writeln!(s, "genres: {}", list(&m.genres));
        let _ = writeln!(s, "directors: {}", list(&m.directors));
        let _ = writeln!(s, "writers: {}", list(&m.writers));
        let _ = writeln!(s, "stars: {}", list(&m.stars));
        let _ = writeln!(s, "cast: {}", list(&m.cast));
        let _ = writeln!(s, "suggestions: {}", list(&m.suggestions));
        let r = m.rating.as_ref();
        let _ = writeln!(
            s,
            "rating: {}\nvotes: {}",
            r.map(|r| r.value).unwrap_or(0.0),
            r.map(|r| r.votes).unwrap_or(0)
        );
        let _ = writeln!(
            s,
            "duration: {}",
            serde_json::to_string(&m.duration.as_ref().map(|d| d.text.clone()))?
        );
        let _ = writeln!(s, "plot: {}", serde_json::to_string(&m.plot_short)?);
        let _ = writeln!(s, "awards: {}", serde_json::to_string(&m.awards)?);
        let _ = writeln!(
            s,
            "poster: /media/{}/{}.card.jpg\nfile: {}\nadded: {i}",
            m.id, m.id, f.path
        );
        s.push_str("---\n");
        std::fs::write(content.join(format!("{}.md", m.id)), s)?;
    }
    Ok(())
}

fn files_in(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

/// The floor on this disk for a site's files: the same paths and sizes written by a loop that
/// does nothing else, on one thread: straight under their names, and each through a temporary
/// name and a rename. Answers the seconds of each.
fn floor(site: &Path, dir: &Path) -> Result<(f64, f64)> {
    let mut files = Vec::new();
    let mut stack = vec![site.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)?.flatten() {
            let rel = e.path().strip_prefix(site)?.to_path_buf();
            if rel.starts_with(".render") {
                continue;
            }
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                files.push((rel, e.metadata()?.len() as usize));
            }
        }
    }
    files.sort();
    let filler = vec![b'x'; files.iter().map(|f| f.1).max().unwrap_or(0)];
    let run = |root: &Path, through_temp: bool| -> Result<f64> {
        let t = Instant::now();
        for (rel, len) in &files {
            let path = root.join(rel);
            let parent = path.parent().context("parent")?;
            std::fs::create_dir_all(parent)?;
            if through_temp {
                let tmp = parent.join(".tmp");
                std::fs::write(&tmp, &filler[..*len])?;
                std::fs::rename(&tmp, &path)?;
            } else {
                std::fs::write(&path, &filler[..*len])?;
            }
        }
        Ok(t.elapsed().as_secs_f64())
    };
    Ok((run(&dir.join("a"), false)?, run(&dir.join("b"), true)?))
}

fn index_path_of(site: &Path) -> PathBuf {
    renderer::index_path(site)
}

/// Waits until what was written is on the disk.
fn at_rest() {
    let _ = Command::new("sync").status();
}

/// Puts a folder out of the way without removing it: ext4 without a journal (as on this
/// machine) passes over every inode deleted in the last 60 seconds, 300 while its inode table
/// block is being written to, when it makes a new file or folder, reading each one's table
/// block; a site's worth of removals made the next render several seconds slower, charged to
/// whichever run came next. The bench removes nothing until it has measured everything
/// (`empty_trash`); a run started within five minutes of another's end still pays for its
/// removals.
fn discard(trash: &Path, path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::create_dir_all(trash)?;
        let n = std::fs::read_dir(trash)?.count();
        std::fs::rename(path, trash.join(format!("{n}")))?;
    }
    Ok(())
}

fn empty_trash(trash: &Path) {
    let _ = std::fs::remove_dir_all(trash);
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<u64> = arg("--sizes")
        .unwrap_or_else(|| "10000,100000".into())
        .split(',')
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let hugo = arg("--hugo").map(PathBuf::from);
    let incremental_only = args.iter().any(|a| a == "--incremental-only");
    let exe = std::env::current_exe()?;
    let render_bin = exe
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .join("oott-render");
    let work = PathBuf::from(arg("--work").unwrap_or_else(|| "target/bench/render".into()));
    std::fs::create_dir_all(&work)?;
    let work = work.canonicalize()?;
    let trash = work.join("trash");
    let search_runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/search.mjs");

    let mut lines = Vec::new();
    for &size in &sizes {
        let dir = work.join(format!("lib-{size}"));
        let site = dir.join("site");
        let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ size);
        let titles: Vec<(Metadata, NewFile)> =
            (0..size).map(|n| synthetic(n, size, &mut r)).collect();
        // `--incremental-only`: the library and site of an earlier run, measured again.
        let reused = incremental_only && index_path_of(&site).exists();
        if !reused && dir.exists() {
            discard(&trash, &dir)?;
        }
        std::fs::create_dir_all(dir.join("data"))?;
        let mut store = Store::open(&dir.join("data/oott.db"))?;
        let mut line = format!("{size:>7} titles");
        if !reused {
            store.import(&titles)?;
            // Both renders start from files at rest: the database closed (its log folded in)
            // and what was just written on the disk.
            drop(store);
            at_rest();
            store = Store::open(&dir.join("data/oott.db"))?;
            let (secs, rss, out) = measure(
                Command::new(&render_bin)
                    .arg("--out")
                    .arg(&site)
                    .env("OOTT_DATA_DIR", dir.join("data"))
                    .env("OOTT_MEDIA_ROOT", dir.join("media")),
            )?;
            eprint!("{out}");
            let files = files_in(&site);
            let (straight, temp) = floor(&site, &dir.join("floor"))?;
            line = format!(
                "{size:>7} titles  oott-render full: {secs:7.2} s, peak RSS {rss:7.1} MiB, {files} files\n{:>7}         floor: the same files by a bare loop {straight:.2} s straight, {temp:.2} s through a temporary name  → {:.2}× the straight floor",
                "",
                secs / straight
            );
            if let Some(hugo) = &hugo {
                let hdir = dir.join("hugo");
                hugo_site(&hdir, &titles)?;
                at_rest();
                let (hs, hrss, hout) = measure(
                    Command::new(hugo)
                        .arg("--quiet")
                        .arg("-s")
                        .arg(&hdir)
                        .arg("-d")
                        .arg(hdir.join("public")),
                )?;
                if !hout.trim().is_empty() {
                    eprintln!("{hout}");
                }
                let hfiles = files_in(&hdir.join("public"));
                let _ = write!(
                    line,
                    "\n{:>7}         Hugo full:        {hs:7.2} s, peak RSS {hrss:7.1} MiB, {hfiles} files  → time {:.3}×, RSS {:.3}× of Hugo",
                    "",
                    secs / hs,
                    rss / hrss
                );
                discard(&trash, &hdir)?;
            }
            discard(&trash, &dir.join("floor"))?;
            // A first search query: what the browser downloads.
            let queries: Vec<String> = titles
                .iter()
                .step_by((size / 8).max(1) as usize)
                .map(|(m, _)| {
                    m.title
                        .split_whitespace()
                        .last()
                        .unwrap_or("x")
                        .to_lowercase()
                })
                .chain(["nakamra".to_owned(), "golden harbour".to_owned()])
                .collect();
            let input = serde_json::json!({"queries": queries, "fold": []});
            let mut node = Command::new("node")
                .arg(&search_runner)
                .arg(&site)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .context("node")?;
            use std::io::Write;
            node.stdin
                .take()
                .context("stdin")?
                .write_all(input.to_string().as_bytes())?;
            let out: serde_json::Value = serde_json::from_slice(&node.wait_with_output()?.stdout)?;
            let bytes: Vec<u64> = out["results"]
                .as_array()
                .context("results")?
                .iter()
                .filter_map(|r| r["bytes"].as_u64())
                .collect();
            let max = bytes.iter().max().copied().unwrap_or(0);
            let mean = bytes.iter().sum::<u64>() / bytes.len().max(1) as u64;
            let _ = write!(
                line,
                "\n{:>7}         search: a first query downloads {:.1} KB on average, {:.1} KB at most ({} queries)",
                "",
                mean as f64 / 1000.0,
                max as f64 / 1000.0,
                bytes.len()
            );
        }

        if Some(&size) == sizes.last() {
            // Incremental: one title added, then one edited, in-process and as a command.
            // A title not in the library yet (a reused library has those of earlier runs).
            let mut n = size + 1;
            while !store
                .titles(&[ContentId::parse(&format!("tt{:07}", 1_000_000 + n))?])?
                .is_empty()
            {
                n += 1;
            }
            let (mut m, mut f) = synthetic(n, size, &mut r);
            m.title = "Benchmark Arrival".into();
            f.placeholder_title = m.title.clone();
            store.import(&[(m.clone(), f)])?;
            let t = Instant::now();
            let rep = renderer::incremental(&store, &site)?;
            let add = t.elapsed().as_secs_f64() * 1000.0;
            let mut edited = titles[(size / 2) as usize].0.clone();
            edited.rating = Some(Rating {
                value: 9.9,
                votes: 5,
                max: 10.0,
            });
            store.save_metadata(&edited, 2)?;
            let t = Instant::now();
            let rep2 = renderer::incremental(&store, &site)?;
            let edit = t.elapsed().as_secs_f64() * 1000.0;
            edited.title = "Benchmark Renamed".into();
            store.save_metadata(&edited, 3)?;
            let (cmd_secs, _, _) = measure(
                Command::new(&render_bin)
                    .env("OOTT_DATA_DIR", dir.join("data"))
                    .env("OOTT_SITE_DIR", &site)
                    .env("OOTT_MEDIA_ROOT", dir.join("media")),
            )?;
            let _ = write!(
                line,
                "\n{:>7}         incremental: add one title {add:.1} ms ({} considered, {} written), edit one {edit:.1} ms ({} considered, {} written); `oott-render` as a command after a rename {:.1} ms",
                "",
                rep.targets,
                rep.written,
                rep2.targets,
                rep2.written,
                cmd_secs * 1000.0
            );
        }
        println!("{line}");
        lines.push(line);
    }
    println!("\n{}", lines.join("\n"));
    empty_trash(&trash);
    Ok(())
}
