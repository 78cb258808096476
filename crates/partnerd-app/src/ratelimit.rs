//! Token buckets (API.md §1.3): per principal, per client IP on public endpoints,
//! and per target e-mail or token. Each replica keeps its own buckets in memory.

use partnerd_domain::time::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// The state of one bucket after a request, for the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
}

/// A refused request: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub quota: Quota,
    pub retry_after: u64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Timestamp,
}

/// A family of buckets refilled evenly: `per_minute` tokens a minute, up to `burst`.
#[derive(Debug)]
pub struct Buckets {
    per_minute: u32,
    burst: u32,
    map: Mutex<HashMap<String, Bucket>>,
}

impl Buckets {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            burst: burst.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    fn rate_per_ms(&self) -> f64 {
        f64::from(self.per_minute) / 60_000.0
    }

    fn refill(&self, b: Bucket, now: Timestamp) -> f64 {
        let elapsed = now.since(b.at).max(0) as f64;
        (b.tokens + elapsed * self.rate_per_ms()).min(f64::from(self.burst))
    }

    fn quota(&self, tokens: f64) -> Quota {
        let missing = f64::from(self.burst) - tokens;
        Quota {
            limit: self.per_minute,
            remaining: tokens.max(0.0).floor() as u32,
            reset_secs: (missing / self.rate_per_ms() / 1000.0).ceil().max(0.0) as u64,
        }
    }

    /// Takes one token for `key`, or says how long to wait.
    pub fn take(&self, key: &str, now: Timestamp) -> Result<Quota, Limited> {
        let Ok(mut map) = self.map.lock() else {
            return Ok(self.quota(f64::from(self.burst)));
        };
        if map.len() > 100_000 {
            let burst = f64::from(self.burst);
            map.retain(|_, b| self.refill(*b, now) < burst);
        }
        let current = map
            .get(key)
            .map_or(f64::from(self.burst), |b| self.refill(*b, now));
        if current >= 1.0 {
            let left = current - 1.0;
            map.insert(
                key.to_owned(),
                Bucket {
                    tokens: left,
                    at: now,
                },
            );
            Ok(self.quota(left))
        } else {
            map.insert(
                key.to_owned(),
                Bucket {
                    tokens: current,
                    at: now,
                },
            );
            let wait = ((1.0 - current) / self.rate_per_ms() / 1000.0)
                .ceil()
                .max(1.0) as u64;
            Err(Limited {
                quota: self.quota(current),
                retry_after: wait,
            })
        }
    }

    /// The state of `key` without taking anything.
    pub fn peek(&self, key: &str, now: Timestamp) -> Quota {
        let tokens = self
            .map
            .lock()
            .ok()
            .and_then(|m| m.get(key).map(|b| self.refill(*b, now)))
            .unwrap_or(f64::from(self.burst));
        self.quota(tokens)
    }
}

/// The three limits of §1.3.
#[derive(Debug)]
pub struct RateLimits {
    pub principal: Buckets,
    pub public_ip: Buckets,
    pub target: Buckets,
}

impl RateLimits {
    pub fn new(principal_per_min: u32, public_per_min: u32, target_per_min: u32) -> Self {
        Self {
            principal: Buckets::new(principal_per_min, principal_per_min.min(100)),
            public_ip: Buckets::new(public_per_min, public_per_min),
            target: Buckets::new(target_per_min, target_per_min),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refuses_past_burst_and_refills_evenly() {
        let b = Buckets::new(60, 3);
        for _ in 0..3 {
            assert!(b.take("k", Timestamp(0)).is_ok());
        }
        let limited = b.take("k", Timestamp(0));
        assert!(matches!(limited, Err(Limited { retry_after: 1, .. })));
        assert!(
            b.take("k", Timestamp(1000)).is_ok(),
            "one token a second comes back"
        );
        assert!(b.take("other", Timestamp(0)).is_ok());
    }
}
