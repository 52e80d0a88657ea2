//! `oott-agent sync` with a real rsync daemon and a mirror receiver (`mode = "mirror"`) behind
//! its own nginx, all on 127.0.0.1: what a push brings and in what order, kill -9 of the agent
//! and of rsync mid-push, the audit, a mirror that was down, a restart with work pending, a
//! burst of changes, and a promoted mirror.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::nginx::{Nginx, free_port};
use crate::support::{Api, Dirs, FileSpec, Server, assert_error, sha256, sha256_file, wait_for};

/// An rsync daemon serving one writable module, `oott`, from `dir`.
pub struct Daemon {
    child: Child,
    pub port: u16,
}

impl Daemon {
    pub fn start(dir: &Path, port: u16) -> Daemon {
        std::fs::create_dir_all(dir).expect("module dir");
        let conf = dir.with_extension("conf");
        // SAFETY: getuid and getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        std::fs::write(
            &conf,
            format!(
                "use chroot = no\nsocket options = TCP_NODELAY\n[oott]\n    path = {}\n    read only = no\n    uid = {uid}\n    gid = {gid}\n",
                dir.display()
            ),
        )
        .expect("rsyncd.conf");
        let mut child = Command::new("rsync")
            .args(["--daemon", "--no-detach", "--address=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--config={}", conf.display()))
            .arg("--log-file=/dev/null")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rsync (make test installs it)");
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[rsyncd] {l}");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "rsync daemon did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon { child, port }
    }

    pub fn url(&self) -> String {
        format!("rsync://127.0.0.1:{}/oott", self.port)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A primary with an admin, and a mirror module for it.
struct Pair {
    dirs: Dirs,
    /// Running until the test stops it.
    primary: Option<Server>,
    api: Api,
    daemon: Daemon,
    mirror: PathBuf,
}

impl Pair {
    fn new() -> Pair {
        let dirs = Dirs::new();
        let primary = Server::start(&dirs);
        let api = primary.admin();
        let mirror = dirs.path("mirror");
        let daemon = Daemon::start(&mirror, free_port());
        Pair {
            dirs,
            primary: Some(primary),
            api,
            daemon,
            mirror,
        }
    }

    fn sync(&self, args: &[&str]) -> Command {
        self.sync_to(&format!("attic={}", self.daemon.url()), args)
    }

    /// `oott-agent sync` towards one mirror, `NAME=URL`.
    fn sync_to(&self, mirror: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oott-agent"));
        for (k, _) in std::env::vars() {
            if k.starts_with("OOTT_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(["sync", "--json", "--mirror", mirror])
            .args(args)
            .env("OOTT_MEDIA_ROOT", self.dirs.media())
            .env("OOTT_DATA_DIR", self.dirs.data())
            .stdin(Stdio::null());
        cmd
    }

    /// `sync --once …`: the exit code and the events.
    fn once(&self, args: &[&str]) -> (i32, Vec<Value>) {
        let mut all = vec!["--once"];
        all.extend_from_slice(args);
        let out = self.sync(&all).output().expect("oott-agent sync");
        let events = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (out.status.code().unwrap_or(-1), events)
    }

    /// Uploads a title and waits until its page is rendered.
    fn title(&self, id: &str, len: usize, seed: u64) -> FileSpec {
        let f = FileSpec::new(&format!("{id}.mkv"), len, seed);
        self.api.upload(&f, id);
        self.page(id);
        self.summed(&format!("{id}/{id}.mkv"), &f.sha256());
        f
    }

    /// Waits until the primary has recorded the SHA-256 of a library file in its row.
    fn summed(&self, path: &str, want: &str) {
        let db = store::Store::open_read_only(&self.dirs.data().join("oott.db")).expect("db");
        wait_for(30, &format!("the SHA-256 of {path} in its row"), || {
            db.library_files()
                .ok()?
                .into_iter()
                .find(|f| f.path == path)
                .and_then(|f| f.sha256)
        });
        let got = db
            .library_files()
            .expect("files")
            .into_iter()
            .find(|f| f.path == path)
            .and_then(|f| f.sha256);
        assert_eq!(
            got.as_deref(),
            Some(want),
            "the row's SHA-256 is the file's"
        );
    }

    fn page(&self, id: &str) -> PathBuf {
        let page = self.dirs.data().join(format!("site/movie/{id}.html"));
        wait_for(30, &format!("the page of {id}"), || {
            page.exists().then_some(())
        });
        page
    }

    fn on_mirror(&self, rel: &str) -> PathBuf {
        self.mirror.join(rel)
    }

    /// The mirror's own receiver, read-only, serving the module's copy.
    fn mirror_env(&self) -> Vec<(String, String)> {
        vec![
            ("OOTT_MODE".into(), "mirror".into()),
            (
                "OOTT_MEDIA_ROOTS".into(),
                self.mirror.join("media/1").display().to_string(),
            ),
            (
                "OOTT_DATA_DIR".into(),
                self.mirror.join("data").display().to_string(),
            ),
        ]
    }
}

fn pushed(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["event"] == "pushed").collect()
}

/// Every file under `dir` (dot names left out) with its SHA-256.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under").display().to_string();
                out.push((rel, sha256_file(&p)));
            }
        }
    }
    out.sort();
    out
}

