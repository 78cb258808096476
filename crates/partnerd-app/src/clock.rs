//! The one clock every rule reads. Tests move it forward instead of sleeping; a
//! test clock (`--dev-mode --test-clock`) starts at a chosen instant and is moved
//! by `POST /v1/testing/clock`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use partnerd_domain::time::Timestamp;

/// Wall-clock time plus an offset that only tests change.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        Timestamp::now_system().plus_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Makes now `to` (from here on the clock runs at real speed). Refuses to go
    /// back in time: the instant it would have moved back from is returned.
    pub fn set(&self, to: Timestamp) -> Result<(), Timestamp> {
        let now = self.now();
        if to < now {
            return Err(now);
        }
        self.advance(to.since(now));
        Ok(())
    }

    /// A clock that reads `start` now (the test clock's start; may be in the past).
    pub fn starting_at(start: Timestamp) -> Self {
        let c = Self::default();
        c.advance(start.since(Timestamp::now_system()));
        c
    }
}
