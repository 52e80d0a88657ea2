//! The sync agent's benchmark (`make bench`): a library of 40 titles of 50 MiB and a site of
//! 40,000 pages, mirrored to an rsync daemon on 127.0.0.1 three ways side by side: `oott-agent
//! sync` (watching), a cron job's `rsync -a --delete` of the whole tree, and lsyncd with its
//! default rsync settings (when Debian's `lsyncd` is installed). For (a) no change, (b) one new
//! title, (c) one page changed and (d) one row changed in the database: the time from the change
//! to the mirror holding it, the bytes sent, the CPU seconds and the processes started.
//!
//! usage: sync_bench [--titles N] [--title-mib N] [--pages N] [--work DIR]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use store::{ContentId, FileKind, NewLibraryFile, Store};

const MIB: u64 = 1 << 20;

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1))
        .cloned()
}

fn num(name: &str, default: u64) -> u64 {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `len` pseudo-random bytes into `path`, unless it is there already.
fn random_file(path: &Path, len: u64, seed: u64) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == len) {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().context("folder")?)?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut left = len;
    let mut buf = vec![0u8; MIB as usize];
    while left > 0 {
        for w in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// A title's movie file in the library and its row.
fn add_title(db: &Store, media: &Path, cid: &str, bytes: u64, seed: u64) -> Result<()> {
    let rel = format!("{cid}/{cid}.mkv");
    random_file(&media.join(&rel), bytes, seed)?;
    db.record_library_file(&NewLibraryFile {
        content_id: ContentId::parse(cid)?,
        kind: FileKind::Movie,
        label: String::new(),
        root: "1".into(),
        path: rel,
        size: bytes,
        mtime: 0,
    })?;
    Ok(())
}

fn page(i: u64, v: u64) -> String {
    format!(
        "<!doctype html><title>Page {i}</title><main>{}</main><!-- version {v} -->\n",
        "A line of a rendered page, about as long as a card's markup. ".repeat(30)
    )
}

/// CPU seconds of a process and its waited-for children, from /proc.
fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (11..15)
        .filter_map(|i| f.get(i)?.parse::<f64>().ok())
        .sum::<f64>()
        / hz
}

