//! `oott-receiver`: loads the configuration, opens the store, binds the port and serves.

use std::io::Write;

use anyhow::Context;
use receiver::{AppState, Config, nginx};

const HELP: &str = "oott-receiver: the Open OTT upload and library service

usage: oott-receiver [nginx-config [--output FILE] | fsck [--repair] | promote] [--config FILE] [--host ADDR] [--port N]
                     [--media-root DIR] [--data-dir DIR] [--site-dir DIR]
                     [--nginx auto|off|PATH] [--nginx-port N]

With no command it serves: with nginx in front when nginx is installed (it starts nginx itself,
with its own configuration in <data_dir>/nginx/, listening on nginx_port), otherwise serving the
site and the media itself. `nginx-config` prints the nginx configuration for these settings
(run it with: nginx -p <data_dir>/nginx -c FILE -e stderr). `fsck` checks the library against
the database: files without a row, rows without a file, sizes that differ; `--repair` fixes what
is safe (a file without a row goes to <media_root>/.orphans/, never deleted) and says what it
did. It exits 1 when it found something it did not repair. `promote` makes a mirror's copy
(mode = \"mirror\", kept by `oott-agent sync`) the primary: it opens the database for writing,
checks the library against it, and marks the copy so that sync agents push to it no more; the
receiver then starts as the primary.

Settings come from built-in defaults, then the TOML file (--config or OOTT_CONFIG), then
OOTT_* environment variables, then flags. See oott.example.toml for every key.";

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}\n\nSettings (flag, environment variable):");
        for (_, flag, var) in Config::settings() {
            println!("  {flag:<30} {var}");
        }
        return Ok(());
    }
    let print_nginx = args.first().is_some_and(|a| a == "nginx-config");
    if args.first().is_some_and(|a| a == "promote") {
        args.remove(0);
        let config = Config::load(&args, |k| std::env::var(k).ok())?;
        return promote(&config);
    }
    if args.first().is_some_and(|a| a == "fsck") {
        args.remove(0);
        let repair = args
            .iter()
            .position(|a| a == "--repair")
            .map(|i| args.remove(i));
        let config = Config::load(&args, |k| std::env::var(k).ok())?;
        let config = match store::Store::open_read_only(&config.db_path()) {
            Ok(s) => receiver::settings::with_added_disks(config, &s),
            Err(_) => config,
        };
        return fsck(&config, repair.is_some());
    }
    let mut output = None;
    if print_nginx {
        args.remove(0);
        if let Some(i) = args.iter().position(|a| a == "--output") {
            output = Some(args.get(i + 1).context("--output needs a file")?.clone());
            args.drain(i..i + 2);
        }
    }
    let config = Config::load(&args, |k| std::env::var(k).ok())?;
    if print_nginx {
        let config = match store::Store::open_read_only(&config.db_path()) {
            Ok(s) => receiver::settings::with_added_disks(config, &s),
            Err(_) => config,
        };
        return print_nginx_config(&config, output.as_deref());
    }
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
    let mut config = config;
    if config.is_mirror() && config.data_dir.join(PROMOTED).exists() {
        tracing::info!("this mirror was promoted: it serves as the primary");
        config.mode = "primary".into();
    }
    let store = if config.is_mirror() {
        store::Store::open_following(&db).with_context(|| {
            format!(
                "opening {}: a mirror serves the copy `oott-agent sync` pushes to it; none has arrived yet",
                db.display()
            )
        })?
    } else {
        store::Store::open(&db).with_context(|| format!("opening {}", db.display()))?
    };
    let config = receiver::settings::with_added_disks(config, &store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let addr = (config.host.clone(), config.port);
        let st = AppState::new(config, store);
        if !st.config.is_mirror() {
            receiver::prepare(&st).await?;
        }
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {}:{}", addr.0, addr.1))?;
        let local = listener.local_addr()?;
        tracing::info!(media_root = %st.config.media_root.display(), data_dir = %st.config.data_dir.display(), "ready");
        println!("listening on http://{local}");
        // Started here, on the main thread, so that nginx goes when this process goes.
        let nginx = front(&st.config, local);
        std::io::stdout().flush()?;
        receiver::run(listener, st, shutdown_signal()).await?;
        drop(nginx);
        Ok(())
    })
}

