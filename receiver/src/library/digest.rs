//! The SHA-256 of every library file, recorded in its row once the file is in place (and again
//! after it changed): the backup mirrors' audit (`oott-agent sync --audit`) holds both the
//! primary's copy and each mirror's to it, so a damaged copy is never pushed over a good one.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::state::Shared;

/// Rows read at a time.
const BATCH: usize = 16;

/// Reads and records, a file at a time, the sums rows lack; forever.
pub async fn digest_forever(st: Shared) {
    // Rows whose file could not be read as the row says (missing, another size): the library
    // check corrects them, and their row, rewritten, is read again then.
    let mut passed: HashSet<(String, String, i64)> = HashSet::new();
    loop {
        let limit = BATCH + passed.len();
        let rows = match st.db(move |s| s.library_files_without_sha256(limit)).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("files to sum: {}", e.message);
                Vec::new()
            }
        };
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|f| !passed.contains(&(f.root.clone(), f.path.clone(), f.mtime)))
            .collect();
        let mut done = 0;
        for f in rows {
            let root = if f.root.is_empty() {
                "1"
            } else {
                f.root.as_str()
            };
            let Ok(base) = st.root_path(root) else {
                passed.insert((f.root.clone(), f.path.clone(), f.mtime));
                continue;
            };
            let (path, size) = (base.join(&f.path), f.size);
            match tokio::task::spawn_blocking(move || sum_if_size(&path, size)).await {
                Ok(Some(sum)) => {
                    if let Err(e) = st.db(move |s| s.set_library_file_sha256(&f, &sum)).await {
                        tracing::warn!("recording a file's SHA-256: {}", e.message);
                    }
                    done += 1;
                }
                _ => {
                    passed.insert((f.root.clone(), f.path.clone(), f.mtime));
                }
            }
        }
        if passed.len() > 10_000 {
            passed.clear();
        }
        let pause = if done == 0 { 5_000 } else { 50 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// The SHA-256 of a file's contents in lowercase hex, when it has the size its row says.
pub fn sum_if_size(path: &Path, size: u64) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    if f.metadata().ok()?.len() != size {
        return None;
    }
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(store::hex(&h.finalize()))
}
