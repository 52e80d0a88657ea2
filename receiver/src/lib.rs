//! The receiver: the HTTP service that accepts resumable uploads, files them in the library, and
//! answers the library, collection, monitor and auth APIs. It is the only writer of the database
//! and the library.

pub mod auth;
pub use store::config;
mod disk;
pub mod error;
mod extract;
pub mod library;
pub mod media;
pub mod meta;
pub mod mirror;
mod monitor;
pub mod serve;
pub mod settings;
mod space;
pub mod state;
mod upload;
mod watch;

pub use library::check;
pub use serve::nginx;

use std::future::Future;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

pub use config::Config;
pub use state::{AppState, Shared};

/// Every route of the service.
pub fn app(st: Shared) -> Router {
    // A page that is not there gets the site's own 404 page (with its 404 status).
    let site = ServeDir::new(st.config.site_dir()).not_found_service(
        tower_http::services::ServeFile::new(st.config.site_dir().join(serve::MISSING_PAGE)),
    );
    let upload = get(upload::get).head(upload::head).post(upload::post);
    Router::new()
        .route(
            "/api/auth/setup",
            get(auth::login::setup_status).post(auth::login::setup),
        )
        .route("/api/auth/login", post(auth::login::login))
        .route("/api/auth/logout", post(auth::login::logout))
        .route("/api/auth/check", get(auth::login::check))
        .route("/api/auth/me", get(auth::login::me))
        .route(
            "/api/auth/tokens",
            get(auth::account::tokens).post(auth::login::create_token),
        )
        .route(
            "/api/auth/tokens/{id}",
            axum::routing::delete(auth::account::revoke_token),
        )
        .route("/api/auth/sessions", get(auth::account::sessions))
        .route(
            "/api/auth/sessions/{id}",
            axum::routing::delete(auth::account::revoke_session),
        )
        .route(
            "/api/auth/invitation",
            get(auth::users::invitation).post(auth::users::accept),
        )
        .route(
            "/api/users",
            get(auth::users::list).post(auth::users::create),
        )
        .route(
            "/api/users/invitations",
            get(auth::users::invitations).post(auth::users::invite),
        )
        .route(
            "/api/users/invitations/{id}",
            axum::routing::delete(auth::users::withdraw),
        )
        .route(
            "/api/users/{id}",
            axum::routing::patch(auth::users::update).delete(auth::users::delete),
        )
        .route(
            "/api/users/me/password",
            axum::routing::put(auth::account::change_password),
        )
        .route(
            "/api/users/me/settings",
            get(auth::account::get_settings).put(auth::account::put_settings),
        )
        .route("/api/users/me/progress", get(watch::list))
        .route(
            "/api/users/me/progress/{id}",
            axum::routing::put(watch::put).delete(watch::clear),
        )
        .route(
            "/api/users/me/watched/{id}",
            axum::routing::put(watch::watched),
        )
        .route("/api/library/upload/", upload.clone())
        .route("/api/library/upload", upload)
        .route("/api/library/upload/info", post(upload::info::info_list))
        .route("/api/library/uploads", get(upload::info::unfinished))
        .route("/api/library/movies/", get(library::list))
        .route("/api/library/movies", get(library::list))
        .route(
            "/api/library/movies/{id}",
            get(library::get)
                .patch(library::refile)
                .delete(library::delete_version),
        )
        .route(
            "/api/library/movies/{id}/move",
            post(library::moving::move_title),
        )
        .route(
            "/api/library/subtitles/{id}",
            post(library::subtitles::post)
                .delete(library::subtitles::delete)
                .layer(axum::extract::DefaultBodyLimit::max(
                    library::subtitles::MAX_BYTES + 1,
                )),
        )
        .route(
            "/api/library/delete/",
            axum::routing::delete(library::delete),
        )
        .route(
            "/api/library/delete",
            axum::routing::delete(library::delete),
        )
        .route(
            "/api/library/collection/",
            get(library::collection::list).post(library::collection::create),
        )
        .route(
            "/api/library/collection",
            get(library::collection::list).post(library::collection::create),
        )
        .route(
            "/api/library/collection/{id}",
            get(library::collection::get)
                .put(library::collection::put)
                .patch(library::collection::patch)
                .delete(library::collection::delete),
        )
        .route("/api/monitor", get(monitor::monitor))
        .route("/api/servers", get(monitor::servers))
        .route("/api/settings", get(settings::get).put(settings::put))
        .route(
            "/api/settings/hardware-check",
            post(settings::hardware_check),
        )
        .route("/api/settings/disks", post(settings::add_disk))
        .route("/api/transcodes", get(media::jobs::list))
        .route(
            "/api/transcodes/{id}",
            axum::routing::delete(media::jobs::cancel),
        )
        .route("/api/transcodes/{id}/retry", post(media::jobs::retry))
        .route("/api/metadata/search", get(meta::api::search))
        .route(
            "/api/metadata/parse-filename",
            post(meta::api::parse_filename),
        )
        .route("/api/metadata/guess", post(meta::api::guess))
        .route("/api/metadata/{id}", get(meta::api::get))
        .route("/api/metadata/{id}/refresh", post(meta::api::refresh))
        .route(
            "/api/users/me/metadata/{id}",
            axum::routing::put(meta::api::put_own).delete(meta::api::delete_own),
        )
        .route("/", get(serve::home))
        .route("/media/{*path}", get(serve::media))
        .route("/movie/{id}", get(serve::movie_page))
        .route("/movie/{id}/", get(serve::movie_page))
        .fallback_service(site)
        .layer(from_fn_with_state(st.clone(), mirror::guard))
        .layer(from_fn_with_state(st.clone(), serve::guard))
        .layer(from_fn_with_state(st.clone(), monitor::count_sent))
        .layer(from_fn_with_state(st.clone(), serve::shape))
        .with_state(st)
}

