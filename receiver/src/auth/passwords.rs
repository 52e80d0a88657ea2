//! Password hashing (argon2id), bounded: at most `HASHERS` hashes run at once, each in one of a
//! few memory blocks kept for the purpose, so a crowd of logins costs a queue, not memory. A
//! hash allocated per request (19 MiB each) was never given back to the system, and 120
//! concurrent requests took the receiver from 31 MiB to 3.7 GiB.

use crate::auth::secret::constant_time_eq;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use tokio::sync::Semaphore;

use crate::auth::secret::fill_random;
use crate::error::{ApiError, ApiResult, Code};

/// Hashes at once: one per core of a small home server.
const HASHERS: usize = 2;

/// Requests that may wait for a hasher; beyond, they are refused with 503 at once.
const QUEUE: usize = 256;

/// The hash length written for new passwords (argon2's default).
const OUTPUT_LEN: usize = 32;

pub struct Passwords {
    permits: Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    // std mutex: held only to take or return a block, never across an await.
    blocks: Mutex<Vec<Vec<Block>>>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords {
            permits: Semaphore::new(HASHERS),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            blocks: Mutex::new(Vec::new()),
        }
    }
}

impl Passwords {
    /// A PHC string (`$argon2id$v=19$m=…`) for a new password.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move |memory| {
            let mut salt = [0u8; 16];
            fill_random(&mut salt);
            let params = Params::default();
            let mut out = [0u8; OUTPUT_LEN];
            argon2_of(&params, Algorithm::Argon2id)?.hash_password_into_with_memory(
                password.as_bytes(),
                &salt,
                &mut out,
                sized(memory, params.block_count()),
            )?;
            let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
            Ok(format!(
                "$argon2id$v=19$m={},t={},p={}${}${}",
                params.m_cost(),
                params.t_cost(),
                params.p_cost(),
                SaltString::encode_b64(&salt)
                    .map_err(|e| ApiError::internal(e.to_string()))?
                    .as_str(),
                b64.encode(out)
            ))
        })
        .await
    }

    /// Whether `password` matches `hash`. With no hash (no such user) a fixed one is checked
    /// anyway and the answer is no, so the time taken does not tell which names exist.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Yl7NSk8xbBUbRmDaDkoZzwBvxoHAV1fiDMYIJPOZBVY";
        self.run(move |memory| {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DUMMY.to_owned());
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return Ok(false);
            };
            let (Ok(alg), Ok(params), Some(salt), Some(want)) = (
                Algorithm::try_from(parsed.algorithm),
                Params::try_from(&parsed),
                parsed.salt,
                parsed.hash,
            ) else {
                return Ok(false);
            };
            // Hashes are made here, with the default cost; a stored one asking for much more
            // memory than that is refused rather than allocated.
            if params.m_cost() > Params::DEFAULT_M_COST * 4 {
                return Ok(false);
            }
            let mut salt_buf = [0u8; 64];
            let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
                return Ok(false);
            };
            let mut out = vec![0u8; want.len()];
            let version = parsed
                .version
                .and_then(|v| Version::try_from(v).ok())
                .unwrap_or_default();
            Argon2::new(alg, version, params.clone()).hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                sized(memory, params.block_count()),
            )?;
            Ok(known && constant_time_eq(&out, want.as_bytes()))
        })
        .await
    }

    /// Runs `f` on a blocking thread with a hasher's permit and memory.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= QUEUE + HASHERS {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.map_err(|_| busy())?;
        let mut block = self
            .blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let (result, block) = tokio::task::spawn_blocking(move || {
            let r = f(&mut block);
            (r, block)
        })
        .await?;
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(block);
        result
    }
}

/// The first `n` blocks of a hasher's memory, grown once to the size asked.
fn sized(memory: &mut Vec<Block>, n: usize) -> &mut [Block] {
    if memory.len() < n {
        memory.resize(n, Block::default());
    }
    &mut memory[..n]
}

fn argon2_of(params: &Params, alg: Algorithm) -> ApiResult<Argon2<'static>> {
    Ok(Argon2::new(alg, Version::V0x13, params.clone()))
}

fn busy() -> ApiError {
    ApiError::new(Code::Busy, "too many logins at once; try again in a moment").retry_after(1)
}

impl From<argon2::Error> for ApiError {
    fn from(e: argon2::Error) -> Self {
        ApiError::internal(format!("password hashing: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn hashes_verify_both_ways() {
        let p = Passwords::default();
        let h = p.hash("correct horse".into()).await.expect("hash");
        assert!(
            p.verify("correct horse".into(), Some(h.clone()))
                .await
                .expect("v")
        );
        assert!(
            !p.verify("wrong horse".into(), Some(h.clone()))
                .await
                .expect("v")
        );
        assert!(!p.verify("correct horse".into(), None).await.expect("v"));
        // The stored form is the standard one: argon2's own verifier takes it.
        let parsed = PasswordHash::new(&h).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // And hashes made by argon2's own hasher (what the database already holds) verify.
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let theirs = argon2::PasswordHasher::hash_password(&Argon2::default(), b"pw123456", &salt)
            .expect("hash")
            .to_string();
        assert!(p.verify("pw123456".into(), Some(theirs)).await.expect("v"));
        assert!(
            !p.verify("x".into(), Some("not a hash".into()))
                .await
                .expect("v")
        );
    }
}
