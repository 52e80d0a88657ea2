//! `oott-agent`: the Open OTT agent. On a person's own computer, `login`, `logout` and `status`
//! manage its API token and `upload` sends a whole collection, resumably and unattended; beside
//! the server, `sync` keeps its backup mirrors.

pub mod api;
pub mod body;
pub mod config;
pub mod identify;
pub mod report;
pub mod scan;
pub mod state;
pub mod sync;
pub mod tag;
pub mod terminal;
pub mod transfer;
pub mod upload;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::json;

use api::Api;
use config::Login;
use report::Report;

/// The exit code for "not logged in, or the token was refused".
pub const EXIT_UNAUTHORIZED: u8 = 3;
/// The exit code for a command line that cannot be read.
pub const EXIT_USAGE: u8 = 64;

#[derive(Parser, Debug)]
#[command(
    name = "oott-agent",
    version,
    about = "Uploads movie files to an Open OTT server, resumably and unattended",
    after_help = "Exit codes: 0 all done; 1 some files skipped or waiting for confirmation; \
                  2 some failed; 3 not logged in or the token was refused; 64 a wrong command line."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Logs in once and keeps an API token in the configuration folder (mode 0600).
    Login {
        #[arg(long, env = "OOTT_SERVER")]
        server: String,
        /// The user name (asked when not given).
        #[arg(long)]
        user: Option<String>,
    },
    /// Revokes the stored token and forgets it.
    Logout,
    /// Says which server and user the agent is logged in as, and the server's disk verdict.
    Status {
        #[arg(long, env = "OOTT_SERVER")]
        server: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Uploads the movie files under the paths (files or folders).
    Upload {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, env = "OOTT_SERVER")]
        server: Option<String>,
        /// Takes a title without asking only when the server marks it as clearly ahead; the
        /// others wait for an interactive run.
        #[arg(long, short = 'y')]
        yes: bool,
        /// The IMDb id of a single file.
        #[arg(long)]
        id: Option<String>,
        /// Shows what would happen and sends nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replaces the file of a title that already has one.
        #[arg(long, conflicts_with = "version")]
        replace: bool,
        /// Adds the file as another version of its title, with this label (`4k`, `directors-cut`).
        #[arg(long, value_name = "LABEL")]
        version: Option<String>,
        /// At most this many bytes a second (`10M`, `500k`).
        #[arg(long, value_name = "RATE", value_parser = parse_rate)]
        limit_rate: Option<u64>,
        /// One JSON object per line, each with an `event` field.
        #[arg(long)]
        json: bool,
        /// Says why each left-out file was left out.
        #[arg(long, short = 'v')]
        verbose: bool,
    },
    /// On the server's machine: keeps the backup mirrors identical to the library, the site and
    /// the database, pushing what changed with rsync.
    Sync {
        /// A mirror, `NAME=URL` (`rsync://host:port/module` or `user@host:/path`); repeatable,
        /// added to the `[[mirror]]` tables of the configuration.
        #[arg(long = "mirror", value_name = "NAME=URL")]
        mirrors: Vec<String>,
        /// The server's configuration file (else OOTT_CONFIG and the OOTT_* variables).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Pushes what is pending and exits.
        #[arg(long)]
        once: bool,
        /// Compares every media file's contents with each mirror's, repairs what differs, and
        /// says what it found.
        #[arg(long)]
        audit: bool,
        /// At most this many bytes a second per transfer (rsync's --bwlimit: `10M`, `500k`).
        #[arg(long, value_name = "RATE")]
        bwlimit: Option<String>,
        /// Audits in the background, a file at a time, reading at most this many bytes a second
        /// (`20M`); none by default.
        #[arg(long, value_name = "RATE", value_parser = parse_rate)]
        audit_rate: Option<u64>,
        /// Seconds between looks at the database and the site.
        #[arg(long, default_value_t = 1.0)]
        interval: f64,
        /// One JSON object per line, each with an `event` field.
        #[arg(long)]
        json: bool,
    },
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&s[..s.len() - 1], 1u64 << 10),
        Some('m') => (&s[..s.len() - 1], 1 << 20),
        Some('g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<f64>()
        .ok()
        .filter(|n| *n > 0.0)
        .map(|n| (n * mult as f64) as u64)
        .ok_or_else(|| format!("{s} is not a rate: bytes a second, as 500k, 10M or 1G"))
}

