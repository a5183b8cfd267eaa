//! The clock, injected so that tests can move time (step boundaries, expiries, lockouts)
//! without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A point in time as milliseconds since the Unix epoch. Milliseconds are exact enough for
/// expiries and ordering, and an `i64` holds them for the next 292 million years.
pub type UnixMillis = i64;

/// Milliseconds in a second, to keep unit conversions readable.
pub const MILLIS_PER_SECOND: i64 = 1_000;

/// Milliseconds in a minute, the window of a merchant's failure budget.
pub const MILLIS_PER_MINUTE: i64 = 60 * MILLIS_PER_SECOND;

/// Where the current time comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> UnixMillis;

    /// The current time in whole seconds, as TOTP counts it.
    fn now_seconds(&self) -> u64 {
        u64::try_from(self.now().div_euclid(MILLIS_PER_SECOND)).unwrap_or(0)
    }
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let elapsed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: UnixMillis) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(start)),
        }
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance_seconds(&self, seconds: i64) {
        self.now
            .fetch_add(seconds * MILLIS_PER_SECOND, Ordering::SeqCst);
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: UnixMillis) {
        self.now.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        self.now.load(Ordering::SeqCst)
    }
}

/// Start of the UTC day containing `at`, for daily limits.
pub fn start_of_day(at: UnixMillis) -> UnixMillis {
    const MILLIS_PER_DAY: i64 = 86_400 * MILLIS_PER_SECOND;
    at - at.rem_euclid(MILLIS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::new(30_000);
        let other = clock.clone();
        assert_eq!(clock.now_seconds(), 30);
        other.advance_seconds(29);
        assert_eq!(clock.now_seconds(), 59);
    }

    #[test]
    fn the_day_starts_at_midnight_utc() {
        assert_eq!(start_of_day(86_400_000 + 5), 86_400_000);
        assert_eq!(start_of_day(86_399_999), 0);
    }
}
