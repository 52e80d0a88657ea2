//! The server's API as the agent uses it: JSON calls with the token, the upload protocol's
//! steps, and one `Failure` that says whether trying again can help.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Why a call did not succeed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// No answer: the server is down, restarting or unreachable, or the connection broke.
    Network(String),
    /// An answer with an error status and the API's `{"error": {code, message}}`.
    Http {
        status: u16,
        code: String,
        message: String,
        /// The offset the server holds, when the answer carries one.
        offset: Option<u64>,
    },
}

impl Failure {
    /// A later attempt may succeed: no answer, a server error, a timeout, too many requests, or
    /// a chunk that broke off or was overtaken.
    pub fn retryable(&self) -> bool {
        match self {
            Failure::Network(_) => true,
            Failure::Http { status, code, .. } => {
                *status >= 500 && *status != 507
                    || matches!(*status, 408 | 429)
                    || matches!(
                        code.as_str(),
                        "body_incomplete" | "body_timeout" | "upload_taken_over"
                    )
            }
        }
    }

    /// The token is missing, ended or revoked.
    pub fn unauthorized(&self) -> bool {
        matches!(self, Failure::Http { status: 401, .. })
    }

    pub fn code(&self) -> &str {
        match self {
            Failure::Network(_) => "network",
            Failure::Http { code, .. } => code,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Network(m) => write!(f, "the server could not be reached: {m}"),
            Failure::Http { message, code, .. } => write!(f, "{message} ({code})"),
        }
    }
}

pub type Answer<T = Value> = Result<T, Failure>;

/// A client of one server, with or without a token. Calls block: the agent does one thing at a
/// time, and a runtime of its own keeps the async client out of the rest of the code.
pub struct Api {
    pub server: String,
    token: Option<String>,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Api {
    pub fn new(server: &str, token: Option<String>) -> anyhow::Result<Api> {
        let http = client()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Api {
            server: server.to_owned(),
            token,
            http,
            rt,
        })
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{path}", self.server));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Sends a request and reads its JSON answer (an empty answer is `null`).
    fn send(&self, r: reqwest::RequestBuilder) -> Answer<(Value, reqwest::header::HeaderMap)> {
        self.rt.block_on(exchange(r))
    }

    /// POSTs each body to `path`, several at a time, on a thread of its own; the answers come
    /// through the channel in the order of the bodies, each as soon as it and those before it
    /// are in.
    pub fn post_each(
        &self,
        path: &str,
        bodies: Vec<Value>,
        at_once: usize,
    ) -> std::sync::mpsc::Receiver<Answer> {
        use futures_util::StreamExt;
        let (tx, rx) = std::sync::mpsc::channel();
        let (url, token) = (format!("{}{path}", self.server), self.token.clone());
        std::thread::spawn(move || {
            // A client and a runtime of this thread's own: connections of the caller's client
            // belong to its runtime, which nothing drives while the caller waits.
            let (Ok(rt), Ok(http)) = (
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build(),
                client(),
            ) else {
                return;
            };
            let requests = bodies.iter().map(|b| {
                let r = http.post(&url).json(b);
                match &token {
                    Some(t) => r.bearer_auth(t),
                    None => r,
                }
            });
            let requests: Vec<reqwest::RequestBuilder> = requests.collect();
            rt.block_on(async move {
                let mut answers = futures_util::stream::iter(requests)
                    .map(|r| async move { exchange(r).await.map(|a| a.0) })
                    .buffered(at_once.max(1));
                while let Some(a) = answers.next().await {
                    if tx.send(a).is_err() {
                        break;
                    }
                }
            });
        });
        rx
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).map(|a| a.0)
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body))
            .map(|a| a.0)
    }

    pub fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).map(|a| a.0)
    }

    /// Logs in with a name and password and makes an API token for this agent; the session
    /// used to make it is ended at once. Answers the token and its id.
    pub fn make_token(&self, user: &str, password: &str, name: &str) -> Answer<(String, i64)> {
        let (v, headers) = self.send(
            self.request(Method::POST, "/api/auth/login")
                .json(&json!({"username": user, "password": password})),
        )?;
        let csrf = v["csrf_token"].as_str().unwrap_or_default().to_owned();
        let cookie = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .filter_map(|c| c.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        let with_session =
            |r: reqwest::RequestBuilder| r.header("Cookie", &cookie).header("X-CSRF-Token", &csrf);
        let made = self.send(with_session(
            self.http
                .post(format!("{}/api/auth/tokens", self.server))
                .json(&json!({"name": name})),
        ));
        let _ = self.send(with_session(
            self.http.post(format!("{}/api/auth/logout", self.server)),
        ));
        let (t, _) = made?;
        match (t["token"].as_str(), t["id"].as_i64()) {
            (Some(token), Some(id)) => Ok((token.to_owned(), id)),
            _ => Err(Failure::Network("the server answered no token".into())),
        }
    }

    /// `HEAD …?uploadId=`: the offset the server holds.
    pub fn offset(&self, upload_id: &str) -> Answer<u64> {
        let r = self
            .request(Method::HEAD, "/api/library/upload/")
            .query(&[("uploadId", upload_id)]);
        let (_, headers) = self.send(r)?;
        header_u64(&headers, "upload-offset")
            .ok_or_else(|| Failure::Network("the answer has no Upload-Offset".into()))
    }

    /// Starts an upload: `type=init`.
    pub fn init(&self, query: &[(&str, String)]) -> Answer {
        let mut q: Vec<(&str, String)> = vec![("type", "init".into())];
        q.extend_from_slice(query);
        self.send(self.request(Method::POST, "/api/library/upload/").query(&q))
            .map(|a| a.0)
    }

    /// Sends `len` bytes of `file` from `offset` as one chunk, read as they go out (never the
    /// whole chunk in memory), at most `rate` bytes a second when given. Answers the new offset.
    pub fn chunk(
        &self,
        upload_id: &str,
        nr: u64,
        file: &Path,
        offset: u64,
        len: u64,
        rate: Option<u64>,
    ) -> Answer<u64> {
        let body = crate::body::stream(file, offset, len, rate)
            .map_err(|e| Failure::Network(format!("reading {}: {e}", file.display())))?;
        let r = self
            .request(Method::POST, "/api/library/upload/")
            .query(&[
                ("type", "chunk".to_owned()),
                ("uploadId", upload_id.to_owned()),
                ("offset", offset.to_string()),
                ("chunkNr", nr.to_string()),
            ])
            .header(reqwest::header::CONTENT_LENGTH, len)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        let (v, headers) = self.send(r)?;
        v["offset"]
            .as_u64()
            .or_else(|| header_u64(&headers, "upload-offset"))
            .ok_or_else(|| Failure::Network("the answer has no offset".into()))
    }

    /// Ends an upload: `type=end` files it.
    pub fn end(&self, upload_id: &str) -> Answer {
        self.send(
            self.request(Method::POST, "/api/library/upload/")
                .query(&[("type", "end"), ("uploadId", upload_id)]),
        )
        .map(|a| a.0)
    }

    /// Sends a subtitle file for a title in a language.
    pub fn subtitle(&self, content_id: &str, lang: &str, bytes: Vec<u8>) -> Answer {
        self.send(
            self.request(
                Method::POST,
                &format!("/api/library/subtitles/{content_id}"),
            )
            .query(&[("lang", lang)])
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .body(bytes),
        )
        .map(|a| a.0)
    }
}

