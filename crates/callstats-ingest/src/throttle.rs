//! What keeps one client from exhausting the server through the endpoints that need no
//! credentials, or that check credentials at a price.
//!
//! * Password hashing (dashboard sign-in) takes ~20 MiB and tens of milliseconds per hash, on
//!   purpose; at most `Limits::max_concurrent_hashes` run at once, and a sign-in beyond them is
//!   refused 429 at once rather than queued (a queue would hold the memory of its requests).
//! * Wrong sign-ins are throttled per account and per client IP with a growing delay: after a
//!   few free failures each one doubles the wait (1 s, 2 s, … up to 15 min) during which that
//!   account or IP is answered 429 with `Retry-After`; a success clears the account's count.
//! * `/authenticate` is rate-limited per app and client IP with a token bucket (`governor`).
//!
//! All of it is per node and in memory, bounded in entries; several nodes behind a balancer
//! multiply the allowance by their number, which is what a single node's figure is meant for.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;

use callstats_store::AppId;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{IngestError, Limits};

/// Keys the sign-in backoff remembers at most; beyond, those past their delay are forgotten,
/// and if that is not enough, all (an attacker who can fill the map could clear it anyway).
const MAX_TRACKED: usize = 100_000;
/// The longest delay after repeated failures.
const MAX_DELAY_MS: i64 = 15 * 60 * 1000;
/// Failures are forgotten this long after the last one.
const FORGET_AFTER_MS: i64 = 3600 * 1000;
/// A client IP may fail this many times more than one account before it is slowed down (an
/// office behind one address has many people).
const IP_FACTOR: u32 = 4;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    /// Epoch ms before which the key is refused.
    until: i64,
    last: i64,
}

/// Growing delays after failed attempts, by key.
#[derive(Debug, Default)]
struct Backoff {
    keys: Mutex<HashMap<String, Failures>>,
}

impl Backoff {
    /// Milliseconds `key` must still wait at `now`, if any.
    fn wait(&self, key: &str, now: i64) -> Option<i64> {
        let keys = self.keys.lock().expect("no panics while the lock is held");
        keys.get(key).map(|f| f.until - now).filter(|ms| *ms > 0)
    }

    /// Counts a failure of `key`; after `free` of them, each sets a delay twice the last.
    fn failed(&self, key: String, free: u32, now: i64) {
        let mut keys = self.keys.lock().expect("no panics while the lock is held");
        if keys.len() >= MAX_TRACKED && !keys.contains_key(&key) {
            keys.retain(|_, f| f.until > now && f.last + FORGET_AFTER_MS > now);
            if keys.len() >= MAX_TRACKED {
                keys.clear();
            }
        }
        let f = keys.entry(key).or_insert(Failures { count: 0, until: 0, last: now });
        if f.last + FORGET_AFTER_MS <= now {
            f.count = 0;
        }
        f.count += 1;
        f.last = now;
        if let Some(over) = f.count.checked_sub(free).filter(|n| *n > 0) {
            f.until = now + (1000i64 << (over - 1).min(20)).min(MAX_DELAY_MS);
        }
    }

    fn clear(&self, key: &str) {
        self.keys.lock().expect("no panics while the lock is held").remove(key);
    }
}

/// The throttles of one node.
pub(crate) struct Throttles {
    hashes: Arc<Semaphore>,
    sign_in: Backoff,
    free_failures: u32,
    authenticate: Option<DefaultKeyedRateLimiter<(AppId, IpAddr)>>,
}

fn too_many(message: String, wait_ms: i64) -> IngestError {
    IngestError::TooManyRequests {
        message,
        retry_after_secs: u64::try_from((wait_ms + 999) / 1000).unwrap_or(1).max(1),
    }
}

impl Throttles {
    pub(crate) fn new(limits: &Limits) -> Self {
        let authenticate =
            NonZeroU32::new(limits.authenticate_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Throttles {
            hashes: Arc::new(Semaphore::new(limits.max_concurrent_hashes.max(1))),
            sign_in: Backoff::default(),
            free_failures: limits.sign_in_failures,
            authenticate,
        }
    }

    /// A permit to hash a password now, or 429.
    pub(crate) fn hash_permit(&self) -> Result<OwnedSemaphorePermit, IngestError> {
        Arc::clone(&self.hashes)
            .try_acquire_owned()
            .map_err(|_| too_many("too many sign-ins at once; try again".into(), 1000))
    }

    /// Refuses a sign-in of `username` from `ip` while either is in its delay.
    pub(crate) fn check_sign_in(&self, username: &str, ip: Option<IpAddr>, now: i64) -> Result<(), IngestError> {
        let user_wait = self.sign_in.wait(&account_key(username), now);
        let ip_wait = ip.and_then(|ip| self.sign_in.wait(&ip_key(ip), now));
        match user_wait.max(ip_wait) {
            Some(ms) => Err(too_many("too many failed sign-ins; wait before trying again".into(), ms)),
            None => Ok(()),
        }
    }

    /// Records the outcome of a sign-in that was checked.
    pub(crate) fn signed_in(&self, username: &str, ip: Option<IpAddr>, ok: bool, now: i64) {
        if ok {
            self.sign_in.clear(&account_key(username));
            return;
        }
        self.sign_in.failed(account_key(username), self.free_failures, now);
        if let Some(ip) = ip {
            self.sign_in.failed(ip_key(ip), self.free_failures.saturating_mul(IP_FACTOR), now);
        }
    }

    /// Counts an authentication of `app` from `ip`; `Err` holds the milliseconds to wait.
    pub(crate) fn check_authenticate(&self, app: AppId, ip: Option<IpAddr>) -> Result<(), i64> {
        let (Some(limiter), Some(ip)) = (&self.authenticate, ip) else { return Ok(()) };
        if limiter.len() >= MAX_TRACKED {
            limiter.retain_recent();
        }
        limiter.check_key(&(app, ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
        })
    }
}

fn account_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_and_a_success_clears_them() {
        let b = Backoff::default();
        for _ in 0..3 {
            b.failed("k".into(), 3, 0);
        }
        assert_eq!(b.wait("k", 0), None, "three free failures");
        b.failed("k".into(), 3, 0);
        assert_eq!(b.wait("k", 0), Some(1000));
        b.failed("k".into(), 3, 1000);
        assert_eq!(b.wait("k", 1000), Some(2000));
        b.failed("k".into(), 3, 3000);
        assert_eq!(b.wait("k", 3000), Some(4000));
        for _ in 0..40 {
            b.failed("k".into(), 3, 10_000);
        }
        assert_eq!(b.wait("k", 10_000), Some(MAX_DELAY_MS));
        assert_eq!(b.wait("other", 10_000), None);
        // An hour after the last failure the count starts again.
        b.failed("k".into(), 3, 10_000 + FORGET_AFTER_MS);
        assert_eq!(b.wait("k", 10_000 + FORGET_AFTER_MS), None);
        b.clear("k");
        assert_eq!(b.wait("k", 0), None);
    }
}
