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
use crate::serve::PUBLIC_PAGES;

const TEMPLATE: &str = include_str!("../../templates/nginx.conf");

/// The headers every answer carries; repeated in each server block by the template.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src * data: blob:; media-src 'self' blob:; \
         style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
];

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
    headers: String,
    public: Vec<&'static str>,
    auth_cache_secs: u64,
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
    let mut all: Vec<(&str, &str)> = SECURITY_HEADERS.to_vec();
    if c.tls() {
        all.push(("Strict-Transport-Security", "max-age=31536000"));
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
        media_root: path_text(&c.media_root)?,
        headers,
        public: PUBLIC_PAGES.to_vec(),
        auth_cache_secs: AUTH_CACHE_SECS,
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
