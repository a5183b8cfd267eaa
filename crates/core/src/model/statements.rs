//! Merchants' statements and the operator's settlements (SPEC section 7), read from the
//! ledger.

use crate::clock::UnixMillis;
use crate::ids::{LedgerTransactionId, MerchantId};

/// What a line of a merchant's statement records: one movement of the merchant's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// A trade paid: money in.
    Payment,
    /// A refund of part of a trade: money out.
    Refund,
    /// The refund of a cancelled paid trade (what was left of it): money out.
    Reversal,
}

impl StatementKind {
    /// The name in statements: `payment`, `refund` or `reversal`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Payment => "payment",
            StatementKind::Refund => "refund",
            StatementKind::Reversal => "reversal",
        }
    }
}

/// One line of a merchant's statement: a ledger transaction that moved money to or from the
/// merchant's account, with the trade (and refund) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// Payment, refund or reversal.
    pub kind: StatementKind,
    /// The ledger transaction.
    pub transaction_id: LedgerTransactionId,
    /// When the money moved.
    pub at: UnixMillis,
    /// The amount, positive for every kind, in minor units.
    pub amount: i64,
    /// The trade's number.
    pub trade_no: String,
    /// The merchant's reference of the trade.
    pub out_trade_no: String,
    /// The refund's number, for a refund or reversal.
    pub refund_no: Option<String>,
    /// The merchant's reference of the refund (`#cancel` for a reversal).
    pub out_refund_no: Option<String>,
}

/// What a statement's lines add up to (SPEC section 7), in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementTotals {
    /// The payments.
    pub gross: i64,
    /// The refunds and reversals, as a positive amount.
    pub refunds: i64,
    /// `gross - refunds`: what the merchant's account gained.
    pub net: i64,
    /// Lines.
    pub count: u64,
}

/// One merchant's totals in a settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementLine {
    /// The merchant.
    pub merchant_id: MerchantId,
    /// Its name.
    pub merchant_name: String,
    /// Its totals.
    pub totals: StatementTotals,
}
