//! Trades and their refunds.

use crate::clock::UnixMillis;
use crate::ids::{MerchantId, TradeId, UserId};
use crate::money::{Amount, Refunded};
use crate::text::{Label, Reference};

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

/// A trade a payment made and the store has not stored yet: it has no id (the store assigns
/// one when it inserts the trade), nothing refunded, no wrong PIN and no end. The merchant's
/// reference and labels are still the parsed values of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrade {
    /// paycode's own trade number, unique.
    pub trade_no: String,
    /// The merchant charging.
    pub merchant_id: MerchantId,
    /// The user paying.
    pub user_id: UserId,
    /// The merchant's reference, unique per merchant.
    pub out_trade_no: Reference,
    /// Keyed hash of the payment code, to recognise a retry with identical parameters.
    pub auth_code_hash: Vec<u8>,
    /// What is charged.
    pub amount: Amount,
    /// `SUCCESS` when paid at once, `USER_PAYING` when it waits for the PIN.
    pub status: TradeStatus,
    /// What is bought.
    pub subject: Option<Label>,
    /// Which terminal charges.
    pub terminal_id: Option<Label>,
    /// True when it is paid without a PIN (counts toward the daily pin-free limit).
    pub pin_free: bool,
    /// Creation time.
    pub created_at: UnixMillis,
    /// When it was paid, if it was.
    pub paid_at: Option<UnixMillis>,
    /// Deadline of the PIN confirmation while `USER_PAYING`.
    pub confirm_deadline: Option<UnixMillis>,
}

impl NewTrade {
    /// The trade as stored under `id`, the id the store assigned to it.
    pub fn stored(self, id: TradeId) -> TradeRecord {
        TradeRecord {
            id,
            trade_no: self.trade_no,
            merchant_id: self.merchant_id,
            user_id: self.user_id,
            out_trade_no: self.out_trade_no.as_str().to_owned(),
            auth_code_hash: self.auth_code_hash,
            amount: self.amount,
            refunded_amount: Refunded::NOTHING,
            status: self.status,
            subject: self.subject.map(|label| label.as_str().to_owned()),
            terminal_id: self.terminal_id.map(|label| label.as_str().to_owned()),
            pin_free: self.pin_free,
            pin_attempts: 0,
            created_at: self.created_at,
            paid_at: self.paid_at,
            confirm_deadline: self.confirm_deadline,
            finished_at: None,
        }
    }
}

/// A trade: a payment that was verified and stored. Its text fields hold what was validated
/// when it was stored; its amounts are checked again when it is read.
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
    /// What was charged.
    pub amount: Amount,
    /// Refunded so far, at most `amount`.
    pub refunded_amount: Refunded,
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
    /// What is given back.
    pub amount: Amount,
    /// Why.
    pub reason: Option<String>,
    /// Creation time.
    pub created_at: UnixMillis,
}
