//! The configuration the receiver and the renderer share, layered: built-in defaults, then a TOML file, then `OOTT_*`
//! environment variables, then command-line flags. Every key is listed in `oott.example.toml`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks any free port.
    pub port: u16,
    /// Where the library lives: `<root>/<content_id>/…`, uploads in `<root>/.uploads/`.
    pub media_root: PathBuf,
    /// Several library roots (disks), in a fixed order: when set, `media_root` is not used.
    /// A root is named by its place in this list (`1`, `2`, …): add new disks at the end.
    #[serde(deserialize_with = "paths")]
    pub media_roots: Vec<PathBuf>,
    /// Where the database, the rendered site and other state live.
    pub data_dir: PathBuf,
    /// The rendered site; defaults to `<data_dir>/site`.
    pub site_dir: Option<PathBuf>,
    /// Free space always left on the media disk.
    #[serde(deserialize_with = "bytes")]
    pub disk_reserve: u64,
    /// The most the library (files and unfinished uploads) may hold; none by default.
    #[serde(deserialize_with = "opt_bytes")]
    pub library_quota: Option<u64>,
    /// Unfinished uploads with no new bytes for this long are removed.
    #[serde(deserialize_with = "duration")]
    pub upload_expiry: Duration,
    /// The largest chunk one request may carry.
    #[serde(deserialize_with = "bytes")]
    pub max_chunk_size: u64,
    /// The chunk size suggested to clients before they have measured their link.
    #[serde(deserialize_with = "bytes")]
    pub chunk_size_hint: u64,
    /// A request body that sends nothing for this long is cut off.
    #[serde(deserialize_with = "duration")]
    pub body_timeout: Duration,
    /// How long a login lasts.
    #[serde(deserialize_with = "duration")]
    pub session_ttl: Duration,
    /// How often expired uploads and sessions are swept.
    #[serde(deserialize_with = "duration")]
    pub sweep_interval: Duration,
    /// IMDb's site, for title pages.
    pub imdb_url: String,
    /// IMDb's suggestion service, for title search.
    pub imdb_suggest_url: String,
    /// Wikidata, for the Wikidata, Rotten Tomatoes and Metacritic ids; empty turns it off.
    pub wikidata_url: String,
    /// Cached metadata older than this is fetched again (a user's own values stay).
    #[serde(deserialize_with = "duration")]
    pub metadata_max_age: Duration,
    /// The first wait before fetching failed metadata again; it doubles with each failure.
    #[serde(deserialize_with = "duration")]
    pub metadata_retry: Duration,
    /// How long one metadata request may take.
    #[serde(deserialize_with = "duration")]
    pub fetch_timeout: Duration,
    /// The least time between two metadata requests (a rate limit), in milliseconds.
    pub fetch_gap_ms: u64,
    /// How often a failed metadata request is retried at once, with back-off.
    pub fetch_retries: u32,
    /// Failed logins to one account within `login_window` before it is locked for the window.
    pub login_attempts_per_account: u32,
    /// Failed logins from one address within `login_window` before it is refused for the window.
    pub login_attempts_per_address: u32,
    #[serde(deserialize_with = "duration")]
    pub login_window: Duration,
    /// How long an invitation link stays valid.
    #[serde(deserialize_with = "duration")]
    pub invitation_ttl: Duration,
    /// nginx in front: `auto` (use it when installed), `off`, or the path of its binary.
    pub nginx: String,
    /// The port nginx listens on (the address people open).
    pub nginx_port: u16,
    /// The HTTPS port, used when `tls_cert` and `tls_key` are set; `nginx_port` then redirects.
    pub nginx_tls_port: u16,
    /// Certificate chain and private key (PEM) for HTTPS through nginx; empty: plain HTTP.
    pub tls_cert: String,
    pub tls_key: String,
    /// A connection that has not sent a whole request head within this time is closed.
    #[serde(deserialize_with = "duration")]
    pub header_timeout: Duration,
    /// The most connections the receiver holds open at once; more are closed at once.
    pub max_connections: u32,
    /// The hosts posters and trailers named by a title page may come from, besides the hosts of
    /// `imdb_url` and `imdb_suggest_url`: comma-separated, a leading dot for any subdomain.
    pub media_hosts: String,
    /// Transcoding movie files into HLS ladders, off unless switched on (here or by an admin in
    /// the browser): it needs a machine that encodes video fast.
    pub transcoding: bool,
    /// How many transcoding jobs run at once.
    pub transcode_jobs: u32,
    /// `primary` (the library people upload to) or `mirror` (a read-only copy kept by the sync
    /// agent: it serves what it holds and refuses every change).
    pub mode: String,
    /// The backup mirrors the sync agent keeps (`[[mirror]]` tables; not a flag).
    pub mirror: Vec<Mirror>,
}