/// The mirror never serves a partial file or a page whose media it lacks: every file under
/// its real name is whole (the primary's bytes), and every movie page it holds has its movie.
fn assert_consistent(p: &Pair, ids: &[&str]) {
    for id in ids {
        let movie = p.on_mirror(&format!("media/1/{id}/{id}.mkv"));
        let page = p.on_mirror(&format!("data/site/movie/{id}.html"));
        if movie.exists() {
            let primary = p.dirs.media().join(format!("{id}/{id}.mkv"));
            assert_eq!(
                sha256_file(&movie),
                sha256_file(&primary),
                "{id}: a whole file or none"
            );
        }
        if page.exists() {
            assert!(
                movie.exists(),
                "{id}: a page on the mirror whose movie is not there"
            );
        }
    }
}

#[test]
fn an_upload_appears_on_the_mirror_and_is_served_there_to_a_logged_in_user_only() {
    let p = Pair::new();
    let f = p.title("tt0133093", 300_000, 1);
    let (code, events) = p.once(&[]);
    assert_eq!(code, 0, "{events:#?}");
    let push = pushed(&events);
    assert_eq!(push.len(), 1, "{events:#?}");
    assert_eq!(push[0]["database"], true);
    let status = p.api.get("/api/monitor").json()["mirrors"][0].clone();
    assert_eq!(
        (status["name"].as_str(), status["reachable"].as_bool()),
        (Some("attic"), Some(true)),
        "{status}"
    );
    assert_eq!(status["pending_paths"], 0);

    let mdirs = Dirs::new();
    let env = p.mirror_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mirror = Server::start_with(&mdirs, &env);
    std::fs::create_dir_all(mdirs.data().join("nginx")).expect("nginx prefix");
    let nginx = Nginx::start_with(&mdirs, &mirror.addr, 0, &env);
    let through = nginx.client(&p.api);
    let r = through.get("/media/tt0133093/tt0133093.mkv");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        sha256(&r.body),
        f.sha256(),
        "the mirror serves the primary's bytes"
    );
    let page = through.get("/movie/tt0133093/");
    assert_eq!(page.status, 200);
    let anon = Api {
        addr: nginx.addr.clone(),
        auth: vec![],
    };
    assert_eq!(
        anon.get("/media/tt0133093/tt0133093.mkv").status,
        401,
        "not without a login"
    );
    assert_eq!(anon.get("/movie/tt0133093/").status, 401);
    // A mirror refuses changes.
    let other = FileSpec::new("other.mkv", 3000, 9);
    assert_error(
        &p.api.at(&mirror.addr).init(&other, "tt0078748", ""),
        403,
        "read_only_mirror",
    );

    // A new title reaches the running mirror; its database copy is followed.
    p.title("tt0078748", 5000, 2);
    assert_eq!(p.once(&[]).0, 0);
    let v = p.api.at(&mirror.addr).get("/api/library/movies/tt0078748");
    assert_eq!(
        v.status,
        200,
        "the mirror reads the new database: {}",
        v.text()
    );
    assert_eq!(through.get("/media/tt0078748/tt0078748.mkv").status, 200);

    // With the primary still (its workers write to the database now and then), a pass pushes
    // what is left, and the next one nothing at all.
    let mut p = p;
    if let Some(s) = p.primary.take() {
        s.kill();
    }
    assert_eq!(p.once(&[]).0, 0);
    let (code, again) = p.once(&[]);
    assert_eq!(code, 0);
    assert!(
        pushed(&again).is_empty(),
        "an idle pass pushes nothing: {again:#?}"
    );
}

/// Waits until the mirror holds part of a transfer (rsync's temporary or partial file).
fn transfer_under_way(mirror: &Path) {
    wait_for(30, "a transfer under way", || {
        let mut stack = vec![mirror.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if e.file_name().to_string_lossy().starts_with('.')
                    && std::fs::metadata(&p).is_ok_and(|m| m.len() > 200_000)
                {
                    return Some(());
                }
            }
        }
        None
    });
}

