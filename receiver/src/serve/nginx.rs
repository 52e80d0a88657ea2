//! nginx in front of the receiver: the configuration for the current settings (from
//! `templates/nginx.conf`), and running nginx as the receiver's own child process for
//! `make run` (its own prefix and port, not the system service).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Serialize;
use tinytemplate::TinyTemplate;

use crate::config::Config;
use crate::serve::{PUBLIC_PAGES, security_headers};

const TEMPLATE: &str = include_str!("../../../templates/nginx.conf");

/// How long nginx keeps the receiver's yes to a session or token.
pub const AUTH_CACHE_SECS: u64 = 3;

#[derive(Serialize)]
struct Ctx {
    user_line: String,
    prefix: String,
    listen: String,
    port: u16,
    tls: bool,
    tls_port: u16,
    tls_cert: String,
    tls_key: String,
    upstream: String,
    site_dir: String,
    media_root: String,
    several_roots: bool,
    media_try: String,
    headers: String,
    public: Vec<&'static str>,
    auth_cache_secs: u64,
    auth_cache_valid: u64,
    hide_headers: String,
    proxy_secret: String,
}

/// A configuration problem nginx would only report later, or less clearly.
#[derive(Debug, thiserror::Error)]
pub enum NginxError {
    #[error(
        "{0} contains a character nginx cannot take in a path (quote, semicolon, brace or space)"
    )]
    BadPath(String),
    #[error("rendering the nginx template: {0}")]
    Template(#[from] tinytemplate::error::Error),
    #[error("the proxy secret in {0}: {1}")]
    Secret(String, std::io::Error),
}

/// The file that holds the secret nginx sends with every request it passes on
/// (`X-OOTT-Proxy`), so the receiver believes `X-Real-IP` from nginx and from no one else on
/// this machine.
pub fn proxy_secret_path(c: &Config) -> PathBuf {
    c.data_dir.join("proxy-secret")
}

/// The proxy secret, made (mode 0600) on first use.
pub fn proxy_secret(c: &Config) -> std::io::Result<String> {
    let path = proxy_secret_path(c);
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(&c.data_dir)?;
    let secret = crate::auth::random_token();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(secret.as_bytes())?;
        f.sync_all()?;
    }
    // Two processes making it at once: the first rename wins and both read that one.
    std::fs::hard_link(&tmp, &path).or_else(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    let _ = std::fs::remove_file(&tmp);
    Ok(std::fs::read_to_string(&path)?.trim().to_owned())
}

/// A path as nginx must be given it: absolute (nginx would take a relative one from its
/// prefix), with no character its configuration syntax gives a meaning.
fn path_text(p: &Path) -> Result<String, NginxError> {
    if p.as_os_str().is_empty() {
        return Ok(String::new());
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let s = abs.display().to_string();
    if s.chars()
        .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '{' | '}' | '$'))
    {
        return Err(NginxError::BadPath(s));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// The complete nginx configuration for `c`, proxying to the receiver at `receiver`.
pub fn config_text(c: &Config, receiver: SocketAddr) -> Result<String, NginxError> {
    let mut tt = TinyTemplate::new();
    tt.set_default_formatter(&tinytemplate::format_unescaped);
    tt.add_template("nginx", TEMPLATE)?;
    let mut headers = String::new();
    let mut all = security_headers(c);
    if c.tls() {
        all.push(("Strict-Transport-Security", "max-age=31536000".to_owned()));
    }
    for (k, v) in all {
        headers.push_str(&format!("        add_header {k} \"{v}\" always;\n"));
    }
    // A receiver on every address is reached on loopback.
    let upstream = if receiver.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), receiver.port())
    } else {
        receiver
    };
    let listen = if c.host.contains(':') {
        format!("[{}]", c.host)
    } else {
        c.host.clone()
    };
    let roots = c.roots();
    let ctx = Ctx {
        user_line: worker_user(),
        prefix: path_text(&c.nginx_dir())?,
        listen,
        port: c.nginx_port,
        tls: c.tls(),
        tls_port: c.nginx_tls_port,
        tls_cert: path_text(Path::new(&c.tls_cert))?,
        tls_key: path_text(Path::new(&c.tls_key))?,
        upstream: upstream.to_string(),
        site_dir: path_text(&c.site_dir())?,
        media_root: path_text(&roots[0].path)?,
        several_roots: roots.len() > 1,
        media_try: roots
            .iter()
            .map(|r| path_text(&r.path).map(|p| format!("{p}/$1")))
            .collect::<Result<Vec<_>, _>>()?
            .join(" "),
        headers,
        public: PUBLIC_PAGES.to_vec(),
        auth_cache_secs: AUTH_CACHE_SECS,
        // nginx's clock ticks in whole seconds: an answer kept for N s lives up to N + 1 s
        // (measured: 2.98 s for 2 s), so it is kept for 2 s less than the promise, for margin.
        auth_cache_valid: AUTH_CACHE_SECS - 2,
        hide_headers: security_headers(c)
            .iter()
            .map(|(k, _)| format!("    proxy_hide_header {k};\n"))
            .collect(),
        proxy_secret: proxy_secret(c)
            .map_err(|e| NginxError::Secret(proxy_secret_path(c).display().to_string(), e))?,
    };
    Ok(tt.render("nginx", &ctx)?)
}

