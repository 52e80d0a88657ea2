//! Login attempts, limited per account and per address: after too many failures in a window,
//! further attempts are refused until the window has passed, so passwords cannot be guessed at
//! speed. Kept in memory: a restart forgets, which only ever helps the rightful owner.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ApiError, ApiResult, Code};

/// Failures counted per key in one window.
pub struct LoginLimiter {
    per_account: u32,
    per_address: u32,
    window: Duration,
    // A std mutex: held for a map lookup, never across an await.
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The two keys one attempt counts against.
pub struct Keys {
    account: String,
    address: String,
}

impl LoginLimiter {
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> Self {
        LoginLimiter {
            per_account,
            per_address,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    pub fn keys(&self, username: &str, address: &str) -> Keys {
        Keys {
            account: format!("user:{}", username.to_lowercase()),
            address: format!("addr:{address}"),
        }
    }

    /// Starts an attempt: refused while either key is at its limit (saying when to try again),
    /// otherwise counted as a failure at once, under the same lock, so that concurrent attempts
    /// cannot all pass the check before any of them fails. A correct password then takes it
    /// back (`succeeded`).
    pub fn begin(&self, k: &Keys) -> ApiResult<()> {
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        for (key, limit) in [
            (&k.account, self.per_account),
            (&k.address, self.per_address),
        ] {
            if let Some((start, n)) = map.get(key)
                && *n >= limit
            {
                let wait = self.window.saturating_sub(now.duration_since(*start));
                return Err(ApiError::new(
                    Code::TooManyAttempts,
                    format!(
                        "too many failed logins; try again in {} s",
                        wait.as_secs().max(1)
                    ),
                )
                .retry_after(wait.as_secs().max(1)));
            }
        }
        for key in [&k.account, &k.address] {
            map.entry(key.clone()).or_insert((now, 0)).1 += 1;
        }
        Ok(())
    }

    /// A correct password clears the account's failures and takes back the attempt counted
    /// against the address.
    pub fn succeeded(&self, k: &Keys) {
        let mut map = self.lock();
        map.remove(&k.account);
        if let Some((_, n)) = map.get_mut(&k.address) {
            *n = n.saturating_sub(1);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u32)>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_account_and_each_address() {
        let l = LoginLimiter::new(2, 3, Duration::from_secs(60));
        let a = l.keys("Ada", "10.0.0.1");
        assert!(l.begin(&a).is_ok());
        assert!(l.begin(&a).is_ok());
        assert!(l.begin(&a).is_err(), "ada is locked");
        let other_addr = l.keys("ada", "10.0.0.2");
        assert!(l.begin(&other_addr).is_err(), "the account, from anywhere");
        let b = l.keys("bob", "10.0.0.1");
        assert!(l.begin(&b).is_ok(), "bob from the same address, once more");
        assert!(l.begin(&l.keys("cy", "10.0.0.1")).is_err(), "the address");
        assert!(l.begin(&l.keys("cy", "10.0.0.3")).is_ok());
    }

    #[test]
    fn a_success_takes_its_attempt_back() {
        let l = LoginLimiter::new(2, 2, Duration::from_secs(60));
        let a = l.keys("ada", "x");
        for _ in 0..5 {
            assert!(l.begin(&a).is_ok());
            l.succeeded(&a);
        }
    }

    #[test]
    fn the_window_passes() {
        let l = LoginLimiter::new(1, 10, Duration::from_millis(30));
        let a = l.keys("ada", "x");
        assert!(l.begin(&a).is_ok());
        assert!(l.begin(&a).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.begin(&a).is_ok());
    }
}
