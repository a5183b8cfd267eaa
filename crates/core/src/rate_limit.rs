//! When a refused caller may try again (`Retry-After`): a merchant over its failure budget
//! (SPEC 2.5; the budget itself is counted in the store, see `service::verify`), and the
//! login throttle.

use crate::clock::{UnixMillis, MILLIS_PER_MINUTE, MILLIS_PER_SECOND};
use crate::error::Error;

/// `RATE_LIMITED` for a merchant over its failure budget at `now`: retry when the minute is
/// over.
pub fn merchant_budget_refusal(now: UnixMillis) -> Error {
    let minute_ends = (now.div_euclid(MILLIS_PER_MINUTE) + 1) * MILLIS_PER_MINUTE;
    Error::RateLimited {
        retry_after_seconds: seconds_until(now, minute_ends),
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
        let retry = |now| match merchant_budget_refusal(now) {
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
}
