//! Running the real `rsync` for a list of paths: resumable into a dot folder nothing serves,
//! never in place, killed with the agent, and what it sent read from its `--stats`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Where an interrupted transfer keeps what arrived, inside each destination folder: a dot
/// name, which nginx never serves, and never the file's own name.
pub const PARTIAL_DIR: &str = ".oott-partial";

/// How a list is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Copy the listed files, each put in place whole when the batch is done.
    Push,
    /// Copy the listed files whatever their sizes and times say (the audit's repair).
    Repair,
    /// Delete the listed paths at the destination (they are gone from the source).
    Delete,
    /// Change nothing; list the listed files whose contents differ.
    Compare,
}

/// What one rsync run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub bytes_sent: u64,
    /// With `Compare`: the listed paths whose contents differ.
    pub differing: Vec<String>,
}

/// How long rsync waits on a silent connection; for an rsync daemon also how long it may take
/// to connect, and no waiting to gather small writes: with Nagle's algorithm each run's
/// handshake stalled twice on the peer's delayed acknowledgement (0.14 s a run on loopback
/// against 0.01 s). rsync refuses both for an ssh target, whose connection is ssh's.
fn connection_options(url: &str) -> Vec<&'static str> {
    if url.starts_with("rsync://") || url.contains("::") {
        vec!["--timeout=60", "--contimeout=10", "--sockopts=TCP_NODELAY"]
    } else {
        vec!["--timeout=60"]
    }
}

pub struct Rsync {
    pub bwlimit: Option<String>,
}

/// The first line rsync wrote to its error output.
fn first_error_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .to_owned()
}

impl Rsync {
    /// An rsync command towards or from `url`, with the timeouts and the byte rate, that dies
    /// with the agent.
    fn command(&self, url: &str) -> Command {
        let mut cmd = Command::new("rsync");
        cmd.args(connection_options(url));
        if let Some(rate) = &self.bwlimit {
            cmd.arg(format!("--bwlimit={rate}"));
        }
        // SAFETY: between fork and exec only prctl, which is async-signal-safe: rsync dies with
        // the agent, so a killed agent leaves no transfer running on.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        cmd
    }

    /// Fetches one file from a URL (or ssh target) to a local path, with its time.
    pub fn fetch(&self, from: &str, to: &Path) -> anyhow::Result<()> {
        let out = self
            .command(from)
            .arg("-t")
            .arg(from)
            .arg(to)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("starting rsync (is it installed?)")?;
        if !out.status.success() {
            let first = first_error_line(&out.stderr);
            bail!("rsync from {from} failed ({}): {first}", out.status);
        }
        Ok(())
    }

    /// Runs rsync over `paths` (relative to `from`) towards `to` (a folder URL or ssh target,
    /// ending in `/`).
    pub fn run(
        &self,
        mode: Mode,
        from: &Path,
        paths: &[String],
        to: &str,
    ) -> anyhow::Result<Outcome> {
        if paths.is_empty() {
            return Ok(Outcome::default());
        }
        let mut cmd = self.command(to);
        cmd.args(["-rlpt", "--from0", "--files-from=-", "--mkpath", "--stats"])
            .arg(format!("--partial-dir={PARTIAL_DIR}"));
        match mode {
            Mode::Push => {
                cmd.arg("--delay-updates");
            }
            Mode::Repair => {
                cmd.args(["--delay-updates", "--checksum", "--ignore-times"]);
            }
            Mode::Delete => {
                cmd.args(["--delete-missing-args", "--ignore-missing-args"]);
            }
            Mode::Compare => {
                cmd.args(["--checksum", "--dry-run", "--itemize-changes"]);
            }
        }
        cmd.arg(format!("{}/", from.display()))
            .arg(to)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().context("starting rsync (is it installed?)")?;
        let mut list = Vec::new();
        for p in paths {
            list.extend_from_slice(p.as_bytes());
            list.push(0);
        }
        let mut stdin = child.stdin.take().context("rsync's input")?;
        let feeder = std::thread::spawn(move || stdin.write_all(&list));
        let out = child.wait_with_output().context("waiting for rsync")?;
        let _ = feeder.join();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // 24: some source files vanished on the way (a page replaced meanwhile); the next pass
        // sees them as they are now.
        if !(out.status.success() || out.status.code() == Some(24)) {
            let first = first_error_line(&out.stderr);
            bail!("rsync to {to} failed ({}): {first}", out.status);
        }
        let bytes_sent = stdout
            .lines()
            .find_map(|l| l.strip_prefix("Total bytes sent:"))
            .map(|v| v.trim().replace(',', ""))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let differing = if mode == Mode::Compare {
            stdout
                .lines()
                .filter(|l| l.starts_with("<f") || l.starts_with(">f"))
                .filter_map(|l| l.split_once(' ').map(|(_, p)| p.trim().to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Outcome {
            bytes_sent,
            differing,
        })
    }

    /// Whether a file exists at `url` (an rsync or ssh path), by listing it.
    pub fn exists(&self, url: &str) -> bool {
        self.command(url)
            .arg("--list-only")
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}
