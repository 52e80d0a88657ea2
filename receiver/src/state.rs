//! The state every handler shares: configuration, the store, upload slots, counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use store::Store;

use crate::auth::limiter::LoginLimiter;
use crate::auth::passwords::Passwords;
use crate::config::Config;
use crate::error::ApiResult;
use crate::meta::service::MetaService;
use crate::upload::slots::Slots;

pub type Shared = Arc<AppState>;

pub struct AppState {
    pub config: Config,
    pub store: Arc<Store>,
    /// One lock per upload, so offset checks and appends never interleave.
    pub slots: Slots,
    /// Metadata: the cache, IMDb, and the background fetcher.
    pub meta: Arc<MetaService>,
    /// Serialises changes to the library's layout (filing, moving, deleting titles); held across
    /// awaits, so it is tokio's mutex.
    pub library_lock: tokio::sync::Mutex<()>,
    /// Failed logins per account and per address.
    pub logins: LoginLimiter,
    /// Password hashing, bounded in concurrency and memory.
    pub passwords: Passwords,
    /// Serialises `init`s, so the space and quota checks and the upload they admit are one
    /// step: two inits cannot both be promised the same free bytes, and two inits of one file
    /// cannot both stay active. Held across awaits, so it is tokio's mutex.
    pub init_lock: tokio::sync::Mutex<()>,
    /// The secret our nginx sends (`X-OOTT-Proxy`); empty when it could not be read.
    pub proxy_secret: String,
    pub received: AtomicU64,
    pub sent: AtomicU64,
    /// The settings an admin may change while the server runs (`settings::Live`).
    live: crate::settings::LiveHandle,
    /// The transcoding thread's bell and its jobs' progress.
    pub transcoder: crate::media::transcode::Transcoder,
    /// `OOTT_CRASH_AT`: a named point where the process aborts, for crash-recovery tests.
    crash_at: Option<String>,
    /// The headers every answer carries (`serve::security_headers`), made once.
    pub security_headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> Shared {
        let store = Arc::new(store);
        let logins = LoginLimiter::new(
            config.login_attempts_per_account,
            config.login_attempts_per_address,
            config.login_window,
        );
        let proxy_secret = crate::serve::nginx::proxy_secret(&config).unwrap_or_else(|e| {
            tracing::warn!("the proxy secret: {e}; addresses forwarded by nginx are not believed");
            String::new()
        });
        let saved = store.server_settings().unwrap_or_else(|e| {
            tracing::warn!("reading the settings changed in the browser: {e}");
            Vec::new()
        });
        let live = Arc::new(std::sync::RwLock::new(crate::settings::Live::load(
            &config, &saved,
        )));
        let security_headers = crate::serve::security_headers(&config)
            .into_iter()
            .filter_map(|(k, v)| {
                Some((
                    axum::http::HeaderName::try_from(k).ok()?,
                    axum::http::HeaderValue::from_str(&v).ok()?,
                ))
            })
            .collect();
        Arc::new(AppState {
            security_headers,
            live: live.clone(),
            transcoder: Default::default(),
            meta: Arc::new(MetaService::new(&config, store.clone(), live.clone())),
            config,
            store,
            slots: Slots::default(),
            library_lock: tokio::sync::Mutex::new(()),
            logins,
            passwords: Passwords::default(),
            init_lock: tokio::sync::Mutex::new(()),
            proxy_secret,
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            crash_at: std::env::var("OOTT_CRASH_AT")
                .ok()
                .filter(|s| !s.is_empty()),
        })
    }

    /// The settings in force now.
    pub fn live(&self) -> crate::settings::Live {
        crate::settings::read(&self.live)
    }

    pub fn set_live(&self, live: crate::settings::Live) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
    }

    /// The path of the library root named `name`.
    pub fn root_path(&self, name: &str) -> ApiResult<std::path::PathBuf> {
        self.config
            .roots()
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.path)
            .ok_or_else(|| {
                crate::error::ApiError::internal(format!(
                    "library root {name} is not configured (media_roots lists fewer disks)"
                ))
            })
    }

    /// The root a title lives on, if it has files.
    pub async fn title_root(&self, id: &store::ContentId) -> ApiResult<Option<String>> {
        let id = id.clone();
        self.db(move |s| s.title_root(&id)).await
    }

    /// Runs a store call on a blocking thread.
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> store::Result<T> + Send + 'static,
    {
        let store = self.store.clone();
        Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
    }

    /// Aborts the process here if the crash-test point `name` was asked for.
    pub fn crash_point(&self, name: &str) {
        if self.crash_at.as_deref() == Some(name) {
            eprintln!("crash point {name} reached: aborting");
            std::process::abort();
        }
    }

    pub fn count_received(&self, n: u64) {
        self.received.fetch_add(n, Ordering::Relaxed);
    }
}
