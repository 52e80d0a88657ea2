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
    #[error("{0} is not an http(s) address of a configured host; not fetched")]
    Refused(String),
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::Status { status: 404, .. })
    }
}

/// The hosts outgoing requests may go to: the configured IMDb, suggestion and Wikidata hosts
/// and the media hosts. An entry is `host` or `host:port`; `.example.com` allows any subdomain.
/// Anything else named by a page (a loopback address, a `javascript:` or `file:` URL) is
/// refused, so a page cannot make the server fetch from where it should not.
#[derive(Debug, Clone, Default)]
pub struct Hosts(Vec<String>);

impl Hosts {
    /// The hosts of `urls` and the entries of the comma-separated `extra`.
    pub fn new<'a>(urls: impl IntoIterator<Item = &'a str>, extra: &str) -> Self {
        let mut v: Vec<String> = urls
            .into_iter()
            .filter_map(|u| reqwest::Url::parse(u).ok())
            .filter_map(|u| {
                let host = u.host_str()?.to_ascii_lowercase();
                Some(match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                })
            })
            .collect();
        v.extend(
            extra
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        );
        Hosts(v)
    }

    pub fn allows(&self, url: &reqwest::Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let with_port = url.port().map(|p| format!("{host}:{p}"));
        self.0.iter().any(|e| {
            if let Some(suffix) = e.strip_prefix('.') {
                host.ends_with(&format!(".{suffix}"))
            } else {
                *e == host || Some(e) == with_port.as_ref()
            }
        })
    }
}

pub struct Fetcher {
    http: reqwest::Client,
    hosts: std::sync::Arc<Hosts>,
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
    pub fn new(
        hosts: Hosts,
        timeout: Duration,
        gap: Duration,
        retries: u32,
        backoff: Duration,
    ) -> Self {
        let hosts = std::sync::Arc::new(hosts);
        let allowed = hosts.clone();
        // A redirect is followed only towards an allowed host, and only a few times.
        let redirects = reqwest::redirect::Policy::custom(move |a| {
            if a.previous().len() >= 5 || !allowed.allows(a.url()) {
                a.stop()
            } else {
                a.follow()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(redirects)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .unwrap_or_default();
        Fetcher {
            http,
            hosts,
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
        match reqwest::Url::parse(url) {
            Ok(u) if self.hosts.allows(&u) => {}
            _ => return Err(FetchError::Refused(url.chars().take(200).collect())),
        }
        let mut attempt = 0;
        loop {
            self.wait_turn().await;
            let (retry_after, err) = match self.http.get(url).send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                // A redirect that was not followed (towards a host not allowed).
                Ok(r) if r.status().is_redirection() => {
                    return Err(FetchError::Refused(
                        r.headers()
                            .get(reqwest::header::LOCATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or(url)
                            .chars()
                            .take(200)
                            .collect(),
                    ));
                }
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
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(store::layout::temp_name(&name));
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: poster and trailer URLs from a page were fetched from any host, loopback
    /// included. Only http(s) towards the configured hosts is allowed.
    #[test]
    fn only_configured_hosts_are_fetched_from() {
        let h = Hosts::new(
            ["https://www.imdb.com", "http://127.0.0.1:4567"],
            "m.media-amazon.com,.media-imdb.com",
        );
        let ok = |u: &str| h.allows(&reqwest::Url::parse(u).expect("url"));
        assert!(ok("https://www.imdb.com/title/tt0133093/"));
        assert!(ok("http://127.0.0.1:4567/poster.jpg"));
        assert!(ok("https://m.media-amazon.com/images/M/x.jpg"));
        assert!(ok("https://imdb-video.media-imdb.com/vi1/x.mp4"));
        assert!(!ok("http://127.0.0.1:8480/api/auth/check"), "another port");
        assert!(!ok("http://localhost/"));
        assert!(!ok("http://169.254.169.254/latest/meta-data/"));
        assert!(!ok("https://media-imdb.com.evil.example/x.mp4"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("javascript:alert(1)"));
    }
}
