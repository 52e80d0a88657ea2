//! `oott-render`: renders the catalogue from the database. With no flags it renders what changed
//! since the last render into the configured site directory; `--full` renders everything;
//! `--out DIR` renders everything into DIR.

use std::path::PathBuf;

use anyhow::Context;
use store::config::Config;

const HELP: &str = "oott-render: writes the Open OTT catalogue from the database

usage: oott-render [--full] [--out DIR] [--config FILE]

Reads the same settings as oott-receiver (OOTT_DATA_DIR, OOTT_SITE_DIR, OOTT_MEDIA_ROOT, ...).
Without flags it renders the changes since the last render into the site directory.";

/// A full render makes and frees millions of small values (rows, texts, template contexts) on
/// every core: mimalloc does that in less time than the system's allocator, and, told to give
/// freed memory back after 10 ms (not a second) and to commit its arenas only as they are used
/// (`lean_allocator`), with about the same peak. (Given back at once, the peak is 10 % lower
/// and the render spends 10 % more time faulting the same pages in again.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets mimalloc's options before anything is allocated: the first arena is made at the first
/// allocation, which the standard library's start makes before `main`, so this runs as the
/// program is loaded.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static LEAN_ALLOCATOR: extern "C" fn() = lean_allocator;

extern "C" fn lean_allocator() {
    // mimalloc 3's numbers for them (`mi_option_t` in its `mimalloc.h`).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option only stores a number mimalloc reads when it next decides.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 10);
    }
}

fn main() -> anyhow::Result<()> {
    // Elsewhere, as early as a program can.
    #[cfg(not(target_os = "linux"))]
    lean_allocator();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}\n\nSettings (flag, environment variable):");
        for (_, flag, var) in Config::settings() {
            println!("  {flag:<30} {var}");
        }
        return Ok(());
    }
    let full_flag = take_flag(&mut args, "--full");
    let out = take_value(&mut args, "--out").map(PathBuf::from);
    let config = Config::load(&args, |k| std::env::var(k).ok())?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let db = config.db_path();
    let store =
        store::Store::open_read_only(&db).with_context(|| format!("opening {}", db.display()))?;
    let (site, full) = match out {
        Some(dir) => (dir, true),
        None => (config.site_dir(), full_flag),
    };
    let started = std::time::Instant::now();
    let report = if full {
        renderer::full(&store, &site)
    } else {
        renderer::incremental(&store, &site)
    }
    .with_context(|| format!("rendering into {}", site.display()))?;
    println!(
        "rendered {} ({}): {} files considered, {} written, {} unchanged, {} removed, in {:.3}s",
        site.display(),
        if report.full { "full" } else { "incremental" },
        report.targets,
        report.written,
        report.unchanged,
        report.removed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let at = args.iter().position(|a| a == flag);
    at.map(|i| args.remove(i)).is_some()
}

fn take_value(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    args.remove(i);
    (i < args.len()).then(|| args.remove(i))
}
