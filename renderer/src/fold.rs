//! How text becomes search tokens: folded (`store::text::fold`), so "Spider-Man" is
//! `spider man` (and `spiderman`), "Léon" is `leon`, then split into words and shards.
//! `assets/search.js` does the same to queries; the search tests run both over the same strings.

/// Words too common to search by.
pub const STOPWORDS: &[&str] = &["the", "a", "an", "of", "and"];

pub use store::text::{ACCENTS, fold};

/// The search tokens of a text: its folded words without stopwords, and hyphenated or dotted
/// words joined as well (`spider-man` → `spider`, `man`, `spiderman`).
pub fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !t.is_empty() && !STOPWORDS.contains(&t.as_str()) && !out.contains(&t) {
            out.push(t);
        }
    };
    for word in s.split_whitespace() {
        let parts: Vec<String> = fold(word).split_whitespace().map(str::to_owned).collect();
        if parts.len() > 1 {
            push(parts.concat());
        }
        for p in parts {
            push(p);
        }
    }
    out
}

/// A shard with more postings than this is split by its next character: it keeps only the
/// token that is its name, and the longer tokens move to the shards one character longer.
pub const SPLIT_AT: i64 = 3000;

/// The most digits a number's shard is named by: a longer number lives in the shard of its
/// first digits, so no title, however long its numbers, makes a file name too long for the file
/// system.
pub const NUMBER_SHARD_DIGITS: usize = 8;

/// The top-level shard of a token: its first three characters; a number (a year) or a word of
/// one or two characters has a shard of its own (a number of more than `NUMBER_SHARD_DIGITS`
/// digits, that of its first ones). Where a token lives when shards are split: `shard_in`.
pub fn shard(token: &str) -> String {
    if is_number(token) {
        token[..token.len().min(NUMBER_SHARD_DIGITS)].to_owned()
    } else if token.chars().count() < 3 {
        token.to_owned()
    } else {
        token.chars().take(3).collect()
    }
}

/// The shards from a token's top-level one down to where it lives, `split` answering whether
/// the shard of a prefix is split: one character longer at each split, down to a prefix one
/// character longer than the longest counted one (`store::COUNTED_PREFIXES`). Every shard but
/// the last is split and holds the token only if it is the shard's name.
pub fn shard_chain(token: &str, split: impl Fn(&str) -> bool) -> Vec<String> {
    let mut chain = vec![shard(token)];
    if is_number(token) {
        return chain;
    }
    let chars: Vec<char> = token.chars().collect();
    let mut n = chain[0].chars().count();
    while store::COUNTED_PREFIXES.contains(&n) && n < chars.len() && split(&chain[chain.len() - 1])
    {
        n += 1;
        chain.push(chars[..n].iter().collect());
    }
    chain
}

/// A token's first `n` characters, if it has that many: the shard one level below a split
/// shard of `n - 1` characters that the token would live in.
pub fn first_chars(token: &str, n: usize) -> Option<String> {
    (token.chars().count() >= n).then(|| token.chars().take(n).collect())
}

pub fn is_number(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit())
}

/// A title as lists sort it: folded, without a leading article.
pub fn sort_title(title: &str) -> String {
    let f = fold(title);
    let words: Vec<&str> = f.split_whitespace().collect();
    let skip = usize::from(words.len() > 1 && matches!(words[0], "the" | "a" | "an"));
    words[skip..].join(" ")
}

/// The most characters of a slug: a genre named at length by a page still makes a file name
/// the file system takes.
pub const SLUG_CHARS: usize = 64;

/// A URL-safe name for a genre or category: `Sci-Fi` → `sci-fi`.
pub fn slug(s: &str) -> String {
    let f = fold(s);
    let mut out = String::new();
    for w in f.split_whitespace() {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(w);
    }
    let out: String = out.chars().take(SLUG_CHARS).collect();
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "_".into()
    } else {
        out.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(
            tokens("Spider-Man: Into the Spider-Verse"),
            ["spiderman", "spider", "man", "into", "spiderverse", "verse"]
        );
        assert_eq!(tokens("Léon"), ["leon"]);
        assert_eq!(tokens("Amélie"), ["amelie"]);
        assert_eq!(tokens("Ocean's Eleven"), ["oceans", "eleven"]);
        assert_eq!(sort_title("The Matrix"), "matrix");
        assert_eq!(sort_title("The"), "the");
        assert_eq!(slug("Sci-Fi"), "sci-fi");
        assert_eq!(shard("matrix"), "mat");
        assert_eq!((shard("1999"), shard("ma")), ("1999".into(), "ma".into()));
        assert_eq!(shard(&"7".repeat(245)), "77777777");
        assert_eq!(slug(&"war ".repeat(100)).chars().count(), 63);
        assert_eq!(shard_chain("matrix", |_| false), ["mat"]);
        assert_eq!(shard_chain("matrix", |p| p == "mat"), ["mat", "matr"]);
        let all = |_: &str| true;
        assert_eq!(shard_chain("matrixes", all), ["mat", "matr", "matri"]);
        assert_eq!(shard_chain("mat", all), ["mat"]);
        assert_eq!(shard_chain("1999", all), ["1999"]);
        assert_eq!(shard_chain("ōkamı", all), ["ōka", "ōkam", "ōkamı"]);
        assert_eq!(shard_chain("ōkamıs", all), ["ōka", "ōkam", "ōkamı"]);
    }
}