/// A backup mirror: an rsync daemon module (`rsync://host:port/module`) or an ssh target
/// (`user@host:/path`), with a name of its own.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mirror {
    pub name: String,
    pub url: String,
    /// Where viewers' browsers reach the mirror's own nginx (`https://m1.example.org`): the
    /// pages measure which server answers fastest and stream the media from it. A session
    /// cookie reaches a mirror on the same site (another port of the same host, or a host under
    /// the same domain); none: the mirror is a backup only.
    #[serde(default)]
    pub web: Option<String>,
}

/// A library root: a disk, named by its place in the list of roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub name: String,
    pub path: PathBuf,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 8480,
            media_root: home().join("OOTT"),
            media_roots: Vec::new(),
            data_dir: data_home().join("oott"),
            site_dir: None,
            disk_reserve: 2 * GIB,
            library_quota: None,
            upload_expiry: Duration::from_secs(7 * 86_400),
            max_chunk_size: 256 * MIB,
            chunk_size_hint: 8 * MIB,
            body_timeout: Duration::from_secs(60),
            session_ttl: Duration::from_secs(30 * 86_400),
            sweep_interval: Duration::from_secs(60),
            imdb_url: "https://www.imdb.com".into(),
            imdb_suggest_url: "https://v3.sg.media-imdb.com".into(),
            wikidata_url: "https://www.wikidata.org".into(),
            metadata_max_age: Duration::from_secs(30 * 86_400),
            metadata_retry: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(20),
            fetch_gap_ms: 1000,
            fetch_retries: 2,
            login_attempts_per_account: 5,
            login_attempts_per_address: 20,
            login_window: Duration::from_secs(15 * 60),
            invitation_ttl: Duration::from_secs(7 * 86_400),
            nginx: "auto".into(),
            nginx_port: 8490,
            nginx_tls_port: 8493,
            tls_cert: String::new(),
            tls_key: String::new(),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            media_hosts: "m.media-amazon.com,.media-imdb.com".into(),
            transcoding: false,
            transcode_jobs: 1,
            mode: "primary".into(),
            mirror: Vec::new(),
        }
    }
}

/// A configuration problem, naming the key or flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("{name}: {message}")]
    Value { name: String, message: String },
    #[error("{0}")]
    Flags(String),
}

