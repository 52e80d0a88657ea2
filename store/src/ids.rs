//! Domain identifiers that cannot hold an invalid value: parse, don't validate.

use std::fmt;

use sha2::{Digest, Sha256};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("content id must be 'tt' followed by 7 or 8 digits")]
    Content,
    #[error("file id must be 64 lowercase hex digits")]
    File,
    #[error("upload id must be 32 lowercase hex digits")]
    Upload,
}

/// An IMDb title id in its canonical form: `tt` followed by the number, zero-padded to 7 digits
/// (8 digits for numbers from 10,000,000 on).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(String);

impl ContentId {
    /// Parses an id, padded with more leading zeros than IMDb writes or not (`tt00133093`), into
    /// its one canonical form (`tt0133093`), so that one title never has two spellings.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let digits = s.strip_prefix("tt").ok_or(IdError::Content)?;
        if !(7..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::Content);
        }
        // Already in its canonical form: as it is (the common case, no arithmetic).
        if digits.len() == 7 || (digits.len() == 8 && !digits.starts_with('0')) {
            return Ok(Self(s.to_owned()));
        }
        let n: u64 = digits.parse().map_err(|_| IdError::Content)?;
        match n {
            0..10_000_000 => Ok(Self(format!("tt{n:07}"))),
            10_000_000..100_000_000 => Ok(Self(format!("tt{n}"))),
            _ => Err(IdError::Content),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The hex SHA-256 of a file's name, size and last-modified time as the client reports them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId(String);

impl FileId {
    /// The id of a client file. The fields are joined with NUL, which no name can contain.
    pub fn of(name: &str, size: u64, last_modified: i64) -> Self {
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update([0]);
        h.update(size.to_string());
        h.update([0]);
        h.update(last_modified.to_string());
        Self(hex(&h.finalize()))
    }
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if is_lower_hex(s, 64) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::File)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A random upload id (128 bits as hex), scoped to the user who made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    /// Makes an id from 16 random bytes supplied by the caller.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(hex(&bytes))
    }
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if is_lower_hex(s, 32) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Upload)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}
display_as_str!(ContentId, FileId, UploadId);

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids() {
        for ok in ["tt0133093", "tt10872600"] {
            assert_eq!(
                ContentId::parse(ok).map(|c| c.to_string()),
                Ok(ok.to_owned())
            );
        }
        for bad in [
            "",
            "tt",
            "tt123456",
            "tt123456789",
            "TT0133093",
            "tt01330a3",
            "xx0133093",
            "tt0133093 ",
        ] {
            assert_eq!(ContentId::parse(bad), Err(IdError::Content), "{bad:?}");
        }
    }

    /// Regression: `tt00133093` was accepted as it came and indexed as `tt0133093`, so one title
    /// could have two spellings. Every spelling parses to the canonical one.
    #[test]
    fn content_ids_are_canonical() {
        for (given, canonical) in [
            ("tt00133093", "tt0133093"),
            ("tt000133093", "tt0133093"),
            ("tt0010872600", "tt10872600"),
            ("tt09999999", "tt9999999"),
            // Canonical already: as given.
            ("tt0133093", "tt0133093"),
            ("tt10872600", "tt10872600"),
            ("tt0000001", "tt0000001"),
        ] {
            assert_eq!(
                ContentId::parse(given).map(|c| c.to_string()),
                Ok(canonical.to_owned()),
                "{given}"
            );
        }
    }

    #[test]
    fn file_id_depends_on_every_field() {
        let a = FileId::of("a.mkv", 10, 5);
        assert_eq!(a.as_str().len(), 64);
        assert_eq!(FileId::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, FileId::of("a.mkv", 10, 6));
        assert_ne!(a, FileId::of("a.mkv", 11, 5));
        assert_ne!(a, FileId::of("b.mkv", 10, 5));
        // the separator keeps "a1" + "0" apart from "a" + "10"
        assert_ne!(FileId::of("a1", 0, 5), FileId::of("a", 10, 5));
    }

    #[test]
    fn upload_ids() {
        let id = UploadId::from_random([0xab; 16]);
        assert_eq!(UploadId::parse(id.as_str()), Ok(id));
        assert_eq!(UploadId::parse("../../etc"), Err(IdError::Upload));
        assert_eq!(UploadId::parse(&"A".repeat(32)), Err(IdError::Upload));
    }
}
