//! What the agent remembers of local files between runs: the title the person confirmed for a
//! file and the upload id it was given. Never the progress: the offset always comes from the
//! server. Kept in `<config>/uploads.json`, written whole after every change.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config;
use crate::scan::Movie;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Remembered {
    pub content_id: Option<String>,
    pub upload_id: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    files: BTreeMap<String, Remembered>,
    #[serde(skip)]
    path: PathBuf,
}

impl Memory {
    pub fn load() -> anyhow::Result<Memory> {
        let path = config::dir()?.join("uploads.json");
        let mut m: Memory = config::read_json(&path)?.unwrap_or_default();
        m.path = path;
        Ok(m)
    }

    /// A file is the same file while its path, size and modification time are.
    fn key(server: &str, m: &Movie) -> String {
        let path = std::fs::canonicalize(&m.path).unwrap_or_else(|_| m.path.clone());
        format!(
            "{server}\t{}\t{}\t{}",
            path.display(),
            m.size,
            m.last_modified
        )
    }

    pub fn get(&self, server: &str, m: &Movie) -> Remembered {
        self.files
            .get(&Self::key(server, m))
            .cloned()
            .unwrap_or_default()
    }

    /// Changes what is remembered of a file and writes it down at once.
    pub fn update(
        &mut self,
        server: &str,
        m: &Movie,
        f: impl FnOnce(&mut Remembered),
    ) -> anyhow::Result<()> {
        f(self.files.entry(Self::key(server, m)).or_default());
        self.save()
    }

    /// Forgets a file (it is in the library now).
    pub fn forget(&mut self, server: &str, m: &Movie) -> anyhow::Result<()> {
        if self.files.remove(&Self::key(server, m)).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> anyhow::Result<()> {
        config::write_atomic(&self.path, &serde_json::to_vec_pretty(self)?, true)
    }
}
