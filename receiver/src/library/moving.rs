//! Moving a title between library roots: `POST /api/library/movies/<content_id>/move`
//! `{"root": "2"}`. Crash-safe under an intent: the files are copied to the new root (each
//! through a temporary name, then fsync and rename), the rows are switched to it in one
//! transaction, then the old copies are removed. A crash while copying leaves the title whole
//! on the old root (start-up removes the partial copy); a crash after the switch leaves it
//! whole on the new one (start-up removes the old copy).

use std::fs;
use std::io;
use std::path::Path;

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use serde::Deserialize;
use serde_json::{Value, json};
use store::config::Root;
use store::{Intent, IntentKind, Store, layout};

use crate::auth::Auth;
use crate::disk::sync_dir;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{JsonBody, parse_content_id};
use crate::space::Space;
use crate::state::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    root: String,
}

/// `POST /api/library/movies/<content_id>/move`: admins only.
pub async fn move_title(
    State(st): State<Shared>,
    auth: Auth,
    UrlPath(id): UrlPath<String>,
    JsonBody(to): JsonBody<MoveTo>,
) -> ApiResult<Json<Value>> {
    auth.require_admin()?;
    let cid = parse_content_id(&id)?;
    let roots = st.config.roots();
    let Some(target) = roots.iter().find(|r| r.name == to.root).cloned() else {
        return Err(ApiError::new(
            Code::UnknownRoot,
            format!(
                "there is no disk {:?}; the disks are {}",
                to.root,
                roots
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let _library = st.library_lock.lock().await;
    let c2 = cid.clone();
    let files = st.db(move |s| s.library_files_of(&c2)).await?;
    let Some(from) = files.first().map(|f| f.root.clone()) else {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{cid} has no file in the library"),
        ));
    };
    if from == target.name {
        return Ok(Json(json!({"content_id": cid, "root": from, "moved": 0})));
    }
    let source = st.root_path(&from)?;
    let bytes = files.iter().fold(0u64, |a, f| a.saturating_add(f.size));
    Space::measure(&st)
        .await?
        .pick(bytes, &[], Some(&target.name))?;
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let kind = IntentKind::TitleMove {
        content_id: cid.clone(),
        from: from.clone(),
        to: target.name.clone(),
        paths: paths.clone(),
        switched: false,
    };
    let (k2, dir) = (kind.clone(), layout::title_dir(&cid));
    let intent_id = st.db(move |s| s.begin_intent("", &dir, &k2)).await?;
    st.crash_point("move:after-intent");
    let (p2, to_path) = (paths.clone(), target.path.clone());
    tokio::task::spawn_blocking(move || copy_all(&source, &to_path, &p2)).await??;
    st.crash_point("move:copied");
    let intent = Intent {
        id: intent_id,
        from_path: String::new(),
        to_path: layout::title_dir(&cid),
        kind,
    };
    let intent = st.db(move |s| s.switch_title_root(&intent)).await?;
    st.crash_point("move:switched");
    let (roots2, store) = (roots.clone(), st.store.clone());
    tokio::task::spawn_blocking(move || finish_move(&roots2, &store, &intent))
        .await?
        .map_err(|e| ApiError::internal(format!("removing the old copy: {e:#}")))?;
    tracing::info!(content = %cid, from = %from, to = %target.name, files = paths.len(), "moved");
    Ok(Json(
        json!({"content_id": cid, "root": target.name, "moved": paths.len()}),
    ))
}

/// Copies each file from one root to the other, durably, each under a temporary name first.
fn copy_all(from: &Path, to: &Path, paths: &[String]) -> io::Result<()> {
    for rel in paths {
        let (src, dst) = (from.join(rel), to.join(rel));
        let dir = dst.parent().unwrap_or(to);
        fs::create_dir_all(dir)?;
        let name = dst
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(layout::temp_name(&name));
        fs::copy(&src, &tmp)?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, &dst)?;
        sync_dir(dir)?;
    }
    sync_dir(to)
}

/// Removes the copy the rows no longer name, then the intent. Also what start-up does with a
/// move a crash interrupted: before the switch, the partial copy on the new root goes; after
/// it, the old copy.
pub fn finish_move(roots: &[Root], store: &Store, intent: &Intent) -> anyhow::Result<()> {
    let IntentKind::TitleMove {
        content_id,
        from,
        to,
        paths,
        switched,
    } = &intent.kind
    else {
        anyhow::bail!("intent {} is not a title move", intent.id);
    };
    let stale = if *switched { from } else { to };
    let Some(root) = roots.iter().find(|r| &r.name == stale) else {
        anyhow::bail!("disk {stale} is not configured");
    };
    remove_copy(&root.path, content_id, paths);
    store.drop_intent(intent.id)?;
    Ok(())
}

/// Removes a title's files (and temporary copies of them) from one root, and its folder there
/// when nothing else is left in it.
fn remove_copy(root: &Path, content_id: &store::ContentId, paths: &[String]) {
    crate::disk::remove_files(root, paths);
    let dir = root.join(layout::title_dir(content_id));
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries.flatten() {
            if layout::is_temp(&e.file_name().to_string_lossy()) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let _ = fs::remove_dir(&dir);
    let _ = sync_dir(root);
}
