//! The ledger's records: accounts, what moved money, the postings an account's history shows,
//! top-ups, and the invariants the store computes over everything.

use crate::clock::UnixMillis;
use crate::ids::{LedgerTransactionId, UserId};
use crate::money::Amount;

/// What an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// The one system account that top-ups come from; its balance is minus all money issued.
    Issuance,
    /// A wallet user's account; never below zero.
    User,
    /// A merchant's account.
    Merchant,
}

impl AccountKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Issuance => "issuance",
            AccountKind::User => "user",
            AccountKind::Merchant => "merchant",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "issuance" => Some(AccountKind::Issuance),
            "user" => Some(AccountKind::User),
            "merchant" => Some(AccountKind::Merchant),
            _ => None,
        }
    }
}

/// A top-up of a user's account from the issuance account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopupRecord {
    /// The operator's reference; top-ups are idempotent by it.
    pub reference: String,
    /// Credited user.
    pub user_id: UserId,
    /// What was credited.
    pub amount: Amount,
    /// The ledger transaction that moved the money.
    pub transaction_id: LedgerTransactionId,
    /// Creation time.
    pub created_at: UnixMillis,
}

/// What a ledger transaction was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    /// Issuance to a user.
    Topup,
    /// User to merchant.
    Payment,
    /// Merchant back to user.
    Refund,
}

impl LedgerKind {
    /// The name stored in the database and shown in histories.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Topup => "topup",
            LedgerKind::Payment => "payment",
            LedgerKind::Refund => "refund",
        }
    }
}

/// One posting to an account, as shown in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The transaction it belongs to; histories page by it.
    pub transaction_id: LedgerTransactionId,
    /// `topup`, `payment` or `refund`.
    pub kind: String,
    /// Trade number, refund number or top-up reference.
    pub reference: String,
    /// Signed change of this account, in minor units.
    pub amount: i64,
    /// When.
    pub created_at: UnixMillis,
}

/// The ledger's invariants, computed by the store over everything it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTotals {
    /// Sum of all account balances; must be 0.
    pub sum_of_balances: i128,
    /// Sum of all postings; must be 0.
    pub sum_of_postings: i128,
    /// Accounts of users with a negative balance; must be 0.
    pub negative_user_accounts: u64,
    /// Accounts whose balance differs from the sum of their postings; must be 0.
    pub accounts_not_matching_postings: u64,
    /// Transactions whose postings do not sum to zero; must be 0.
    pub unbalanced_transactions: u64,
    /// Trades whose refunds exceed the amount, or whose `refunded_amount` differs from the sum
    /// of their refunds; must be 0.
    pub trades_with_bad_refunds: u64,
    /// Number of accounts.
    pub accounts: u64,
    /// Number of ledger transactions.
    pub transactions: u64,
}

impl LedgerTotals {
    /// True when every invariant holds.
    pub fn ok(&self) -> bool {
        self.sum_of_balances == 0
            && self.sum_of_postings == 0
            && self.negative_user_accounts == 0
            && self.accounts_not_matching_postings == 0
            && self.unbalanced_transactions == 0
            && self.trades_with_bad_refunds == 0
    }
}
