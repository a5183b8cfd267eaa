//! Trades and their refunds.

use crate::clock::UnixMillis;
use crate::ids::{MerchantId, TradeId, UserId};

/// The `out_refund_no` under which a cancellation's refund is recorded. It contains `#`, which
/// merchants' references may not, so it cannot collide with theirs; statements call such a
/// refund a reversal.
pub const CANCEL_REFUND_REFERENCE: &str = "#cancel";

/// Where a trade stands (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    /// Waiting for the user to confirm with the PIN.
    UserPaying,
    /// Paid.
    Success,
    /// Never paid: declined, timed out or cancelled before payment.
    Closed,
    /// Paid, then cancelled: refunded in full.
    Reversed,
}

impl TradeStatus {
    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::UserPaying => "USER_PAYING",
            TradeStatus::Success => "SUCCESS",
            TradeStatus::Closed => "CLOSED",
            TradeStatus::Reversed => "REVERSED",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USER_PAYING" => Some(TradeStatus::UserPaying),
            "SUCCESS" => Some(TradeStatus::Success),
            "CLOSED" => Some(TradeStatus::Closed),
            "REVERSED" => Some(TradeStatus::Reversed),
            _ => None,
        }
    }
}

/// A trade: a payment that was verified and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// Internal id.
    pub id: TradeId,
    /// paycode's own trade number, unique.
    pub trade_no: String,
    /// The merchant charging.
    pub merchant_id: MerchantId,
    /// The user paying.
    pub user_id: UserId,
    /// The merchant's reference, unique per merchant.
    pub out_trade_no: String,
    /// Keyed hash of the payment code, to recognise a retry with identical parameters.
    pub auth_code_hash: Vec<u8>,
    /// Amount in minor units.
    pub amount: i64,
    /// Refunded so far, in minor units.
    pub refunded_amount: i64,
    /// Status.
    pub status: TradeStatus,
    /// What was bought.
    pub subject: Option<String>,
    /// Which terminal charged it.
    pub terminal_id: Option<String>,
    /// True when it was paid without a PIN (counts toward the daily pin-free limit).
    pub pin_free: bool,
    /// Wrong PINs entered for it while `USER_PAYING`.
    pub pin_attempts: u32,
    /// Creation time.
    pub created_at: UnixMillis,
    /// When it was paid.
    pub paid_at: Option<UnixMillis>,
    /// Deadline of the PIN confirmation while `USER_PAYING`.
    pub confirm_deadline: Option<UnixMillis>,
    /// When it was closed or reversed.
    pub finished_at: Option<UnixMillis>,
}

/// A refund of part or all of a trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// paycode's own refund number, unique.
    pub refund_no: String,
    /// The refunded trade.
    pub trade_id: TradeId,
    /// The merchant's reference, unique per trade.
    pub out_refund_no: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Why.
    pub reason: Option<String>,
    /// Creation time.
    pub created_at: UnixMillis,
}
