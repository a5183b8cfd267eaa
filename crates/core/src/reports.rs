//! What the till's list of the day and the operator's console read, and the one count the
//! payment path keeps for them: refusals per merchant, code and quarter hour.
//!
//! [`ReportTransaction`] is the reports' part of the storage contract ([`Transaction`]
//! requires it, and `store` re-exports it); it lives here, beside the records it returns. Its
//! reads run in read transactions and lock nothing.
//!
//! [`Transaction`]: crate::store::Transaction

use crate::clock::UnixMillis;
use crate::days::DayRange;
use crate::ids::{MerchantId, TradeId};
use crate::model::{TradeRecord, TradeStatus};
use crate::store::StoreResult;

/// Which trades to list, newest first (by creation time, then id). Every filter given must
/// hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeQuery {
    /// Only this merchant's trades.
    pub merchant: Option<MerchantId>,
    /// Only the trade with this `out_trade_no` (of the merchant above).
    pub out_trade_no: Option<String>,
    /// Only the trade with this `trade_no`.
    pub trade_no: Option<String>,
    /// Only trades in this status.
    pub status: Option<TradeStatus>,
    /// Only trades created in this range.
    pub created: Option<DayRange>,
    /// Only trades that come after this one in the order (the previous page's last); an
    /// unknown id gives an empty page.
    pub before: Option<TradeId>,
    /// At most this many.
    pub limit: u32,
}

/// A trade with the names of its merchant and user, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeListing {
    /// The trade.
    pub trade: TradeRecord,
    /// Its merchant's name.
    pub merchant_name: String,
    /// Its user's username.
    pub username: String,
}

/// What a merchant's trades created in a range add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TradeTotals {
    /// Trades created, in any status.
    pub count: u64,
    /// Of those, the ones paid: `SUCCESS` or `REVERSED`.
    pub paid_count: u64,
    /// The amounts of the paid ones, in minor units.
    pub gross: i64,
    /// What was refunded of the paid ones (a reversal refunds all), in minor units.
    pub refunded: i64,
    /// Of those, the ones still `USER_PAYING`.
    pub user_paying: u64,
    /// Of those, the ones `CLOSED`.
    pub closed: u64,
}

/// Refused payments of one merchant with one error code in the quarter hour that starts at
/// `period_start` (a multiple of [`REFUSAL_PERIOD_MILLIS`](crate::limits::REFUSAL_PERIOD_MILLIS)).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefusalCount {
    /// The quarter hour's first millisecond.
    pub period_start: UnixMillis,
    /// The merchant whose payments were refused.
    pub merchant: MerchantId,
    /// The error code the refusals answered, such as `CODE_USED`.
    pub code: String,
    /// How many.
    pub refusals: u64,
}

/// The operator's counts of a day and of the moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityCounts {
    /// Trades paid during the day (`SUCCESS` or `REVERSED`, by the time they were paid).
    pub payments: u64,
    /// Their amounts, in minor units.
    pub volume: i64,
    /// Refunds made during the day, reversals included.
    pub refunds: u64,
    /// Their amounts, in minor units.
    pub refunded: i64,
    /// Refused payments of the day by error code, in code order.
    pub refusals: Vec<(String, u64)>,
    /// Trades waiting for the user's PIN now, their deadline not passed.
    pub user_paying: u64,
    /// Active devices that a lock refuses now, everywhere or at some merchant.
    pub locked_devices: u64,
    /// Users.
    pub users: u64,
    /// Merchants.
    pub merchants: u64,
}

/// The reads behind the lists and counts of the till and the console, and the refusal
/// counts the payment path adds to.
pub trait ReportTransaction {
    /// The trades that `query` selects, newest first: by creation time, then by id, both
    /// descending, at most `query.limit`.
    fn trades_page(&mut self, query: &TradeQuery) -> StoreResult<Vec<TradeListing>>;

    /// The totals of the merchant's trades created in `created`.
    fn trade_totals(&mut self, merchant: MerchantId, created: DayRange)
        -> StoreResult<TradeTotals>;

    /// Adds refusals to their counts, creating the counts that do not exist. Each key
    /// (period, merchant, code) at most once; a store that locks rows takes them in ascending
    /// key order, after every other lock of a payment.
    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()>;

    /// The operator's counts of the day `day` and of the moment `now`. Trades are paid at most
    /// `paid_within` milliseconds after they were created, which bounds where the store looks
    /// for the day's payments.
    fn activity_counts(
        &mut self,
        day: DayRange,
        now: UnixMillis,
        paid_within: i64,
    ) -> StoreResult<ActivityCounts>;
}

/// The counts with equal keys added together, in ascending key order: what one statement may
/// write (a row at most once) in the order rows are locked in. A sum past `u64::MAX` stays at
/// the maximum.
pub fn merge_refusals(counts: &[RefusalCount]) -> Vec<RefusalCount> {
    let mut sorted = counts.to_vec();
    sorted.sort();
    let mut merged: Vec<RefusalCount> = Vec::with_capacity(sorted.len());
    for count in sorted {
        match merged.last_mut() {
            Some(last)
                if (last.period_start, last.merchant, &last.code)
                    == (count.period_start, count.merchant, &count.code) =>
            {
                last.refusals = last.refusals.saturating_add(count.refusals);
            }
            _ => merged.push(count),
        }
    }
    merged
}

/// The first millisecond of the refusal period that `at` falls in.
pub fn refusal_period_start(at: UnixMillis) -> UnixMillis {
    at - at.rem_euclid(crate::limits::REFUSAL_PERIOD_MILLIS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(period_start: i64, merchant: i64, code: &str, refusals: u64) -> RefusalCount {
        RefusalCount {
            period_start,
            merchant: MerchantId(merchant),
            code: code.to_owned(),
            refusals,
        }
    }

    #[test]
    fn equal_keys_are_added_and_the_keys_come_out_in_order() {
        let merged = merge_refusals(&[
            count(900_000, 2, "CODE_USED", 1),
            count(0, 7, "INSUFFICIENT_FUNDS", 1),
            count(900_000, 2, "CODE_USED", 2),
            count(900_000, 2, "CODE_INVALID", 1),
            count(900_000, 1, "CODE_USED", u64::MAX),
            count(900_000, 1, "CODE_USED", 1),
        ]);
        assert_eq!(
            merged,
            vec![
                count(0, 7, "INSUFFICIENT_FUNDS", 1),
                count(900_000, 1, "CODE_USED", u64::MAX),
                count(900_000, 2, "CODE_INVALID", 1),
                count(900_000, 2, "CODE_USED", 3),
            ]
        );
    }

    #[test]
    fn a_refusal_period_is_the_quarter_hour_it_falls_in() {
        assert_eq!(refusal_period_start(0), 0);
        assert_eq!(refusal_period_start(899_999), 0);
        assert_eq!(refusal_period_start(900_000), 900_000);
        assert_eq!(refusal_period_start(-1), -900_000);
    }
}
