//! The per-merchant failure budget (SPEC 2.5): a merchant whose verifications failed too often
//! in the current minute gets `RATE_LIMITED` until the minute is over.
//!
//! The budget is kept in memory by each server instance. It guards against a merchant (or a
//! stolen merchant key) guessing codes; device lockouts, which must hold across instances and
//! restarts, are in the store.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::{UnixMillis, MILLIS_PER_SECOND};
use crate::error::Error;
use crate::ids::MerchantId;
use crate::limits::MAX_TRACKED_MERCHANTS;

const WINDOW_MILLIS: i64 = 60 * MILLIS_PER_SECOND;

/// Failures per merchant in fixed one-minute windows.
#[derive(Debug)]
pub struct FailureBudget {
    per_minute: u32,
    windows: Mutex<HashMap<MerchantId, (i64, u32)>>,
}

impl FailureBudget {
    /// A budget of `per_minute` failures per merchant per minute.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn window(now: UnixMillis) -> i64 {
        now.div_euclid(WINDOW_MILLIS)
    }

    /// True when the merchant has spent its budget for the current minute.
    pub fn exhausted(&self, merchant: MerchantId, now: UnixMillis) -> bool {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        matches!(windows.get(&merchant), Some(&(window, count)) if window == Self::window(now) && count >= self.per_minute)
    }

    /// `RATE_LIMITED` for a merchant over its budget at `now`: retry when the minute is over.
    pub fn refusal(now: UnixMillis) -> Error {
        let window_ends = (Self::window(now) + 1) * WINDOW_MILLIS;
        Error::RateLimited {
            retry_after_seconds: seconds_until(now, window_ends),
        }
    }

    /// Counts one failed verification.
    pub fn record_failure(&self, merchant: MerchantId, now: UnixMillis) {
        let current = Self::window(now);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_TRACKED_MERCHANTS {
            windows.retain(|_, (window, _)| *window == current);
        }
        let entry = windows.entry(merchant).or_insert((current, 0));
        if entry.0 != current {
            *entry = (current, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// Whole seconds from `now` until `then`, rounded up, at least 1: what a `Retry-After` says.
pub fn seconds_until(now: UnixMillis, then: UnixMillis) -> u64 {
    let millis = u64::try_from(then.saturating_sub(now)).unwrap_or(0).max(1);
    millis.div_ceil(MILLIS_PER_SECOND.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merchant_over_budget_retries_when_the_minute_ends() {
        let retry = |now| match FailureBudget::refusal(now) {
            Error::RateLimited {
                retry_after_seconds,
            } => retry_after_seconds,
            other => panic!("{other:?}"),
        };
        assert_eq!(retry(0), 60);
        assert_eq!(retry(59_001), 1);
        assert_eq!(retry(59_999), 1);
        assert_eq!(retry(60_000), 60);
    }

    #[test]
    fn a_merchant_over_budget_is_limited_until_the_minute_ends() {
        let budget = FailureBudget::new(3);
        let merchant = MerchantId(1);
        for _ in 0..3 {
            assert!(!budget.exhausted(merchant, 1_000));
            budget.record_failure(merchant, 1_000);
        }
        assert!(budget.exhausted(merchant, 59_999));
        assert!(!budget.exhausted(MerchantId(2), 59_999));
        assert!(!budget.exhausted(merchant, 60_000));
    }
}
