//! Keyed rate limits held in memory by one instance: sign-in attempts by client address and
//! by email, registrations and reset requests by address. Token buckets: `burst` attempts at
//! once, then one more every `per`. Limits that several instances must share live in the
//! database instead (the reset-email cap). And the pace of retries against a provider.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Retry delay after `attempts` failures (emails, owed refunds): 10 s doubling to at most
/// an hour, with ±25% jitter so many failed rows do not retry in lockstep.
pub fn retry_backoff(attempts: i64) -> chrono::Duration {
    let base = (10_i64 << attempts.clamp(0, 12).saturating_sub(1)).min(3600);
    let jitter = (rand::random::<u16>() as i64 % (base / 2 + 1)) - base / 4;
    chrono::Duration::seconds(base + jitter)
}

/// Beyond this many keys the buckets that have refilled are forgotten, so a flood of new
/// addresses cannot grow memory without end.
const MAX_KEYS: usize = 100_000;

pub struct Limiter {
    burst: f64,
    per: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limiter {
    pub fn new(burst: u32, per: Duration) -> Self {
        Limiter {
            burst: f64::from(burst.max(1)),
            per: per.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `key`; over the limit, how long until the next is allowed.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            buckets.retain(|_, b| self.refilled(*b, now) < self.burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = self.refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(self.per.mul_f64(1.0 - tokens))
        }
    }

    /// How long `key` must wait before its next attempt, without taking one.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let tokens = self.refilled(*buckets.get(key)?, now);
        (tokens < 1.0).then(|| self.per.mul_f64(1.0 - tokens))
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at);
        (bucket.tokens + elapsed.as_secs_f64() / self.per.as_secs_f64()).min(self.burst)
    }
}

/// The limits one instance keeps. Failed and successful attempts both count: a limit that
/// only counted failures would tell an attacker which guesses were right.
pub struct Throttles {
    /// Sign-in attempts from one client address (any account).
    pub sign_in_by_address: Limiter,
    /// Sign-in attempts for one email (from any address): guessing one account's password.
    pub sign_in_by_email: Limiter,
    /// Registrations and password-reset requests from one client address.
    pub accounts_by_address: Limiter,
    /// "Check my payment" by one account: each asks Stripe, whose API has its own limits.
    pub payment_checks_by_user: Limiter,
}

impl Throttles {
    /// `account_requests`: registrations and reset requests per address at once.
    pub fn new(account_requests: u32) -> Self {
        Throttles {
            sign_in_by_address: Limiter::new(20, Duration::from_secs(3)),
            sign_in_by_email: Limiter::new(5, Duration::from_secs(60)),
            accounts_by_address: Limiter::new(account_requests, Duration::from_secs(30)),
            payment_checks_by_user: Limiter::new(10, Duration::from_secs(6)),
        }
    }

    /// Takes one attempt from each `(limiter, key)`; over any of them, how long to wait
    /// (the longest).
    pub fn check(&self, attempts: &[(&Limiter, &str)]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut wait = None;
        for (limiter, key) in attempts {
            if let Err(w) = limiter.check(key, now) {
                wait = Some(wait.map_or(w, |longest: Duration| longest.max(w)));
            }
        }
        wait.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_burst_then_one_per_period() {
        let limiter = Limiter::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("1.2.3.4", t0).is_ok());
        }
        let wait = limiter.check("1.2.3.4", t0).unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10));
        assert!(limiter.check("5.6.7.8", t0).is_ok(), "keys are separate");
        assert!(limiter
            .check("1.2.3.4", t0 + Duration::from_secs(10))
            .is_ok());
        assert!(limiter
            .check("1.2.3.4", t0 + Duration::from_secs(10))
            .is_err());
    }

    proptest! {
        /// However attempts are spread, no window of length `per * n` admits more than
        /// `burst + n` of them.
        #[test]
        fn never_more_than_the_burst_plus_the_refill(gaps in proptest::collection::vec(0_u64..3_000, 1..200)) {
            let per = Duration::from_secs(1);
            let limiter = Limiter::new(5, per);
            let t0 = Instant::now();
            let mut now = t0;
            let mut admitted = 0_u64;
            for gap in gaps {
                now += Duration::from_millis(gap);
                if limiter.check("k", now).is_ok() {
                    admitted += 1;
                }
            }
            let refills = now.duration_since(t0).as_secs();
            prop_assert!(admitted <= 5 + refills + 1);
        }
    }
}
