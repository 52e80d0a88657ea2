//! Turns a release file name (with or without its folders) into a title and year guess and the
//! technical tags it names, with no network access:
//! `Movies/Dark City (1998)/Dark.City.(1998).DC.BDRip.720p.DTS.X264-CHD.mkv` → "Dark City", 1998.

use serde::Serialize;

/// What a file name says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed {
    pub name: String,
    pub title: String,
    pub year: Option<i32>,
    /// A part number the name gives after the title (`Part III`), kept apart from the title.
    pub part: Option<String>,
    pub resolution: Option<String>,
    pub source: Option<String>,
    pub codec: Option<String>,
    pub edition: Option<String>,
}

/// Extensions removed from the last path component before parsing.
const EXTENSIONS: &[&str] = &[
    "mkv", "mp4", "m4v", "avi", "mov", "wmv", "mpg", "mpeg", "ts", "m2ts", "webm", "ogv", "flv",
    "divx", "vob", "iso", "srt", "sub", "idx", "vtt", "nfo", "txt", "3gp",
];

/// The latest year a release can name.
const LAST_YEAR: i32 = 2030;

pub fn parse(name: &str) -> Parsed {
    let parts = split_path(name);
    let file = parts.last().copied().unwrap_or("");
    let stem = match file.rsplit_once('.') {
        Some((s, ext)) if EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) => s,
        _ => file,
    };
    let mut g = guess(stem);
    let folders: Vec<Guess> = parts[..parts.len().saturating_sub(1)]
        .iter()
        .rev()
        .filter(|f| !GENERIC_FOLDERS.contains(&f.to_ascii_lowercase().as_str()))
        .map(|f| guess(f))
        .collect();
    if let Some(folder) = folders.first().filter(|f| !f.title.is_empty()) {
        let (stem_norm, folder_norm) = (words(&g.title), words(&folder.title));
        let scene_abbreviation = stem.chars().all(|c| !c.is_uppercase())
            && g.year.is_none()
            && g.title.split_whitespace().count() <= 2;
        let contains_folder = stem_norm != folder_norm
            && format!(" {stem_norm} ").contains(&format!(" {folder_norm} "));
        if (g.year.is_none() && folder.year.is_some()) || scene_abbreviation || contains_folder {
            g.adopt(folder);
        }
    }
    if is_junk(&g.title)
        && let Some(folder) = folders.iter().find(|f| !is_junk(&f.title))
    {
        g.adopt(folder);
    }
    Parsed {
        name: name.to_owned(),
        title: g.title,
        year: g.year,
        part: g.part,
        resolution: g.resolution,
        source: g.source,
        codec: g.codec,
        edition: g.edition,
    }
}

/// Lays the container's own title tag (MKV segment title, MP4 `©nam`) over what the name says,
/// when the tag says more: the name is no title (`DSC_0042`, `movie_final`), or gives no year
/// where the tag does, or the tag's title contains the name's. The name's technical tags stay.
pub fn with_container_title(mut p: Parsed, tag: &str) -> Parsed {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > 300 {
        return p;
    }
    let t = parse(tag);
    if t.title.is_empty() || is_junk(&t.title) {
        return p;
    }
    let (name_words, tag_words) = (words(&p.title), words(&t.title));
    let says_little = |title: &str| {
        title.is_empty()
            || is_junk(title)
            || !title.chars().any(char::is_alphabetic)
            || camera_or_generic(title)
    };
    // The file's own name, without the folders whose name may have stood in for it: a folder
    // (`Videos`, `Holiday`) says less of a file than the file's own tag.
    let file = p.name.rsplit(['/', '\\']).next().unwrap_or(&p.name);
    let file_says_little = file.len() < p.name.len() && says_little(&parse(file).title);
    let name_says_little = says_little(&p.title) || file_says_little;
    let tag_adds_year = p.year.is_none() && t.year.is_some();
    let tag_longer = !name_words.is_empty()
        && name_words != tag_words
        && format!(" {tag_words} ").contains(&format!(" {name_words} "));
    // A year from a tag that names another film is no help.
    let same_film_with_year = tag_adds_year && name_words == tag_words;
    if name_says_little || tag_longer || same_film_with_year {
        p.title = t.title;
        p.year = t.year.or(p.year);
        p.part = t.part.or(p.part);
    }
    p
}

