//! Reads an IMDb title page: the `application/ld+json` block first, `__NEXT_DATA__` for what it
//! lacks (the full genre list, credits by category, cast, metascore, awards, details), and the
//! old schema.org `itemprop` layout when neither is there. A field the page lacks stays empty.

use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};
use store::{ContentId, Duration, Metadata, Rating};

/// Why a page could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("the page is not an IMDb title page")]
    NotATitlePage,
    #[error("the page names no title")]
    NoTitle,
}

fn sel(s: &str) -> Selector {
    #[allow(
        clippy::expect_used,
        reason = "the selectors are constants of this file"
    )]
    Selector::parse(s).expect("a valid selector")
}

/// Reads a title page. The metadata's `id` is the page's own id, which the caller compares
/// with the id it asked for.
pub fn parse(html: &str) -> Result<Metadata, PageError> {
    let mut m = parse_any(html, None)?;
    m.keep_web_urls();
    Ok(m)
}

/// Reads the title page fetched for `asked`: a page that names no id of its own (in a layout
/// never seen) is taken as that title's, as long as it names a title.
pub fn parse_as(html: &str, asked: &ContentId) -> Result<Metadata, PageError> {
    let mut m = parse_any(html, Some(asked))?;
    m.keep_web_urls();
    Ok(m)
}

