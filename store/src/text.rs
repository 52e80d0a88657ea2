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

/// A hasher for the maps a render fills with its own texts (ids, list keys, search tokens) by
/// the hundred thousand: a multiply and a rotate a word, where the standard hasher (built to
/// resist keys chosen to collide) spent 3 % of a full render. Not for keys a client sends.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuickHasher(u64);

impl QuickHasher {
    fn add(&mut self, word: u64) {
        // A folded multiply (the full 128-bit product's halves xored, as foldhash and wyhash
        // mix): every bit of the word reaches every bit of the state, low ones included.
        let m = u128::from(self.0 ^ word) * 0xf135_7aea_2e62_a9c5;
        self.0 = (m as u64) ^ ((m >> 64) as u64) ^ 0x243f_6a88_85a3_08d3;
    }
}

impl std::hash::Hasher for QuickHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        // The length too, so that "ab" and "ab\0" differ.
        self.add(u64::from_le_bytes(b) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds `QuickHasher`s.
pub type QuickHash = std::hash::BuildHasherDefault<QuickHasher>;

/// A map keyed by a render's own texts (`QuickHasher`).
pub type QuickMap<K, V> = std::collections::HashMap<K, V, QuickHash>;

/// A set of a render's own texts (`QuickHasher`).
pub type QuickSet<K> = std::collections::HashSet<K, QuickHash>;

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

    #[test]
    fn quick_hashes_of_ids_and_words_spread_over_a_table() {
        use std::hash::BuildHasher;
        let hash = QuickHash::default();
        let texts: Vec<String> = (0..100_000)
            .map(|n| format!("tt{n:07}"))
            .chain(["a", "ab", "ab\0", "the", "matrix", "matrixx"].map(String::from))
            .collect();
        // The low bits index a table: 100,006 texts over 2^17 slots, as evenly as by chance.
        let mut slots = vec![0u32; 1 << 17];
        for t in &texts {
            slots[(hash.hash_one(t.as_str()) as usize) & ((1 << 17) - 1)] += 1;
        }
        let fullest = slots.iter().max().copied().unwrap_or(0);
        assert!(fullest <= 10, "{fullest} texts in one slot");
        let distinct: QuickSet<u64> = texts.iter().map(|t| hash.hash_one(t.as_str())).collect();
        assert_eq!(distinct.len(), texts.len());
    }
}
