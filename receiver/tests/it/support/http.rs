//! A minimal HTTP/1.1 client over a raw socket: one request per connection, bodies sent whole or
//! in part, so tests can stall, break off or kill in the middle of a chunk.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn head_bytes(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    len: Option<usize>,
) -> Vec<u8> {
    let mut s = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    match len {
        Some(n) => s.push_str(&format!("Content-Length: {n}\r\n\r\n")),
        None => s.push_str("Transfer-Encoding: chunked\r\n\r\n"),
    }
    s.into_bytes()
}

pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    s
}

/// Like `request`, but a server that is not there, or that drops the connection before a whole
/// response head, is an error rather than a panic: for clients that ride out restarts.
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut msg = head_bytes(addr, method, path, headers, Some(body.len()));
    msg.extend_from_slice(body);
    let _ = s.write_all(&msg);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::Error::other(
            "the connection closed without an answer",
        ));
    }
    Ok(parse(&raw, method == "HEAD"))
}

/// Sends a whole request and reads the whole response.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = connect(addr);
    let mut msg = head_bytes(addr, method, path, headers, Some(body.len()));
    msg.extend_from_slice(body);
    // A server may answer early (an error) and stop reading; its answer is still there to read.
    let _ = s.write_all(&msg);
    read_response(&mut s, method == "HEAD")
}

/// Sends the head of a request declaring `declared` body bytes and the first `part` of the
/// body, and answers the open connection.
pub fn start(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    declared: usize,
    part: &[u8],
) -> TcpStream {
    let mut s = connect(addr);
    s.write_all(&head_bytes(addr, method, path, headers, Some(declared)))
        .expect("write head");
    s.write_all(part).expect("write body part");
    s
}

/// Sends a request whose body goes in `Transfer-Encoding: chunked` pieces.
pub fn request_chunked(addr: &str, path: &str, headers: &[(&str, &str)], pieces: &[&[u8]]) -> Resp {
    let mut s = connect(addr);
    let mut msg = head_bytes(addr, "POST", path, headers, None);
    for p in pieces {
        msg.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
        msg.extend_from_slice(p);
        msg.extend_from_slice(b"\r\n");
    }
    msg.extend_from_slice(b"0\r\n\r\n");
    let _ = s.write_all(&msg);
    read_response(&mut s, false)
}

/// Reads a response to its end (the server closes: `Connection: close`).
pub fn read_response(s: &mut TcpStream, head_only: bool) -> Resp {
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if raw.is_empty() => panic!("no response: {e}"),
            Err(_) => break,
        }
        if head_only && raw.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    parse(&raw, head_only)
}

fn parse(raw: &[u8], head_only: bool) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("incomplete response: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&rest[start..(start + size).min(rest.len())]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
    out
}