/// Started as root, nginx would hand its workers to `nobody`, who cannot read a private
/// library; they run as the user who started it instead. Otherwise nginx keeps its own user.
fn worker_user() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if uid != 0 {
        return String::new();
    }
    "user root;".into()
}

/// Where nginx is, for `nginx = "auto"`: on the PATH or in the sbin directories a person's
/// PATH often lacks.
pub fn find_binary(setting: &str) -> Option<PathBuf> {
    match setting {
        "off" | "" => None,
        "auto" => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path)
                .chain(
                    [
                        "/usr/sbin",
                        "/usr/local/sbin",
                        "/opt/homebrew/bin",
                        "/usr/local/bin",
                    ]
                    .map(PathBuf::from),
                )
                .map(|d| d.join("nginx"))
                .find(|p| p.is_file())
        }
        explicit => Some(PathBuf::from(explicit)),
    }
}

/// nginx running as the receiver's child; stopped gracefully when dropped.
pub struct Nginx {
    child: Child,
}

impl Nginx {
    /// Writes the configuration into `<data_dir>/nginx/` and starts nginx in the foreground.
    /// Must be called on the thread that lives as long as the process (the main thread): the
    /// child is told to stop when that thread ends.
    pub fn start(binary: &Path, c: &Config, receiver: SocketAddr) -> anyhow::Result<Self> {
        use anyhow::Context;
        let dir = c.nginx_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config_text(c, receiver)?)
            .with_context(|| format!("writing {}", conf.display()))?;
        let mut cmd = Command::new(binary);
        cmd.arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .args(["-e", "stderr"])
            .stdin(Stdio::null());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        // nginx reports a bad configuration or a taken port at once and exits.
        std::thread::sleep(Duration::from_millis(400));
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("nginx exited at start ({status}); see its messages above");
        }
        Ok(Nginx { child })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(pid, libc::SIGQUIT) };
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nginx_cannot_take_are_refused() {
        let c = Config {
            media_root: PathBuf::from("/srv/my movies"),
            ..Config::default()
        };
        let addr: SocketAddr = "127.0.0.1:8480".parse().expect("addr");
        assert!(matches!(config_text(&c, addr), Err(NginxError::BadPath(_))));
    }

    #[test]
    fn tls_adds_a_redirect_and_hsts() {
        let mut c = Config::default();
        let addr: SocketAddr = "0.0.0.0:8480".parse().expect("addr");
        let plain = config_text(&c, addr).expect("plain");
        assert!(!plain.contains("ssl_certificate") && !plain.contains("Strict-Transport"));
        assert!(plain.contains("server 127.0.0.1:8480;"), "{plain}");
        c.tls_cert = "/etc/oott/cert.pem".into();
        c.tls_key = "/etc/oott/key.pem".into();
        let tls = config_text(&c, addr).expect("tls");
        assert!(tls.contains("ssl_certificate /etc/oott/cert.pem;"));
        assert!(tls.contains("return 301 https://$host:8493$request_uri;"));
        assert!(tls.contains("Strict-Transport-Security"));
    }
}
