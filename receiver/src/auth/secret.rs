//! Secrets: random tokens, their stored hashes, and comparing without timing leaks.

use sha2::{Digest, Sha256};

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    fill_random(&mut b);
    store::hex(&b)
}

pub fn fill_random(buf: &mut [u8]) {
    // The OS random source failing is not something a server can carry on without.
    #[allow(clippy::expect_used, reason = "no randomness, no secure ids: stop")]
    getrandom::getrandom(buf).expect("the operating system's random source failed");
}

/// Tokens are stored only as their SHA-256: a stolen database holds no usable token.
pub fn hash_secret(token: &str) -> String {
    store::hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