fn parse_any(html: &str, asked: Option<&ContentId>) -> Result<Metadata, PageError> {
    let doc = Html::parse_document(html);
    let ld = script_json(&doc, r#"script[type="application/ld+json"]"#);
    let next = script_json(&doc, "script#__NEXT_DATA__");
    let page = next.as_ref().map(|n| &n["props"]["pageProps"]);
    let atf = page
        .map(|p| &p["aboveTheFoldData"])
        .filter(|v| v.is_object());
    let main = page.map(|p| &p["mainColumnData"]).filter(|v| v.is_object());
    let id = page_id(&doc, ld.as_ref(), page)
        .or_else(|| asked.cloned())
        .ok_or(PageError::NotATitlePage)?;
    if ld.is_none() && atf.is_none() {
        return old_layout(&doc, id.clone()).or_else(|_| generic(&doc, id));
    }
    let ld = ld.unwrap_or(Value::Null);
    let null = Value::Null;
    let (atf, main) = (atf.unwrap_or(&null), main.unwrap_or(&null));

    let Some(title) = text(&atf["titleText"]["text"]).or_else(|| text(&ld["name"])) else {
        return generic(&doc, id);
    };
    let mut m = Metadata::named(id, title);
    m.original_title = text(&atf["originalTitleText"]["text"]);
    m.kind = text(&atf["titleType"]["id"]);
    m.year = atf["releaseYear"]["year"]
        .as_i64()
        .or_else(|| text(&ld["datePublished"]).and_then(|d| d.get(..4)?.parse().ok()));
    m.genres = names(&atf["genres"]["genres"], "/text");
    if m.genres.is_empty() {
        m.genres = string_or_list(&ld["genre"]);
    }
    m.directors = credits(atf, "director");
    m.writers = credits(atf, "writer");
    m.stars = credits(atf, "cast");
    if m.directors.is_empty() {
        m.directors = names(&ld["director"], "/name");
    }
    m.cast = names(&main["cast"]["edges"], "/node/name/nameText/text");
    let minutes = atf["runtime"]["seconds"]
        .as_i64()
        .map(|s| s / 60)
        .or_else(|| text(&ld["duration"]).and_then(|d| iso_minutes(&d)));
    m.duration = minutes.map(Duration::from_minutes);
    m.plot_short = text(&atf["plot"]["plotText"]["plainText"]).or_else(|| text(&ld["description"]));
    let value = atf["ratingsSummary"]["aggregateRating"]
        .as_f64()
        .or_else(|| ld["aggregateRating"]["ratingValue"].as_f64());
    let votes = atf["ratingsSummary"]["voteCount"]
        .as_i64()
        .or_else(|| ld["aggregateRating"]["ratingCount"].as_i64())
        .unwrap_or(0);
    m.rating = value.map(|value| Rating {
        value,
        votes,
        max: 10.0,
    });
    m.poster_url = text(&atf["primaryImage"]["url"]).or_else(|| text(&ld["image"]));
    m.parental_rating = text(&atf["certificate"]["rating"]).or_else(|| text(&ld["contentRating"]));
    m.metascore = atf["metacritic"]["metascore"]["score"].as_i64();
    m.metacritic_rating = m.metascore;
    m.suggestions = names(&main["moreLikeThisTitles"]["edges"], "/node/id");
    m.trailer_url = text(&ld["trailer"]["embedUrl"]);
    m.awards = awards(main);
    m.details = details(atf, main);
    Ok(m)
}

/// The title's id: `__NEXT_DATA__`'s `tconst`, the ld+json `url`, or the page's meta tags.
fn page_id(doc: &Html, ld: Option<&Value>, page: Option<&Value>) -> Option<ContentId> {
    let from_next = page.and_then(|p| text(&p["tconst"]));
    let from_ld = ld.and_then(|l| text(&l["url"])).and_then(|u| id_in(&u));
    let from_meta = doc
        .select(&sel(
            r#"meta[property="pageId"], meta[property="imdb:pageConst"]"#,
        ))
        .find_map(|e| e.value().attr("content").map(str::to_owned))
        .or_else(|| {
            doc.select(&sel(r#"link[rel="canonical"]"#))
                .find_map(|e| e.value().attr("href").and_then(id_in))
        })
        .or_else(|| {
            doc.select(&sel(r#"meta[property="og:url"]"#))
                .find_map(|e| e.value().attr("content").and_then(id_in))
        });
    [from_next, from_ld, from_meta]
        .into_iter()
        .flatten()
        .find_map(|s| ContentId::parse(&s).ok())
}

/// The `tt…` id in a URL such as `/title/tt0114814/`.
pub fn id_in(url: &str) -> Option<String> {
    url.match_indices("tt").find_map(|(at, _)| {
        let digits: String = url[at + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        ContentId::parse(&format!("tt{digits}"))
            .ok()
            .map(|id| id.to_string())
    })
}

fn script_json(doc: &Html, selector: &str) -> Option<Value> {
    doc.select(&sel(selector))
        .find_map(|e| serde_json::from_str(&e.inner_html()).ok())
}

/// A non-empty string, with the HTML entities ld+json keeps (`&apos;`) decoded.
fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(decode_entities)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn string_or_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// The strings at `pointer` in each item of a list.
fn names(list: &Value, pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.as_array().into_iter().flatten() {
        if let Some(s) = item.pointer(pointer).and_then(text)
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// Principal credits of one category (`director`, `writer`, `cast`).
fn credits(atf: &Value, category: &str) -> Vec<String> {
    let groups = atf["principalCredits"].as_array().into_iter().flatten();
    groups
        .filter(|g| g["category"]["id"].as_str() == Some(category))
        .flat_map(|g| names(&g["credits"], "/name/nameText/text"))
        .collect()
}

/// Minutes of an ISO 8601 duration such as `PT1H46M` or `PT112M`.
fn iso_minutes(iso: &str) -> Option<i64> {
    let rest = iso.strip_prefix("PT")?;
    let (mut minutes, mut num) = (0i64, String::new());
    for c in rest.chars() {
        match c {
            '0'..='9' => num.push(c),
            'H' => minutes += num.parse::<i64>().ok()? * 60,
            'M' => minutes += num.parse::<i64>().ok()?,
            'S' => {}
            _ => return None,
        }
        if !c.is_ascii_digit() {
            num.clear();
        }
    }
    (minutes > 0).then_some(minutes)
}

fn awards(main: &Value) -> Option<String> {
    let wins = main["wins"]["total"].as_i64().unwrap_or(0);
    let noms = main["nominations"]["total"].as_i64().unwrap_or(0);
    let p = &main["prestigiousAwardSummary"];
    let mut parts = Vec::new();
    if let Some(award) = p["award"]["text"].as_str() {
        let (w, n) = (
            p["wins"].as_i64().unwrap_or(0),
            p["nominations"].as_i64().unwrap_or(0),
        );
        if w > 0 {
            parts.push(format!("Won {w} {award}{}", if w == 1 { "" } else { "s" }));
        } else if n > 0 {
            parts.push(format!(
                "Nominated for {n} {award}{}",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    if wins > 0 || noms > 0 {
        parts.push(format!("{wins} wins & {noms} nominations total"));
    }
    (!parts.is_empty()).then(|| parts.join(". "))
}

fn details(atf: &Value, main: &Value) -> Option<Value> {
    let mut d = serde_json::Map::new();
    let date = &atf["releaseDate"];
    if let (Some(y), Some(mo), Some(day)) = (
        date["year"].as_i64(),
        date["month"].as_i64(),
        date["day"].as_i64(),
    ) {
        d.insert(
            "release_date".into(),
            json!(format!("{y:04}-{mo:02}-{day:02}")),
        );
    }
    let countries = names(&atf["countriesOfOrigin"]["countries"], "/id");
    let lists = [
        ("countries", countries),
        (
            "languages",
            names(&main["spokenLanguages"]["spokenLanguages"], "/text"),
        ),
        ("also_known_as", names(&main["akas"]["edges"], "/node/text")),
        (
            "filming_locations",
            names(&main["filmingLocations"]["edges"], "/node/text"),
        ),
        ("keywords", names(&atf["keywords"]["edges"], "/node/text")),
    ];
    for (k, v) in lists {
        if !v.is_empty() {
            d.insert(k.into(), json!(v));
        }
    }
    for (k, v) in [
        ("budget", &main["productionBudget"]["budget"]),
        ("gross_worldwide", &main["worldwideGross"]["total"]),
    ] {
        if let (Some(amount), Some(currency)) = (v["amount"].as_i64(), v["currency"].as_str()) {
            d.insert(k.into(), json!({"amount": amount, "currency": currency}));
        }
    }
    if let Some(v) = atf["primaryVideos"]["edges"][0]["node"]["id"].as_str() {
        d.insert("trailer_video_id".into(), json!(v));
    }
    (!d.is_empty()).then_some(Value::Object(d))
}

/// The text of an element, whitespace collapsed.
fn inner(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_text(doc: &Html, selector: &str) -> Option<String> {
    doc.select(&sel(selector))
        .map(inner)
        .find(|s| !s.is_empty())
}

/// The names in the `itemprop="name"` children of the elements `selector` picks.
fn person_names(scope: ElementRef<'_>, selector: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in scope.select(&sel(selector)) {
        if let Some(name) = e
            .select(&sel(r#"[itemprop="name"]"#))
            .map(inner)
            .find(|s| !s.is_empty())
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// The schema.org `itemprop` layout IMDb served until 2018.
fn old_layout(doc: &Html, id: ContentId) -> Result<Metadata, PageError> {
    let h1 = doc
        .select(&sel(r#"h1[itemprop="name"]"#))
        .next()
        .ok_or(PageError::NoTitle)?;
    // The heading holds the title and then the year in its own span.
    let title: String = h1
        .children()
        .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
        .collect::<String>()
        .replace('\u{a0}', " ")
        .trim()
        .to_owned();
    if title.is_empty() {
        return Err(PageError::NoTitle);
    }
    let mut m = Metadata::named(id, title);
    m.year = first_text(doc, "#titleYear a")
        .or_else(|| first_text(doc, "#titleYear"))
        .and_then(|y| {
            y.trim_matches(|c: char| !c.is_ascii_digit())
                .get(..4)?
                .parse()
                .ok()
        });
    let summary = doc
        .select(&sel(".plot_summary, .plot_summary_wrapper"))
        .next();
    let root = doc.root_element();
    let scope = summary.unwrap_or(root);
    m.directors = person_names(scope, r#"[itemprop="director"]"#);
    m.writers = person_names(scope, r#"[itemprop="creator"][itemtype$="Person"]"#);
    m.stars = person_names(scope, r#"[itemprop="actors"]"#);
    m.cast = person_names(root, r#".cast_list [itemprop="actor"]"#);
    let mut genres = Vec::new();
    for g in doc
        .select(&sel(
            r#".subtext [itemprop="genre"], .title_wrapper [itemprop="genre"]"#,
        ))
        .map(inner)
    {
        if !genres.contains(&g) {
            genres.push(g);
        }
    }
    m.genres = genres;
    m.duration = doc
        .select(&sel(r#"time[itemprop="duration"]"#))
        .find_map(|e| e.value().attr("datetime").and_then(iso_minutes))
        .map(Duration::from_minutes);
    m.plot_short = first_text(doc, r#".summary_text"#);
    m.plot_long = doc
        .select(&sel(
            r#"#titleStoryLine [itemprop="description"] p, .canwrap[itemprop="description"] p"#,
        ))
        .map(|p| {
            // The storyline ends with its author ("Written by …").
            let t: String = p
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            t.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .find(|s| !s.is_empty());
    let rating_box = doc.select(&sel(r#"[itemprop="aggregateRating"]"#)).next();
    if let Some(r) = rating_box {
        let value = r
            .select(&sel(r#"[itemprop="ratingValue"]"#))
            .map(inner)
            .find_map(|v| v.parse::<f64>().ok());
        let votes = r
            .select(&sel(r#"[itemprop="ratingCount"]"#))
            .map(inner)
            .find_map(|v| v.replace(',', "").parse::<i64>().ok())
            .unwrap_or(0);
        m.rating = value.map(|value| Rating {
            value,
            votes,
            max: 10.0,
        });
    }
    m.parental_rating = doc
        .select(&sel(r#"meta[itemprop="contentRating"]"#))
        .find_map(|e| e.value().attr("content").map(str::to_owned));
    m.poster_url = doc
        .select(&sel(
            r#".poster img[itemprop="image"], img[itemprop="image"]"#,
        ))
        .find_map(|e| e.value().attr("src").map(str::to_owned));
    m.metascore = first_text(doc, ".metacriticScore span").and_then(|s| s.parse().ok());
    m.metacritic_rating = m.metascore;
    m.tagline = doc
        .select(&sel("#titleStoryLine .txt-block, .txt-block"))
        .find_map(|b| {
            let heading = b.select(&sel("h4")).next().map(inner)?;
            if !heading.starts_with("Taglines") {
                return None;
            }
            let own: String = b
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            Some(own.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
        });
    m.awards =
        first_text(doc, r#"[itemprop="awards"]"#).map(|a| a.trim_end_matches('.').to_owned());
    let mut recs = Vec::new();
    for e in doc.select(&sel(".rec_item[data-tconst]")) {
        if let Some(t) = e.value().attr("data-tconst")
            && !recs.iter().any(|r| r == t)
        {
            recs.push(t.to_owned());
        }
    }
    m.suggestions = recs;
    let mut d = serde_json::Map::new();
    if let Some(date) = doc
        .select(&sel(r#".title_wrapper meta[itemprop="datePublished"], .subtext meta[itemprop="datePublished"]"#))
        .find_map(|e| e.value().attr("content").map(str::to_owned))
    {
        d.insert("release_date".into(), json!(date));
    }
    if let Some(video) = doc
        .select(&sel("[data-video]"))
        .find_map(|e| e.value().attr("data-video").map(str::to_owned))
    {
        d.insert("trailer_video_id".into(), json!(video));
    }
    m.details = (!d.is_empty()).then_some(Value::Object(d));
    Ok(m)
}

/// What any page says of its title when no layout we know is there: microdata (`itemprop`),
/// the `og:` and other `<meta>` tags, and `<title>` ("The Matrix (1999) - IMDb"). At least the
/// title comes back, and the year when the page names it; the rest stays empty, and the page is
/// marked as read in part (`details.read_in_part`), for an early refresh.
fn generic(doc: &Html, id: ContentId) -> Result<Metadata, PageError> {
    let meta = |names: &str| {
        doc.select(&sel(names))
            .find_map(|e| e.value().attr("content").map(|c| c.trim().to_owned()))
            .filter(|c| !c.is_empty())
    };
    let head_title = first_text(doc, "title");
    let og_title = meta(r#"meta[property="og:title"], meta[name="title"]"#);
    // "The Matrix (1999) - IMDb", "The Matrix (1999) ⭐ 8.7 | Action", "Heat (TV Movie 1995)".
    let split = |t: &str| -> (String, Option<i64>) {
        let t = t.split(" - IMDb").next().unwrap_or(t);
        let t = t.split(" ⭐").next().unwrap_or(t);
        let t = t.split(" | ").next().unwrap_or(t).trim();
        match t.rfind(" (") {
            Some(at) if t.ends_with(')') => {
                let inside = &t[at + 2..t.len() - 1];
                let year = inside
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 4)
                    .and_then(|y| y.parse().ok());
                (t[..at].trim().to_owned(), year)
            }
            _ => (t.to_owned(), None),
        }
    };
    let micro = doc
        .select(&sel(r#"h1 [itemprop="name"], h1[itemprop="name"]"#))
        .map(inner)
        .find(|t| !t.is_empty());
    let from_heads = og_title.as_deref().or(head_title.as_deref()).map(split);
    let title = micro
        .or_else(|| from_heads.as_ref().map(|(t, _)| t.clone()))
        .filter(|t| !t.is_empty() && t != "IMDb")
        .ok_or(PageError::NoTitle)?;
    let mut m = Metadata::named(id, decode_entities(&title));
    m.year = from_heads.and_then(|(_, y)| y).or_else(|| {
        doc.select(&sel(r#"a[href*="/year/"], [itemprop="datePublished"]"#))
            .find_map(|e| {
                let t = e
                    .value()
                    .attr("content")
                    .map(str::to_owned)
                    .unwrap_or_else(|| inner(e));
                t.get(..4)?.parse().ok()
            })
    });
    m.directors = person_names(doc.root_element(), r#"[itemprop="director"]"#);
    m.genres = doc
        .select(&sel(r#"[itemprop="genre"]"#))
        .map(inner)
        .filter(|g| !g.is_empty())
        .collect();
    m.genres.dedup();
    let value = doc
        .select(&sel(r#"[itemprop="ratingValue"]"#))
        .find_map(|e| {
            e.value()
                .attr("content")
                .map(str::to_owned)
                .or_else(|| Some(inner(e)))
        })
        .and_then(|v| v.trim().parse::<f64>().ok());
    let votes = doc
        .select(&sel(r#"[itemprop="ratingCount"]"#))
        .find_map(|e| {
            e.value()
                .attr("content")
                .map(str::to_owned)
                .or_else(|| Some(inner(e)))
        })
        .and_then(|v| v.replace(',', "").trim().parse::<i64>().ok())
        .unwrap_or(0);
    m.rating = value
        .filter(|v| (0.0..=10.0).contains(v))
        .map(|value| Rating {
            value,
            votes,
            max: 10.0,
        });
    m.plot_short = doc
        .select(&sel(r#"[itemprop="description"]"#))
        .map(inner)
        .find(|t| !t.is_empty())
        .or_else(|| meta(r#"meta[property="og:description"], meta[name="description"]"#));
    m.poster_url = meta(r#"meta[property="og:image"]"#).or_else(|| {
        doc.select(&sel(r#"img[itemprop="image"]"#))
            .find_map(|e| e.value().attr("src").map(str::to_owned))
    });
    m.duration = doc
        .select(&sel(r#"[itemprop="duration"]"#))
        .find_map(|e| {
            e.value()
                .attr("datetime")
                .or(e.value().attr("content"))
                .and_then(iso_minutes)
        })
        .map(Duration::from_minutes);
    m.details = Some(json!({"read_in_part": true}));
    Ok(m)
}

/// Whether a page was read only by `generic`, and wants an early refresh.
pub fn read_in_part(m: &Metadata) -> bool {
    m.details
        .as_ref()
        .is_some_and(|d| d["read_in_part"] == Value::Bool(true))
}

/// Decodes the HTML entities IMDb leaves in JSON strings.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_helpers() {
        assert_eq!(iso_minutes("PT1H46M"), Some(106));
        assert_eq!(iso_minutes("PT112M"), Some(112));
        assert_eq!(iso_minutes("P1D"), None);
        assert_eq!(
            decode_entities("Hasn&apos;t &amp; &#39;x&#x27; &bogus; &"),
            "Hasn't & 'x' &bogus; &"
        );
        assert_eq!(
            id_in("https://www.imdb.com/title/tt0133093/?ref_=x").as_deref(),
            Some("tt0133093")
        );
        assert_eq!(id_in("/name/nm0000206/"), None);
        // The "tt" of "https" is not an id.
        assert_eq!(
            id_in("https://m.imdb.com/title/tt10872600/").as_deref(),
            Some("tt10872600")
        );
    }

    #[test]
    fn a_page_without_title_data_is_refused() {
        assert_eq!(
            parse("<html><body>Service Unavailable</body></html>"),
            Err(PageError::NotATitlePage)
        );
    }
}
