//! `oott-receiver`: loads the configuration, opens the store, binds the port and serves.

use std::io::Write;

use anyhow::Context;
use receiver::{AppState, Config};

const HELP: &str = "oott-receiver: the Open OTT upload and library service

usage: oott-receiver [--config FILE] [--host ADDR] [--port N] [--media-root DIR]
                     [--data-dir DIR] [--site-dir DIR]

Settings come from built-in defaults, then the TOML file (--config or OOTT_CONFIG), then
OOTT_* environment variables, then flags. See oott.example.toml for every key.";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    let config = Config::load(&args, |k| std::env::var(k).ok())?;
    let level = std::env::var("OOTT_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .init();

    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let db = config.db_path();
    let store = store::Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let addr = (config.host.clone(), config.port);
        let st = AppState::new(config, store);
        receiver::prepare(&st).await?;
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {}:{}", addr.0, addr.1))?;
        let local = listener.local_addr()?;
        tracing::info!(media_root = %st.config.media_root.display(), data_dir = %st.config.data_dir.display(), "ready");
        println!("listening on http://{local}");
        println!("open http://{local}/ in a browser; the API is under /api/");
        std::io::stdout().flush()?;
        receiver::run(listener, st, shutdown_signal()).await?;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
