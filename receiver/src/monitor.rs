//! `GET /api/monitor`: disk, library and traffic figures (the notes' "server monitor"), and the
//! middleware that counts the bytes the server sends.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::space::Space;
use crate::state::Shared;

/// `GET /api/servers`: the servers the media can be streamed from, this one first (its `url`
/// empty: the page's own origin), then each mirror with an address for browsers. The pages
/// measure which answers fastest and fall back to this one.
pub async fn servers(State(st): State<Shared>, _auth: Auth) -> ApiResult<Json<Value>> {
    let mut list = vec![json!({"name": "this server", "url": ""})];
    for m in &st.config.mirror {
        if let Some(web) = m.web.as_deref().map(|w| w.trim().trim_end_matches('/'))
            && (web.starts_with("http://") || web.starts_with("https://"))
        {
            list.push(json!({"name": m.name, "url": web}));
        }
    }
    Ok(Json(json!({ "servers": list })))
}

pub async fn monitor(State(st): State<Shared>, _auth: Auth) -> ApiResult<Json<Value>> {
    let space = Space::measure(&st).await?;
    let stats = st.db(|s| s.library_stats()).await?;
    let active = st.db(|s| s.active_uploads()).await?.len();
    let usable = space.disk_free.saturating_sub(space.reserve);
    Ok(Json(json!({
        "disk": {
            "total": space.disk_total,
            "free": space.disk_free,
            "reserve": space.reserve,
            "usable": usable,
            "used_fraction": if space.disk_total > 0 {
                1.0 - space.disk_free as f64 / space.disk_total as f64
            } else { 0.0 },
        },
        "library": {
            "size": stats.bytes,
            "titles": stats.titles,
            "files": stats.files,
            "hd_files": stats.hd_files,
            "play_time_s": stats.play_time_s,
            "quota": space.quota,
        },
        "uploads": {"active": active, "pending_bytes": space.pending_bytes},
        "disks": space.roots,
        "library_check": crate::library::check::last(&st.config.data_dir),
        "transcodes": crate::media::jobs::jobs_json(&st).await?,
        "mirrors": mirrors(&st.config.data_dir),
        "traffic": {
            "bytes_received": st.received.load(Ordering::Relaxed),
            "bytes_sent": st.sent.load(Ordering::Relaxed),
        },
    })))
}

/// The backup mirrors as `oott-agent sync` last wrote them (`<data_dir>/sync/status.json`):
/// reachable, last push, lag, what is still to push, last audit, error.
fn mirrors(data_dir: &std::path::Path) -> Value {
    std::fs::read(data_dir.join("sync/status.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .map(|v| v["mirrors"].clone())
        .unwrap_or_else(|| json!([]))
}

/// Adds each response's body length to the bytes-sent counter.
pub async fn count_sent(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let len = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    st.sent.fetch_add(len, Ordering::Relaxed);
    resp
}
