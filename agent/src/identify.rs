//! Which IMDb title a file is: the server's ranked guesses, then the person's answer (confirm,
//! pick another, search, paste an id or link, skip), or without a person only a guess the server
//! marks as clearly ahead.

use std::sync::mpsc::Receiver;

use serde_json::Value;

use crate::api::{Answer, Api};
use crate::report::size;
use crate::scan::Movie;
use crate::terminal;

/// A title as the agent shows and keeps it.
#[derive(Debug, Clone)]
pub struct Title {
    pub id: String,
    pub title: String,
    pub year: Option<i64>,
}

impl Title {
    pub fn of(v: &Value) -> Option<Title> {
        Some(Title {
            id: v["id"].as_str()?.to_owned(),
            title: v["title"].as_str().unwrap_or_default().to_owned(),
            year: v["year"].as_i64(),
        })
    }

    pub fn label(&self) -> String {
        match (self.title.is_empty(), self.year) {
            (true, _) => self.id.clone(),
            (false, Some(y)) => format!("{} ({y}) {}", self.title, self.id),
            (false, None) => format!("{} {}", self.title, self.id),
        }
    }
}

/// What the person answered for a file.
pub enum Choice {
    Title(Title),
    Skip,
    /// Stop asking; what is confirmed so far goes up.
    Quit,
}

/// How many guesses are asked for at once: the server spaces its own requests to IMDb, so
/// more would only wait there.
const GUESSES_AT_ONCE: usize = 4;

/// The server's guesses for the names (`/api/metadata/guess`, one name a request, several at a
/// time), with each file's own title tag where it has one: each comes through the channel, in
/// order, as soon as it is in, so the first question is asked while the rest are looked up.
pub fn guesses(api: &Api, names: &[String], titles: &[Option<String>]) -> Receiver<Answer> {
    let bodies = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::json!({"names": [n], "titles": [titles.get(i).cloned().flatten()]})
        })
        .collect();
    api.post_each("/api/metadata/guess", bodies, GUESSES_AT_ONCE)
}

/// One name's guess out of its answer.
pub fn first_result(a: Answer) -> Answer {
    a.map(|v| v["results"].get(0).cloned().unwrap_or(Value::Null))
}

/// The first candidate when the server marks it as clearly ahead of the others.
pub fn confident(guess: &Value) -> Option<Title> {
    let first = guess["candidates"].get(0)?;
    if first["confident"].as_bool() == Some(true) {
        Title::of(first)
    } else {
        None
    }
}

/// An IMDb title id anywhere in what was typed or pasted (`tt0133093`, an IMDb link).
pub fn pasted_id(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(at) = s[i..].find("tt").map(|k| k + i) {
        let digits = b[at + 2..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let boundary = at == 0 || !b[at - 1].is_ascii_alphanumeric();
        if boundary && (7..=8).contains(&digits) {
            return Some(s[at..at + 2 + digits].to_owned());
        }
        i = at + 2;
    }
    None
}

fn show(c: &[Value]) {
    for (i, v) in c.iter().take(8).enumerate() {
        let mut line = format!("  {:>2}  {}", i + 1, v["title"].as_str().unwrap_or("?"));
        if let Some(y) = v["year"].as_i64() {
            line.push_str(&format!(" ({y})"));
        }
        if let Some(k) = v["kind_label"].as_str().filter(|k| !k.is_empty()) {
            line.push_str(&format!(" · {k}"));
        }
        if let Some(s) = v["stars"].as_str().filter(|s| !s.is_empty()) {
            line.push_str(&format!(" · {s}"));
        }
        line.push_str(&format!("  {}", v["id"].as_str().unwrap_or("")));
        if i == 0 && v["confident"].as_bool() == Some(true) {
            line.push_str("  (clearly the best match)");
        }
        eprintln!("{line}");
    }
}

/// Asks the person which title `movie` is, starting from the server's guess.
pub fn ask(api: &Api, movie: &Movie, n: usize, of: usize, guess: &Value) -> Choice {
    eprintln!();
    eprintln!(
        "[{n}/{of}] {}  ({}, in {})",
        movie.name,
        size(movie.size),
        movie
            .path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    let parsed = &guess["parsed"];
    if let Some(t) = parsed["title"].as_str().filter(|t| !t.is_empty()) {
        match parsed["year"].as_i64() {
            Some(y) => eprintln!("  the name says: {t} ({y})"),
            None => eprintln!("  the name says: {t}"),
        }
    }
    let mut candidates: Vec<Value> = guess["candidates"].as_array().cloned().unwrap_or_default();
    loop {
        if candidates.is_empty() {
            eprintln!("  no title found: type words to search, an IMDb id or link, or k to skip");
        } else {
            show(&candidates);
        }
        let Some(answer) = terminal::ask(
            "Enter takes 1 · a number picks · words search · tt… or an IMDb link · k skips · q stops asking\n> ",
        ) else {
            return Choice::Quit;
        };
        let a = answer.trim();
        let lower = a.to_lowercase();
        if a.is_empty() {
            if let Some(t) = candidates.first().and_then(Title::of) {
                return Choice::Title(t);
            }
            continue;
        }
        if lower == "k" || lower == "skip" {
            return Choice::Skip;
        }
        if lower == "q" || lower == "quit" {
            return Choice::Quit;
        }
        if let Ok(k) = a.parse::<usize>()
            && (1..=candidates.len().min(8)).contains(&k)
        {
            if let Some(t) = Title::of(&candidates[k - 1]) {
                return Choice::Title(t);
            }
            continue;
        }
        if let Some(id) = pasted_id(a) {
            match lookup(api, &id) {
                Ok(Some(t)) => {
                    eprintln!("  → {}", t.label());
                    return Choice::Title(t);
                }
                Ok(None) => eprintln!("  IMDb has no title {id}"),
                Err(e) => {
                    eprintln!("  {id} could not be looked up ({e}); it is taken as given");
                    return Choice::Title(Title {
                        id,
                        title: String::new(),
                        year: None,
                    });
                }
            }
            continue;
        }
        let words = a.strip_prefix("s ").unwrap_or(a);
        match search(api, words) {
            Ok(found) if found.is_empty() => eprintln!("  nothing found for “{words}”"),
            Ok(found) => candidates = found,
            Err(e) => eprintln!("  the search failed: {e}"),
        }
    }
}

/// Title search through the server.
pub fn search(api: &Api, words: &str) -> Answer<Vec<Value>> {
    let q: String = url_encode(words);
    let v = api.get(&format!("/api/metadata/search?q={q}"))?;
    Ok(v["results"].as_array().cloned().unwrap_or_default())
}

/// A pasted id's title, as the server finds it.
fn lookup(api: &Api, id: &str) -> Answer<Option<Title>> {
    match search(api, id) {
        Ok(found) => Ok(found
            .iter()
            .find(|v| v["id"].as_str() == Some(id))
            .and_then(Title::of)),
        Err(e) if e.code() == "no_such_title" => Ok(None),
        Err(e) => Err(e),
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_in_what_is_pasted() {
        for (s, id) in [
            ("tt0133093", Some("tt0133093")),
            (
                "https://www.imdb.com/title/tt0133093/?ref_=nv",
                Some("tt0133093"),
            ),
            ("  tt10872600 ", Some("tt10872600")),
            ("tt123", None),
            ("the matrix", None),
            ("xtt0133093", None),
        ] {
            assert_eq!(pasted_id(s).as_deref(), id, "{s}");
        }
    }
}
