//! The records the domain keeps. They are what the storage trait reads and writes; the HTTP
//! layer converts them into its own wire types, and the stores into their own rows.

use paycode_otp::Algorithm;

use crate::clock::UnixMillis;
use crate::ids::{
    AccountId, ApiKeyId, DeviceId, EventId, LedgerTransactionId, MerchantId, SessionId, TradeId,
    UserId,
};

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

/// A wallet user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Unique login name.
    pub username: String,
    /// Argon2id hash in PHC string format.
    pub password_hash: String,
    /// Argon2id hash of the PIN, once set.
    pub pin_hash: Option<String>,
    /// The user's ledger account.
    pub account_id: AccountId,
    /// Creation time.
    pub created_at: UnixMillis,
}

/// A merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    /// Id.
    pub id: MerchantId,
    /// Display name.
    pub name: String,
    /// The merchant's ledger account.
    pub account_id: AccountId,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Where the merchant's notifications go, when it has set a webhook.
    pub webhook: Option<MerchantWebhook>,
}

/// A merchant's webhook (SPEC section 7): the URL that notifications are posted to and the
/// secret they are signed with, sealed under the master key with the merchant's id as
/// associated data (the server must be able to compute signatures, so a hash would not do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantWebhook {
    /// An `http` or `https` URL.
    pub url: String,
    /// The signing secret, sealed.
    pub secret: SealedSecret,
}

/// What a notification to a merchant says happened (SPEC section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A trade was paid (at once, or when the user confirmed it with the PIN).
    TradeSucceeded,
    /// A trade ended unpaid: declined, timed out, too many wrong PINs, or cancelled before
    /// payment.
    TradeClosed,
    /// A paid trade was cancelled and refunded in full.
    TradeReversed,
    /// A refund of a paid trade was made.
    RefundSucceeded,
}

impl EventKind {
    /// The event's `type` on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TradeSucceeded => "trade.succeeded",
            EventKind::TradeClosed => "trade.closed",
            EventKind::TradeReversed => "trade.reversed",
            EventKind::RefundSucceeded => "refund.succeeded",
        }
    }

    /// Parses a stored type.
    pub fn parse(text: &str) -> Option<Self> {
        [
            EventKind::TradeSucceeded,
            EventKind::TradeClosed,
            EventKind::TradeReversed,
            EventKind::RefundSucceeded,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// An event to store in the outbox, in the transaction of the change it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The merchant to notify.
    pub merchant_id: MerchantId,
    /// What happened.
    pub kind: EventKind,
    /// The trade or refund as the API returned it at that moment, as JSON text.
    pub data: String,
    /// When it happened; also when its first delivery is due.
    pub created_at: UnixMillis,
}

/// An event of the outbox with its delivery state. It is delivered once `delivered_at` is
/// set, waiting for an attempt while `next_attempt_at` is set, and given up when neither is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Id, growing in the order events were stored.
    pub id: EventId,
    /// The merchant notified.
    pub merchant_id: MerchantId,
    /// What happened.
    pub kind: EventKind,
    /// The trade or refund as JSON text.
    pub data: String,
    /// When it happened.
    pub created_at: UnixMillis,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a receiver answered 2xx.
    pub delivered_at: Option<UnixMillis>,
    /// When the next attempt is due (or, while an instance holds the event, when its lease
    /// ends and another may try).
    pub next_attempt_at: Option<UnixMillis>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// How one delivery attempt ended, for [`crate::store::AdminStore::finish_event_attempts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAttempt {
    /// The event.
    pub id: EventId,
    /// The lease the attempt was made under: the result is recorded only if the event is still
    /// held under it, so that an attempt that outlived its lease changes nothing.
    pub lease_until: UnixMillis,
    /// When the attempt ended.
    pub at: UnixMillis,
    /// `None` when delivered; else why not.
    pub error: Option<String>,
    /// When to try again after a failure; `None` gives up.
    pub retry_at: Option<UnixMillis>,
}

/// The `out_refund_no` under which a cancellation's refund is recorded. It contains `#`, which
/// merchants' references may not, so it cannot collide with theirs; statements call such a
/// refund a reversal.
pub const CANCEL_REFUND_REFERENCE: &str = "#cancel";

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

/// A merchant API key; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: ApiKeyId,
    /// Owner.
    pub merchant_id: MerchantId,
    /// SHA-256 of the key.
    pub key_hash: Vec<u8>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixMillis>,
}

/// A wallet session; only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Id, assigned by the store.
    pub id: SessionId,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// When the session last authenticated a request (updated at most once a minute).
    pub last_used_at: UnixMillis,
    /// The `User-Agent` of the login request, cut to a bounded length.
    pub user_agent: Option<String>,
}

