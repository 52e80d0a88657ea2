//! Whether new bytes fit: the disk's free space as the server measures it, less the reserve and
//! what unfinished uploads still need, and the optional library quota.

use serde::Serialize;
use store::{UploadId, UploadState};

use crate::disk;
use crate::error::{ApiError, ApiResult};
use crate::staging;
use crate::state::Shared;

#[derive(Debug, Clone, Serialize)]
pub struct Space {
    pub disk_total: u64,
    pub disk_free: u64,
    pub reserve: u64,
    pub quota: Option<u64>,
    pub library_bytes: u64,
    /// Bytes unfinished uploads have declared but not yet sent.
    pub pending_bytes: u64,
    #[serde(skip)]
    pending: Vec<(UploadId, u64, u64)>,
}

impl Space {
    /// Measures now.
    pub async fn measure(st: &Shared) -> ApiResult<Space> {
        let root = st.config.media_root.clone();
        let (reserve, quota) = (st.config.disk_reserve, st.config.library_quota);
        let store = st.store.clone();
        tokio::task::spawn_blocking(move || Space::measure_blocking(&root, reserve, quota, &store))
            .await?
    }

    /// Measures now, on the calling thread.
    pub fn measure_blocking(
        root: &std::path::Path,
        reserve: u64,
        quota: Option<u64>,
        store: &store::Store,
    ) -> ApiResult<Space> {
        let (disk_total, disk_free) = disk::space(root)?;
        let stats = store.library_stats()?;
        let mut pending = Vec::new();
        for u in store.active_uploads()? {
            debug_assert_eq!(u.state, UploadState::Active);
            let held = staging::held(root, &u.upload_id)?.unwrap_or(0);
            pending.push((u.upload_id, u.size, held));
        }
        let pending_bytes = pending.iter().fold(0u64, |a, (_, size, held)| {
            a.saturating_add(size.saturating_sub(*held))
        });
        Ok(Space {
            disk_total,
            disk_free,
            reserve,
            quota,
            library_bytes: stats.bytes as u64,
            pending_bytes,
            pending,
        })
    }

    /// Bytes that can still be written, after the reserve and what unfinished uploads other
    /// than those in `except` have been promised.
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

    /// Checks that `more` new bytes fit, not counting the uploads in `except`.
    pub fn check(&self, more: u64, except: &[UploadId]) -> ApiResult<()> {
        let usable = self.usable(except);
        if more > usable {
            return Err(ApiError::storage_full(
                "disk_full",
                format!(
                    "{more} bytes do not fit: {usable} bytes are free after the {} byte reserve and unfinished uploads",
                    self.reserve
                ),
            ));
        }
        if let Some(quota) = self.quota {
            let declared = self
                .pending
                .iter()
                .filter(|(id, ..)| !except.contains(id))
                .fold(0u64, |a, (_, size, _)| a.saturating_add(*size));
            let used = self.library_bytes.saturating_add(declared);
            if used.saturating_add(more) > quota {
                return Err(ApiError::storage_full(
                    "quota_exceeded",
                    format!(
                        "{more} bytes do not fit in the library quota: {used} of {quota} bytes are used"
                    ),
                ));
            }
        }
        Ok(())
    }
}
