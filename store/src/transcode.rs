//! Transcoding jobs (a movie file to its HLS ladder) and the server settings an admin changes
//! in the browser. A job's ladder is recorded as library files in the transaction that ends it.

use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::layout::FileKind;
use crate::library_files::{NewLibraryFile, upsert_tx};
use crate::{ContentId, FileId, Store, changes, now};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A transcoding job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TranscodeJob {
    pub id: i64,
    pub file_id: FileId,
    pub content_id: ContentId,
    /// The version label of the file.
    pub label: String,
    pub state: JobState,
    pub error: Option<String>,
    /// How many times it was started.
    pub attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const JOB_COLS: &str = "j.id, j.file_id, c.content_id, c.label, j.state, j.error, j.attempts,
                        j.created_at, j.started_at, j.finished_at";

fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TranscodeJob> {
    let text = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let file: String = r.get(1)?;
    let id: String = r.get(2)?;
    let state: String = r.get(4)?;
    Ok(TranscodeJob {
        id: r.get(0)?,
        file_id: FileId::parse(&file).map_err(|e| text(1, e.to_string()))?,
        content_id: ContentId::parse(&id).map_err(|e| text(2, e.to_string()))?,
        label: r.get(3)?,
        state: JobState::parse(&state).ok_or_else(|| text(4, format!("unknown state {state}")))?,
        error: r.get(5)?,
        attempts: r.get(6)?,
        created_at: r.get(7)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
    })
}

impl Store {
    /// Queues a job for every movie file ffprobe has read that has neither a ladder nor a job
    /// yet: the files browsers cannot play at all first, oldest first. Answers how many.
    pub fn queue_transcodes(&self) -> Result<usize> {
        let n = self.conn().execute(
            "INSERT INTO transcode_jobs (file_id, state, created_at)
             SELECT c.file_id, 'queued', ?1 FROM content_files c
             WHERE c.playable IN ('direct', 'remux', 'transcode')
               AND NOT EXISTS (SELECT 1 FROM transcode_jobs j WHERE j.file_id = c.file_id)
               AND NOT EXISTS (SELECT 1 FROM library_files l WHERE l.content_id = c.content_id
                                   AND l.kind = 'hls' AND l.label = c.label)
             ORDER BY c.playable = 'transcode' DESC, c.created_at",
            [now()],
        )?;
        Ok(n)
    }

    /// Every job, the unfinished first (running, then queued in order), then the latest
    /// finished ones, up to `finished` of them.
    pub fn transcode_jobs(&self, finished: i64) -> Result<Vec<TranscodeJob>> {
        let sql = format!(
            "SELECT {JOB_COLS} FROM transcode_jobs j JOIN content_files c ON c.file_id = j.file_id
             WHERE j.state IN ('running', 'queued')
             UNION ALL
             SELECT * FROM (SELECT {JOB_COLS} FROM transcode_jobs j
                            JOIN content_files c ON c.file_id = j.file_id
                            WHERE j.state NOT IN ('running', 'queued')
                            ORDER BY j.finished_at DESC, j.id DESC LIMIT ?1)"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut jobs = stmt
            .query_map([finished], job_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let rank = |s: JobState| match s {
            JobState::Running => 0,
            JobState::Queued => 1,
            _ => 2,
        };
        jobs.sort_by_key(|j| (rank(j.state), if rank(j.state) < 2 { j.id } else { 0 }));
        Ok(jobs)
    }

    pub fn transcode_job(&self, id: i64) -> Result<Option<TranscodeJob>> {
        let sql = format!(
            "SELECT {JOB_COLS} FROM transcode_jobs j JOIN content_files c ON c.file_id = j.file_id
             WHERE j.id = ?1"
        );
        Ok(self.conn().query_row(&sql, [id], job_from_row).optional()?)
    }

    /// Takes the oldest queued job and marks it running; `None` when none waits.
    pub fn start_next_transcode(&self) -> Result<Option<TranscodeJob>> {
        let id: Option<i64> = self.tx(|tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT id FROM transcode_jobs WHERE state = 'queued' ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = id {
                tx.execute(
                    "UPDATE transcode_jobs SET state = 'running', started_at = ?2, error = NULL,
                         attempts = attempts + 1, finished_at = NULL WHERE id = ?1",
                    params![id, now()],
                )?;
            }
            Ok(id)
        })?;
        match id {
            Some(id) => self.transcode_job(id),
            None => Ok(None),
        }
    }

    /// Ends a running job with its ladder: the files are recorded (replacing an older ladder's
    /// rows of the same version) with a change-log entry, in one transaction. A job cancelled
    /// meanwhile stays cancelled and records nothing (`Refused`).
    pub fn finish_transcode(&self, id: i64, files: &[NewLibraryFile]) -> Result<()> {
        self.tx(|tx| {
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM transcode_jobs WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            if state.as_deref() != Some("running") {
                return Err(Error::Refused("the job is no longer running"));
            }
            if let Some(first) = files.first() {
                tx.execute(
                    "DELETE FROM library_files WHERE content_id = ?1 AND kind = 'hls' AND label = ?2",
                    params![first.content_id.as_str(), first.label],
                )?;
            }
            for f in files {
                debug_assert_eq!(f.kind, FileKind::Hls);
                upsert_tx(tx, f)?;
            }
            tx.execute(
                "UPDATE transcode_jobs SET state = 'done', finished_at = ?2 WHERE id = ?1",
                params![id, now()],
            )?;
            let content = files.first().map(|f| &f.content_id);
            changes::record(tx, changes::ChangeKind::FileAdded, content, None)
        })
    }

    /// Ends a running job that failed.
    pub fn fail_transcode(&self, id: i64, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE transcode_jobs SET state = 'failed', error = ?2, finished_at = ?3
             WHERE id = ?1 AND state = 'running'",
            params![id, error, now()],
        )?;
        Ok(())
    }

    /// Cancels a queued or running job; answers whether it was one (a finished job is left).
    pub fn cancel_transcode(&self, id: i64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE transcode_jobs SET state = 'cancelled', finished_at = ?2
             WHERE id = ?1 AND state IN ('queued', 'running')",
            params![id, now()],
        )?;
        Ok(n == 1)
    }

    /// Queues a failed or cancelled job again; answers whether it was one.
    pub fn retry_transcode(&self, id: i64) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE transcode_jobs SET state = 'queued', error = NULL, finished_at = NULL
             WHERE id = ?1 AND state IN ('failed', 'cancelled')",
            [id],
        )?;
        Ok(n == 1)
    }

    /// Puts running jobs back in the queue: at start-up (the process that ran them ended), or
    /// when transcoding is switched off. Answers how many.
    pub fn requeue_running_transcodes(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE transcode_jobs SET state = 'queued' WHERE state = 'running'",
            [],
        )?)
    }

    /// The server settings changed in the browser, as `(key, JSON value)`.
    pub fn server_settings(&self) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT key, value FROM server_settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets (`Some`) or forgets (`None`, back to the configuration file's value) server
    /// settings, all in one transaction.
    pub fn set_server_settings(&self, changes: &[(String, Option<String>)]) -> Result<()> {
        self.tx(|tx| {
            for (key, value) in changes {
                match value {
                    Some(v) => tx.execute(
                        "INSERT INTO server_settings (key, value, changed_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                             changed_at = excluded.changed_at",
                        params![key, v, now()],
                    )?,
                    None => tx.execute("DELETE FROM server_settings WHERE key = ?1", [key])?,
                };
            }
            Ok(())
        })
    }
}