/// Lines of the rsync daemon's log so far (one `connect from` per rsync run).
fn connections(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.matches("connect from").count())
        .unwrap_or(0)
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if f() {
            return Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// One whole-tree pass as a cron job runs it: the library, the site and the database file.
fn cron(primary: &Path, url: &str) -> Result<(Duration, u64, f64)> {
    let t = Instant::now();
    let mut bytes = 0;
    let mut cpu = 0.0;
    for (from, to) in [
        ("media/", "media/1/"),
        ("data/site/", "data/site/"),
        ("data/oott.db", "data/"),
    ] {
        let child = Command::new("rsync")
            .args(["-a", "--delete", "--stats", "--mkpath"])
            .arg(primary.join(from))
            .arg(format!("{url}/{to}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let pid = child.id();
        let mut out = String::new();
        if let Some(mut o) = child.stdout {
            use std::io::Read;
            o.read_to_string(&mut out)?;
        }
        let mut status = 0;
        // SAFETY: a zeroed rusage is valid for wait4 to fill; pid is our child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut ru) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        cpu += tv(ru.ru_utime) + tv(ru.ru_stime);
        bytes += out
            .lines()
            .find_map(|l| l.strip_prefix("Total bytes sent:"))
            .map(|v| v.trim().replace(',', ""))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok((t.elapsed(), bytes, cpu))
}

fn main() -> Result<()> {
    let titles = num("--titles", 40);
    let title_bytes = num("--title-mib", 50) * MIB;
    let pages = num("--pages", 40_000);
    let work = PathBuf::from(arg("--work").unwrap_or_else(|| "target/bench/sync".into()));
    std::fs::create_dir_all(&work)?;
    let work = std::fs::canonicalize(&work)?;
    let agent_bin = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .context("exe dir")?
        .join("oott-agent");
    let lsyncd = ["/usr/bin/lsyncd", "/usr/local/bin/lsyncd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());

    // The primary: media, site and database as the receiver keeps them.
    let primary = work.join("primary");
    let (media, data) = (primary.join("media"), primary.join("data"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(data.join("site"))?;
    std::fs::write(media.join(".oott-root").as_path(), "1").or_else(|_| {
        std::fs::create_dir_all(&media)?;
        std::fs::write(media.join(".oott-root"), "1")
    })?;
    eprintln!(
        "making the library ({titles} × {} MiB) and {pages} pages",
        title_bytes / MIB
    );
    let db = Store::open(&data.join("oott.db"))?;
    let id = |i: u64| format!("tt{:07}", 1_000_000 + i);
    // The titles a scenario adds are new in every run.
    for k in 0..4 {
        let _ = std::fs::remove_dir_all(media.join(id(titles + k)));
    }
    for i in 0..titles {
        add_title(&db, &media, &id(i), title_bytes, i + 1)?;
    }
    for i in 0..pages {
        let p = data.join(format!("site/p/{}/{i}.html", i % 400));
        std::fs::create_dir_all(p.parent().context("folder")?)?;
        std::fs::write(p, page(i, 0))?;
    }

    // One rsync daemon, a module per way of mirroring.
    let mirrors = work.join("mirrors");
    let _ = std::fs::remove_dir_all(&mirrors);
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut conf =
        format!("use chroot = no\nuid = {uid}\ngid = {gid}\nsocket options = TCP_NODELAY\n");
    for m in ["agent", "cron", "lsyncd"] {
        // lsyncd's rsync makes no missing parent folders.
        std::fs::create_dir_all(mirrors.join(m).join("media/1"))?;
        std::fs::create_dir_all(mirrors.join(m).join("data"))?;
        conf.push_str(&format!(
            "[{m}]\n  path = {}\n  read only = no\n",
            mirrors.join(m).display()
        ));
    }
    std::fs::write(work.join("rsyncd.conf"), conf)?;
    let logs: Vec<PathBuf> = ["agent", "cron", "lsyncd"]
        .iter()
        .map(|m| work.join(format!("{m}.log")))
        .collect();
    let log = work.join("rsyncd.log");
    let _ = std::fs::remove_file(&log);
    let _daemon = Killed(
        Command::new("rsync")
            .args(["--daemon", "--no-detach", "--address=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--config={}", work.join("rsyncd.conf").display()))
            .arg(format!("--log-file={}", log.display()))
            .spawn()?,
    );
    wait_until(10, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .context("rsync daemon")?;
    let url = |m: &str| format!("rsync://127.0.0.1:{port}/{m}");
    drop(logs);

    // First full copies.
    eprintln!("first full copies");
    let env = |c: &mut Command| {
        c.env("OOTT_MEDIA_ROOT", &media)
            .env("OOTT_DATA_DIR", &data)
            .env_remove("OOTT_CONFIG");
    };
    let mut first = Command::new(&agent_bin);
    env(&mut first);
    if !first
        .args(["sync", "--once", "--mirror"])
        .arg(format!("attic={}", url("agent")))
        .stdout(Stdio::null())
        .status()?
        .success()
    {
        bail!("the agent's first push failed");
    }
    cron(&primary, &url("cron"))?;

    // The agent, watching.
    let mut cmd = Command::new(&agent_bin);
    env(&mut cmd);
    let mut child = cmd
        .args(["sync", "--json", "--interval", "0.2", "--mirror"])
        .arg(format!("attic={}", url("agent")))
        .stdout(Stdio::piped())
        .spawn()?;
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let (sink, out) = (events.clone(), child.stdout.take().context("stdout")?);
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&l) {
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(v);
            }
        }
    });
    let agent = Killed(child);
    let agent_pid = agent.0.id();

    // lsyncd, with its defaults (rsync after a delay of 15 s), when installed.
    let lsync = match &lsyncd {
        Some(bin) => {
            let cfg = work.join("lsyncd.lua");
            let mut lua = String::from("settings { nodaemon = true }\n");
            for (from, to, skip) in [
                (media.clone(), "media/1", ""),
                (data.join("site"), "data/site", ""),
                (data.clone(), "data", ", exclude = { \"site/\", \"sync/\" }"),
            ] {
                lua.push_str(&format!(
                    "sync {{ default.rsync, source = \"{}\", target = \"{}/{to}/\"{skip} }}\n",
                    from.display(),
                    url("lsyncd")
                ));
            }
            std::fs::write(&cfg, lua)?;
            let c = Killed(
                Command::new(bin)
                    .arg(&cfg)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            );
            eprintln!("waiting for lsyncd's first full copy");
            wait_until(600, || {
                std::fs::read_dir(mirrors.join("lsyncd/data/site/p"))
                    .map(|d| d.count() == 400)
                    .unwrap_or(false)
            });
            std::thread::sleep(Duration::from_secs(20));
            Some(c)
        }
        None => None,
    };
    std::thread::sleep(Duration::from_secs(2));

    println!(
        "\nmirroring {titles} titles of {} MiB and {pages} pages to an rsync daemon on 127.0.0.1\n",
        title_bytes / MIB
    );
    println!(
        "{:<22} {:<26} {:>11} {:>12} {:>8} {:>10}",
        "change", "way", "to mirror", "bytes sent", "CPU s", "processes"
    );
    let scenarios = [
        "(a) no change",
        "(b) one new title",
        "(c) one page changed",
        "(d) one database row",
    ];
    for (k, name) in scenarios.iter().enumerate() {
        let seen = events.lock().unwrap_or_else(|e| e.into_inner()).len();
        let (cpu0, conns0) = (cpu(agent_pid), connections(&log));
        let lcpu0 = lsync.as_ref().map(|c| cpu(c.0.id())).unwrap_or(0.0);
        let new = id(titles + k as u64);
        // The change, and what shows it arrived on a mirror.
        let arrived: Box<dyn Fn(&Path) -> bool> = match k {
            0 => Box::new(|_| false),
            1 => {
                add_title(&db, &media, &new, title_bytes, 999)?;
                let p = data.join(format!("site/movie/{new}.html"));
                std::fs::create_dir_all(p.parent().context("folder")?)?;
                std::fs::write(&p, page(9999, 1))?;
                let n = new.clone();
                Box::new(move |m: &Path| m.join(format!("data/site/movie/{n}.html")).exists())
            }
            2 => {
                let text = page(0, 2);
                std::fs::write(data.join("site/p/0/0.html"), &text)?;
                Box::new(move |m: &Path| {
                    std::fs::read_to_string(m.join("data/site/p/0/0.html")).is_ok_and(|t| t == text)
                })
            }
            _ => {
                let when = |m: &Path| {
                    std::fs::metadata(m.join("data/oott.db"))
                        .and_then(|x| x.modified())
                        .ok()
                };
                let before: Vec<(PathBuf, Option<std::time::SystemTime>)> = ["agent", "lsyncd"]
                    .iter()
                    .map(|m| (mirrors.join(m), when(&mirrors.join(m))))
                    .collect();
                let f = db.library_files()?.into_iter().next().context("a row")?;
                db.set_library_file_size(&f, f.size, f.mtime + 1)?;
                Box::new(move |m: &Path| {
                    let was = before.iter().find(|(p, _)| p == m).and_then(|(_, t)| *t);
                    when(m).is_some() && when(m) != was
                })
            }
        };
        let t = Instant::now();
        let agent_took = if k == 0 {
            std::thread::sleep(Duration::from_secs(5));
            None
        } else {
            wait_until(120, || arrived(&mirrors.join("agent")))
        };
        std::thread::sleep(Duration::from_millis(500));
        let bytes: u64 = events.lock().unwrap_or_else(|e| e.into_inner())[seen..]
            .iter()
            .filter(|e| e["event"] == "pushed")
            .filter_map(|e| e["bytes"].as_u64())
            .sum();
        let agent_conns = connections(&log) - conns0;
        if std::env::var_os("SYNC_BENCH_EVENTS").is_some() {
            for e in &events.lock().unwrap_or_else(|e| e.into_inner())[seen..] {
                eprintln!("  {e}");
            }
        }
        let show = |d: Option<Duration>| {
            d.map(|d| format!("{:.2} s", d.as_secs_f64()))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{name:<22} {:<26} {:>11} {bytes:>12} {:>8.2} {agent_conns:>10}",
            "oott-agent sync",
            show(agent_took),
            cpu(agent_pid) - cpu0
        );
        let conns1 = connections(&log);
        let (took, bytes, c) = cron(&primary, &url("cron"))?;
        println!(
            "{:<22} {:<26} {:>11} {bytes:>12} {c:>8.2} {:>10}",
            "",
            "rsync -a --delete (cron)",
            show(Some(took)),
            connections(&log) - conns1
        );
        if let Some(l) = &lsync {
            let took = if k == 0 {
                None
            } else {
                wait_until(120, || arrived(&mirrors.join("lsyncd"))).map(|_| t.elapsed())
            };
            println!(
                "{:<22} {:<26} {:>11} {:>12} {:>8.2} {:>10}",
                "",
                "lsyncd (defaults)",
                show(took),
                "n/a",
                cpu(l.0.id()) - lcpu0,
                ""
            );
        }
    }
    if lsync.is_none() {
        println!("\nlsyncd is not installed: its rows are left out");
    }
    println!(
        "\n(a): a change nothing shows arrives nowhere; 'to mirror' is from the change to the mirror holding it"
    );
    drop(agent);
    Ok(())
}
