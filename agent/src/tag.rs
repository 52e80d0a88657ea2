//! A movie file's own title tag, read locally: Matroska's segment title and MP4's `©nam`. A name
//! that says nothing (`DSC_0042.mkv`) is then identified by what the file calls itself.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a Matroska file's start is read for its Info element.
const MKV_HEAD: u64 = 256 << 10;
/// The largest MP4 `moov` box read whole.
const MOOV_MAX: u64 = 16 << 20;

/// The title the container names, if any.
pub fn container_title(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = vec![0u8; 12];
    f.read_exact(&mut head).ok()?;
    let title = if head[..4] == [0x1a, 0x45, 0xdf, 0xa3] {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(0)).ok()?;
        f.take(MKV_HEAD).read_to_end(&mut buf).ok()?;
        matroska_title(&buf)
    } else if &head[4..8] == b"ftyp" {
        mp4_title(&mut f)
    } else {
        None
    }?;
    let t = title.trim().trim_matches('\0').trim().to_owned();
    (!t.is_empty() && t.len() <= 300).then_some(t)
}

/// An EBML variable-length number at `b[i..]`: its value (the length marker kept for ids) and
/// its length.
fn vint(b: &[u8], i: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *b.get(i)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || i + len > b.len() {
        return None;
    }
    let mut v = if keep_marker {
        first as u64
    } else {
        (first as u64) & ((1u64 << (8 - len)) - 1)
    };
    for k in 1..len {
        v = (v << 8) | b[i + k] as u64;
    }
    Some((v, len))
}

/// Walks Matroska elements: the EBML header, into the Segment, into Info, to Title.
fn matroska_title(b: &[u8]) -> Option<String> {
    const SEGMENT: u64 = 0x1853_8067;
    const INFO: u64 = 0x1549_A966;
    const TITLE: u64 = 0x7BA9;
    const CLUSTER: u64 = 0x1F43_B675;
    let mut i = 0;
    let mut end = b.len();
    while i < end {
        let (id, il) = vint(b, i, true)?;
        let (size, sl) = vint(b, i + il, false)?;
        let body = i + il + sl;
        let unknown = size == (1u64 << (7 * sl)) - 1;
        match id {
            // Into the Segment and its Info: their children follow at once.
            SEGMENT => i = body,
            INFO => {
                end = end.min(body.saturating_add(size as usize));
                i = body;
            }
            TITLE => {
                let text = b.get(body..body.checked_add(size as usize)?)?;
                return Some(String::from_utf8_lossy(text).into_owned());
            }
            CLUSTER => return None,
            _ if unknown => return None,
            _ => i = body.checked_add(size as usize)?,
        }
    }
    None
}

/// Reads an MP4 box header at the file's position: its size (header included) and type.
fn box_at(f: &mut std::fs::File, at: u64, len: u64) -> Option<(u64, [u8; 4], u64)> {
    f.seek(SeekFrom::Start(at)).ok()?;
    let mut h = [0u8; 16];
    f.read_exact(&mut h[..8]).ok()?;
    let mut size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
    let kind = [h[4], h[5], h[6], h[7]];
    let mut header = 8;
    if size == 1 {
        f.read_exact(&mut h[8..16]).ok()?;
        size = u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
        header = 16;
    } else if size == 0 {
        size = len - at;
    }
    (size >= header).then_some((size, kind, header))
}

/// Finds `moov` among the top-level boxes and reads `udta/meta/ilst/©nam` (or `udta/©nam`).
fn mp4_title(f: &mut std::fs::File) -> Option<String> {
    let len = f.metadata().ok()?.len();
    let mut at = 0;
    while at < len {
        let (size, kind, header) = box_at(f, at, len)?;
        if &kind == b"moov" {
            if size > MOOV_MAX {
                return None;
            }
            let mut moov = vec![0u8; (size - header) as usize];
            f.seek(SeekFrom::Start(at + header)).ok()?;
            f.read_exact(&mut moov).ok()?;
            return find_name(&moov, 0);
        }
        at = at.checked_add(size)?;
    }
    None
}

/// Looks through boxes in `b` for the title, descending into the containers that hold it.
fn find_name(b: &[u8], depth: usize) -> Option<String> {
    let mut i = 0;
    while i + 8 <= b.len() && depth < 6 {
        let size = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        if size < 8 || i + size > b.len() {
            return None;
        }
        let body = &b[i + 8..i + size];
        match kind {
            b"udta" | b"ilst" => {
                if let Some(t) = find_name(body, depth + 1) {
                    return Some(t);
                }
            }
            // `meta` is a full box: four bytes of version and flags first.
            b"meta" if body.len() > 4 => {
                if let Some(t) = find_name(&body[4..], depth + 1) {
                    return Some(t);
                }
            }
            [0xa9, b'n', b'a', b'm'] => {
                // iTunes style: a `data` box (type and locale, then the text); QuickTime style:
                // a 16-bit length and language, then the text.
                if body.len() > 16 && &body[4..8] == b"data" {
                    return Some(String::from_utf8_lossy(&body[16..]).into_owned());
                }
                if body.len() > 4 {
                    let n = u16::from_be_bytes([body[0], body[1]]) as usize;
                    return Some(String::from_utf8_lossy(body.get(4..4 + n)?).into_owned());
                }
            }
            _ => {}
        }
        i += size;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matroska_title_is_found_past_other_elements() {
        let title = b"The Matrix";
        let mut info = vec![0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40]; // TimestampScale
        info.extend_from_slice(&[0x7b, 0xa9, 0x80 | title.len() as u8]);
        info.extend_from_slice(title);
        let mut seg = vec![0xec, 0x82, 0, 0]; // Void
        seg.extend_from_slice(&[0x15, 0x49, 0xa9, 0x66, 0x80 | info.len() as u8]);
        seg.extend_from_slice(&info);
        let mut file = vec![0x1a, 0x45, 0xdf, 0xa3, 0x84, 0x42, 0x86, 0x81, 0x01];
        // A Segment of unknown size, as live writers leave it.
        file.extend_from_slice(&[
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        file.extend_from_slice(&seg);
        assert_eq!(matroska_title(&file).as_deref(), Some("The Matrix"));
        assert_eq!(
            matroska_title(&file[..file.len() - 3]),
            None,
            "a title cut short is none"
        );
    }

    #[test]
    fn an_mp4_title_in_its_itunes_box() {
        let text = b"Alien";
        let mut data = Vec::new();
        data.extend_from_slice(&((16 + text.len()) as u32).to_be_bytes());
        data.extend_from_slice(b"data");
        data.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
        data.extend_from_slice(text);
        let wrap = |kind: &[u8], body: &[u8], full: bool| {
            let extra = if full { 4 } else { 0 };
            let mut v = ((8 + extra + body.len()) as u32).to_be_bytes().to_vec();
            v.extend_from_slice(kind);
            if full {
                v.extend_from_slice(&[0, 0, 0, 0]);
            }
            v.extend_from_slice(body);
            v
        };
        let nam = wrap(&[0xa9, b'n', b'a', b'm'], &data, false);
        let ilst = wrap(b"ilst", &nam, false);
        let meta = wrap(b"meta", &ilst, true);
        let udta = wrap(b"udta", &meta, false);
        assert_eq!(find_name(&udta, 0).as_deref(), Some("Alien"));
    }
}
