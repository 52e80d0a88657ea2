//! The receiver: the HTTP service that accepts resumable uploads, files them in the library, and
//! answers the library, collection, monitor and auth APIs. It is the only writer of the database
//! and the library.

pub mod auth;
mod chunk;
mod collection;
pub use store::config;
mod disk;
pub mod error;
mod extract;
mod finish;
mod library;
pub mod meta;
mod monitor;
mod names;
mod serve;
mod slots;
mod space;
mod staging;
pub mod state;
mod upload;

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
    let media = ServeDir::new(&st.config.media_root).append_index_html_on_directories(false);
    let site = ServeDir::new(st.config.site_dir());
    let upload = get(upload::get).head(upload::head).post(upload::post);
    Router::new()
        .route("/api/auth/setup", get(auth::setup_status).post(auth::setup))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/check", get(auth::check))
        .route("/api/auth/me", get(auth::me))
        .route("/api/auth/tokens", post(auth::create_token))
        .route("/api/library/upload/", upload.clone())
        .route("/api/library/upload", upload)
        .route("/api/library/upload/info", post(upload::info_list))
        .route("/api/library/movies/", get(library::list))
        .route("/api/library/movies", get(library::list))
        .route(
            "/api/library/movies/{id}",
            get(library::get).patch(library::refile),
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
            get(collection::list).post(collection::create),
        )
        .route(
            "/api/library/collection",
            get(collection::list).post(collection::create),
        )
        .route(
            "/api/library/collection/{id}",
            get(collection::get)
                .put(collection::put)
                .patch(collection::patch)
                .delete(collection::delete),
        )
        .route("/api/monitor", get(monitor::monitor))
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
        .nest_service("/media", media)
        .fallback_service(site)
        .layer(from_fn_with_state(st.clone(), serve::guard))
        .layer(from_fn_with_state(st.clone(), monitor::count_sent))
        .with_state(st)
}

/// Makes the directories, and finishes or drops what a crash interrupted. Call before `run`.
pub async fn prepare(st: &Shared) -> anyhow::Result<()> {
    use anyhow::Context;
    let c = &st.config;
    for dir in [&c.media_root, &c.uploads_dir(), &c.data_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let (root, store) = (c.media_root.clone(), st.store.clone());
    let n = tokio::task::spawn_blocking(move || finish::recover(&root, &store)).await??;
    if n > 0 {
        tracing::info!("crash recovery handled {n} interrupted file moves");
    }
    Ok(())
}

/// Serves on an already-bound listener until `shutdown` resolves, sweeping expired uploads in
/// the background.
pub async fn run(
    listener: TcpListener,
    st: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_forever(st.clone()));
    let fetcher = tokio::spawn(st.meta.clone().run_worker());
    let r = axum::serve(listener, app(st))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    fetcher.abort();
    r
}

async fn sweep_forever(st: Shared) {
    loop {
        let (root, store, expiry) = (
            st.config.media_root.clone(),
            st.store.clone(),
            st.config.upload_expiry,
        );
        match tokio::task::spawn_blocking(move || finish::sweep(&root, &store, expiry)).await {
            Ok(Ok(n)) if n > 0 => tracing::info!("swept {n} expired or orphaned uploads"),
            Ok(Err(e)) => tracing::warn!("sweeping uploads: {e}"),
            _ => {}
        }
        tokio::time::sleep(st.config.sweep_interval).await;
    }
}
