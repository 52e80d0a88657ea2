//! SubRip to WebVTT, for what real files hold: any encoding (a byte-order mark, UTF-8, UTF-16,
//! or a legacy one detected from the bytes), CR, LF or CRLF, cues without index lines, `.` or
//! `,` before the milliseconds, two-digit or missing milliseconds, positions after the end
//! time, HTML tags and entities, ASS override tags (`{\an8}`), empty, zero-length, overlapping
//! and out-of-order cues. The result is strict WebVTT: cues in order, each line's styles closed
//! on that line, nothing but `<b> <i> <u> <c.class>` as tags, text escaped.

/// One cue, times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start: u64,
    pub end: u64,
    /// Lines of WebVTT cue text.
    pub lines: Vec<String>,
}

/// Text from a subtitle file's bytes, whatever their encoding.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    // UTF-16 without a mark shows itself by zero bytes in every other place.
    let zeros = |offset: usize| {
        bytes
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let half = bytes.len() / 2;
    if half > 8 && zeros(1) * 3 > half {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
    }
    if half > 8 && zeros(0) * 3 > half {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let enc = detector.guess(None, true);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// A time such as `01:02:03,456`, `1:02:03.4`, `02:03,45` or `00:02:03` in milliseconds.
fn time(token: &str) -> Option<u64> {
    let (clock, frac) = match token.find([',', '.']) {
        Some(i) => (&token[..i], &token[i + 1..]),
        None => (token, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        [m, s] => (0, num(m)?, num(s)?),
        _ => return None,
    };
    if m > 59 || s > 59 || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // A decimal fraction: ",5" is half a second, ",04" forty milliseconds.
    let ms = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().ok()? * 10u64.pow(3 - frac.len() as u32)
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

/// The start and end of a timing line; anything after the end time (positions) is ignored.
fn timing(line: &str) -> Option<(u64, u64)> {
    let (a, b) = line.split_once("-->")?;
    let start = time(a.trim())?;
    let end = time(b.split_whitespace().next()?)?;
    Some((start, end))
}

/// The cues of an SRT text, in the order the file gives them.
pub fn parse(text: &str) -> Vec<Cue> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut cues: Vec<(u64, u64, Vec<String>)> = Vec::new();
    let mut current: Option<(u64, u64, Vec<String>)> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if let Some((start, end)) = timing(line) {
            if let Some(mut c) = current.take() {
                // An index line right before this timing belongs to this cue, not the last.
                if c.2.last().is_some_and(|l| is_index(l)) {
                    c.2.pop();
                }
                cues.push(c);
            }
            current = Some((start, end, Vec::new()));
        } else if line.trim().is_empty() {
            if let Some(c) = current.take() {
                cues.push(c);
            }
        } else if let Some(c) = current.as_mut() {
            c.2.push(line.to_owned());
        }
    }
    cues.extend(current);
    cues.into_iter()
        .map(|(start, end, raw)| Cue {
            start,
            end,
            lines: style(&raw),
        })
        .collect()
}

fn is_index(line: &str) -> bool {
    !line.is_empty() && line.trim().bytes().all(|b| b.is_ascii_digit())
}

/// A cue's SRT lines as WebVTT cue text: supported tags kept (and each line's closed on that
/// line, reopened on the next), `<font color>` as a colour class, other tags and ASS
/// overrides dropped, entities decoded, the text escaped.
fn style(lines: &[String]) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in lines {
        let mut text = String::new();
        for tag in &open {
            text.push_str(&opening(tag));
        }
        let mut rest = strip_ass(line);
        while !rest.is_empty() {
            let Some(lt) = rest.find('<') else {
                text.push_str(&escape(&entities(&rest)));
                break;
            };
            text.push_str(&escape(&entities(&rest[..lt])));
            let after = &rest[lt + 1..];
            let Some(gt) = after.find('>') else {
                text.push_str(&escape(&entities(&rest[lt..])));
                break;
            };
            let inner = after[..gt].trim();
            if let Some(name) = inner.strip_prefix('/') {
                let name = tag_name(name.trim(), "");
                if let Some(at) = open.iter().rposition(|t| *t == name) {
                    for t in open.drain(at..).rev() {
                        text.push_str(&closing(&t));
                    }
                }
            } else {
                let name = tag_name(inner, inner);
                if !name.is_empty() {
                    text.push_str(&opening(&name));
                    open.push(name);
                }
            }
            rest = after[gt + 1..].to_owned();
        }
        for t in open.iter().rev() {
            text.push_str(&closing(t));
        }
        // An empty pair of tags shows nothing.
        let shown = text
            .replace("<i></i>", "")
            .replace("<b></b>", "")
            .replace("<u></u>", "");
        if !shown.trim().is_empty() {
            out.push(shown.trim().to_owned());
        }
    }
    out
}

/// What a tag becomes: `b`, `i`, `u`, `font` with a colour as `c.<colour>`, or nothing.
fn tag_name(name: &str, whole: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let word = lower.split_whitespace().next().unwrap_or("");
    match word {
        "b" | "i" | "u" => word.to_owned(),
        "font" => colour(whole).map_or_else(String::new, |c| format!("c.{c}")),
        _ => String::new(),
    }
}

/// The colour class of a `<font color="…">` tag: a CSS colour name where the hex value has
/// one, else `color-<hex>`.
fn colour(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find("color")?;
    let value = lower[at + 5..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start()
        .trim_start_matches(['"', '\''])
        .split(['"', '\'', ' '])
        .next()?
        .to_owned();
    const NAMES: &[(&str, &str)] = &[
        ("#ffffff", "white"),
        ("#000000", "black"),
        ("#ff0000", "red"),
        ("#00ff00", "lime"),
        ("#0000ff", "blue"),
        ("#ffff00", "yellow"),
        ("#00ffff", "cyan"),
        ("#ff00ff", "magenta"),
        ("#808080", "gray"),
        ("#800000", "maroon"),
        ("#008000", "green"),
        ("#000080", "navy"),
        ("#808000", "olive"),
        ("#800080", "purple"),
        ("#008080", "teal"),
        ("#c0c0c0", "silver"),
    ];
    if let Some((_, name)) = NAMES.iter().find(|(hex, _)| *hex == value) {
        return Some((*name).to_owned());
    }
    if NAMES.iter().any(|(_, name)| *name == value) {
        return Some(value);
    }
    let hex = value.trim_start_matches('#');
    (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("color-{hex}"))
}

fn opening(tag: &str) -> String {
    format!("<{tag}>")
}

fn closing(tag: &str) -> String {
    let name = tag.split('.').next().unwrap_or(tag);
    format!("</{name}>")
}

/// Drops ASS override blocks such as `{\an8}` or `{\i1}`.
fn strip_ass(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("{\\") {
        out.push_str(&rest[..at]);
        match rest[at..].find('}') {
            Some(end) => rest = &rest[at + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML entities as the characters they stand for (the common ones and numeric ones).
fn entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                "lrm" => '\u{200e}',
                "rlm" => '\u{200f}',
                _ => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text as WebVTT cue text takes it: `&`, `<` and `>` as references (so `-->` cannot appear).
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn stamp(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The cues as a WebVTT file: those that show something for some time, in order of their
/// start, numbered from 1.
pub fn to_vtt(cues: &[Cue]) -> String {
    let mut shown: Vec<&Cue> = cues
        .iter()
        .filter(|c| c.end > c.start && !c.lines.is_empty())
        .collect();
    shown.sort_by_key(|c| c.start);
    let mut out = String::from("WEBVTT\n");
    for (i, c) in shown.iter().enumerate() {
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            stamp(c.start),
            stamp(c.end),
            c.lines.join("\n")
        ));
    }
    out
}

/// An SRT file's bytes as WebVTT, or `None` when they hold no cue at all.
pub fn convert(bytes: &[u8]) -> Option<String> {
    let cues = parse(&decode(bytes));
    cues.iter()
        .any(|c| c.end > c.start && !c.lines.is_empty())
        .then(|| to_vtt(&cues))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_forms_files_use() {
        assert_eq!(time("01:02:03,456"), Some(3_723_456));
        assert_eq!(time("00:00:01.5"), Some(1_500));
        assert_eq!(time("00:01:41,04"), Some(101_040));
        assert_eq!(time("00:00:10"), Some(10_000));
        assert_eq!(time("02:03,450"), Some(123_450));
        assert_eq!(time("00:61:00,000"), None);
        assert_eq!(
            timing("00:02:04,08 --> 00:02:07,12 X1:40 X2:600 Y1:20 Y2:50"),
            Some((124_080, 127_120))
        );
    }

    #[test]
    fn styles_close_on_their_line_and_do_not_leak() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>one\ntwo</i>\n\n\
                   2\n00:00:02,000 --> 00:00:03,000\n<font color=\"#00ff00\"><b>x</font>\n\n\
                   3\n00:00:03,000 --> 00:00:04,000\n{\\an8}a &amp; b &lt; c --> d<s>e</s>\n";
        let vtt = to_vtt(&parse(srt));
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<i>one</i>\n<i>two</i>\n\n\
             2\n00:00:02.000 --> 00:00:03.000\n<c.lime><b>x</b></c>\n\n\
             3\n00:00:03.000 --> 00:00:04.000\na &amp; b &lt; c --&gt; de\n"
        );
    }

    #[test]
    fn empty_zero_length_and_unordered_cues() {
        let srt = "00:00:05,000 --> 00:00:06,000\nlater\n\n\
                   00:00:01,000 --> 00:00:01,000\nhidden\n\n\
                   00:00:02,000 --> 00:00:03,000\n\n\
                   00:00:03,000 --> 00:00:04,000\nsooner\n";
        let vtt = to_vtt(&parse(srt));
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:03.000 --> 00:00:04.000\nsooner\n\n\
             2\n00:00:05.000 --> 00:00:06.000\nlater\n"
        );
        assert_eq!(convert(b"just some text"), None);
    }

    #[test]
    fn encodings() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\nOlá “mundo”\n";
        let mut with_bom = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            with_bom.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&with_bom), text);
        assert_eq!(decode(&with_bom[2..]), text, "UTF-16 without its mark");
        let (cp1252, ..) = encoding_rs::WINDOWS_1252.encode(text);
        assert_eq!(decode(&cp1252), text);
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom8), text);
    }
}
