//! The lists and counts of the till and the operator's console: a merchant's trades of a day
//! with the day's totals, the operator's search of trades, and the operator's summary of a
//! day. Days are calendar days in the deployment's time zone (`time_zone`, default `UTC`);
//! pages are newest first, and a page's `next_before` is the `before` of the next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Trade;

/// Query of `GET /v1/merchant/trades`: the merchant's trades of a day, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MerchantTradesQuery {
    /// The day, `YYYY-MM-DD` in the deployment's time zone; today when absent.
    #[param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
    /// Only trades after this one in the list (the `next_before` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// What a merchant's trades of a day add up to (the whole day, not the page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TradeTotals {
    /// Trades created that day, in any status.
    pub count: u64,
    /// Of those, the ones paid: `SUCCESS` or `REVERSED`.
    pub paid_count: u64,
    /// The amounts of the paid ones, in minor units.
    pub gross: i64,
    /// What was refunded of the paid ones (a reversal refunds all), in minor units.
    pub refunded: i64,
    /// `gross - refunded`, in minor units.
    pub net: i64,
    /// Of those, the ones still `USER_PAYING`.
    pub user_paying: u64,
    /// Of those, the ones `CLOSED`.
    pub closed: u64,
}

/// A merchant's trades of a day, a page of them, with the totals of the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantTradesPage {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The time zone the day is cut in (IANA name).
    pub time_zone: String,
    /// The trades, newest first, as `GET /v1/payments/{out_trade_no}` returns them.
    pub items: Vec<Trade>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next_before: Option<i64>,
    /// The day's totals.
    pub totals: TradeTotals,
    /// The deployment's currency, ISO 4217.
    pub currency: String,
}

/// Query of `GET /v1/admin/trades`: the operator's search of trades. Every filter given must
/// hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminTradesQuery {
    /// Only this merchant's trades.
    pub merchant_id: Option<i64>,
    /// Only the trade with this `out_trade_no`; needs `merchant_id`.
    #[param(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub out_trade_no: Option<String>,
    /// Only the trade with this `trade_no`.
    #[param(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub trade_no: Option<String>,
    /// Only trades in this status.
    #[param(value_type = Option<crate::TradeStatus>)]
    pub status: Option<String>,
    /// Only trades created on this day, `YYYY-MM-DD` in the deployment's time zone.
    #[param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
    /// Only trades after this one in the list (the `next_before` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A trade as the operator's search lists it: the trade (with `merchant_name`), and who took
/// part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminTrade {
    /// The trade, with `merchant_name` set.
    #[serde(flatten)]
    pub trade: Trade,
    /// The merchant's id.
    pub merchant_id: i64,
    /// The paying user's id.
    pub user_id: i64,
    /// The paying user's username.
    pub username: String,
}

/// A page of the operator's search of trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminTradesPage {
    /// The trades found, newest first.
    pub items: Vec<AdminTrade>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next_before: Option<i64>,
}

/// Query of `GET /v1/admin/summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The day, `YYYY-MM-DD` in the deployment's time zone; today when absent.
    #[param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
}

/// The operator's counts of a day and of the moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The time zone the day is cut in (IANA name).
    pub time_zone: String,
    /// The deployment's currency, ISO 4217.
    pub currency: String,
    /// Trades paid that day (`SUCCESS` or `REVERSED`, by when they were paid).
    pub payments: u64,
    /// Their amounts, in minor units.
    pub volume: i64,
    /// Refunds made that day, reversals included.
    pub refunds: u64,
    /// Their amounts, in minor units.
    pub refunded: i64,
    /// Trades waiting for the user's PIN now.
    pub user_paying: u64,
    /// Payments refused that day, by error code (`CODE_USED`, `INSUFFICIENT_FUNDS`,
    /// `RATE_LIMITED`...); codes that did not happen are absent.
    pub refusals: BTreeMap<String, u64>,
    /// Active devices that a lock refuses now, everywhere or at some merchant.
    pub locked_devices: u64,
    /// Users.
    pub users: u64,
    /// Merchants.
    pub merchants: u64,
}