/// The mark a promoted mirror's copy carries in its data directory: sync agents push to it no
/// more, and the receiver serves it as the primary.
const PROMOTED: &str = "PROMOTED";

/// `promote`: a mirror's copy becomes the primary's.
fn promote(config: &Config) -> anyhow::Result<()> {
    let db = config.db_path();
    if !db.exists() {
        anyhow::bail!("no database at {}: nothing to promote", db.display());
    }
    let store = store::Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let report = receiver::check::run(&config.roots(), &store, receiver::check::Repair::Adopt)?;
    for line in report.lines() {
        println!("{line}");
    }
    let mark = config.data_dir.join(PROMOTED);
    std::fs::write(&mark, format!("{}\n", store::now()))
        .with_context(|| format!("writing {}", mark.display()))?;
    println!(
        "promoted: {} is the primary now; restart the receiver (it serves as the primary, whatever its mode says)",
        config.data_dir.display()
    );
    Ok(())
}

/// `fsck [--repair]`: checks (and repairs) the library, prints what it found and did.
fn fsck(config: &Config, repair: bool) -> anyhow::Result<()> {
    let db = config.db_path();
    let store = store::Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let mode = if repair {
        receiver::check::Repair::All
    } else {
        receiver::check::Repair::None
    };
    let report = receiver::check::run(&config.roots(), &store, mode)?;
    receiver::check::save(&config.data_dir, &report)?;
    for line in report.lines() {
        println!("{line}");
    }
    if report.unresolved > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Prints the nginx configuration, or writes it to `output` (replaced whole, by a rename).
fn print_nginx_config(config: &Config, output: Option<&str>) -> anyhow::Result<()> {
    let dir = config.nginx_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let addr = (config.host.as_str(), config.port);
    let receiver = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .with_context(|| format!("resolving {}:{}", addr.0, addr.1))?
        .next()
        .context("the host resolves to no address")?;
    let text = nginx::config_text(config, receiver)?;
    match output {
        None => print!("{text}"),
        Some(path) => {
            let tmp = format!("{path}.tmp");
            std::fs::write(&tmp, text).with_context(|| format!("writing {tmp}"))?;
            std::fs::rename(&tmp, path).with_context(|| format!("renaming {tmp} to {path}"))?;
        }
    }
    Ok(())
}

/// Starts nginx in front when it is wanted and installed, and says which way the site is served.
fn front(config: &Config, receiver: std::net::SocketAddr) -> Option<nginx::Nginx> {
    let host = if config.host.contains(':') {
        format!("[{}]", config.host)
    } else {
        config.host.clone()
    };
    let direct = || {
        println!(
            "open http://{receiver}/ in a browser: the receiver serves the site and the media itself; the API is under /api/"
        );
    };
    let Some(binary) = nginx::find_binary(&config.nginx) else {
        if config.nginx == "auto" {
            println!("nginx is not installed");
        }
        direct();
        return None;
    };
    match nginx::Nginx::start(&binary, config, receiver) {
        Ok(n) => {
            let url = if config.tls() {
                format!("https://{host}:{}", config.nginx_tls_port)
            } else {
                format!("http://{host}:{}", config.nginx_port)
            };
            println!("serving through nginx on {url}");
            println!(
                "open {url}/ in a browser: nginx ({}) serves the site and the media, the receiver the API",
                binary.display()
            );
            Some(n)
        }
        Err(e) => {
            tracing::warn!("nginx could not start, serving without it: {e:#}");
            direct();
            None
        }
    }
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
