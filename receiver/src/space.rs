//! Whether new bytes fit: each library root's free space as the server measures it, less the
//! reserve (kept on every root) and what unfinished uploads on that root still need, and the
//! optional library quota over all roots. A new title goes to the root with the most room.

use serde::Serialize;
use store::config::Root;
use store::{UploadId, UploadState};

use crate::disk;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::Shared;

/// One root's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RootSpace {
    pub name: String,
    pub path: String,
    pub disk_total: u64,
    pub disk_free: u64,
    /// Bytes of the library on this root.
    pub library_bytes: u64,
    /// Bytes unfinished uploads on this root have declared but not yet sent.
    pub pending_bytes: u64,
    /// What new uploads may still take here.
    pub usable: u64,
    #[serde(skip)]
    pending: Vec<(UploadId, u64, u64)>,
    #[serde(skip)]
    reserve: u64,
}

impl RootSpace {
    /// Bytes that can still be written here, after the reserve and what unfinished uploads
    /// other than those in `except` have been promised.
    pub fn usable(&self, except: &[UploadId]) -> u64 {
        let to_send = self
            .pending
            .iter()
            .filter(|(id, ..)| !except.contains(id))
            .fold(0u64, |a, (_, size, held)| {
                a.saturating_add(size.saturating_sub(*held))
            });
        self.disk_free
            .saturating_sub(self.reserve)
            .saturating_sub(to_send)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Space {
    /// Totals over every root.
    pub disk_total: u64,
    pub disk_free: u64,
    pub reserve: u64,
    pub quota: Option<u64>,
    pub library_bytes: u64,
    /// Bytes unfinished uploads have declared but not yet sent.
    pub pending_bytes: u64,
    pub roots: Vec<RootSpace>,
}

impl Space {
    /// Measures now.
    pub async fn measure(st: &Shared) -> ApiResult<Space> {
        let roots = st.config.roots();
        let live = st.live();
        let (reserve, quota) = (live.disk_reserve, live.library_quota);
        let store = st.store.clone();
        tokio::task::spawn_blocking(move || Space::measure_blocking(&roots, reserve, quota, &store))
            .await?
    }

    /// Measures now, on the calling thread.
    pub fn measure_blocking(
        roots: &[Root],
        reserve: u64,
        quota: Option<u64>,
        store: &store::Store,
    ) -> ApiResult<Space> {
        let per_root = store.bytes_per_root()?;
        let uploads = store.active_uploads()?;
        let mut out = Vec::with_capacity(roots.len());
        for root in roots {
            let (disk_total, disk_free) = disk::space(&root.path)?;
            let mut pending = Vec::new();
            for u in uploads.iter().filter(|u| u.root == root.name) {
                debug_assert_eq!(u.state, UploadState::Active);
                let part = root.path.join(store::layout::upload_part(&u.upload_id));
                let held = disk::file_len(&part)?.unwrap_or(0);
                pending.push((u.upload_id.clone(), u.size, held));
            }
            let pending_bytes = pending.iter().fold(0u64, |a, (_, size, held)| {
                a.saturating_add(size.saturating_sub(*held))
            });
            out.push(RootSpace {
                name: root.name.clone(),
                path: root.path.display().to_string(),
                disk_total,
                disk_free,
                library_bytes: per_root
                    .iter()
                    .find(|(n, _)| *n == root.name)
                    .map_or(0, |(_, b)| *b),
                pending_bytes,
                usable: disk_free
                    .saturating_sub(reserve)
                    .saturating_sub(pending_bytes),
                pending,
                reserve,
            });
        }
        let stats = store.library_stats()?;
        let sum = |f: fn(&RootSpace) -> u64| out.iter().fold(0u64, |a, r| a.saturating_add(f(r)));
        Ok(Space {
            disk_total: sum(|r| r.disk_total),
            disk_free: sum(|r| r.disk_free),
            reserve,
            quota,
            library_bytes: stats.bytes as u64,
            pending_bytes: sum(|r| r.pending_bytes),
            roots: out,
        })
    }

    pub fn root(&self, name: &str) -> Option<&RootSpace> {
        self.roots.iter().find(|r| r.name == name)
    }

    /// Checks the quota for `more` new bytes, not counting the uploads in `except`.
    fn check_quota(&self, more: u64, except: &[UploadId]) -> ApiResult<()> {
        let Some(quota) = self.quota else {
            return Ok(());
        };
        let declared = self
            .roots
            .iter()
            .flat_map(|r| r.pending.iter())
            .filter(|(id, ..)| !except.contains(id))
            .fold(0u64, |a, (_, size, _)| a.saturating_add(*size));
        let used = self.library_bytes.saturating_add(declared);
        if used.saturating_add(more) > quota {
            return Err(ApiError::new(
                Code::QuotaExceeded,
                format!(
                    "{more} bytes do not fit in the library quota: {used} of {quota} bytes are used"
                ),
            ));
        }
        Ok(())
    }

    /// Where `more` new bytes go: on `on` when given (a title's own root), else on the root
    /// with the most room that can hold them. Uploads in `except` are not counted.
    pub fn pick(&self, more: u64, except: &[UploadId], on: Option<&str>) -> ApiResult<String> {
        let candidates: Vec<&RootSpace> = match on {
            Some(name) => self.root(name).into_iter().collect(),
            None => self.roots.iter().collect(),
        };
        // The most room; on a tie, the disk listed first.
        let best = candidates
            .into_iter()
            .rev()
            .max_by_key(|r| r.usable(except));
        let Some(best) = best.filter(|r| r.usable(except) >= more) else {
            let room = best.map_or(0, |r| r.usable(except));
            let place = match on {
                Some(name) => format!("on disk {name}, where this title is"),
                None => "on any disk".to_owned(),
            };
            return Err(ApiError::new(
                Code::DiskFull,
                format!(
                    "{more} bytes do not fit: {room} bytes are free {place} after the {} byte reserve and unfinished uploads",
                    self.reserve
                ),
            ));
        };
        self.check_quota(more, except)?;
        Ok(best.name.clone())
    }

    /// Whether all of `sizes` fit at once, each on one root (largest first, each where the most
    /// room is left), and within the quota.
    pub fn fits_all(&self, sizes: &[u64], except: &[UploadId]) -> ApiResult<()> {
        let mut room: Vec<u64> = self.roots.iter().map(|r| r.usable(except)).collect();
        let mut sorted = sizes.to_vec();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        for size in sorted.iter().copied().filter(|s| *s > 0) {
            let Some((i, _)) = room.iter().enumerate().max_by_key(|(_, r)| **r) else {
                break;
            };
            if room[i] < size {
                return Err(ApiError::new(
                    Code::DiskFull,
                    format!(
                        "the selection does not fit: a file of {size} bytes finds no disk with room for it after the {} byte reserve and what the other files and unfinished uploads take",
                        self.reserve
                    ),
                ));
            }
            room[i] -= size;
        }
        let total = sizes.iter().fold(0u64, |a, s| a.saturating_add(*s));
        self.check_quota(total, except)
    }
}
