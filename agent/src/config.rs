//! Where the agent keeps what it knows between runs (the login, the remembered uploads) and how
//! it writes it: a temporary file, fsync, rename, so a killed agent leaves the old or the new
//! file, never half of one.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The agent's own folder: `$OOTT_AGENT_HOME`, else `$XDG_CONFIG_HOME/oott-agent`, else
/// `~/.config/oott-agent`.
pub fn dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("OOTT_AGENT_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("oott-agent"));
    }
    let home = std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .context("neither HOME nor XDG_CONFIG_HOME is set: nowhere to keep the login")?;
    Ok(PathBuf::from(home).join(".config").join("oott-agent"))
}

/// Writes `bytes` to `path` whole or not at all, readable by the owner only when `private`,
/// and on the disk before it answers.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    write_whole(path, bytes, private, true)
}

/// Writes `bytes` to `path` whole or not at all (a temporary name, then a rename); waits for
/// the disk only when `durable`.
pub fn write_whole(path: &Path, bytes: &[u8], private: bool, durable: bool) -> anyhow::Result<()> {
    let dir = path.parent().context("a file to write has a folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .context("a file to write has a name")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if durable {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Reads a JSON file the agent wrote; a missing file is `None`.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The stored login: which server, as whom, and the API token made for this agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub server: String,
    pub user: String,
    pub token: String,
    pub token_id: Option<i64>,
}

impl Login {
    fn path() -> anyhow::Result<PathBuf> {
        Ok(dir()?.join("login.json"))
    }

    pub fn load() -> anyhow::Result<Option<Login>> {
        read_json(&Self::path()?)
    }

    /// Keeps the login, readable by its owner only (mode 0600).
    pub fn save(&self) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        write_atomic(&Self::path()?, &bytes, true)
    }

    pub fn forget() -> anyhow::Result<()> {
        match std::fs::remove_file(Self::path()?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// A server address as the agent keeps it: no trailing slash, `http://` when none is given.
pub fn normalise_server(s: &str) -> String {
    let s = s.trim().trim_end_matches('/');
    if s.contains("://") {
        s.to_owned()
    } else {
        format!("http://{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn an_atomic_write_replaces_whole_and_a_private_one_is_the_owners_only() {
        let d = tempfile::tempdir().expect("dir");
        let p = d.path().join("sub/login.json");
        write_atomic(&p, b"one", true).expect("write");
        write_atomic(&p, b"two", true).expect("write again");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let left: Vec<_> = std::fs::read_dir(p.parent().expect("dir"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
    }

    #[test]
    fn servers_are_kept_in_one_form() {
        assert_eq!(
            normalise_server("example.org:8490/"),
            "http://example.org:8490"
        );
        assert_eq!(normalise_server("https://x.org/"), "https://x.org");
    }
}