/// The server and token to use: the flag or `OOTT_SERVER`, else the stored login's server; the
/// token from `OOTT_TOKEN`, else the stored login when it is for that server.
fn connect(server: Option<String>) -> anyhow::Result<Option<Api>> {
    let login = Login::load()?;
    let server = match server.filter(|s| !s.trim().is_empty()) {
        Some(s) => config::normalise_server(&s),
        None => match &login {
            Some(l) => l.server.clone(),
            None => return Ok(None),
        },
    };
    let token = std::env::var("OOTT_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| login.filter(|l| l.server == server).map(|l| l.token));
    match token {
        Some(t) => Ok(Some(Api::new(&server, Some(t))?)),
        None => Ok(None),
    }
}

fn not_logged_in() -> u8 {
    eprintln!(
        "oott-agent: not logged in, or the token was refused: run `oott-agent login --server URL` \
         (or set OOTT_SERVER and OOTT_TOKEN)"
    );
    EXIT_UNAUTHORIZED
}

/// Runs a command; answers the exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Login { server, user } => login(&server, user),
        Command::Logout => logout(),
        Command::Status { server, json } => status(server, json),
        Command::Sync {
            mirrors,
            config,
            once,
            audit,
            bwlimit,
            audit_rate,
            interval,
            json,
        } => {
            let mut args = Vec::new();
            if let Some(c) = config {
                args.push("--config".to_owned());
                args.push(c.display().to_string());
            }
            let cfg = store::config::Config::load(&args, |k| std::env::var(k).ok())?;
            let mut list = cfg.mirror.clone();
            for m in mirrors {
                let Some((name, url)) = m.split_once('=') else {
                    eprintln!("oott-agent: --mirror takes NAME=URL, not {m}");
                    return Ok(EXIT_USAGE);
                };
                list.push(store::config::Mirror {
                    name: name.trim().to_owned(),
                    url: url.trim().to_owned(),
                    web: None,
                });
            }
            if let Some(m) = list.iter().find(|m| {
                m.name.is_empty()
                    || !m
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }) {
                eprintln!(
                    "oott-agent: a mirror's name is letters, digits, - and _: {:?}",
                    m.name
                );
                return Ok(EXIT_USAGE);
            }
            terminal::stop_on_interrupt();
            let opts = sync::Options {
                config: cfg,
                mirrors: list,
                once: once || audit,
                audit,
                bwlimit,
                interval: std::time::Duration::from_secs_f64(interval.max(0.05)),
                audit_rate,
            };
            sync::run(&opts, &Report::new(json, true))
        }
        Command::Upload {
            paths,
            server,
            yes,
            id,
            dry_run,
            replace,
            version,
            limit_rate,
            json,
            verbose,
        } => {
            if let Some(id) = &id
                && identify::pasted_id(id).as_deref() != Some(id.trim())
            {
                eprintln!("oott-agent: --id takes an IMDb title id (tt and 7 or 8 digits)");
                return Ok(EXIT_USAGE);
            }
            let Some(api) = connect(server)? else {
                return Ok(not_logged_in());
            };
            let opts = upload::Options {
                paths,
                yes,
                id: id.map(|s| s.trim().to_owned()),
                dry_run,
                replace,
                version,
                limit_rate,
            };
            let mut report = Report::new(json, verbose);
            match upload::run(&api, &opts, &mut report) {
                Ok(t) if t.refused => Ok(not_logged_in()),
                Ok(t) => Ok(t.exit_code()),
                Err(f) if f.unauthorized() => Ok(not_logged_in()),
                Err(f) if f.code() == "usage" => {
                    eprintln!("oott-agent: {}", f.to_string().trim_end_matches(" (usage)"));
                    Ok(EXIT_USAGE)
                }
                Err(f) => {
                    report.emit(
                        "error",
                        json!({"code": f.code(), "error": f.to_string()}),
                        None,
                    );
                    eprintln!("oott-agent: {f}");
                    Ok(2)
                }
            }
        }
    }
}

