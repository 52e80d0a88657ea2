//! Outgoing HTTP for metadata: a proper User-Agent, one request at a time with a gap between
//! them (rate limit), a timeout, and retries with back-off on network errors, 5xx and 429.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub const USER_AGENT: &str = concat!(
    "OpenOTT/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted movie library)"
);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {host}: {why}")]
    Unreachable { host: String, why: String },
    #[error("{host} answered HTTP {status}")]
    Status { host: String, status: u16 },
    #[error("{host} sent more than {limit} bytes")]
    TooLarge { host: String, limit: usize },
    #[error("writing {0}")]
    Io(#[from] std::io::Error),
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::Status { status: 404, .. })
    }
}

pub struct Fetcher {
    http: reqwest::Client,
    gap: Duration,
    retries: u32,
    backoff: Duration,
    // tokio mutex: held across the wait for the gap, so requests go out one after another.
    last: tokio::sync::Mutex<Option<Instant>>,
}

fn host(url: &str) -> String {
    url.split("//")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or(url)
        .to_owned()
}

impl Fetcher {
    pub fn new(timeout: Duration, gap: Duration, retries: u32, backoff: Duration) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .unwrap_or_default();
        Fetcher {
            http,
            gap,
            retries,
            backoff,
            last: tokio::sync::Mutex::new(None),
        }
    }

    async fn wait_turn(&self) {
        let mut last = self.last.lock().await;
        if let Some(t) = *last {
            let since = t.elapsed();
            if since < self.gap {
                tokio::time::sleep(self.gap - since).await;
            }
        }
        *last = Some(Instant::now());
    }

    /// Sends a GET, retrying what may pass; answers the response to read.
    async fn send(&self, url: &str) -> Result<reqwest::Response, FetchError> {
        let mut attempt = 0;
        loop {
            self.wait_turn().await;
            let (retry_after, err) = match self.http.get(url).send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) => {
                    let status = r.status().as_u16();
                    let err = FetchError::Status {
                        host: host(url),
                        status,
                    };
                    if status != 429 && status < 500 {
                        return Err(err);
                    }
                    let after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    (after, err)
                }
                Err(e) => (
                    None,
                    FetchError::Unreachable {
                        host: host(url),
                        why: e.to_string(),
                    },
                ),
            };
            attempt += 1;
            if attempt > self.retries {
                return Err(err);
            }
            let backoff = self.backoff * 2u32.pow(attempt - 1);
            let wait = retry_after.map(|a| a.min(backoff * 4)).unwrap_or(backoff);
            tracing::debug!("{err}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }

    /// The body of `url`, at most `limit` bytes.
    pub async fn get(&self, url: &str, limit: usize) -> Result<Bytes, FetchError> {
        let mut resp = self.send(url).await?;
        let too_large = || FetchError::TooLarge {
            host: host(url),
            limit,
        };
        if resp.content_length().is_some_and(|n| n as usize > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Unreachable {
            host: host(url),
            why: e.to_string(),
        })? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// Streams `url` into `dest` (through a temporary file), at most `limit` bytes.
    pub async fn download(&self, url: &str, dest: &Path, limit: u64) -> Result<u64, FetchError> {
        use tokio::io::AsyncWriteExt;
        let mut resp = self.send(url).await?;
        let tmp = dest.with_extension("part-download");
        let mut out = tokio::fs::File::create(&tmp).await?;
        let mut n = 0u64;
        let result = async {
            while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Unreachable {
                host: host(url),
                why: e.to_string(),
            })? {
                n += chunk.len() as u64;
                if n > limit {
                    return Err(FetchError::TooLarge {
                        host: host(url),
                        limit: limit as usize,
                    });
                }
                out.write_all(&chunk).await?;
            }
            out.sync_all().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        tokio::fs::rename(&tmp, dest).await?;
        Ok(n)
    }
}