/// The settings as flags and `OOTT_*` variables, declared once here: each names its TOML key
/// (the field), its flag (`--media-root`) and its variable (`OOTT_MEDIA_ROOT`). What is given
/// is laid over the TOML file as the same key, so every value is read by the one `Config`.
#[derive(Debug, Default, clap::Parser, serde::Serialize)]
#[command(name = "oott", args_override_self = true, disable_help_flag = true)]
struct Overrides {
    /// The TOML file with the settings.
    #[arg(long, env = "OOTT_CONFIG")]
    #[serde(skip)]
    config: Option<PathBuf>,
    #[arg(long, env = "OOTT_HOST")]
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[arg(long, env = "OOTT_PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[arg(long, env = "OOTT_MEDIA_ROOT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    media_root: Option<PathBuf>,
    /// Several disks, `:` between them.
    #[arg(long, env = "OOTT_MEDIA_ROOTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    media_roots: Option<String>,
    #[arg(long, env = "OOTT_DATA_DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "OOTT_SITE_DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    site_dir: Option<PathBuf>,
    #[arg(long, env = "OOTT_DISK_RESERVE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    disk_reserve: Option<String>,
    #[arg(long, env = "OOTT_LIBRARY_QUOTA")]
    #[serde(skip_serializing_if = "Option::is_none")]
    library_quota: Option<String>,
    #[arg(long, env = "OOTT_UPLOAD_EXPIRY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    upload_expiry: Option<String>,
    #[arg(long, env = "OOTT_MAX_CHUNK_SIZE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_chunk_size: Option<String>,
    #[arg(long, env = "OOTT_CHUNK_SIZE_HINT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    chunk_size_hint: Option<String>,
    #[arg(long, env = "OOTT_BODY_TIMEOUT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    body_timeout: Option<String>,
    #[arg(long, env = "OOTT_SESSION_TTL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    session_ttl: Option<String>,
    #[arg(long, env = "OOTT_SWEEP_INTERVAL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep_interval: Option<String>,
    #[arg(long, env = "OOTT_IMDB_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    imdb_url: Option<String>,
    #[arg(long, env = "OOTT_IMDB_SUGGEST_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    imdb_suggest_url: Option<String>,
    #[arg(long, env = "OOTT_WIKIDATA_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    wikidata_url: Option<String>,
    #[arg(long, env = "OOTT_METADATA_MAX_AGE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata_max_age: Option<String>,
    #[arg(long, env = "OOTT_METADATA_RETRY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata_retry: Option<String>,
    #[arg(long, env = "OOTT_FETCH_TIMEOUT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    fetch_timeout: Option<String>,
    #[arg(long, env = "OOTT_FETCH_GAP_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    fetch_gap_ms: Option<u64>,
    #[arg(long, env = "OOTT_FETCH_RETRIES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    fetch_retries: Option<u32>,
    #[arg(long, env = "OOTT_LOGIN_ATTEMPTS_PER_ACCOUNT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    login_attempts_per_account: Option<u32>,
    #[arg(long, env = "OOTT_LOGIN_ATTEMPTS_PER_ADDRESS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    login_attempts_per_address: Option<u32>,
    #[arg(long, env = "OOTT_LOGIN_WINDOW")]
    #[serde(skip_serializing_if = "Option::is_none")]
    login_window: Option<String>,
    #[arg(long, env = "OOTT_INVITATION_TTL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_ttl: Option<String>,
    #[arg(long, env = "OOTT_NGINX")]
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx: Option<String>,
    #[arg(long, env = "OOTT_NGINX_PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx_port: Option<u16>,
    #[arg(long, env = "OOTT_NGINX_TLS_PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx_tls_port: Option<u16>,
    #[arg(long, env = "OOTT_TLS_CERT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_cert: Option<String>,
    #[arg(long, env = "OOTT_TLS_KEY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_key: Option<String>,
    #[arg(long, env = "OOTT_HEADER_TIMEOUT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    header_timeout: Option<String>,
    #[arg(long, env = "OOTT_MAX_CONNECTIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_connections: Option<u32>,
    #[arg(long, env = "OOTT_MEDIA_HOSTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    media_hosts: Option<String>,
    #[arg(long, env = "OOTT_TRANSCODING")]
    #[serde(skip_serializing_if = "Option::is_none")]
    transcoding: Option<bool>,
    #[arg(long, env = "OOTT_TRANSCODE_JOBS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    transcode_jobs: Option<u32>,
    #[arg(long, env = "OOTT_MODE", value_parser = ["primary", "mirror"])]
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
}

impl Config {
    /// Parses a TOML document over the defaults.
    pub fn parse(toml_text: &str) -> Result<Self, ConfigError> {
        let mut c: Config = toml::from_str(toml_text)?;
        c.expand_home();
        Ok(c)
    }

    /// Loads every layer: the file named by `--config` or `OOTT_CONFIG` (if any), the
    /// environment, then the flags in `args` (without the program name).
    pub fn load(
        args: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        use clap::{CommandFactory, FromArgMatches};
        // The variables are read through `env` (the process's, or a test's): each becomes its
        // flag, given before the real flags, which therefore win.
        let mut cmd = Overrides::command();
        let mut given: Vec<String> = vec!["oott".into()];
        let names: Vec<(String, Option<String>)> = cmd
            .get_arguments()
            .map(|a| {
                let var = a.get_env().map(|v| v.to_string_lossy().into_owned());
                (a.get_id().to_string(), var)
            })
            .collect();
        let mut from_env = Vec::new();
        for (id, var) in &names {
            cmd = cmd.mut_arg(id, |a| a.env(None));
            if let Some((var, v)) = var.as_deref().and_then(|n| env(n).map(|v| (n, v))) {
                let flag = format!("--{}", id.replace('_', "-"));
                given.push(flag.clone());
                given.push(v);
                from_env.push((flag, var.to_owned()));
            }
        }
        given.extend(args.iter().cloned());
        let matches = cmd.try_get_matches_from(given).map_err(|e| {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            let by_env = from_env
                .iter()
                .find(|(flag, _)| first.contains(&format!("'{flag} ")))
                .map(|(_, var)| format!(", as {var} sets it"))
                .unwrap_or_default();
            ConfigError::Flags(format!(
                "{}{by_env} (see --help)",
                first.trim_start_matches("error: ")
            ))
        })?;
        let over =
            Overrides::from_arg_matches(&matches).map_err(|e| ConfigError::Flags(e.to_string()))?;
        let mut table = toml::Table::new();
        if let Some(path) = &over.config {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            table = text.parse::<toml::Table>()?;
        }
        let laid = toml::Table::try_from(&over).map_err(|e| ConfigError::Flags(e.to_string()))?;
        table.extend(laid);
        let mut c: Config = table.try_into()?;
        c.expand_home();
        Ok(c)
    }

    /// Every setting's flag and variable, as `(key, --flag, OOTT_VAR)`.
    pub fn settings() -> Vec<(String, String, String)> {
        use clap::CommandFactory;
        Overrides::command()
            .get_arguments()
            .filter(|a| a.get_id() != "config")
            .map(|a| {
                let id = a.get_id().to_string();
                let var = a
                    .get_env()
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (id.clone(), format!("--{}", id.replace('_', "-")), var)
            })
            .collect()
    }

    /// Whether this is a read-only mirror.
    pub fn is_mirror(&self) -> bool {
        self.mode == "mirror"
    }

    pub fn site_dir(&self) -> PathBuf {
        self.site_dir
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| self.data_dir.join("site"))
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("oott.db")
    }

    /// Where nginx run by the receiver keeps its configuration, pid file and buffers.
    pub fn nginx_dir(&self) -> PathBuf {
        self.data_dir.join("nginx")
    }

    /// Whether nginx serves HTTPS.
    pub fn tls(&self) -> bool {
        !self.tls_cert.is_empty() && !self.tls_key.is_empty()
    }

    /// The library roots: `media_roots`, or `media_root` alone.
    pub fn roots(&self) -> Vec<Root> {
        let paths = if self.media_roots.is_empty() {
            vec![self.media_root.clone()]
        } else {
            self.media_roots.clone()
        };
        paths
            .into_iter()
            .enumerate()
            .map(|(i, path)| Root {
                name: (i + 1).to_string(),
                path,
            })
            .collect()
    }

    fn expand_home(&mut self) {
        for p in [&mut self.media_root, &mut self.data_dir] {
            *p = expand(p);
        }
        for p in &mut self.media_roots {
            *p = expand(p);
        }
        if let Some(p) = &mut self.site_dir {
            *p = expand(p);
        }
    }
}

fn expand(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => home().join(rest),
        Err(_) => p.to_path_buf(),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".local/share"))
}

