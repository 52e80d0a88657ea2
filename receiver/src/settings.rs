//! The server's settings page: the settings an admin may change in the browser (the disks'
//! reserve, the quota, the upload expiry, transcoding and how many jobs run at once), laid over
//! the configuration file and kept in the database, and the measured check of how fast this
//! machine encodes video, shown before transcoding is switched on.
//!
//! `GET /api/settings` shows them (with the configured value each replaces and the library
//! disks), `PUT /api/settings` changes some (`null` for no quota; `{"reset": [key…]}` goes back
//! to the configured value), `POST /api/settings/hardware-check` measures. Admins only.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::auth::Admin;
use crate::config::Config;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::JsonBody;
use crate::state::Shared;

/// The settings that take effect without a restart: the configured values, with what an
/// admin changed in the browser laid over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub disk_reserve: u64,
    pub library_quota: Option<u64>,
    pub upload_expiry: Duration,
    pub transcoding: bool,
    pub transcode_jobs: u32,
}

/// The settings in force, shared by the parts that read them.
pub type LiveHandle = std::sync::Arc<std::sync::RwLock<Live>>;

/// A copy of the settings in force.
pub fn read(live: &LiveHandle) -> Live {
    live.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The keys `PUT /api/settings` takes, in the order the page shows them.
pub const KEYS: [&str; 5] = [
    "transcoding",
    "transcode_jobs",
    "disk_reserve",
    "library_quota",
    "upload_expiry",
];

/// Where the last hardware check is kept (beside the settings, not one of them).
const HARDWARE_KEY: &str = "hardware_check";

/// The disks added in the browser, after those of the configuration (a JSON list of paths).
const DISKS_KEY: &str = "added_disks";

/// The disks added in the browser, as saved.
fn added_disks(saved: &[(String, String)]) -> Vec<std::path::PathBuf> {
    saved
        .iter()
        .find(|(k, _)| k == DISKS_KEY)
        .and_then(|(_, v)| serde_json::from_str(v).ok())
        .unwrap_or_default()
}

/// The configuration with the disks added in the browser after its own, in the order they were
/// added (a disk's name is its place in that list). Every command that looks at the library
/// (serving, the check, nginx's configuration) reads the disks through this.
pub fn with_added_disks(mut c: Config, store: &store::Store) -> Config {
    let saved = store.server_settings().unwrap_or_default();
    let added: Vec<_> = added_disks(&saved)
        .into_iter()
        .filter(|p| !c.roots().iter().any(|r| &r.path == p))
        .collect();
    if !added.is_empty() {
        if c.media_roots.is_empty() {
            c.media_roots = vec![c.media_root.clone()];
        }
        c.media_roots.extend(added);
    }
    c
}

/// The most jobs that may run at once.
const MAX_JOBS: u32 = 16;

impl Live {
    pub fn configured(c: &Config) -> Live {
        Live {
            disk_reserve: c.disk_reserve,
            library_quota: c.library_quota,
            upload_expiry: c.upload_expiry,
            transcoding: c.transcoding,
            transcode_jobs: c.transcode_jobs.max(1),
        }
    }

    /// The configured values with the saved ones laid over them; a saved value that no longer
    /// reads is logged and left out.
    pub fn load(c: &Config, saved: &[(String, String)]) -> Live {
        let mut live = Live::configured(c);
        for (key, text) in saved {
            if key == HARDWARE_KEY || key == DISKS_KEY {
                continue;
            }
            let done = serde_json::from_str::<Value>(text)
                .map_err(|e| e.to_string())
                .and_then(|v| live.set(key, &v));
            if let Err(e) = done {
                tracing::warn!("the saved setting {key} is left out: {e}");
            }
        }
        live
    }

    /// Sets one setting from its JSON value: sizes as bytes or text (`"2 GiB"`), durations as
    /// seconds or text (`"7d"`).
    fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        let size = |v: &Value| match v {
            Value::Number(n) => n
                .as_u64()
                .ok_or("a size is a whole number of bytes".to_owned()),
            Value::String(s) => store::config::parse_bytes(s)
                .ok_or_else(|| format!("{s:?} is not a size like \"10 GiB\"")),
            _ => Err("a size is a number of bytes or a text like \"10 GiB\"".to_owned()),
        };
        match key {
            "disk_reserve" => self.disk_reserve = size(v)?,
            "library_quota" => {
                self.library_quota = match v {
                    Value::Null => None,
                    Value::String(s) if s.is_empty() || s == "none" => None,
                    v => Some(size(v)?).filter(|q| *q > 0),
                }
            }
            "upload_expiry" => {
                let d = match v {
                    Value::Number(n) => n.as_u64().map(Duration::from_secs),
                    Value::String(s) => store::config::parse_duration(s),
                    _ => None,
                }
                .ok_or("a duration is seconds or a text like \"7d\" or \"12h\"")?;
                if d < Duration::from_secs(3600) {
                    return Err("unfinished uploads are kept at least an hour".into());
                }
                self.upload_expiry = d;
            }
            "transcoding" => self.transcoding = v.as_bool().ok_or("true or false")?,
            "transcode_jobs" => {
                self.transcode_jobs = v
                    .as_u64()
                    .filter(|n| (1..=u64::from(MAX_JOBS)).contains(n))
                    .ok_or(format!("a whole number from 1 to {MAX_JOBS}"))?
                    as u32
            }
            _ => return Err("no such setting".into()),
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Value {
        match key {
            "disk_reserve" => json!(self.disk_reserve),
            "library_quota" => json!(self.library_quota),
            "upload_expiry" => json!(self.upload_expiry.as_secs()),
            "transcoding" => json!(self.transcoding),
            "transcode_jobs" => json!(self.transcode_jobs),
            _ => Value::Null,
        }
    }
}

/// Whether ffmpeg can be run here.
/// Whether ffmpeg can be run here: asked until it answers once, then remembered (it may be
/// installed while the server runs, and is not uninstalled under it).
pub fn ffmpeg_installed() -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FOUND: AtomicBool = AtomicBool::new(false);
    if FOUND.load(Ordering::Relaxed) {
        return true;
    }
    let found = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    FOUND.store(found, Ordering::Relaxed);
    found
}

async fn answer(st: &Shared) -> ApiResult<Json<Value>> {
    let live = st.live();
    let configured = Live::configured(&st.config);
    let saved: Vec<(String, String)> = st.db(|s| s.server_settings()).await?;
    let mut settings = Map::new();
    for key in KEYS {
        settings.insert(
            key.to_owned(),
            json!({
                "value": live.get(key),
                "configured": configured.get(key),
                "changed": saved.iter().any(|(k, _)| k == key),
            }),
        );
    }
    let hardware = saved
        .iter()
        .find(|(k, _)| k == HARDWARE_KEY)
        .and_then(|(_, v)| serde_json::from_str::<Value>(v).ok());
    let roots: Vec<Value> = st
        .config
        .roots()
        .into_iter()
        .map(|r| json!({"name": r.name, "path": r.path}))
        .collect();
    let in_force: Vec<_> = st.config.roots().into_iter().map(|r| r.path).collect();
    let pending: Vec<_> = added_disks(&saved)
        .into_iter()
        .filter(|p| !in_force.contains(p))
        .collect();
    let ffmpeg = tokio::task::spawn_blocking(ffmpeg_installed)
        .await
        .unwrap_or(false);
    Ok(Json(json!({
        "settings": settings,
        "roots": roots,
        "pending_roots": pending,
        "hardware_check": hardware,
        "ffmpeg": ffmpeg,
    })))
}

/// `GET /api/settings`.
pub async fn get(State(st): State<Shared>, _admin: Admin) -> ApiResult<Json<Value>> {
    answer(&st).await
}

/// `PUT /api/settings`: every value is checked before any is kept.
pub async fn put(
    State(st): State<Shared>,
    _admin: Admin,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let mut next = st.live();
    let configured = Live::configured(&st.config);
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for (key, value) in &body {
        if key == "reset" {
            let keys = value.as_array().ok_or_else(|| {
                ApiError::new(Code::InvalidSetting, "reset takes a list of setting names")
            })?;
            for k in keys {
                let k = k.as_str().filter(|k| KEYS.contains(k)).ok_or_else(|| {
                    ApiError::new(Code::UnknownSetting, format!("no setting {k} to reset"))
                })?;
                next.set(k, &configured.get(k))
                    .map_err(|e| ApiError::new(Code::InvalidSetting, e))?;
                changes.push((k.to_owned(), None));
            }
            continue;
        }
        if !KEYS.contains(&key.as_str()) {
            return Err(ApiError::new(
                Code::UnknownSetting,
                format!(
                    "no setting {key:?} can be changed here; these can: {}",
                    KEYS.join(", ")
                ),
            ));
        }
        next.set(key, value)
            .map_err(|e| ApiError::new(Code::InvalidSetting, format!("{key}: {e}")))?;
        changes.push((key.clone(), Some(next.get(key).to_string())));
    }
    if next.transcoding && !st.live().transcoding {
        let ffmpeg = tokio::task::spawn_blocking(ffmpeg_installed)
            .await
            .unwrap_or(false);
        if !ffmpeg {
            return Err(ApiError::new(
                Code::FfmpegMissing,
                "ffmpeg is not installed here (Debian: apt install ffmpeg), so transcoding stays off",
            ));
        }
    }
    st.db(move |s| s.set_server_settings(&changes)).await?;
    st.set_live(next);
    st.transcoder.wake();
    answer(&st).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDisk {
    path: String,
}

/// `POST /api/settings/disks` `{"path"}`: adds a library disk after the others, used from the
/// next start (the receiver and nginx read their disks when they start). The folder must be
/// there (a mounted disk), be writable, and be none of the disks nor inside or around one.
pub async fn add_disk(
    State(st): State<Shared>,
    _admin: Admin,
    JsonBody(d): JsonBody<NewDisk>,
) -> ApiResult<Json<Value>> {
    let bad = |m: String| ApiError::new(Code::InvalidSetting, m);
    let path = std::path::PathBuf::from(d.path.trim());
    if !path.is_absolute() {
        return Err(bad(
            "a disk is given by its full path, like /mnt/movies2".into()
        ));
    }
    let p2 = path.clone();
    let real = tokio::task::spawn_blocking(move || -> Result<std::path::PathBuf, String> {
        let real = std::fs::canonicalize(&p2)
            .map_err(|e| format!("{} cannot be used: {e}", p2.display()))?;
        if !real.is_dir() {
            return Err(format!("{} is not a folder", p2.display()));
        }
        let probe = real.join(format!(".oott-write-check-{}", std::process::id()));
        std::fs::write(&probe, b"")
            .map_err(|e| format!("{} is not writable: {e}", p2.display()))?;
        let _ = std::fs::remove_file(&probe);
        Ok(real)
    })
    .await?
    .map_err(bad)?;
    let saved = st.db(|s| s.server_settings()).await?;
    let mut all: Vec<std::path::PathBuf> = st.config.roots().into_iter().map(|r| r.path).collect();
    let mut added = added_disks(&saved);
    all.extend(added.iter().cloned());
    for p in &all {
        let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if p == real || real.starts_with(&p) || p.starts_with(&real) {
            return Err(bad(format!(
                "{} is, holds or lies inside the library disk {}",
                real.display(),
                p.display()
            )));
        }
    }
    added.push(real.clone());
    let value = serde_json::to_string(&added).map_err(|e| ApiError::internal(e.to_string()))?;
    let change = vec![(DISKS_KEY.to_owned(), Some(value))];
    st.db(move |s| s.set_server_settings(&change)).await?;
    tracing::info!(disk = %real.display(), "library disk added; in use from the next start");
    Ok(Json(json!({"added": real, "applies": "at the next start"})))
}

/// Encodes `seconds` of a moving 1080p test picture with the ladder's H.264 settings and
/// answers how many times real time that took (more than 1: faster than it plays).
pub fn measure_speed(seconds: u32) -> std::io::Result<f64> {
    let started = Instant::now();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-f", "lavfi", "-i"])
        .arg(format!(
            "testsrc2=size=1920x1080:rate=25:duration={seconds}"
        ))
        .args(crate::media::transcode::H264_ARGS)
        .args(["-f", "null", "-"])
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "ffmpeg: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        )));
    }
    Ok(f64::from(seconds) / started.elapsed().as_secs_f64().max(0.001))
}

/// `POST /api/settings/hardware-check`: measures, keeps and answers the speed.
pub async fn hardware_check(State(st): State<Shared>, _admin: Admin) -> ApiResult<Json<Value>> {
    let speed = tokio::task::spawn_blocking(|| measure_speed(8))
        .await?
        .map_err(|e| {
            ApiError::new(
                Code::FfmpegMissing,
                format!("the check could not run ffmpeg: {e}"),
            )
        })?;
    let check = json!({
        "speed_1080p": (speed * 100.0).round() / 100.0,
        "seconds": 8,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "measured_at": store::now(),
    });
    let saved = vec![(HARDWARE_KEY.to_owned(), Some(check.to_string()))];
    st.db(move |s| s.set_server_settings(&saved)).await?;
    Ok(Json(check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_values_lie_over_the_configured_ones_and_bad_ones_are_refused() {
        let c = Config::default();
        let saved = vec![
            ("disk_reserve".to_owned(), "\"5 GiB\"".to_owned()),
            ("transcoding".to_owned(), "true".to_owned()),
            ("upload_expiry".to_owned(), "\"nonsense\"".to_owned()),
            (HARDWARE_KEY.to_owned(), "{}".to_owned()),
        ];
        let live = Live::load(&c, &saved);
        assert_eq!(live.disk_reserve, 5 << 30);
        assert!(live.transcoding);
        assert_eq!(
            live.upload_expiry, c.upload_expiry,
            "the unreadable one is left out"
        );
        let mut l = live.clone();
        assert!(l.set("transcode_jobs", &json!(0)).is_err());
        assert!(l.set("transcode_jobs", &json!(17)).is_err());
        assert!(l.set("upload_expiry", &json!(60)).is_err());
        assert!(l.set("library_quota", &json!("ten")).is_err());
        assert!(l.set("port", &json!(1)).is_err());
        assert_eq!(l, live, "refused values change nothing");
        l.set("library_quota", &json!("1 TB")).expect("quota");
        assert_eq!(l.library_quota, Some(1_000_000_000_000));
        l.set("library_quota", &Value::Null).expect("no quota");
        assert_eq!(l.library_quota, None);
    }
}
