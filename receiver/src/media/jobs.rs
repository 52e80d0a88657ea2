//! The transcoding jobs as the API shows them: `GET /api/transcodes` (also part of
//! `/api/monitor`), `DELETE /api/transcodes/<id>` cancels one, `POST /api/transcodes/<id>/retry`
//! queues a failed or cancelled one again. Admins only.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::Shared;

/// The jobs: those running, the first 20 queued (and how many are), the last 20 that ended, each with its title, and
/// for a running one how far it is, its speed and the time left.
pub async fn jobs_json(st: &Shared) -> ApiResult<Value> {
    let mut jobs = st.db(|s| s.transcode_jobs(20)).await?;
    let queued = jobs
        .iter()
        .filter(|j| j.state == store::JobState::Queued)
        .count();
    // The queue can hold the whole library: its first 20 are shown, and counted all.
    let mut shown_queued = 0;
    jobs.retain(|j| {
        j.state != store::JobState::Queued || {
            shown_queued += 1;
            shown_queued <= 20
        }
    });
    let progress = st.transcoder.progress();
    let ids: Vec<store::ContentId> = jobs.iter().map(|j| j.content_id.clone()).collect();
    let titles = st
        .db(move |s| {
            ids.iter()
                .map(|id| Ok(s.movie(id)?.map(|m| m.card.title)))
                .collect::<store::Result<Vec<_>>>()
        })
        .await?;
    let list: Vec<Value> = jobs
        .iter()
        .zip(titles)
        .map(|(j, title)| {
            let p = progress.get(&j.id);
            json!({
                "id": j.id,
                "file_id": j.file_id,
                "content_id": j.content_id,
                "title": title.unwrap_or_else(|| j.content_id.to_string()),
                "label": j.label,
                "state": j.state,
                "error": j.error,
                "attempts": j.attempts,
                "progress": p.map(|p| (p.fraction() * 1000.0).round() / 1000.0),
                "speed": p.map(|p| p.speed),
                "eta_s": p.and_then(|p| p.eta_s()),
                "started_at": j.started_at,
                "finished_at": j.finished_at,
            })
        })
        .collect();
    let live = st.live();
    Ok(json!({
        "enabled": live.transcoding,
        "at_once": live.transcode_jobs,
        "queued": queued,
        "jobs": list,
    }))
}

/// `GET /api/transcodes`.
pub async fn list(State(st): State<Shared>, _admin: Admin) -> ApiResult<Json<Value>> {
    Ok(Json(jobs_json(&st).await?))
}

/// The job a path names: 400 for what is not a job id, 404 for a job that is not there.
async fn load(st: &Shared, id: &str) -> ApiResult<(i64, store::TranscodeJob)> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::new(Code::InvalidId, "a transcoding job's id is a number"))?;
    let job = st
        .db(move |s| s.transcode_job(id))
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("no transcoding job {id}")))?;
    Ok((id, job))
}

/// `DELETE /api/transcodes/<id>`: a queued job leaves the queue, a running one is stopped.
pub async fn cancel(
    State(st): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (id, job) = load(&st, &id).await?;
    if !st.db(move |s| s.cancel_transcode(id)).await? {
        return Err(ApiError::new(
            Code::JobFinished,
            format!("job {id} has ended ({})", job.state.as_str()),
        ));
    }
    st.transcoder.wake();
    Ok(Json(json!({"id": id, "state": "cancelled"})))
}

/// `POST /api/transcodes/<id>/retry`.
pub async fn retry(
    State(st): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (id, job) = load(&st, &id).await?;
    if !st.db(move |s| s.retry_transcode(id)).await? {
        return Err(ApiError::new(
            Code::JobActive,
            format!("job {id} is {}", job.state.as_str()),
        ));
    }
    st.transcoder.wake();
    Ok(Json(json!({"id": id, "state": "queued"})))
}