fn children_named(pid: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(n) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{n}/stat")).unwrap_or_default();
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if ppid == pid && comm.ends_with(&format!("({name}")) {
            out.push(n);
        }
    }
    out
}

#[test]
fn a_push_killed_at_the_agent_or_at_rsync_leaves_a_consistent_mirror_and_the_next_run_completes() {
    let p = Pair::new();
    p.title("tt0133093", 3_000_000, 1);
    assert_eq!(p.once(&[]).0, 0);
    for (round, id) in [(0, "tt0078748"), (1, "tt0090605")] {
        p.title(id, 8_000_000, 10 + round);
        let mut agent = p
            .sync(&["--once", "--bwlimit", "1500"])
            .stdout(Stdio::null())
            .spawn()
            .expect("sync");
        transfer_under_way(&p.mirror);
        if round == 0 {
            agent.kill().expect("kill -9 the agent");
        } else {
            let rsync = children_named(agent.id(), "rsync");
            assert!(!rsync.is_empty(), "rsync runs under the agent");
            // SAFETY: killing a process of this test's own.
            unsafe { libc::kill(rsync[0] as libc::pid_t, libc::SIGKILL) };
        }
        let _ = agent.wait();
        assert_consistent(&p, &["tt0133093", id]);
        assert!(
            !p.on_mirror(&format!("data/site/movie/{id}.html")).exists(),
            "the page comes after its movie"
        );
        let (code, events) = p.once(&[]);
        assert_eq!(code, 0, "{events:#?}");
        assert_consistent(&p, &["tt0133093", id]);
        assert!(p.on_mirror(&format!("data/site/movie/{id}.html")).exists());
    }
    assert_eq!(
        tree(&p.mirror.join("media/1")),
        tree(&p.dirs.media())
            .into_iter()
            .filter(|(r, _)| !r.starts_with("uploads"))
            .collect::<Vec<_>>()
    );
}

/// An sshd on 127.0.0.1 that lets this user in with a key made for the test: a mirror as an ssh
/// target (`user@127.0.0.1:/path`), reached by rsync over ssh with `RSYNC_RSH` naming the port
/// and the key.
struct Sshd {
    child: Child,
    rsh: String,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(sshd.exists(), "sshd (make test installs openssh-server)");
        std::fs::create_dir_all(dir).expect("ssh dir");
        for key in ["host", "user"] {
            let _ = std::fs::remove_file(dir.join(key));
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .status()
                .expect("ssh-keygen");
            assert!(ok.success(), "ssh-keygen");
        }
        std::fs::copy(dir.join("user.pub"), dir.join("authorized_keys")).expect("authorized_keys");
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } == 0 {
            // sshd run by root wants its privilege separation folder.
            std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        }
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
                dir.join("host").display(),
                dir.join("authorized_keys").display()
            ),
        )
        .expect("sshd_config");
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Sshd {
            child,
            rsh: format!(
                "ssh -p {port} -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                 -o BatchMode=yes -o LogLevel=ERROR",
                dir.join("user").display()
            ),
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mirror that is an ssh target gets the same push as an rsync daemon's module: the media,
/// the database snapshot and the pages, whole; a second pass has nothing to send.
#[test]
fn a_mirror_reached_over_ssh_gets_the_library_and_a_second_pass_sends_nothing() {
    let p = Pair::new();
    let f = p.title("tt0133093", 120_000, 9);
    let sshd = Sshd::start(&p.dirs.path("ssh"));
    let user = String::from_utf8(
        Command::new("id")
            .arg("-un")
            .output()
            .expect("id -un")
            .stdout,
    )
    .expect("user name");
    let target = p.dirs.path("over-ssh");
    std::fs::create_dir_all(&target).expect("target");
    let mirror = format!("far={}@127.0.0.1:{}", user.trim(), target.display());
    let run = || {
        let out = p
            .sync_to(&mirror, &["--once"])
            .env("RSYNC_RSH", &sshd.rsh)
            .output()
            .expect("oott-agent sync");
        let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (out.status.code().unwrap_or(-1), events)
    };
    let (code, events) = run();
    assert_eq!(code, 0, "{events:#?}");
    assert_eq!(
        sha256_file(&target.join("media/1/tt0133093/tt0133093.mkv")),
        f.sha256()
    );
    assert!(
        target.join("data/oott.db").exists(),
        "the database snapshot"
    );
    assert!(
        target.join("data/site/movie/tt0133093.html").exists(),
        "the page"
    );
    let (code, events) = run();
    assert_eq!(code, 0, "{events:#?}");
    assert!(
        pushed(&events)
            .iter()
            .all(|e| e["media"] == 0 && e["pages"] == 0),
        "nothing to send: {events:#?}"
    );
}

/// Flips a bit of the byte at `at`, keeping the file's size and time: only its contents tell.
fn flip(path: &Path, at: usize) {
    let mtime = std::fs::metadata(path)
        .expect("the file")
        .modified()
        .expect("mtime");
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x40;
    std::fs::write(path, &bytes).expect("flip");
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(mtime)
        .expect("touch");
}

#[test]
fn the_audit_finds_and_repairs_a_flipped_byte() {
    let p = Pair::new();
    let f = p.title("tt0133093", 200_000, 3);
    assert_eq!(p.once(&[]).0, 0);
    let copy = p.on_mirror("media/1/tt0133093/tt0133093.mkv");
    flip(&copy, 100_000);
    let plain = p.once(&[]).1;
    assert!(
        pushed(&plain).iter().all(|e| e["media"] == 0),
        "a plain pass does not see it: {plain:#?}"
    );
    let (code, events) = p.once(&["--audit"]);
    assert_eq!(code, 0, "{events:#?}");
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "audit_difference")
        .collect();
    assert_eq!(found.len(), 1, "{events:#?}");
    assert_eq!(found[0]["path"], "media/1/tt0133093/tt0133093.mkv");
    assert_eq!(sha256_file(&copy), f.sha256(), "repaired");
}