fn login(server: &str, user: Option<String>) -> anyhow::Result<u8> {
    let server = config::normalise_server(server);
    let user = match user {
        Some(u) => u,
        None => terminal::ask("user name: ").unwrap_or_default(),
    };
    let password = terminal::ask_secret("password: ").unwrap_or_default();
    let api = Api::new(&server, None)?;
    let name = format!("oott-agent on {}", hostname());
    match api.make_token(user.trim(), &password, &name) {
        Ok((token, id)) => {
            Login {
                server: server.clone(),
                user: user.trim().to_owned(),
                token,
                token_id: Some(id),
            }
            .save()?;
            println!("logged in to {server} as {}", user.trim());
            Ok(0)
        }
        Err(f) if f.unauthorized() => {
            eprintln!("oott-agent: {f}");
            Ok(EXIT_UNAUTHORIZED)
        }
        Err(f) => {
            eprintln!("oott-agent: {f}");
            Ok(2)
        }
    }
}

fn logout() -> anyhow::Result<u8> {
    let Some(login) = Login::load()? else {
        println!("not logged in");
        return Ok(0);
    };
    if let Some(id) = login.token_id {
        let api = Api::new(&login.server, Some(login.token.clone()))?;
        match api.delete(&format!("/api/auth/tokens/{id}")) {
            Ok(_) => {}
            // Already revoked or ended: forgetting it is all that is left.
            Err(f) if f.unauthorized() || f.code() == "not_found" => {}
            Err(f) => {
                eprintln!("oott-agent: the token could not be revoked: {f}; it is kept");
                return Ok(2);
            }
        }
    }
    Login::forget()?;
    println!("logged out of {}", login.server);
    Ok(0)
}

fn status(server: Option<String>, json_out: bool) -> anyhow::Result<u8> {
    let Some(api) = connect(server)? else {
        return Ok(not_logged_in());
    };
    let me = match api.get("/api/auth/me") {
        Ok(v) => v,
        Err(f) if f.unauthorized() => return Ok(not_logged_in()),
        Err(f) => {
            eprintln!("oott-agent: {f}");
            return Ok(2);
        }
    };
    let info = api.post("/api/library/upload/info", &json!([]));
    let user = me["user"]["username"].as_str().unwrap_or("?").to_owned();
    let role = me["user"]["role"].as_str().unwrap_or("").to_owned();
    if json_out {
        let space = info
            .as_ref()
            .map(|v| v["space"].clone())
            .unwrap_or_default();
        println!(
            "{}",
            json!({"server": api.server, "user": user, "role": role,
                   "fits": info.as_ref().ok().map(|v| v["fits"].clone()), "space": space})
        );
    } else {
        println!("server: {}", api.server);
        println!("user:   {user} ({role})");
        match &info {
            Ok(v) => {
                let s = &v["space"];
                let n = |k: &str| s[k].as_u64().unwrap_or(0);
                println!(
                    "disk:   {} free of {}, {} kept in reserve, {} in the library{}",
                    report::size(n("disk_free")),
                    report::size(n("disk_total")),
                    report::size(n("reserve")),
                    report::size(n("library_bytes")),
                    s["quota"]
                        .as_u64()
                        .map(|q| format!(", quota {}", report::size(q)))
                        .unwrap_or_default()
                );
            }
            Err(f) => println!("disk:   unknown ({f})"),
        }
    }
    Ok(0)
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its whole length, which is passed.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(0);
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "this computer".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(parse_rate("500k"), Ok(500 << 10));
        assert_eq!(parse_rate("10M"), Ok(10 << 20));
        assert_eq!(parse_rate("4096"), Ok(4096));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("0").is_err());
    }
}
