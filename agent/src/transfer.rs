//! Sending one file with the protocol's chunks: each chunk sized to take about half a second
//! (measured over the last few), the offset always the server's, failures that may pass retried
//! with capped back-off, and a stop asked with Ctrl-C honoured once a chunk is acknowledged.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::api::{Answer, Api, Failure};
use crate::report::Report;
use crate::scan::Movie;
use crate::terminal;

/// How long a chunk should take.
const CHUNK_TIME: f64 = 0.5;
/// The first chunk, before anything is measured.
const FIRST_CHUNK: u64 = 4 << 20;
const SMALLEST_CHUNK: u64 = 256 << 10;
/// How many recent chunks the pace is measured over.
const MEASURED: usize = 4;
/// Attempts in a row after which an attended run gives a file up (unattended ones never do).
const ATTENDED_ATTEMPTS: u32 = 10;

/// How one file ended.
pub enum Sent {
    /// Filed: the answer of `end`.
    Done(Value),
    /// Ctrl-C: it stopped after an acknowledged chunk (at this offset) and resumes next time.
    Stopped(u64),
    Failed(Failure),
    /// The token was refused: nothing more can be sent.
    Refused(Failure),
}

/// The chunk size from the recent pace.
pub struct Pace {
    recent: VecDeque<(u64, f64)>,
    largest: u64,
}

impl Pace {
    pub fn new(largest: u64) -> Pace {
        Pace {
            recent: VecDeque::new(),
            largest: largest.max(SMALLEST_CHUNK),
        }
    }

    pub fn record(&mut self, bytes: u64, took: Duration) {
        if self.recent.len() == MEASURED {
            self.recent.pop_front();
        }
        self.recent.push_back((bytes, took.as_secs_f64().max(1e-3)));
    }

    /// Bytes a second over the recent chunks.
    pub fn rate(&self) -> f64 {
        let (b, s) = self
            .recent
            .iter()
            .fold((0u64, 0f64), |(b, s), c| (b + c.0, s + c.1));
        if s > 0.0 { b as f64 / s } else { 0.0 }
    }

    /// The next chunk: half a second at the recent rate, growing at most fourfold at a time.
    pub fn next(&self) -> u64 {
        let Some(last) = self.recent.back() else {
            return FIRST_CHUNK.min(self.largest);
        };
        let want = (self.rate() * CHUNK_TIME) as u64;
        want.min(last.0.saturating_mul(4))
            .clamp(SMALLEST_CHUNK, self.largest)
    }
}

/// The wait before attempt `n` (from 1): half a second, doubling, at most 30 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << n.saturating_sub(1).min(6)))
        .min(Duration::from_secs(30))
}

pub struct Sender<'a> {
    pub api: &'a Api,
    pub attended: bool,
    pub rate: Option<u64>,
    pub largest_chunk: u64,
}