/// A name a camera, a phone or a download gives, not a title: `DSC_0042`, `VID 20230101`,
/// `movie`, `video1`, `final`.
fn camera_or_generic(title: &str) -> bool {
    let w = words(title);
    let first = w.split_whitespace().next().unwrap_or("");
    matches!(
        first,
        "dsc"
            | "img"
            | "vid"
            | "mvi"
            | "gopr"
            | "pxl"
            | "movie"
            | "video"
            | "film"
            | "final"
            | "untitled"
            | "clip"
    ) || ["movie", "video", "film", "clip"]
        .iter()
        .any(|g| first.starts_with(g) && first[g.len()..].chars().all(|c| c.is_ascii_digit()))
}

/// Folders that say nothing about the movie in them.
const GENERIC_FOLDERS: &[&str] = &[
    "movies",
    "movie",
    "films",
    "film",
    "download",
    "downloads",
    "video",
    "videos",
    "share",
    "sample",
    "samples",
    "subs",
    "subtitles",
    "extras",
    "featurettes",
    "bonus",
    "proof",
];

/// A title that cannot be a movie's: empty, a sample, or mostly hash-like words (`XD607ebb`).
fn is_junk(title: &str) -> bool {
    let words: Vec<&str> = title
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let mixed = words
        .iter()
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit()) && w.chars().any(|c| c.is_ascii_alphabetic())
        })
        .count();
    words.is_empty()
        || title.eq_ignore_ascii_case("sample")
        || mixed * 2 >= words.len() && words.len() > 1
}

