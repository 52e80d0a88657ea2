//! What the agent knows of a mirror, kept in `<data_dir>/sync/<mirror>.json` and written whole
//! after every step: the manifest of what the mirror holds (path, size, modification time), the
//! hash of the database snapshot it has, what is still to push, and how the last pushes went.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config;

/// A file as pushed: its size and modification time (nanoseconds) then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub size: u64,
    pub mtime: i128,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MirrorState {
    /// Mirror path (`media/1/tt…/tt….mkv`, `data/site/…`) → what it holds there.
    #[serde(skip)]
    pub manifest: BTreeMap<String, Entry>,
    /// The SHA-256 of the database snapshot the mirror has.
    pub database: Option<String>,
    /// Paths a push found to do and has not finished, for the status and a restarted agent.
    pub pending: Vec<String>,
    pub pending_bytes: u64,
    pub last_push: Option<i64>,
    /// When the oldest change not yet on the mirror was seen.
    pub behind_since: Option<i64>,
    pub last_audit: Option<i64>,
    /// The last media file the background audit compared.
    #[serde(default)]
    pub audit_cursor: Option<String>,
    pub last_error: Option<String>,
    pub reachable: Option<bool>,
    #[serde(skip)]
    path: PathBuf,
    #[serde(skip)]
    manifest_path: PathBuf,
}

impl MirrorState {
    pub fn load(dir: &Path, name: &str) -> anyhow::Result<MirrorState> {
        let path = dir.join(format!("{name}.json"));
        let manifest_path = dir.join(format!("{name}.manifest.json"));
        let mut s: MirrorState = config::read_json(&path)?.unwrap_or_default();
        s.manifest = config::read_json(&manifest_path)?.unwrap_or_default();
        s.path = path;
        s.manifest_path = manifest_path;
        Ok(s)
    }

    /// Writes the small part: what is pending and how pushes went.
    pub fn save(&self) -> anyhow::Result<()> {
        config::write_atomic(&self.path, &serde_json::to_vec(self)?, true)
    }

    /// Writes the small part as `save` does, without waiting for the disk: between the steps
    /// of a push, where a write lost in a crash only makes the next run push a step again
    /// (rsync then finds the files the same); the push's last `save_all` waits.
    pub fn save_unsynced(&self) -> anyhow::Result<()> {
        config::write_whole(&self.path, &serde_json::to_vec(self)?, true, false)
    }

    /// Writes the manifest too.
    pub fn save_all(&self) -> anyhow::Result<()> {
        config::write_atomic(
            &self.manifest_path,
            &serde_json::to_vec(&self.manifest)?,
            true,
        )?;
        self.save()
    }
}
