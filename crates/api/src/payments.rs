//! The merchant's calls: charge a scanned code, query, cancel, refund.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Timestamp, REDACTED};

/// `POST /v1/payments`: charges the code a merchant scanned.
///
/// `out_trade_no` is unique per merchant: retrying with identical parameters returns the stored
/// trade, other parameters are `OUT_TRADE_NO_CONFLICT`. A refused attempt stores no trade.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// The merchant's reference: 1 to 64 ASCII letters, digits or `_ - . :`.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub out_trade_no: String,
    /// The scanned 18-digit payment code.
    #[schema(pattern = r"^[0-9]{18}$")]
    pub auth_code: String,
    /// Minor units, positive.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount: i64,
    /// What is bought, up to 128 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 128)]
    pub subject: Option<String>,
    /// Which terminal charges, up to 128 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 128)]
    pub terminal_id: Option<String>,
}

impl fmt::Debug for PayRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PayRequest")
            .field("out_trade_no", &self.out_trade_no)
            .field("auth_code", &REDACTED)
            .field("amount", &self.amount)
            .field("subject", &self.subject)
            .field("terminal_id", &self.terminal_id)
            .finish()
    }
}

/// Where a trade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeStatus {
    /// Waiting for the user to confirm with the PIN; the POS polls the trade.
    UserPaying,
    /// Paid.
    Success,
    /// Never paid: declined, timed out or cancelled before payment.
    Closed,
    /// Paid, then cancelled: refunded in full.
    Reversed,
}

impl TradeStatus {
    /// The name on the wire, such as `USER_PAYING`.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::UserPaying => "USER_PAYING",
            TradeStatus::Success => "SUCCESS",
            TradeStatus::Closed => "CLOSED",
            TradeStatus::Reversed => "REVERSED",
        }
    }
}

impl fmt::Display for TradeStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A trade: a payment that was verified and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Trade {
    /// paycode's own trade number (20 digits).
    pub trade_no: String,
    /// The merchant's reference.
    pub out_trade_no: String,
    /// Where the trade stands.
    pub status: TradeStatus,
    /// Minor units.
    pub amount: i64,
    /// Refunded so far, in minor units.
    pub refunded_amount: i64,
    /// The deployment's currency.
    pub currency: String,
    /// When the trade was created.
    pub created_at: Timestamp,
    /// When it was paid, if it was.
    pub paid_at: Option<Timestamp>,
    /// Until when the user may confirm it with the PIN, while `USER_PAYING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_deadline: Option<Timestamp>,
    /// What was bought.
    pub subject: Option<String>,
    /// Which terminal charged it.
    pub terminal_id: Option<String>,
    /// The merchant's name, in the wallet's list of payments waiting for the PIN (so that the
    /// user sees who asks before typing the PIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
}

/// A list of trades (the wallet's payments waiting for the PIN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TradeList {
    /// Oldest first.
    pub items: Vec<Trade>,
}

/// `POST /v1/payments/{out_trade_no}/refunds`: refunds part of a paid trade. Idempotent by
/// `out_refund_no` within the trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The merchant's reference for the refund: 1 to 64 ASCII letters, digits or `_ - . :`.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub out_refund_no: String,
    /// Minor units, positive; all refunds together at most the trade's amount.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount: i64,
    /// Why, up to 128 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 128)]
    pub reason: Option<String>,
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    /// paycode's own refund number (20 digits).
    pub refund_no: String,
    /// The merchant's reference of the refunded trade, so that a notification of the refund
    /// says which trade it belongs to.
    #[serde(default)]
    pub out_trade_no: String,
    /// The merchant's reference (`#cancel` for the refund of a cancellation).
    pub out_refund_no: String,
    /// Minor units.
    pub amount: i64,
    /// When.
    pub created_at: Timestamp,
    /// Why.
    pub reason: Option<String>,
}

/// A trade's refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundList {
    /// Oldest first.
    pub items: Vec<Refund>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_statuses_are_the_spec_names() {
        for status in [
            TradeStatus::UserPaying,
            TradeStatus::Success,
            TradeStatus::Closed,
            TradeStatus::Reversed,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
    }

    #[test]
    fn the_payment_code_does_not_appear_in_debug_output() {
        let request = PayRequest {
            out_trade_no: "order-1".to_owned(),
            auth_code: "811234567890123456".to_owned(),
            amount: 100,
            subject: None,
            terminal_id: None,
        };
        assert!(!format!("{request:?}").contains("8112345"));
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let request: PayRequest = serde_json::from_str(
            r#"{"out_trade_no": "o", "auth_code": "811234567890123456", "amount": 5}"#,
        )
        .unwrap();
        assert_eq!(request.subject, None);
    }
}
