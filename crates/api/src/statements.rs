//! Merchants' daily statements and the operator's daily settlements (SPEC section 7).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::Timestamp;

/// Query of `GET /v1/merchant/statements/{date}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// `json` (the default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// What a statement's lines add up to, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatementTotals {
    /// The payments.
    pub gross: i64,
    /// The refunds and reversals, as a positive amount.
    pub refunds: i64,
    /// `gross - refunds`: what the merchant's account gained that day.
    pub net: i64,
    /// Lines.
    pub count: u64,
}

/// One movement of the merchant's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatementLine {
    /// `payment`, `refund` or `reversal` (the refund of a cancelled paid trade).
    #[serde(rename = "type")]
    pub kind: String,
    /// The ledger transaction that moved the money.
    pub transaction_id: i64,
    /// When.
    pub at: Timestamp,
    /// The amount, positive for every type, in minor units.
    pub amount: i64,
    /// paycode's number of the trade.
    pub trade_no: String,
    /// The merchant's reference of the trade.
    pub out_trade_no: String,
    /// paycode's number of the refund, for a refund or reversal.
    pub refund_no: Option<String>,
    /// The merchant's reference of the refund (`#cancel` for a reversal).
    pub out_refund_no: Option<String>,
}

/// A merchant's statement of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Statement {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The time zone the day is cut in (the deployment's `time_zone`).
    pub time_zone: String,
    /// The day's first moment.
    pub from: Timestamp,
    /// The next day's first moment (excluded).
    pub to: Timestamp,
    /// The deployment's currency.
    pub currency: String,
    /// The totals.
    pub totals: StatementTotals,
    /// Every payment, refund and reversal of the day, in ledger order.
    pub items: Vec<StatementLine>,
}

/// One merchant's totals of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettlementItem {
    /// The merchant.
    pub merchant_id: i64,
    /// Its name.
    pub merchant_name: String,
    /// Its totals, equal to those of its statement of the day.
    pub totals: StatementTotals,
}

/// The operator's settlement of one day: every merchant whose account moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settlement {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The time zone the day is cut in.
    pub time_zone: String,
    /// The day's first moment.
    pub from: Timestamp,
    /// The next day's first moment (excluded).
    pub to: Timestamp,
    /// The deployment's currency.
    pub currency: String,
    /// The merchants, in id order.
    pub items: Vec<SettlementItem>,
}