/// A session to store: a [`SessionRecord`] before the store has given it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// Creation time, also the first last use.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// The `User-Agent` of the login request, cut to a bounded length.
    pub user_agent: Option<String>,
}

/// The count of a user's consecutive wrong PINs, kept in the store so that every instance
/// sees the same count (SPEC 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinAttempts {
    /// Wrong PINs in a row (a check counts as wrong from the moment it starts until it proves
    /// right, so that concurrent guesses cannot overshoot the limit).
    pub failures: u32,
    /// Every PIN check of the user is refused until then.
    pub locked_until: Option<UnixMillis>,
}

/// A device secret encrypted at rest with AES-256-GCM under a master key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// Which master key encrypted it (so keys can be rotated by re-encrypting).
    pub key_id: u32,
    /// The 96-bit GCM nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "SealedSecret(key {}, {} bytes)",
            self.key_id,
            self.ciphertext.len()
        )
    }
}

/// Whether a device may still pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Enrolled and usable (unless locked for a while).
    Active,
    /// Revoked by its owner; its slot is never reused.
    Revoked,
}

impl DeviceStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(DeviceStatus::Active),
            "revoked" => Some(DeviceStatus::Revoked),
            _ => None,
        }
    }
}

/// An enrolled wallet device: the secret it shares with the server and what the server has
/// learned about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Id, equal to the device slot `D` inside offline codes.
    pub id: DeviceId,
    /// Owner.
    pub user_id: UserId,
    /// Name given by the owner.
    pub name: Option<String>,
    /// HMAC algorithm of its OTPs.
    pub algorithm: Algorithm,
    /// Time step in seconds.
    pub period_seconds: u32,
    /// The encrypted secret.
    pub secret: SealedSecret,
    /// Active or revoked.
    pub status: DeviceStatus,
    /// Failed verifications counted at every merchant together within the lockout period
    /// (the sum of the live [`DeviceFailures`] counts), as of the device's last verification.
    pub failed_attempts: u32,
    /// Refused at every merchant until this time, if the count at every merchant together
    /// reached `global_failed_attempts` (SPEC 2.5 point 5).
    pub locked_until: Option<UnixMillis>,
    /// Learned clock drift of the wallet, in steps (RFC 6238 section 6).
    pub drift_steps: i64,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last successful verification.
    pub last_used_at: Option<UnixMillis>,
}

/// A device's failed verifications at one merchant (SPEC 2.5 point 5). The count starts at
/// its first failure and lapses `lockout_seconds` later; a success at the merchant clears it.
/// When it reaches `max_failed_attempts` that merchant, and only that one, is refused the
/// device until `locked_until`. The device's lock guards these counts: whoever reads or
/// writes them holds the device locked ([`crate::store::PaymentStore::lock_device`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFailures {
    /// The device whose codes failed.
    pub device_id: DeviceId,
    /// The merchant that presented them.
    pub merchant_id: MerchantId,
    /// Failures since `since`, with no success at this merchant in between.
    pub failures: u32,
    /// When the first of those failures happened.
    pub since: UnixMillis,
    /// Until when the merchant is refused the device, if it is.
    pub locked_until: Option<UnixMillis>,
}

impl DeviceFailures {
    /// No failures of `device` at `merchant`, as a count starting at `now`.
    pub fn none(device_id: DeviceId, merchant_id: MerchantId, now: UnixMillis) -> Self {
        Self {
            device_id,
            merchant_id,
            failures: 0,
            since: now,
            locked_until: None,
        }
    }

    /// Whether the count is over at `now`, so that the next failure starts a new one: the
    /// lockout it led to has ended, or, without a lockout, its lockout period has passed
    /// since its first failure.
    pub fn is_lapsed(&self, now: UnixMillis, lockout_millis: i64) -> bool {
        match self.locked_until {
            Some(until) => until <= now,
            None => self.since <= now - lockout_millis,
        }
    }

    /// Whether the merchant is refused the device at `now`.
    pub fn is_locked(&self, now: UnixMillis) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// Whether its failures happened within the lockout period before `now`, and so count
    /// towards the device's count at every merchant.
    pub fn is_recent(&self, now: UnixMillis, lockout_millis: i64) -> bool {
        self.since > now - lockout_millis
    }
}

/// An online code handed to a wallet; only a keyed hash of the code is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineCodeRecord {
    /// HMAC-SHA256 of the code under the deployment's code hash key.
    pub code_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// The device that asked for it, if any.
    pub device_id: Option<DeviceId>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// When it was accepted, if it was.
    pub used_at: Option<UnixMillis>,
}

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

/// A top-up of a user's account from the issuance account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopupRecord {
    /// The operator's reference; top-ups are idempotent by it.
    pub reference: String,
    /// Credited user.
    pub user_id: UserId,
    /// Amount in minor units.
    pub amount: i64,
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
