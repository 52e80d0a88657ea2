//! A chunk's body, read from the file as it goes out in pieces of a few hundred KiB, so the
//! agent's memory does not grow with the chunk or the file; optionally held to a byte rate.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, Instant};

/// The size of one piece read and sent.
const PIECE: usize = 256 << 10;

struct Reader {
    file: std::fs::File,
    left: u64,
    sent: u64,
    started: Instant,
    rate: Option<u64>,
}

/// `len` bytes of `path` from `offset`, as a request body.
pub fn stream(
    path: &Path,
    offset: u64,
    len: u64,
    rate: Option<u64>,
) -> std::io::Result<reqwest::Body> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let r = Reader {
        file,
        left: len,
        sent: 0,
        started: Instant::now(),
        rate: rate.filter(|r| *r > 0),
    };
    let pieces = futures_util::stream::unfold(r, |mut r| async move {
        if r.left == 0 {
            return None;
        }
        let piece = match r.rate {
            Some(rate) => (rate / 8).clamp(4 << 10, PIECE as u64) as usize,
            None => PIECE,
        };
        let want = piece.min(r.left as usize);
        if let Some(rate) = r.rate {
            // Ahead of the rate: wait until the bytes sent so far are due.
            let due = Duration::from_secs_f64(r.sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(r.started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        let mut buf = vec![0u8; want];
        let item = match r.file.read_exact(&mut buf) {
            Ok(()) => {
                r.left -= want as u64;
                r.sent += want as u64;
                Ok(buf)
            }
            Err(e) => {
                // The file shrank or cannot be read: the body ends short and the server keeps
                // only what arrived whole.
                r.left = 0;
                Err(e)
            }
        };
        Some((item, r))
    });
    Ok(reqwest::Body::wrap_stream(pieces))
}
