//! Running `oott-agent` in tests: a configuration folder of its own, the server and token by
//! environment, JSON events read line by line, a pseudo-terminal for interactive runs, and
//! ffmpeg-made movie files.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Api, Server};

pub struct Agent {
    home: tempfile::TempDir,
    pub server: String,
    pub token: Option<String>,
}

/// A finished run: its exit code, its events (every stdout line parsed as JSON) and stderr.
pub struct Run {
    pub code: i32,
    pub events: Vec<Value>,
    pub stderr: String,
}

impl Run {
    pub fn of(&self, event: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == event).collect()
    }

    pub fn summary(&self) -> &Value {
        let s = self.of("summary");
        assert_eq!(
            s.len(),
            1,
            "one summary: {:#?}\n{}",
            self.events,
            self.stderr
        );
        s[0]
    }
}

/// The bearer token a support client holds.
pub fn token_of(api: &Api) -> String {
    api.auth
        .iter()
        .find_map(|(k, v)| {
            (k == "Authorization").then(|| v.trim_start_matches("Bearer ").to_owned())
        })
        .expect("a token client")
}

impl Agent {
    /// An agent for `server`, with the admin's token in `OOTT_TOKEN`.
    pub fn new(server: &Server, api: &Api) -> Agent {
        Agent::at(&format!("http://{}", server.addr), Some(token_of(api)))
    }

    pub fn at(server: &str, token: Option<String>) -> Agent {
        Agent {
            home: tempfile::tempdir().expect("agent home"),
            server: server.to_owned(),
            token,
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oott-agent"));
        for (k, _) in std::env::vars() {
            if k.starts_with("OOTT_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .env("OOTT_AGENT_HOME", self.home.path())
            .env("OOTT_SERVER", &self.server)
            .stdin(Stdio::null());
        if let Some(t) = &self.token {
            cmd.env("OOTT_TOKEN", t);
        }
        cmd
    }

    /// Runs `upload --json …` without a terminal; every stdout line must be a JSON event.
    pub fn upload(&self, args: &[&str]) -> Run {
        let mut all = vec!["upload", "--json", "--verbose"];
        all.extend_from_slice(args);
        let out = self.command(&all).output().expect("run oott-agent");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let events = stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\nstderr: {stderr}"));
                assert!(v["event"].is_string(), "an event field: {l}");
                v
            })
            .collect();
        Run {
            code: out.status.code().unwrap_or(-1),
            events,
            stderr,
        }
    }

    /// Starts `upload --json …` and hands back the child, its stdout lines collected as they come.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut all = vec!["upload", "--json"];
        all.extend_from_slice(args);
        let mut child = self
            .command(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start oott-agent");
        let lines = Arc::new(Mutex::new(Vec::<Value>::new()));
        let (seen, mut out) = (lines.clone(), child.stdout.take().expect("stdout"));
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            for l in text.lines() {
                if let Ok(v) = serde_json::from_str(l) {
                    seen.lock().unwrap_or_else(|e| e.into_inner()).push(v);
                }
            }
        });
        Running { child, lines }
    }
}

pub struct Running {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<Value>>>,
}

impl Running {
    pub fn wait(mut self, secs: u64) -> (i32, Vec<Value>) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The reader thread sees the pipe close with the process.
                std::thread::sleep(Duration::from_millis(200));
                let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone();
                return (status.code().unwrap_or(-1), lines);
            }
            assert!(
                Instant::now() < deadline,
                "oott-agent did not finish in {secs} s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A process on a pseudo-terminal: what it writes is collected, lines are typed into it.
pub struct Pty {
    master: std::fs::File,
    pub child: Child,
    out: Arc<Mutex<String>>,
    seen: usize,
}

impl Pty {
    pub fn spawn(mut cmd: Command) -> Pty {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two descriptors into the integers given; the rest may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup"));
        cmd.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
        // SAFETY: between fork and exec only async-signal-safe calls: a new session whose
        // controlling terminal is the pseudo-terminal, as a login shell would have.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start on a pseudo-terminal");
        drop(slave);
        let master = std::fs::File::from(master);
        let out = Arc::new(Mutex::new(String::new()));
        let (mut reader, seen) = (master.try_clone().expect("dup"), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Reading ends with EIO once the last process on the terminal is gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Pty {
            master,
            child,
            out,
            seen: 0,
        }
    }

    /// Waits for `text` after what was already expected; answers everything up to it.
    pub fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            {
                let out = self.out.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(at) = out[self.seen..].find(text) {
                    let upto = out[self.seen..self.seen + at + text.len()].to_owned();
                    self.seen += at + text.len();
                    return upto;
                }
                assert!(
                    Instant::now() < deadline,
                    "waited for {text:?}; the terminal shows:\n{}",
                    &out[self.seen..]
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line.
    pub fn send(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\r").as_bytes())
            .expect("type into the terminal");
    }

    /// Everything shown so far.
    pub fn shown(&self) -> String {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn wait(&mut self, secs: u64) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "oott-agent did not finish; the terminal shows:\n{}",
                self.shown()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes a short movie with ffmpeg: `big` ones are uncompressed AVI (about 11 MiB for 4 s),
/// others small H.264 in the container the name's extension says.
pub fn movie(path: &Path, seconds: u32, big: bool) -> PathBuf {
    movie_titled(path, seconds, big, None)
}

/// The same, with the container's own title tag.
pub fn movie_titled(path: &Path, seconds: u32, big: bool, title: Option<&str>) -> PathBuf {
    std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
    let t = seconds.to_string();
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i"]);
    if big {
        cmd.args([
            "testsrc2=size=320x240:rate=25",
            "-t",
            &t,
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "avi",
        ]);
    } else {
        cmd.args([
            "testsrc=size=160x120:rate=10",
            "-t",
            &t,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ]);
        if path.extension().is_some_and(|e| e == "avi") {
            cmd.args(["-f", "avi"]);
        }
    }
    if let Some(t) = title {
        cmd.args(["-metadata", &format!("title={t}")]);
    }
    let status = cmd
        .arg(path)
        .status()
        .expect("ffmpeg (make test installs it)");
    assert!(status.success(), "ffmpeg made no {}", path.display());
    path.to_path_buf()
}

/// The file filed for a title: `<media>/<id>/<id>.<ext>` (the first movie file there).
pub fn filed(media: &Path, id: &str) -> Option<PathBuf> {
    let dir = media.join(id);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            stem == id && ["avi", "mkv", "mp4"].contains(&ext.as_str())
        })
        .collect();
    found.sort();
    found.into_iter().next()
}