/// Makes the directories, and finishes or drops what a crash interrupted. Call before `run`.
pub async fn prepare(st: &Shared) -> anyhow::Result<()> {
    use anyhow::Context;
    let c = &st.config;
    std::fs::create_dir_all(&c.data_dir)
        .with_context(|| format!("creating {}", c.data_dir.display()))?;
    for root in c.roots() {
        prepare_root(&root)?;
    }
    let (roots, store) = (c.roots(), st.store.clone());
    let n = tokio::task::spawn_blocking(move || library::filing::recover(&roots, &store)).await??;
    let seeded = st
        .db(|s| s.seed_collections(store::builtin::BUILTIN_COLLECTIONS))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    if seeded > 0 {
        tracing::info!("created {seeded} built-in collections");
    }
    if n > 0 {
        tracing::info!("crash recovery handled {n} interrupted file moves");
    }
    // The quick library check: it reports, and gives files the layout names for a title their
    // rows back; `oott-receiver fsck --repair` does the rest.
    let (roots, store, data) = (c.roots(), st.store.clone(), c.data_dir.clone());
    let checked = tokio::task::spawn_blocking(move || -> anyhow::Result<check::Report> {
        let report = check::run(&roots, &store, check::Repair::Adopt)?;
        check::save(&data, &report)?;
        Ok(report)
    })
    .await?;
    match checked {
        Ok(r) if r.is_clean() && r.actions.is_empty() => {}
        Ok(r) => {
            for line in r.lines() {
                tracing::warn!("library check: {line}");
            }
        }
        Err(e) => tracing::warn!("library check: {e:#}"),
    }
    Ok(())
}

/// Makes a library root's folders and checks that it is the disk the database knows by that
/// name (`.oott-root` holds it): roots are named by their place in the list, so a list given
/// in another order would file titles on the wrong disks.
fn prepare_root(root: &store::config::Root) -> anyhow::Result<()> {
    use anyhow::Context;
    let uploads = root.path.join(store::layout::UPLOADS);
    std::fs::create_dir_all(&uploads).with_context(|| format!("creating {}", uploads.display()))?;
    let marker = root.path.join(store::layout::ROOT_MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(name) if name.trim() == root.name => Ok(()),
        Ok(name) => anyhow::bail!(
            "{} is library disk {}, but media_roots lists it as disk {}: list the disks in the order they were added",
            root.path.display(),
            name.trim(),
            root.name
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            disk::write_atomic(&marker, root.name.as_bytes())
                .with_context(|| format!("writing {}", marker.display()))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", marker.display())),
    }
}

/// Serves on an already-bound listener until `shutdown` resolves, sweeping expired uploads in
/// the background.
pub async fn run(
    listener: TcpListener,
    st: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = serve::listen::Limits {
        header_timeout: st.config.header_timeout,
        max_connections: st.config.max_connections as usize,
    };
    if st.config.is_mirror() {
        // A mirror's copy changes only by the sync agent's pushes: nothing to do in between.
        return serve::listen::serve(listener, app(st), limits, shutdown).await;
    }
    let sweeper = tokio::spawn(sweep_forever(st.clone()));
    let fetcher = tokio::spawn(st.meta.clone().run_worker());
    let render = tokio::spawn(render_forever(st.clone()));
    let prober = tokio::spawn(media::probe_forever(st.clone()));
    let remuxer = tokio::spawn(media::remux::remux_forever(st.clone()));
    let digester = tokio::spawn(library::digest::digest_forever(st.clone()));
    media::transcode::spawn(st.clone());
    let r = serve::listen::serve(listener, app(st), limits, shutdown).await;
    sweeper.abort();
    fetcher.abort();
    render.abort();
    prober.abort();
    remuxer.abort();
    digester.abort();
    r
}

async fn sweep_forever(st: Shared) {
    loop {
        let (roots, store, expiry) = (st.config.roots(), st.store.clone(), st.live().upload_expiry);
        match tokio::task::spawn_blocking(move || upload::expiry::sweep(&roots, &store, expiry))
            .await
        {
            Ok(Ok(n)) if n > 0 => tracing::info!("swept {n} expired or orphaned uploads"),
            Ok(Err(e)) => tracing::warn!("sweeping uploads: {e}"),
            _ => {}
        }
        let store = st.store.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || auth::sweep_sessions(&store)).await
        {
            tracing::warn!("sweeping sessions: {e}");
        }
        tokio::time::sleep(st.config.sweep_interval).await;
    }
}

/// Keeps the site in step with the database: renders what changed whenever the change log
/// moves, so bursts of changes make one render. A failed render is logged and tried again; it
/// never holds up a request.
async fn render_forever(st: Shared) {
    let (db, site) = (st.config.db_path(), st.config.site_dir());
    let reader = loop {
        match store::Store::open_read_only(&db) {
            Ok(s) => break std::sync::Arc::new(s),
            Err(e) => {
                tracing::warn!("opening the database for rendering: {e}");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    };
    let mut rendered: Option<i64> = None;
    loop {
        let r = reader.clone();
        let last = tokio::task::spawn_blocking(move || r.last_change()).await;
        if let Ok(Ok(last)) = last
            && rendered != Some(last)
        {
            let (r, site) = (reader.clone(), site.clone());
            match tokio::task::spawn_blocking(move || renderer::incremental(&r, &site)).await {
                Ok(Ok(report)) => {
                    tracing::debug!(?report, "rendered");
                    rendered = Some(report.seq);
                }
                Ok(Err(e)) => {
                    tracing::warn!("render failed, trying again shortly: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                Err(e) => tracing::warn!("render task: {e}"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
