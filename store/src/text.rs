//! Text folding, the one rule every part of Open OTT compares text by (search, title
//! matching, sorting): lowercase, accents folded, punctuation a space, apostrophes dropped.
//! "Spider-Man" is `spider man`, "Léon" is `leon`, "Ocean's" is `oceans`. `assets/search.js`
//! folds queries by the same rules; the renderer's search tests run both over the same strings.

/// Accented letters and what they fold to (the same table is in `assets/search.js`).
pub const ACCENTS: &[(char, &str)] = &[
    ('à', "a"),
    ('á', "a"),
    ('â', "a"),
    ('ã', "a"),
    ('ä', "a"),
    ('å', "a"),
    ('æ', "ae"),
    ('ç', "c"),
    ('è', "e"),
    ('é', "e"),
    ('ê', "e"),
    ('ë', "e"),
    ('ì', "i"),
    ('í', "i"),
    ('î', "i"),
    ('ï', "i"),
    ('ñ', "n"),
    ('ò', "o"),
    ('ó', "o"),
    ('ô', "o"),
    ('õ', "o"),
    ('ö', "o"),
    ('ø', "o"),
    ('œ', "oe"),
    ('ù', "u"),
    ('ú', "u"),
    ('û', "u"),
    ('ü', "u"),
    ('ý', "y"),
    ('ÿ', "y"),
    ('ß', "ss"),
    ('ł', "l"),
    ('ś', "s"),
    ('š', "s"),
    ('ž', "z"),
    ('ź', "z"),
    ('ż', "z"),
    ('č', "c"),
    ('ć', "c"),
    ('ř', "r"),
    ('ğ', "g"),
    ('ı', "i"),
    ('ş', "s"),
];

/// Lowercase, accents folded, every other non-alphanumeric character a space, apostrophes
/// dropped ("Ocean's" is `oceans`).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // ASCII, most of every name, without the table (it holds no ASCII letter).
        if c.is_ascii() {
            match c {
                'a'..='z' | '0'..='9' => out.push(c),
                'A'..='Z' => out.push(c.to_ascii_lowercase()),
                '\'' => {}
                _ => out.push(' '),
            }
            continue;
        }
        fold_other(c, &mut out);
    }
    out
}

/// `fold` of a character beyond ASCII.
fn fold_other(c: char, out: &mut String) {
    for c in c.to_lowercase() {
        if let Some((_, to)) = ACCENTS.iter().find(|(from, _)| *from == c) {
            out.push_str(to);
        } else if c.is_alphanumeric() {
            out.push(c);
        } else if c == '\'' || c == '’' {
            // dropped
        } else {
            out.push(' ');
        }
    }
}

/// A title to show until the metadata arrives: the name without extension and separators.
pub fn placeholder_title(name: &str) -> String {
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let t: String = stem
        .chars()
        .map(|c| if matches!(c, '.' | '_') { ' ' } else { c })
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() { name.to_owned() } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(placeholder_title("The.Matrix_1999.mkv"), "The Matrix 1999");
        assert_eq!(fold("Léon: The Professional"), "leon  the professional");
    }

    /// Every character folds by the one rule, ASCII (folded without the table) and beyond it.
    #[test]
    fn every_character_folds_by_the_rule() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let mut want = String::new();
            for l in c.to_lowercase() {
                match ACCENTS.iter().find(|(from, _)| *from == l) {
                    Some((_, to)) => want.push_str(to),
                    None if l.is_alphanumeric() => want.push(l),
                    None if l == '\'' || l == '’' => {}
                    None => want.push(' '),
                }
            }
            assert_eq!(fold(&c.to_string()), want, "{c:?}");
        }
        assert_eq!(fold("Ocean's ÉLAN-2"), "oceans elan 2");
    }
}
