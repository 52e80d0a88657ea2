//! A real nginx in front of a test's receiver: its configuration printed by
//! `oott-receiver nginx-config` for the test's directories and ports, run with its own prefix.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Api, Dirs};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// nginx's binary; `make test` installs it.
pub fn binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("nginx is not installed: `make test` installs it (apt-get install nginx)")
}

/// The configuration `oott-receiver nginx-config` prints for these directories and ports.
pub fn config(dirs: &Dirs, receiver: &str, port: u16, env: &[(&str, &str)]) -> String {
    let (_, rport) = receiver.rsplit_once(':').expect("host:port");
    let mut cmd = Command::new(super::receiver_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("OOTT_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("nginx-config")
        .env("OOTT_HOST", "127.0.0.1")
        .env("OOTT_PORT", rport)
        .env("OOTT_NGINX_PORT", port.to_string())
        .env("OOTT_MEDIA_ROOT", dirs.media())
        .env("OOTT_DATA_DIR", dirs.data());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run oott-receiver nginx-config");
    assert!(
        out.status.success(),
        "nginx-config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 config")
}

/// nginx as a child process; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Nginx {
    child: Child,
    pub addr: String,
    pub port: u16,
}

impl Nginx {
    /// nginx on `port` (0: any free one) in front of the receiver at `receiver`.
    pub fn start(dirs: &Dirs, receiver: &str, port: u16) -> Self {
        Self::start_with(dirs, receiver, port, &[])
    }

    pub fn start_with(dirs: &Dirs, receiver: &str, port: u16, env: &[(&str, &str)]) -> Self {
        let port = if port == 0 { free_port() } else { port };
        let text = config(dirs, receiver, port, env);
        let prefix = dirs.data().join("nginx");
        let conf = prefix.join("test.conf");
        std::fs::write(&conf, text).expect("write nginx.conf");
        let mut child = Command::new(binary())
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .args(["-e", "stderr"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[nginx] {line}");
            }
        });
        let listen_port = env
            .iter()
            .find(|(k, _)| *k == "OOTT_NGINX_TLS_PORT")
            .map(|(_, v)| v.parse().expect("tls port"))
            .unwrap_or(port);
        let addr = format!("127.0.0.1:{listen_port}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(&addr).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nginx exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "nginx did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, addr, port }
    }

    /// The same credentials, through nginx.
    pub fn client(&self, api: &Api) -> Api {
        api.at(&self.addr)
    }

    /// Stops nginx with its fast shutdown: connections in flight are cut.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SIGTERM is nginx's fast shutdown: the master takes its workers down with it.
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.shutdown();
    }
}