/// A byte flipped on the primary (size and time kept, so only the contents tell): the audit
/// finds that its copy no longer matches the SHA-256 its row recorded, does not push it over
/// the mirror's good copy, and heals it from that copy. When the mirror's copy is damaged too,
/// neither is overwritten and the error is told.
#[test]
fn the_audit_heals_a_damaged_primary_file_from_the_mirror_and_never_pushes_it() {
    let p = Pair::new();
    let f = p.title("tt0133093", 200_000, 5);
    assert_eq!(p.once(&[]).0, 0);
    let own = p.dirs.media().join("tt0133093/tt0133093.mkv");
    let copy = p.on_mirror("media/1/tt0133093/tt0133093.mkv");
    flip(&own, 150_000);
    let (code, events) = p.once(&["--audit"]);
    assert_eq!(code, 0, "{events:#?}");
    let named = |kind: &str| {
        events
            .iter()
            .filter(|e| e["event"] == kind && e["path"] == "media/1/tt0133093/tt0133093.mkv")
            .count()
    };
    assert_eq!(named("audit_primary_damaged"), 1, "{events:#?}");
    assert_eq!(named("audit_healed"), 1, "{events:#?}");
    assert_eq!(named("audit_difference"), 0, "nothing pushed: {events:#?}");
    assert_eq!(sha256_file(&copy), f.sha256(), "the mirror's copy kept");
    assert_eq!(sha256_file(&own), f.sha256(), "the primary's copy healed");
    assert!(
        std::fs::read_dir(own.parent().expect("folder"))
            .expect("folder")
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().contains(".tmp-")),
        "no temporary file left"
    );

    // Both damaged: each keeps its bytes, and the audit says so.
    flip(&own, 10);
    flip(&copy, 20);
    let (own_before, copy_before) = (sha256_file(&own), sha256_file(&copy));
    let (_, events) = p.once(&["--audit"]);
    assert!(
        events.iter().any(|e| e["event"] == "error"
            && e["path"] == "media/1/tt0133093/tt0133093.mkv"
            && e["error"]
                .as_str()
                .is_some_and(|m| m.contains("does not match"))),
        "{events:#?}"
    );
    assert_eq!(sha256_file(&own), own_before);
    assert_eq!(sha256_file(&copy), copy_before);
}

/// The files of a title in the primary's library (every one a row).
fn files_of(p: &Pair, id: &str) -> usize {
    tree(&p.dirs.media().join(id)).len()
}

#[test]
fn the_background_audit_repairs_a_flipped_byte_at_its_own_pace() {
    let p = Pair::new();
    let f = p.title("tt0133093", 200_000, 4);
    assert_eq!(p.once(&[]).0, 0);
    let copy = p.on_mirror("media/1/tt0133093/tt0133093.mkv");
    flip(&copy, 5);
    let mut agent = p
        .sync(&["--audit-rate", "1M", "--interval", "0.2"])
        .stdout(Stdio::null())
        .spawn()
        .expect("sync");
    wait_for(60, "the background audit's repair", || {
        (sha256_file(&copy) == f.sha256()).then_some(())
    });
    let _ = agent.kill();
    let _ = agent.wait();
}