/// A size as a number of bytes or a string like `10 GiB`, `500MB`, `64M`.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        "t" | "tib" => 1 << 40,
        "tb" => 1_000_000_000_000,
        _ => return None,
    };
    (n >= 0.0).then_some((n * mult as f64) as u64)
}

/// A duration as seconds or a string like `90s`, `30m`, `12h`, `7d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(mult)?))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Num(u64),
    Str(String),
}

fn bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => parse_bytes(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a size like '10 GiB'"))),
    }
}

fn opt_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Str(s) if s.is_empty() || s == "none" => Ok(None),
        NumOrStr::Num(n) => Ok(Some(n)),
        NumOrStr::Str(s) => parse_bytes(&s)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a size like '10 GiB'"))),
    }
}

fn paths<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<PathBuf>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(':')
            .filter(|p| !p.trim().is_empty())
            .map(|p| PathBuf::from(p.trim()))
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(Duration::from_secs(n)),
        NumOrStr::Str(s) => parse_duration(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a duration like '7d'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_bytes("10 GiB"), Some(10 << 30));
        assert_eq!(parse_bytes("500MB"), Some(500_000_000));
        assert_eq!(parse_bytes("64M"), Some(64 << 20));
        assert_eq!(parse_bytes("1.5 KiB"), Some(1536));
        assert_eq!(parse_bytes("12"), Some(12));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1w"), None);
    }

    #[test]
    fn layers_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("oott.toml");
        std::fs::write(
            &file,
            "port = 1000\ndisk_reserve = '1 GiB'\nmedia_root = '/m'\n",
        )
        .expect("write config");
        let env = |k: &str| match k {
            "OOTT_CONFIG" => Some(file.display().to_string()),
            "OOTT_PORT" => Some("2000".into()),
            "OOTT_LIBRARY_QUOTA" => Some("5GB".into()),
            _ => None,
        };
        let args: Vec<String> = ["--media-root", "/flag"].map(String::from).to_vec();
        let c = Config::load(&args, env).expect("load");
        assert_eq!(c.port, 2000, "environment beats the file");
        assert_eq!(c.disk_reserve, 1 << 30, "the file beats the default");
        assert_eq!(
            c.media_root,
            PathBuf::from("/flag"),
            "flags beat everything"
        );
        assert_eq!(c.library_quota, Some(5_000_000_000));
        assert_eq!(c.upload_expiry, Config::default().upload_expiry);
    }

    #[test]
    fn unknown_keys_and_flags_are_refused() {
        assert!(Config::parse("prot = 1").is_err());
        assert!(Config::parse("disk_reserve = 'heaps'").is_err());
        assert!(Config::load(&["--prot".into(), "1".into()], |_| None).is_err());
    }

    #[test]
    fn example_file_is_complete_and_valid() {
        let text = include_str!("../../oott.example.toml");
        let c = Config::parse(text).expect("example parses");
        assert_eq!(c.port, Config::default().port);
        let keys: toml::Table = text.parse().expect("toml");
        let settings = Config::settings();
        for (key, _, var) in &settings {
            assert!(keys.contains_key(key), "the example lacks {key}");
            assert_eq!(
                var,
                &format!("OOTT_{}", key.to_uppercase()),
                "{key}'s variable"
            );
        }
        for key in keys.keys() {
            assert!(
                settings.iter().any(|(k, ..)| k == key),
                "{key} has no flag or variable"
            );
        }
    }
}