impl Sender<'_> {
    /// Sends `movie` from `offset` under `upload_id`; `restart` starts the upload again when
    /// the server no longer has it (expired or cancelled).
    pub fn send(
        &self,
        report: &mut Report,
        movie: &Movie,
        upload_id: &mut String,
        mut offset: u64,
        restart: &mut dyn FnMut() -> Answer<String>,
    ) -> Sent {
        let shown = movie.path.display().to_string();
        let mut pace = Pace::new(self.largest_chunk);
        let mut nr = 0u64;
        let mut attempts = 0u32;
        let mut restarts = 0u32;
        report.start_file(&movie.name, offset, movie.size);
        loop {
            if terminal::stopping() {
                return Sent::Stopped(offset);
            }
            match std::fs::metadata(&movie.path) {
                Ok(m) if m.len() == movie.size => {}
                _ => {
                    return Sent::Failed(Failure::Network(
                        "the file changed or went away since it was found".into(),
                    ));
                }
            }
            let step = if offset < movie.size {
                let len = pace.next().min(movie.size - offset);
                let t = Instant::now();
                self.api
                    .chunk(upload_id, nr, &movie.path, offset, len, self.rate)
                    .map(|new| {
                        pace.record(new.saturating_sub(offset), t.elapsed());
                        report.progress(
                            &shown,
                            new,
                            movie.size,
                            new.saturating_sub(offset),
                            pace.rate(),
                        );
                        nr += 1;
                        offset = new;
                        None
                    })
            } else {
                self.api.end(upload_id).map(Some)
            };
            let failure = match step {
                Ok(Some(done)) => return Sent::Done(done),
                Ok(None) => {
                    attempts = 0;
                    continue;
                }
                Err(f) => f,
            };
            if failure.unauthorized() {
                return Sent::Refused(failure);
            }
            match failure.code() {
                "offset_mismatch" | "incomplete_upload" => {
                    if let Failure::Http {
                        offset: Some(o), ..
                    } = failure
                    {
                        offset = o;
                        report.progress(&shown, offset, movie.size, 0, pace.rate());
                        continue;
                    }
                }
                "upload_expired" | "upload_cancelled" | "unknown_upload" if restarts < 2 => {
                    restarts += 1;
                    report.emit(
                        "restarted",
                        json!({"path": shown, "reason": failure.to_string()}),
                        Some(format!("{}: {failure}; starting it again", movie.name)),
                    );
                    match restart() {
                        Ok(id) => {
                            *upload_id = id;
                            offset = 0;
                            report.start_file(&movie.name, 0, movie.size);
                            continue;
                        }
                        Err(f) if f.unauthorized() => return Sent::Refused(f),
                        Err(f) => return Sent::Failed(f),
                    }
                }
                _ => {}
            }
            if !failure.retryable() {
                return Sent::Failed(failure);
            }
            // No answer, or one that may change: wait, ask the server where it stands, go on.
            loop {
                attempts += 1;
                if self.attended && attempts > ATTENDED_ATTEMPTS {
                    return Sent::Failed(failure);
                }
                let wait = backoff(attempts);
                report.emit(
                    "retrying",
                    json!({"path": shown, "error": failure.to_string(), "attempt": attempts,
                           "wait_seconds": wait.as_secs_f64()}),
                    Some(format!(
                        "{}: {failure}; trying again in {:.1} s",
                        movie.name,
                        wait.as_secs_f64()
                    )),
                );
                let until = Instant::now() + wait;
                while Instant::now() < until {
                    if terminal::stopping() {
                        return Sent::Stopped(offset);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                match self.api.offset(upload_id) {
                    Ok(o) => {
                        offset = o;
                        report.progress(&shown, offset, movie.size, 0, pace.rate());
                        break;
                    }
                    Err(f) if f.unauthorized() => return Sent::Refused(f),
                    Err(f) if f.retryable() => continue,
                    // The upload itself is gone or refused: the main loop decides.
                    Err(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_the_measured_pace() {
        let mut p = Pace::new(256 << 20);
        assert_eq!(p.next(), FIRST_CHUNK);
        // 4 MiB in 20 ms is 200 MiB/s: half a second would be 100 MiB, but it grows fourfold
        // at most.
        p.record(4 << 20, Duration::from_millis(20));
        assert_eq!(p.next(), 16 << 20);
        for _ in 0..4 {
            p.record(64 << 20, Duration::from_millis(320));
        }
        assert_eq!(p.next(), 100 << 20);
        // A slow link: 1 MiB a second gives half a MiB.
        let mut slow = Pace::new(256 << 20);
        slow.record(4 << 20, Duration::from_secs(4));
        assert_eq!(slow.next(), 512 << 10);
        // Never more than the server takes.
        let mut capped = Pace::new(8 << 20);
        capped.record(8 << 20, Duration::from_millis(1));
        assert_eq!(capped.next(), 8 << 20);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(5), Duration::from_secs(8));
        assert_eq!(backoff(40), Duration::from_secs(30));
    }
}