#[test]
fn a_mirror_down_during_three_changes_catches_up_and_a_restart_pushes_only_what_is_pending() {
    let mut p = Pair::new();
    p.title("tt0133093", 100_000, 1);
    assert_eq!(p.once(&[]).0, 0);
    let port = p.daemon.port;
    p.daemon.stop();
    let ids = ["tt0078748", "tt0090605", "tt0118583"];
    for (i, id) in ids.iter().enumerate() {
        p.title(id, 50_000, 20 + i as u64);
    }
    let (code, events) = p.once(&[]);
    assert_eq!(code, 2, "the mirror is down: {events:#?}");
    assert!(events.iter().any(|e| e["event"] == "error"), "{events:#?}");
    p.daemon = Daemon::start(&p.mirror.clone(), port);
    let (code, events) = p.once(&[]);
    assert_eq!(code, 0, "{events:#?}");
    let want: usize = ids.iter().map(|id| files_of(&p, id)).sum();
    assert_eq!(
        pushed(&events)[0]["media"],
        want as u64,
        "only the three new titles' files: {events:#?}"
    );
    assert_consistent(&p, &ids);
    for id in ids {
        assert!(
            p.on_mirror(&format!("data/site/movie/{id}.html")).exists(),
            "{id}"
        );
    }

    // Killed with a title on its way, the agent run again pushes that title and no other.
    p.title("tt0114814", 6_000_000, 30);
    let mut agent = p
        .sync(&["--bwlimit", "1500"])
        .stdout(Stdio::null())
        .spawn()
        .expect("sync");
    transfer_under_way(&p.mirror);
    agent.kill().expect("kill -9");
    let _ = agent.wait();
    let (code, events) = p.once(&[]);
    assert_eq!(code, 0, "{events:#?}");
    assert_eq!(
        pushed(&events)[0]["media"],
        files_of(&p, "tt0114814") as u64,
        "{events:#?}"
    );
    assert_consistent(&p, &["tt0114814"]);
}

#[test]
fn a_burst_of_five_thousand_site_changes_converges_to_an_identical_mirror() {
    let p = Pair::new();
    p.title("tt0133093", 10_000, 1);
    let mut agent = p
        .sync(&["--interval", "0.2"])
        .stdout(Stdio::null())
        .spawn()
        .expect("sync");
    let site = p.dirs.data().join("site");
    wait_for(30, "the first push", || {
        p.on_mirror("data/site/movie/tt0133093.html")
            .exists()
            .then_some(())
    });
    let burst = site.join("burst");
    std::fs::create_dir_all(&burst).expect("burst dir");
    for i in 0..5000 {
        std::fs::write(burst.join(format!("{i}.json")), format!("{{\"n\": {i}}}")).expect("write");
    }
    let want = tree(&site);
    wait_for(90, "an identical mirror", || {
        (tree(&p.on_mirror("data/site")) == want).then_some(())
    });
    let _ = agent.kill();
    let _ = agent.wait();
}

#[test]
fn a_promoted_mirror_accepts_an_upload_and_is_pushed_to_no_more() {
    let p = Pair::new();
    p.title("tt0133093", 10_000, 1);
    assert_eq!(p.once(&[]).0, 0);
    let env = p.mirror_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut promote = Command::new(crate::support::receiver_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("OOTT_") {
            promote.env_remove(k);
        }
    }
    let out = promote
        .arg("promote")
        .envs(env.iter().copied())
        .output()
        .expect("promote");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mdirs = Dirs::new();
    let promoted = Server::start_with(&mdirs, &env);
    let api = p.api.at(&promoted.addr);
    let f = FileSpec::new("alien.mkv", 4000, 7);
    api.upload(&f, "tt0078748");
    let filed = p.on_mirror("media/1/tt0078748/tt0078748.mkv");
    assert_eq!(sha256_file(&filed), f.sha256());
    // The old primary changes on: nothing of it goes to the promoted copy.
    p.title("tt0090605", 5_000, 8);
    let (code, events) = p.once(&[]);
    assert_eq!(code, 2, "{events:#?}");
    let err = events
        .iter()
        .find(|e| e["event"] == "error")
        .expect("an error");
    assert!(
        err["error"].as_str().unwrap_or("").contains("promoted"),
        "{err}"
    );
    assert!(!p.on_mirror("media/1/tt0090605").exists(), "nothing pushed");
}
