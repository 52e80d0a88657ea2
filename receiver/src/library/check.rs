//! The library check (`oott-receiver fsck [--repair]`, and a quick form at start): files in the
//! library root without a row, rows without a file, and files whose size differs from their
//! row. Repairing does only what is safe: a poster, trailer or subtitle the layout names for a
//! title in the library gets its row back; any other file without a row is moved to
//! `<root>/.orphans/` (never deleted); the row of a missing side file is dropped, and a side
//! file's size is corrected. A movie that is missing or whose size differs is only reported:
//! nothing can be done about it safely.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use store::config::Root;
use store::{FileKind, LibraryFile, NewLibraryFile, Store, layout};

/// What a check found, and what a repair did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub checked_at: i64,
    pub repaired: bool,
    /// Rows checked.
    pub rows: usize,
    /// Files found in the root that no row names.
    pub orphans: Vec<String>,
    /// Rows whose file is not there.
    pub missing: Vec<String>,
    /// Files whose size differs from their row: (path, row's size, file's size).
    pub size_differs: Vec<(String, u64, u64)>,
    /// What the repair did, one line each.
    pub actions: Vec<String>,
    /// Findings left as they are (all of them without a repair; missing or changed movies with
    /// one).
    pub unresolved: usize,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty() && self.missing.is_empty() && self.size_differs.is_empty()
    }

    /// The report as lines for a person.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} rows checked: {} files without a row, {} rows without a file, {} sizes differ",
            self.rows,
            self.orphans.len(),
            self.missing.len(),
            self.size_differs.len()
        )];
        out.extend(self.orphans.iter().map(|p| format!("no row: {p}")));
        out.extend(self.missing.iter().map(|p| format!("no file: {p}")));
        out.extend(
            self.size_differs
                .iter()
                .map(|(p, row, disk)| format!("size differs: {p} (row {row} bytes, file {disk})")),
        );
        out.extend(self.actions.iter().cloned());
        out
    }
}

/// Every regular file under `root`, relative and with `/`, leaving out the staging and
/// orphans folders and files being written.
fn files_on_disk(root: &Path) -> std::io::Result<HashMap<String, (u64, i64)>> {
    let mut out = HashMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel == layout::UPLOADS || rel == layout::ORPHANS || layout::is_temp(&name) {
                continue;
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs() as i64);
                out.insert(rel, (meta.len(), mtime));
            }
        }
    }
    Ok(out)
}

/// How much a check may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Only report.
    None,
    /// Give recognised side files of titles in the library their rows back and correct side
    /// files' sizes, nothing else: what the start-up check does, so that files written before
    /// they were rows are kept.
    Adopt,
    /// Everything that is safe (`--repair`).
    All,
}

/// Checks every library root against the rows, and repairs what `repair` allows.
pub fn run(roots: &[Root], store: &Store, repair: Repair) -> anyhow::Result<Report> {
    let rows: Vec<LibraryFile> = store.library_files()?;
    let titles: HashSet<String> = store
        .library_ids()?
        .into_iter()
        .map(|c| c.to_string())
        .collect();
    let mut report = Report {
        checked_at: store::now(),
        repaired: repair != Repair::None,
        rows: rows.len(),
        ..Report::default()
    };
    for row in rows
        .iter()
        .filter(|r| !roots.iter().any(|root| root.name == r.root))
    {
        report
            .missing
            .push(format!("disk {}: {}", row.root, row.path));
        report.unresolved += 1;
    }
    for root in roots {
        // Paths are shown as they are for the first disk, and with the disk's name for others.
        let shown = |rel: &str| {
            if root.name == "1" {
                rel.to_owned()
            } else {
                format!("disk {}: {rel}", root.name)
            }
        };
        let on_root: Vec<&LibraryFile> = rows.iter().filter(|r| r.root == root.name).collect();
        check_root(root, &on_root, &titles, store, repair, &shown, &mut report)?;
    }
    Ok(report)
}

fn check_root(
    root: &Root,
    rows: &[&LibraryFile],
    titles: &HashSet<String>,
    store: &Store,
    repair: Repair,
    shown: &dyn Fn(&str) -> String,
    report: &mut Report,
) -> anyhow::Result<()> {
    let full = repair == Repair::All;
    let disk = files_on_disk(&root.path)?;
    let named: HashSet<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    for row in rows {
        match disk.get(&row.path) {
            None => {
                report.missing.push(shown(&row.path));
                if !full || row.kind == FileKind::Movie {
                    report.unresolved += 1;
                } else {
                    store.forget_library_file(row)?;
                    report
                        .actions
                        .push(format!("dropped the row of missing {}", shown(&row.path)));
                }
            }
            Some(&(size, mtime)) if size != row.size => {
                report.size_differs.push((shown(&row.path), row.size, size));
                // A side file's size is only a record of what is there: safe to correct.
                if repair == Repair::None || row.kind == FileKind::Movie {
                    report.unresolved += 1;
                } else {
                    store.set_library_file_size(row, size, mtime)?;
                    report.actions.push(format!(
                        "recorded the size of {} as {size} bytes",
                        shown(&row.path)
                    ));
                }
            }
            Some(_) => {}
        }
    }
    let mut strangers: Vec<(&String, &(u64, i64))> = disk
        .iter()
        .filter(|(p, _)| !named.contains(p.as_str()) && p.as_str() != layout::ROOT_MARKER)
        .collect();
    strangers.sort();
    for (rel, &(size, mtime)) in strangers {
        if repair == Repair::None {
            report.orphans.push(shown(rel));
            report.unresolved += 1;
            continue;
        }
        // A title's side file is adopted only on the title's own root.
        let adoptable = layout::parse(rel).filter(|p| {
            p.kind != FileKind::Movie
                && titles.contains(p.content_id.as_str())
                && store
                    .title_root(&p.content_id)
                    .ok()
                    .flatten()
                    .is_none_or(|r| r == root.name)
        });
        if let Some(p) = adoptable {
            store.record_library_file(&NewLibraryFile {
                content_id: p.content_id,
                kind: p.kind,
                label: p.label,
                root: root.name.clone(),
                path: rel.clone(),
                size,
                mtime,
            })?;
            report
                .actions
                .push(format!("recorded {} as a file of its title", shown(rel)));
        } else if !full {
            report.orphans.push(shown(rel));
            report.unresolved += 1;
        } else {
            report.orphans.push(shown(rel));
            let to = root.path.join(layout::orphan(rel));
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(root.path.join(rel), &to)?;
            report
                .actions
                .push(format!("moved {} to {}", shown(rel), layout::orphan(rel)));
        }
    }
    Ok(())
}

/// Where the last report is kept, for the monitor.
pub fn report_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("library-check.json")
}

/// Keeps the report for the monitor.
pub fn save(data_dir: &Path, report: &Report) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    crate::disk::write_atomic(&report_path(data_dir), &text)
}

/// The last report kept, if any.
pub fn last(data_dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read(report_path(data_dir)).ok()?;
    serde_json::from_slice(&text).ok()
}
