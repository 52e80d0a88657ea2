//! `login`, `status` and `logout`: a token kept private, the user and the disk verdict shown, a
//! revoked token refused, and the exit code for "not logged in".

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::agent::{Agent, Pty};
use crate::support::{Api, Dirs, Server};

#[test]
fn login_keeps_a_private_token_status_names_the_user_and_logout_revokes_it() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    server.admin();
    let url = format!("http://{}", server.addr);
    let agent = Agent::at(&url, None);

    // Typed at a terminal: the password is not shown.
    let mut pty = Pty::spawn(agent.command(&["login", "--server", &url]));
    pty.expect("user name: ");
    pty.send("admin");
    pty.expect("password: ");
    pty.send("correct horse");
    assert_eq!(pty.wait(30), 0, "{}", pty.shown());
    assert!(
        !pty.shown().contains("correct horse"),
        "the password is not echoed"
    );
    let file = agent.home().join("login.json");
    let mode = std::fs::metadata(&file)
        .expect("login.json")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the token is the owner's only");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let token = stored["token"].as_str().expect("token").to_owned();
    let bearer = Api {
        addr: server.addr.clone(),
        auth: vec![("Authorization".into(), format!("Bearer {token}"))],
    };
    assert_eq!(bearer.get("/api/auth/me").status, 200);

    let status = agent.command(&["status"]).output().expect("status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{text}");
    assert!(
        text.contains("admin") && text.contains(&url) && text.contains("free of"),
        "{text}"
    );

    let out = agent.command(&["logout"]).output().expect("logout");
    assert_eq!(out.status.code(), Some(0));
    assert!(!file.exists(), "the login is forgotten");
    assert_eq!(
        bearer.get("/api/auth/me").status,
        401,
        "and its token revoked"
    );
    assert_eq!(
        agent.command(&["status"]).status().expect("status").code(),
        Some(3)
    );
    let src = dirs.path("src");
    std::fs::create_dir_all(&src).expect("src");
    let up = agent
        .command(&["upload", src.to_str().expect("utf-8")])
        .output()
        .expect("upload");
    assert_eq!(up.status.code(), Some(3), "not logged in: exit 3");
}

#[test]
fn a_wrong_password_or_a_refused_token_exits_3() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs);
    server.admin();
    let url = format!("http://{}", server.addr);
    let agent = Agent::at(&url, None);
    let mut child = agent
        .command(&["login", "--user", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("login");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"wrong horse\n")
        .expect("type");
    assert_eq!(child.wait().expect("wait").code(), Some(3));
    assert!(!agent.home().join("login.json").exists());
    let refused = Agent::at(&url, Some("not-a-token".into()));
    let src = dirs.path("src");
    std::fs::create_dir_all(&src).expect("src");
    crate::agent::movie(&src.join("The.Matrix.1999.mkv"), 1, false);
    let run = refused.upload(&["--id", "tt0133093", src.to_str().expect("utf-8")]);
    assert_eq!(run.code, 3, "{}", run.stderr);
}