/// Lowercase words without punctuation or accents, for comparing titles.
fn words(s: &str) -> String {
    store::text::fold(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits on `/` and `\`, except inside parentheses (`Title (unknown / 2014)` is one name).
fn split_path(name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in name.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = (depth - 1).max(0),
            '/' | '\\' if depth == 0 => {
                parts.push(&name[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&name[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

#[derive(Debug, Default, Clone)]
struct Guess {
    title: String,
    year: Option<i32>,
    part: Option<String>,
    resolution: Option<String>,
    source: Option<String>,
    codec: Option<String>,
    edition: Option<String>,
}

impl Guess {
    /// Takes a folder's title (and its year and tags where this name has none).
    fn adopt(&mut self, folder: &Guess) {
        self.title = folder.title.clone();
        self.part = folder.part.clone();
        self.year = self.year.or(folder.year);
        self.resolution = self.resolution.take().or(folder.resolution.clone());
        self.source = self.source.take().or(folder.source.clone());
        self.codec = self.codec.take().or(folder.codec.clone());
        self.edition = self.edition.take().or(folder.edition.clone());
    }
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    /// Inside `()`, `[]` or `{}`.
    grouped: bool,
    /// The first token of a group.
    opens_group: bool,
    /// Preceded by a dash standing between spaces (` - `), which separates a title from the rest.
    after_dash: bool,
}

fn tokenize(s: &str) -> Vec<Token> {
    let s = normalise_codecs(s);
    let mut tokens = Vec::new();
    let mut word = String::new();
    let (mut depth, mut opened, mut dash) = (0i32, false, false);
    let chars: Vec<char> = s.chars().collect();
    let flush = |word: &mut String,
                 tokens: &mut Vec<Token>,
                 depth: i32,
                 opened: &mut bool,
                 dash: &mut bool| {
        let w = word.trim_matches(|c: char| c == '-' || c == ',' || c == '~' || c == '*');
        if !w.is_empty() {
            for part in explode(w) {
                tokens.push(Token {
                    text: part,
                    grouped: depth > 0,
                    opens_group: *opened,
                    after_dash: *dash,
                });
                *opened = false;
                *dash = false;
            }
        }
        word.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' | '[' | '{' => {
                flush(&mut word, &mut tokens, depth, &mut opened, &mut dash);
                depth += 1;
                opened = true;
            }
            ')' | ']' | '}' => {
                flush(&mut word, &mut tokens, depth, &mut opened, &mut dash);
                depth = (depth - 1).max(0);
                opened = false;
            }
            '.' | '_' | ' ' | '/' | '+' | '|' => {
                flush(&mut word, &mut tokens, depth, &mut opened, &mut dash);
            }
            // A dash between separators (` - `, `_-_`, `.-.`) stands between parts of a name.
            '-' if word.is_empty()
                && chars
                    .get(i + 1)
                    .is_none_or(|n| n.is_whitespace() || matches!(n, '_' | '.')) =>
            {
                dash = true;
            }
            _ => word.push(c),
        }
    }
    flush(&mut word, &mut tokens, depth, &mut opened, &mut dash);
    tokens
}

/// `H.264` → `H264`, so the codec survives splitting on dots.
fn normalise_codecs(s: &str) -> String {
    let mut out = s.to_owned();
    for (from, to) in [
        ("H.264", "H264"),
        ("h.264", "h264"),
        ("H.265", "H265"),
        ("h.265", "h265"),
        ("--", " - "),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// A hyphenated word is split where a part is a year or a tag (`Child-2007-TRUEFRENCH`), and
/// kept whole otherwise (`Ant-Man`, `Spider-Man`).
fn explode(w: &str) -> Vec<String> {
    if !w.contains('-') {
        return vec![w.to_owned()];
    }
    let parts: Vec<&str> = w.split('-').filter(|p| !p.is_empty()).collect();
    if parts
        .iter()
        .any(|p| year_of(p).is_some() || tag_kind(p).is_some() || marker(p).is_some())
    {
        parts.into_iter().map(str::to_owned).collect()
    } else {
        vec![w.to_owned()]
    }
}

fn year_of(t: &str) -> Option<i32> {
    let y: i32 =
        (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())??;
    (1900..=LAST_YEAR).contains(&y).then_some(y)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Resolution,
    Source,
    Codec,
    Edition,
    /// Ends a title even before the year (`3D`, `HDR`); not reported.
    Strong,
    /// Audio, release flags: ends a title only when no year follows; not reported.
    Other,
    /// A language: judged by what follows it.
    Language,
}

/// `f21` (a film's number in a series: the title follows) and `x02` (an extra: the title ends).
fn marker(t: &str) -> Option<char> {
    let mut c = t.chars();
    let first = c.next()?;
    let digits = c.as_str();
    ((first == 'f' || first == 'x')
        && (1..=3).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then_some(first)
}

fn tag_kind(t: &str) -> Option<Kind> {
    let l = t.to_ascii_lowercase();
    let l = l.as_str();
    let caps = t.chars().all(|c| !c.is_lowercase());
    const RESOLUTIONS: &[&str] = &[
        "2160p", "1080p", "1080i", "720p", "576p", "480p", "4k", "uhd",
    ];
    const SOURCES: &[&str] = &[
        "bluray",
        "blu-ray",
        "dvd",
        "dvdr",
        "dvd5",
        "dvd9",
        "dvdscr",
        "hddvd",
        "web-dl",
        "webdl",
        "hdtv",
        "pdtv",
        "hdcam",
        "hdts",
        "telesync",
        "r5",
        "r6",
        "screener",
        "dvdscreener",
        "hdlight",
        "bdscr",
        "amzn",
        "netflixuhd",
    ];
    /// Short words that are tags only in capitals (`WEB`, not the "Web" of a title).
    const CAPS_SOURCES: &[&str] = &["web", "cam", "ts", "scr", "nf"];
    const CODECS: &[&str] = &[
        "x264", "x265", "h264", "h265", "h263", "hevc", "hevc10", "avc", "xvid", "divx", "av1",
        "vp9", "vc-1", "mpeg2", "10bit", "8bit", "opus",
    ];
    const EDITIONS: &[&str] = &[
        "extended",
        "unrated",
        "remastered",
        "theatrical",
        "imax",
        "criterion",
        "uncut",
        "colorized",
        "directors",
        "director's",
        "director",
        "edition",
        "collector",
    ];
    const CAPS_EDITIONS: &[&str] = &["dc", "se", "om"];
    const STRONG: &[&str] = &["3d", "hdr", "hdr10", "hfr", "dxva"];
    const LANGUAGES: &[&str] = &[
        "french",
        "truefrench",
        "german",
        "swissgerman",
        "spanish",
        "italian",
        "english",
        "hindi",
        "vostfr",
        "vff",
        "vfq",
        "fr",
        "eng",
        "ita",
    ];
    const OTHER: &[&str] = &[
        "dts", "dts-hd", "ac3", "ac3d", "aac", "aac2", "dd5", "ddp5", "truehd", "atmos", "mp3",
        "flac", "lpcm", "eac3", "proper", "repack", "internal", "readnfo", "nfofix", "limited",
        "multi", "dual", "subbed", "dubbed", "stv", "docu", "doku", "sample", "cd1", "cd2", "1cd",
        "2cd", "nfo", "qc", "ntsc", "pal", "ppv", "480", "720", "1080", "complete", "convert",
        "xxx",
    ];
    const CAPS_OTHER: &[&str] = &["dl", "hc", "ws", "fs", "vo", "dv", "hq", "dd", "ddp"];
    let is_res = RESOLUTIONS.contains(&l)
        || l.split_once('x').is_some_and(|(w, h)| {
            w.len() >= 3 && h.len() >= 3 && w.bytes().chain(h.bytes()).all(|b| b.is_ascii_digit())
        });
    let is_rip =
        l.len() > 3 && (l.ends_with("rip") || l.ends_with("mux") || l.starts_with("tvrip"));
    if is_res {
        Some(Kind::Resolution)
    } else if SOURCES.contains(&l) || is_rip || (caps && CAPS_SOURCES.contains(&l)) {
        Some(Kind::Source)
    } else if CODECS.contains(&l) {
        Some(Kind::Codec)
    } else if EDITIONS.contains(&l) || (caps && CAPS_EDITIONS.contains(&l)) {
        Some(Kind::Edition)
    } else if STRONG.contains(&l) || marker(t) == Some('x') || is_episode(l) {
        Some(Kind::Strong)
    } else if LANGUAGES.contains(&l) {
        Some(Kind::Language)
    } else if OTHER.contains(&l) || (caps && CAPS_OTHER.contains(&l)) {
        Some(Kind::Other)
    } else {
        None
    }
}

/// A series' season and episode (`S05E03`, `s02`, `S01E01E02`, `5x06`): the title ends there.
fn is_episode(l: &str) -> bool {
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(rest) = l.strip_prefix('s') {
        let mut parts = rest.split('e');
        return parts.next().is_some_and(|season| digits(season, 1, 2))
            && parts.all(|episode| digits(episode, 1, 4));
    }
    l.split_once('x')
        .is_some_and(|(season, episode)| digits(season, 1, 2) && digits(episode, 2, 3))
}

/// Top-level domains of the sites that put their name on releases.
const SITE_TLDS: &[&str] = &[
    "com", "org", "net", "to", "ws", "me", "info", "cc", "tv", "io", "co", "uk", "ru", "biz",
    "xyz", "club", "site", "online", "in", "is", "ag", "ch", "eu", "nu", "la", "lol", "mx", "pw",
    "sx", "tk", "cx", "vg", "li", "pro", "am", "st", "su", "bz", "se", "cz", "pl", "es",
];

/// Whether a part of a name is a web site's name (`www.example.org`, `Some.Site.to`): no
/// spaces, labels of letters, digits and dashes, a known top-level domain, and either `www.`
/// or at least two dots.
fn is_site(part: &str) -> bool {
    let part = part.trim();
    let labels: Vec<&str> = part.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    !part.contains(char::is_whitespace)
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && SITE_TLDS.contains(&tld.to_ascii_lowercase().as_str())
        && (labels[0].eq_ignore_ascii_case("www") || labels.len() >= 3 || part.len() >= 8)
}

/// A name without the web site a release carries before or after ` - `.
fn without_sites(s: &str) -> String {
    let parts: Vec<&str> = s.split(" - ").collect();
    if parts.len() < 2 {
        return s.to_owned();
    }
    let kept: Vec<&str> = parts.iter().copied().filter(|p| !is_site(p)).collect();
    if kept.is_empty() || kept.len() == parts.len() {
        return s.to_owned();
    }
    kept.iter()
        .map(|p| p.trim())
        .collect::<Vec<_>>()
        .join(" - ")
}

fn guess(s: &str) -> Guess {
    let s = &without_sites(s);
    let mut tokens = tokenize(s);
    // A lowercase scene name starts with its group: `blow-how.to.be.single` → `how to be single`.
    if s.chars().all(|c| !c.is_uppercase())
        && let Some(first) = tokens.first_mut()
        && let Some((group, rest)) = first.text.split_once('-')
        && (2..=6).contains(&group.len())
        && !rest.is_empty()
    {
        first.text = rest.to_owned();
    }
    let mut g = Guess::default();
    // Where the title starts: past leading groups (`[XCT]`, `(1)`), a leading date
    // (`08.03.09`), leading technical tags and dashes, and a series' film number (`f21`).
    let mut start = 0;
    if let Some(f) = tokens.iter().position(|t| marker(&t.text) == Some('f')) {
        start = f + 1;
    }
    // The tokens of groups before the title (`[REC]`, `(2019)`): the title or the year when
    // nothing else gives one.
    let mut leading: Vec<usize> = Vec::new();
    while let Some(t) = tokens.get(start) {
        // A web site's name before the title, written with dots (`www.Site.com.Title.2019`).
        if t.text.eq_ignore_ascii_case("www")
            && let Some(tld) = (start + 2..(start + 4).min(tokens.len()))
                .find(|&i| SITE_TLDS.contains(&tokens[i].text.to_ascii_lowercase().as_str()))
            && tld + 1 < tokens.len()
        {
            start = tld + 1;
            continue;
        }
        let date = start + 2 < tokens.len()
            && tokens[start..start + 3]
                .iter()
                .all(|t| t.text.len() == 2 && t.text.bytes().all(|b| b.is_ascii_digit()));
        let leading_tag = matches!(
            tag_kind(&t.text),
            Some(Kind::Resolution | Kind::Source | Kind::Codec)
        );
        // A language before a dash, then the title (`Fr - Paris 2054, Renaissance (2005)`).
        let language_first = tag_kind(&t.text) == Some(Kind::Language)
            && tokens.get(start + 1).is_some_and(|n| n.after_dash);
        if date {
            start += 3;
        } else if language_first {
            start += 1;
        } else if t.grouped || (leading_tag && year_of(&t.text).is_none()) {
            if t.grouped {
                leading.push(start);
            }
            start += 1;
        } else {
            break;
        }
    }
    let is_year = |i: usize| {
        year_of(&tokens[i].text).is_some()
            && !(i > 0 && tokens[i - 1].text.eq_ignore_ascii_case("bt"))
    };
    // A year in brackets is the year (`The Wolf of Wall Street 2001 (2013)`); otherwise the
    // first one after the title's first word.
    // Two years in a row (`Wonder.Woman.1984.2020`, `Death.Race.2000.1975`): the first
    // belongs to the title.
    let year_at = (start + 1..tokens.len())
        .find(|&i| is_year(i) && tokens[i].grouped)
        .or_else(|| (start + 1..tokens.len()).find(|&i| is_year(i)))
        .map(|i| {
            if !tokens[i].grouped && i + 1 < tokens.len() && is_year(i + 1) {
                i + 1
            } else {
                i
            }
        });
    // A release that starts with its year (`2019.Parasite.1080p.WEB`): the year, then the
    // title. Only when tags follow, so that a title that is a year (`2012`, `1917`) stays one.
    let tags_follow = |from: usize| {
        tokens[from..].iter().any(|t| {
            matches!(
                tag_kind(&t.text),
                Some(Kind::Resolution | Kind::Source | Kind::Codec)
            )
        })
    };
    let (start, year_at) = match year_at {
        None if start + 1 < tokens.len()
            && is_year(start)
            && tag_kind(&tokens[start + 1].text).is_none()
            && tags_follow(start + 1) =>
        {
            g.year = year_of(&tokens[start].text);
            (start + 1, None)
        }
        y => (start, y),
    };
    if year_at.is_some() {
        g.year = year_at.and_then(|i| year_of(&tokens[i].text));
    }
    let mut end = start;
    while end < tokens.len() {
        let t = &tokens[end];
        let numeric_so_far = tokens[start..end]
            .iter()
            .all(|t| t.text.bytes().all(|b| b.is_ascii_digit()));
        // A number after a dash, then the year, is the title's (`Rocky - 2 (1979)`); other
        // words after a dash are a second title (`Star Wars: Episode IV - A New Hope`).
        let number_in_title =
            year_at == Some(end + 1) && t.text.bytes().all(|b| b.is_ascii_digit());
        let plain_word_follows = tokens.get(end + 1).is_some_and(|n| {
            !n.grouped && tag_kind(&n.text).is_none() && year_of(&n.text).is_none()
        });
        let stop = Some(end) == year_at
            || (end > start && (t.opens_group || t.grouped))
            || (end > start && t.after_dash && !numeric_so_far && !number_in_title)
            || match tag_kind(&t.text) {
                Some(Kind::Language) => language_ends_title(&tokens, end, year_at),
                // A title's first word may look like a tag (`DC League of Super-Pets`,
                // `Proper Title`) when a plain word follows.
                Some(Kind::Edition | Kind::Other) if end == start && plain_word_follows => false,
                Some(Kind::Other) => year_at.is_none(),
                Some(_) => true,
                None => false,
            };
        if stop {
            break;
        }
        end += 1;
    }
    let mut title: Vec<&Token> = tokens[start..end].iter().collect();
    // A name that is all groups (`[REC] (2007)`, `[Safety Not Guaranteed]`): the first group
    // that is no year and no tag is the title, a group that is a year the year.
    if title.is_empty()
        && let Some(&first) = leading.iter().find(|&&i| {
            tokens[i].opens_group
                && year_of(&tokens[i].text).is_none()
                && tag_kind(&tokens[i].text).is_none()
        })
    {
        title = tokens[first..]
            .iter()
            .take_while(|t| t.grouped)
            .enumerate()
            .take_while(|(n, t)| *n == 0 || !t.opens_group)
            .map(|(_, t)| t)
            .collect();
    }
    if g.year.is_none() {
        g.year = leading.iter().find_map(|&i| {
            (tokens[i].opens_group)
                .then(|| year_of(&tokens[i].text))
                .flatten()
        });
    }
    strip_descriptions(&mut title);
    g.part = take_part(&mut title);
    // A title in two scripts (`逃学威龙.Fight.Back.to.School`, `Жара.Heat`): the words in Latin
    // letters, which the title search answers best.
    let latin = |t: &&Token| t.text.chars().filter(|c| c.is_alphabetic()).all(is_latin);
    if title.iter().any(|t| !latin(t))
        && title
            .iter()
            .any(|t| latin(t) && t.text.chars().any(char::is_alphabetic))
    {
        title.retain(latin);
    }
    g.title = title
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for t in &tokens[end..] {
        let slot = match tag_kind(&t.text) {
            Some(Kind::Resolution) => &mut g.resolution,
            Some(Kind::Source) => &mut g.source,
            Some(Kind::Codec) => &mut g.codec,
            Some(Kind::Edition) => &mut g.edition,
            _ => continue,
        };
        slot.get_or_insert_with(|| canonical(&t.text));
    }
    g
}

/// A language word ends the title when a tag follows it (`Das.Appartement.German.AC3D`), or
/// when it stands just before the year and is not named again after it
/// (`Immersion.French.2011.DVDR` is French; `Immersion.French.2011.FRENCH` is the title).
fn language_ends_title(tokens: &[Token], at: usize, year_at: Option<usize>) -> bool {
    let next = tokens.get(at + 1);
    let tag_follows = next.is_some_and(|n| {
        matches!(
            tag_kind(&n.text),
            Some(Kind::Resolution | Kind::Source | Kind::Codec | Kind::Other)
        )
    });
    if at > 0 && tag_follows {
        return true;
    }
    match year_at {
        Some(y) if y == at + 1 => !tokens[y + 1..]
            .iter()
            .any(|t| t.text.eq_ignore_ascii_case(&tokens[at].text)),
        Some(_) => false,
        None => next.is_none_or(|n| {
            tag_kind(&n.text).is_some() || n.text.bytes().all(|b| b.is_ascii_digit())
        }),
    }
}

/// A letter of the Latin script, accented or not.
fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
        || ('\u{c0}'..='\u{24f}').contains(&c)
        || ('\u{1e00}'..='\u{1eff}').contains(&c)
}

/// Words that describe the file, not the film, at a title's end (`… Full Movie`, `… Feature
/// Film`, `… HD`).
fn strip_descriptions(title: &mut Vec<&Token>) {
    const PAIRS: &[(&str, &str)] = &[
        ("full", "movie"),
        ("full", "film"),
        ("feature", "film"),
        ("feature", "length"),
        ("full", "length"),
        ("full", "hd"),
        ("complete", "movie"),
    ];
    loop {
        let n = title.len();
        let word = |i: usize| title[i].text.to_ascii_lowercase();
        if n >= 3 && PAIRS.contains(&(word(n - 2).as_str(), word(n - 1).as_str())) {
            title.truncate(n - 2);
        } else if n >= 2 && matches!(word(n - 1).as_str(), "hd" | "fullhd" | "hq") {
            title.truncate(n - 1);
        } else if n >= 3 && matches!(word(n - 1).as_str(), "collection" | "boxset") {
            // `Stargate SG1 Ultimate Fan Collection`; a title of its own (`The Collection`)
            // keeps its word.
            let mut keep = n - 1;
            while keep > 2
                && matches!(
                    word(keep - 1).as_str(),
                    "ultimate" | "complete" | "fan" | "box" | "movie" | "film" | "dvd"
                )
            {
                keep -= 1;
            }
            title.truncate(keep);
        } else {
            break;
        }
    }
}

/// Takes the part a title ends with, kept apart from it: `The Godfather Part III` → `III`;
/// `Kill Bill Part 1 and Part 2` → `1 and 2`.
fn take_part(title: &mut Vec<&Token>) -> Option<String> {
    let n = title.len();
    let word = |i: usize| title[i].text.as_str();
    let is_part =
        |i: usize| word(i).eq_ignore_ascii_case("part") || word(i).eq_ignore_ascii_case("parts");
    let joins = |i: usize| matches!(word(i).to_ascii_lowercase().as_str(), "and" | "&" | "to");
    // `Part 1 and Part 2`, `Part 1 & 2`, `Parts 1 and 2`.
    if n >= 6
        && is_part(n - 5)
        && is_number_or_roman(word(n - 4))
        && joins(n - 3)
        && is_part(n - 2)
        && is_number_or_roman(word(n - 1))
    {
        let part = format!("{} and {}", word(n - 4), word(n - 1));
        title.truncate(n - 5);
        return Some(part);
    }
    if n >= 5
        && is_part(n - 4)
        && is_number_or_roman(word(n - 3))
        && joins(n - 2)
        && is_number_or_roman(word(n - 1))
    {
        let part = format!("{} and {}", word(n - 3), word(n - 1));
        title.truncate(n - 4);
        return Some(part);
    }
    if n >= 3 && is_part(n - 2) && is_number_or_roman(word(n - 1)) {
        let part = word(n - 1).to_owned();
        title.truncate(n - 2);
        return Some(part);
    }
    None
}

fn is_number_or_roman(t: &str) -> bool {
    t.bytes().all(|b| b.is_ascii_digit())
        || (t.len() <= 5 && t.chars().all(|c| "IVXLivxl".contains(c)))
}

/// The usual spelling of a tag.
fn canonical(t: &str) -> String {
    let l = t.to_ascii_lowercase();
    match l.as_str() {
        "4k" | "uhd" => "2160p".into(),
        "bluray" | "blu-ray" => "BluRay".into(),
        "bdrip" => "BDRip".into(),
        "brrip" => "BRRip".into(),
        "dvdrip" => "DVDRip".into(),
        "webrip" => "WEBRip".into(),
        "web-dl" | "webdl" => "WEB-DL".into(),
        "hdtv" => "HDTV".into(),
        "x264" | "h264" | "avc" => "H.264".into(),
        "x265" | "h265" | "hevc" | "hevc10" => "H.265".into(),
        "xvid" => "XviD".into(),
        "divx" => "DivX".into(),
        "dc" | "directors" | "director's" => "Director's Cut".into(),
        "se" | "special" => "Special Edition".into(),
        "extended" => "Extended".into(),
        "unrated" => "Unrated".into(),
        "remastered" => "Remastered".into(),
        "theatrical" => "Theatrical".into(),
        "imax" => "IMAX".into(),
        "criterion" => "Criterion".into(),
        "edition" | "collector" => "Collector's Edition".into(),
        "director" => "Director's Cut".into(),
        "om" => "Open Matte".into(),
        _ if l.ends_with('p') || l.ends_with('i') => l,
        _ => t.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (file name, title, year)
    const HARD: &[(&str, &str, Option<i32>)] = &[
        (
            "2001.A.Space.Odyssey.1968.1080p.BluRay.x264.mkv",
            "2001 A Space Odyssey",
            Some(1968),
        ),
        (
            "Blade.Runner.2049.2017.2160p.UHD.BluRay.x265.mkv",
            "Blade Runner 2049",
            Some(2017),
        ),
        ("1917.2019.1080p.WEB-DL.mkv", "1917", Some(2019)),
        ("1917.mkv", "1917", None),
        ("12.Angry.Men.1957.mkv", "12 Angry Men", Some(1957)),
        (
            "Ocean's.Eleven.2001.DVDRip.XviD.avi",
            "Ocean's Eleven",
            Some(2001),
        ),
        (
            "Spider-Man.Into.the.Spider-Verse.2018.1080p.mkv",
            "Spider-Man Into the Spider-Verse",
            Some(2018),
        ),
        ("Léon (1994) Director's Cut.mkv", "Léon", Some(1994)),
        ("Amélie.2001.FRENCH.720p.BluRay.mkv", "Amélie", Some(2001)),
        ("Movies/Heat (1995)/heat-sample.mkv", "Heat", Some(1995)),
        ("Movies/Heat (1995)/sample.mkv", "Heat", Some(1995)),
        ("Movies/Alien (1979)/CD1.avi", "Alien", Some(1979)),
        (
            "The.Matrix.1999.1080p.BluRay.x264-GRP.mkv",
            "The Matrix",
            Some(1999),
        ),
        (
            "Das.Boot.1981.Directors.Cut.GERMAN.1080p.mkv",
            "Das Boot",
            Some(1981),
        ),
        (
            "Seven Samurai [1954] [Criterion].mkv",
            "Seven Samurai",
            Some(1954),
        ),
        (
            "C:\\Films\\Taxi Driver (1976)\\taxi.driver.720p.mkv",
            "Taxi Driver",
            Some(1976),
        ),
        // The kinds of names the parser once missed, in examples of their own.
        ("2019.Parasite.1080p.WEB.mkv", "Parasite", Some(2019)),
        (
            "www.SomeSite.to - Parasite (2019) 720p.mkv",
            "Parasite",
            Some(2019),
        ),
        ("www.SomeSite.org.Heat.1995.720p.mkv", "Heat", Some(1995)),
        (
            "Blade Runner 2049 2017 1080p.mkv",
            "Blade Runner 2049",
            Some(2017),
        ),
        (
            "Wonder.Woman.1984.2020.1080p.WEB.mkv",
            "Wonder Woman 1984",
            Some(2020),
        ),
        ("Space.1999.1975.DVDRip.avi", "Space 1999", Some(1975)),
        (
            "Kill Bill Part 1 and Part 2 2004 720p.mkv",
            "Kill Bill",
            Some(2004),
        ),
        ("Kill.Bill.Parts.1.and.2.DVDRip.avi", "Kill Bill", None),
        (
            "Nosferatu 1922 Feature Film 720p.mp4",
            "Nosferatu",
            Some(1922),
        ),
        ("Nosferatu Full Movie HD.mp4", "Nosferatu", None),
        ("[REC] (2007).mkv", "REC", Some(2007)),
        ("(2019) Parasite 1080p.mkv", "Parasite", Some(2019)),
        ("Rocky - 2 (1979).mkv", "Rocky 2", Some(1979)),
        ("Жара.Heat.1995.BDRip.mkv", "Heat", Some(1995)),
        ("Жара (1995).mkv", "Жара", Some(1995)),
        ("The.Collection.2012.720p.mkv", "The Collection", Some(2012)),
        ("Pacific.Rim.3D.2013.BluRay.mkv", "Pacific Rim", Some(2013)),
        // A series' season and episode end the title.
        ("Some.Show.S05E03.1080p.WEB-DL.mkv", "Some Show", None),
        ("Some Show 5x06 HDTV x264-GRP [site]", "Some Show", None),
        // A title's first word that looks like a tag, a language followed by tags.
        (
            "DC.League.of.Super-Pets.2022.1080p.mkv",
            "DC League of Super-Pets",
            Some(2022),
        ),
        ("Proper.Title.720p.mkv", "Proper Title", None),
        (
            "Der.Soldat.German.Bluray.Whatever.1998.mkv",
            "Der Soldat",
            Some(1998),
        ),
        // A dash between underscores; a sample in its own folder.
        (
            "[Grp]_Some_Film_-_The_Movie_(1920x1080_Blu-ray_FLAC).mkv",
            "Some Film",
            None,
        ),
        (
            "Some.Film.2015.720p.BluRay.x264-Grp/Sample/grp-somefilm-sample.mkv",
            "Some Film",
            Some(2015),
        ),
    ];

    #[test]
    fn hard_cases() {
        let mut misses = Vec::new();
        for (name, title, year) in HARD {
            let p = parse(name);
            if (p.title.as_str(), p.year) != (*title, *year) {
                misses.push(format!(
                    "{name}: got {:?} {:?}, want {title:?} {year:?}",
                    p.title, p.year
                ));
            }
        }
        assert!(misses.is_empty(), "{}", misses.join("\n"));
    }

    #[test]
    fn the_container_title_tag_helps_where_the_name_says_little() {
        let with = |name: &str, tag: &str| {
            let p = with_container_title(parse(name), tag);
            (p.title, p.year)
        };
        assert_eq!(
            with("DSC_0042.mkv", "The Matrix (1999)"),
            ("The Matrix".into(), Some(1999))
        );
        // A folder took the place of a name that says nothing; the file's own tag says more.
        assert_eq!(
            with("Holiday/DSC_0042.mkv", "The Matrix (1999)"),
            ("The Matrix".into(), Some(1999))
        );
        assert_eq!(
            with("src/movie_final.mp4", "Alien (1979)"),
            ("Alien".into(), Some(1979))
        );
        assert_eq!(with("movie_final.mp4", "Heat"), ("Heat".into(), None));
        assert_eq!(with("heat.mkv", "Heat (1995)"), ("Heat".into(), Some(1995)));
        assert_eq!(
            with("Godfather.1972.mkv", "The Godfather"),
            ("The Godfather".into(), Some(1972)),
            "the tag's fuller title, the name's year"
        );
        // A name that says enough keeps its own title; a tag naming another film is ignored.
        assert_eq!(
            with("Alien.1979.1080p.mkv", "Encoded by someone"),
            ("Alien".into(), Some(1979))
        );
        assert_eq!(
            with("Alien.mkv", "Blade Runner (1982)"),
            ("Alien".into(), None)
        );
        assert_eq!(with("Alien.1979.mkv", ""), ("Alien".into(), Some(1979)));
    }

    #[test]
    fn the_issue_example_and_its_tags() {
        let p = parse("Movies/Dark City (1998)/Dark.City.(1998).DC.BDRip.720p.DTS.X264-CHD.mkv");
        assert_eq!((p.title.as_str(), p.year), ("Dark City", Some(1998)));
        assert_eq!(p.resolution.as_deref(), Some("720p"));
        assert_eq!(p.source.as_deref(), Some("BDRip"));
        assert_eq!(p.codec.as_deref(), Some("H.264"));
        assert_eq!(p.edition.as_deref(), Some("Director's Cut"));
    }
}