/// The HTTP client: connections time out, answers may take minutes (`end` checks the file).
fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(300))
        .user_agent(concat!("oott-agent/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One request and its JSON answer (an empty answer is `null`).
async fn exchange(r: reqwest::RequestBuilder) -> Answer<(Value, reqwest::header::HeaderMap)> {
    let resp = r.send().await.map_err(network)?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(network)?;
    let v: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    if status.is_success() {
        Ok((v, headers))
    } else {
        Err(failure(status, &v, &headers))
    }
}

fn network(e: reqwest::Error) -> Failure {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    Failure::Network(msg)
}

fn header_u64(h: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn failure(status: StatusCode, v: &Value, headers: &reqwest::header::HeaderMap) -> Failure {
    let e = &v["error"];
    Failure::Http {
        status: status.as_u16(),
        code: e["code"].as_str().unwrap_or("error").to_owned(),
        message: e["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the server answered {status}")),
        offset: v["offset"]
            .as_u64()
            .or_else(|| header_u64(headers, "upload-offset")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, code: &str) -> Failure {
        Failure::Http {
            status,
            code: code.into(),
            message: String::new(),
            offset: None,
        }
    }

    #[test]
    fn what_is_worth_another_try() {
        for (f, again) in [
            (Failure::Network("refused".into()), true),
            (http(500, "internal"), true),
            (http(503, "busy"), true),
            (http(429, "too_many_requests"), true),
            (http(400, "body_incomplete"), true),
            (http(408, "body_timeout"), true),
            (http(409, "upload_taken_over"), true),
            (http(507, "disk_full"), false),
            (http(409, "title_has_file"), false),
            (http(401, "unauthorized"), false),
            (http(422, "not_a_video"), false),
        ] {
            assert_eq!(f.retryable(), again, "{f:?}");
        }
    }
}
