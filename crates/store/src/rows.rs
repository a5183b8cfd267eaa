//! The rows both backends read, defined once: which columns make each of the domain's records,
//! how a record is built from them, and the names its enums are stored by. The two schemas
//! give every such column the same name and meaning; they differ only in how a driver reads a
//! column, which each backend says by implementing [`StoredRow`] and [`Column`] for its rows.

use paycode_core::ids::{
    AccountId, ApiKeyId, DeviceId, EventId, LedgerTransactionId, MerchantId, SessionId, TradeId,
    UserId,
};
use paycode_core::model::{
    ApiKeyRecord, DeviceFailures, DeviceRecord, DeviceStatus, EventKind, EventRecord, LedgerEntry,
    MerchantRecord, MerchantWebhook, OnlineCodeRecord, RefundRecord, SealedSecret, SessionRecord,
    SettlementLine, StatementKind, StatementLine, StatementTotals, TopupRecord, TradeRecord,
    TradeStatus, UserRecord, CANCEL_REFUND_REFERENCE,
};
use paycode_core::money::{Amount, Refunded};
use paycode_core::reports::TradeListing;
use paycode_otp::Algorithm;

/// The columns of a device, as [`device_from_row`] reads them.
pub(crate) const DEVICE_COLUMNS: &str = "id, user_id, name, algorithm, period_seconds, \
     secret_key_id, secret_nonce, secret_ciphertext, status, failed_attempts, locked_until, \
     drift_steps, created_at, last_used_at";
/// The columns of a device's failure count at a merchant, as [`device_failures_from_row`]
/// reads them.
pub(crate) const DEVICE_FAILURES_COLUMNS: &str =
    "device_id, merchant_id, failures, since, locked_until";
/// The columns of an online code, as [`online_code_from_row`] reads them.
pub(crate) const ONLINE_CODE_COLUMNS: &str =
    "code_hash, user_id, device_id, created_at, expires_at, used_at";
/// The columns of a top-up, as [`topup_from_row`] reads them.
pub(crate) const TOPUP_COLUMNS: &str = "reference, user_id, amount, transaction_id, created_at";
/// The columns of a trade, as [`trade_from_row`] reads them.
pub(crate) const TRADE_COLUMNS: &str =
    "id, trade_no, merchant_id, user_id, out_trade_no, auth_code_hash, \
     amount, refunded_amount, status, subject, terminal_id, pin_free, pin_attempts, created_at, \
     paid_at, confirm_deadline, finished_at";
/// The columns of a refund, as [`refund_from_row`] reads them.
pub(crate) const REFUND_COLUMNS: &str =
    "refund_no, trade_id, out_refund_no, amount, reason, created_at";
/// The columns of a user, as [`user_from_row`] reads them.
pub(crate) const USER_COLUMNS: &str =
    "id, username, password_hash, pin_hash, account_id, created_at";
/// The columns of a session, as [`session_from_row`] reads them.
pub(crate) const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, last_used_at, user_agent";
/// The columns of a merchant, as [`merchant_from_row`] reads them.
pub(crate) const MERCHANT_COLUMNS: &str = "id, name, account_id, created_at, webhook_url, \
     webhook_secret_key_id, webhook_secret_nonce, webhook_secret_ciphertext";
/// The columns of an API key, as [`api_key_from_row`] reads them.
pub(crate) const API_KEY_COLUMNS: &str = "id, merchant_id, key_hash, created_at, revoked_at";
/// The columns of an event, as [`event_from_row`] reads them.
pub(crate) const EVENT_COLUMNS: &str = "id, merchant_id, kind, data, created_at, attempts, \
     delivered_at, next_attempt_at, last_error";

/// A domain enum that is stored as its name.
pub(crate) trait StoredName: Sized {
    /// What the value is, for the error when a stored name is unknown.
    const WHAT: &'static str;
    /// Parses a stored name.
    fn from_name(name: &str) -> Option<Self>;
}

impl StoredName for DeviceStatus {
    const WHAT: &'static str = "device status";
    fn from_name(name: &str) -> Option<Self> {
        DeviceStatus::parse(name)
    }
}

impl StoredName for TradeStatus {
    const WHAT: &'static str = "trade status";
    fn from_name(name: &str) -> Option<Self> {
        TradeStatus::parse(name)
    }
}

impl StoredName for EventKind {
    const WHAT: &'static str = "event type";
    fn from_name(name: &str) -> Option<Self> {
        EventKind::parse(name)
    }
}

impl StoredName for Algorithm {
    const WHAT: &'static str = "device algorithm";
    fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// A row of a driver, read by column name (always a literal of this crate, which an error
/// may name).
pub(crate) trait StoredRow {
    /// How reading a column fails.
    type Error;
    /// The error for a value in `column` that this program never writes, described by
    /// `what`.
    fn corrupt(&self, column: &'static str, what: &'static str) -> Self::Error;
}

/// A row whose driver reads a column as a `T` itself.
pub(crate) trait Column<T>: StoredRow {
    /// Reads the column.
    fn column(&self, column: &'static str) -> Result<T, Self::Error>;
}

/// A row whose driver reads every type the records are made of, and the conversions from
/// those types that the domain needs.
pub(crate) trait Columns:
    Column<i64>
    + Column<Option<i64>>
    + Column<String>
    + Column<Option<String>>
    + Column<Vec<u8>>
    + Column<bool>
{
    /// A number the domain holds as `u32` (a count of failures, a period, a key id) and
    /// both schemas as a 64-bit integer.
    fn unsigned(&self, column: &'static str) -> Result<u32, Self::Error> {
        let value: i64 = self.column(column)?;
        u32::try_from(value).map_err(|_| self.corrupt(column, column))
    }

    /// A count, which both databases return as a signed 64-bit integer.
    fn count(&self, column: &'static str) -> Result<u64, Self::Error> {
        let value: i64 = self.column(column)?;
        u64::try_from(value).map_err(|_| self.corrupt(column, "negative count"))
    }

    /// An amount that moved: positive and at most the maximum amount, as every amount the
    /// domain stores was when it was stored.
    fn amount(&self, column: &'static str) -> Result<Amount, Self::Error> {
        let minor: i64 = self.column(column)?;
        Amount::new(minor)
            .map_err(|_| self.corrupt(column, "amount not positive or above the maximum"))
    }

    /// What was refunded of a trade: zero up to the maximum amount.
    fn refunded(&self, column: &'static str) -> Result<Refunded, Self::Error> {
        let minor: i64 = self.column(column)?;
        Refunded::new(minor)
            .map_err(|_| self.corrupt(column, "refunded amount negative or above the maximum"))
    }

    /// An enum stored as its name.
    fn name<T: StoredName>(&self, column: &'static str) -> Result<T, Self::Error> {
        let name: String = self.column(column)?;
        T::from_name(&name).ok_or_else(|| self.corrupt(column, T::WHAT))
    }
}

impl<R> Columns for R where
    R: Column<i64>
        + Column<Option<i64>>
        + Column<String>
        + Column<Option<String>>
        + Column<Vec<u8>>
        + Column<bool>
{
}

/// A device from the columns of [`DEVICE_COLUMNS`].
pub(crate) fn device_from_row<R: Columns>(row: &R) -> Result<DeviceRecord, R::Error> {
    Ok(DeviceRecord {
        id: DeviceId(row.column("id")?),
        user_id: UserId(row.column("user_id")?),
        name: row.column("name")?,
        algorithm: row.name("algorithm")?,
        period_seconds: row.unsigned("period_seconds")?,
        secret: SealedSecret {
            key_id: row.unsigned("secret_key_id")?,
            nonce: row.column("secret_nonce")?,
            ciphertext: row.column("secret_ciphertext")?,
        },
        status: row.name("status")?,
        failed_attempts: row.unsigned("failed_attempts")?,
        locked_until: row.column("locked_until")?,
        drift_steps: row.column("drift_steps")?,
        created_at: row.column("created_at")?,
        last_used_at: row.column("last_used_at")?,
    })
}

/// A device's failure count at a merchant from the columns of [`DEVICE_FAILURES_COLUMNS`].
pub(crate) fn device_failures_from_row<R: Columns>(row: &R) -> Result<DeviceFailures, R::Error> {
    Ok(DeviceFailures {
        device_id: DeviceId(row.column("device_id")?),
        merchant_id: MerchantId(row.column("merchant_id")?),
        failures: row.unsigned("failures")?,
        since: row.column("since")?,
        locked_until: row.column("locked_until")?,
    })
}

/// An online code from the columns of [`ONLINE_CODE_COLUMNS`].
pub(crate) fn online_code_from_row<R: Columns>(row: &R) -> Result<OnlineCodeRecord, R::Error> {
    let device_id: Option<i64> = row.column("device_id")?;
    Ok(OnlineCodeRecord {
        code_hash: row.column("code_hash")?,
        user_id: UserId(row.column("user_id")?),
        device_id: device_id.map(DeviceId),
        created_at: row.column("created_at")?,
        expires_at: row.column("expires_at")?,
        used_at: row.column("used_at")?,
    })
}

/// A trade from the columns of [`TRADE_COLUMNS`].
pub(crate) fn trade_from_row<R: Columns>(row: &R) -> Result<TradeRecord, R::Error> {
    let amount = row.amount("amount")?;
    let refunded_amount = row.refunded("refunded_amount")?;
    if refunded_amount.minor() > amount.minor() {
        return Err(row.corrupt(
            "refunded_amount",
            "refunded amount above the trade's amount",
        ));
    }
    Ok(TradeRecord {
        id: TradeId(row.column("id")?),
        trade_no: row.column("trade_no")?,
        merchant_id: MerchantId(row.column("merchant_id")?),
        user_id: UserId(row.column("user_id")?),
        out_trade_no: row.column("out_trade_no")?,
        auth_code_hash: row.column("auth_code_hash")?,
        amount,
        refunded_amount,
        status: row.name("status")?,
        subject: row.column("subject")?,
        terminal_id: row.column("terminal_id")?,
        pin_free: row.column("pin_free")?,
        pin_attempts: row.unsigned("pin_attempts")?,
        created_at: row.column("created_at")?,
        paid_at: row.column("paid_at")?,
        confirm_deadline: row.column("confirm_deadline")?,
        finished_at: row.column("finished_at")?,
    })
}

/// A trade with the names of its merchant and user, from the columns of [`TRADE_COLUMNS`],
/// `merchant_name` and `username`.
pub(crate) fn trade_listing_from_row<R: Columns>(row: &R) -> Result<TradeListing, R::Error> {
    Ok(TradeListing {
        trade: trade_from_row(row)?,
        merchant_name: row.column("merchant_name")?,
        username: row.column("username")?,
    })
}

/// A refund from the columns of [`REFUND_COLUMNS`].
pub(crate) fn refund_from_row<R: Columns>(row: &R) -> Result<RefundRecord, R::Error> {
    Ok(RefundRecord {
        refund_no: row.column("refund_no")?,
        trade_id: TradeId(row.column("trade_id")?),
        out_refund_no: row.column("out_refund_no")?,
        amount: row.amount("amount")?,
        reason: row.column("reason")?,
        created_at: row.column("created_at")?,
    })
}

/// A user from the columns of [`USER_COLUMNS`].
pub(crate) fn user_from_row<R: Columns>(row: &R) -> Result<UserRecord, R::Error> {
    Ok(UserRecord {
        id: UserId(row.column("id")?),
        username: row.column("username")?,
        password_hash: row.column("password_hash")?,
        pin_hash: row.column("pin_hash")?,
        account_id: AccountId(row.column("account_id")?),
        created_at: row.column("created_at")?,
    })
}

/// A session from the columns of [`SESSION_COLUMNS`].
pub(crate) fn session_from_row<R: Columns>(row: &R) -> Result<SessionRecord, R::Error> {
    Ok(SessionRecord {
        id: SessionId(row.column("id")?),
        token_hash: row.column("token_hash")?,
        user_id: UserId(row.column("user_id")?),
        created_at: row.column("created_at")?,
        expires_at: row.column("expires_at")?,
        last_used_at: row.column("last_used_at")?,
        user_agent: row.column("user_agent")?,
    })
}

/// A merchant from the columns of [`MERCHANT_COLUMNS`]. The webhook's URL says whether there
/// is one; when there is, its sealed secret is stored beside it.
pub(crate) fn merchant_from_row<R: Columns>(row: &R) -> Result<MerchantRecord, R::Error> {
    let url: Option<String> = row.column("webhook_url")?;
    let webhook = match url {
        Some(url) => Some(MerchantWebhook {
            url,
            secret: SealedSecret {
                key_id: row.unsigned("webhook_secret_key_id")?,
                nonce: row.column("webhook_secret_nonce")?,
                ciphertext: row.column("webhook_secret_ciphertext")?,
            },
        }),
        None => None,
    };
    Ok(MerchantRecord {
        id: MerchantId(row.column("id")?),
        name: row.column("name")?,
        account_id: AccountId(row.column("account_id")?),
        created_at: row.column("created_at")?,
        webhook,
    })
}

/// An API key from the columns of [`API_KEY_COLUMNS`].
pub(crate) fn api_key_from_row<R: Columns>(row: &R) -> Result<ApiKeyRecord, R::Error> {
    Ok(ApiKeyRecord {
        id: ApiKeyId(row.column("id")?),
        merchant_id: MerchantId(row.column("merchant_id")?),
        key_hash: row.column("key_hash")?,
        created_at: row.column("created_at")?,
        revoked_at: row.column("revoked_at")?,
    })
}

/// An event from the columns of [`EVENT_COLUMNS`].
pub(crate) fn event_from_row<R: Columns>(row: &R) -> Result<EventRecord, R::Error> {
    Ok(EventRecord {
        id: EventId(row.column("id")?),
        merchant_id: MerchantId(row.column("merchant_id")?),
        kind: row.name("kind")?,
        data: row.column("data")?,
        created_at: row.column("created_at")?,
        attempts: row.unsigned("attempts")?,
        delivered_at: row.column("delivered_at")?,
        next_attempt_at: row.column("next_attempt_at")?,
        last_error: row.column("last_error")?,
    })
}

/// A top-up from the columns of [`TOPUP_COLUMNS`].
pub(crate) fn topup_from_row<R: Columns>(row: &R) -> Result<TopupRecord, R::Error> {
    Ok(TopupRecord {
        reference: row.column("reference")?,
        user_id: UserId(row.column("user_id")?),
        amount: row.amount("amount")?,
        transaction_id: LedgerTransactionId(row.column("transaction_id")?),
        created_at: row.column("created_at")?,
    })
}

/// A posting to an account with its ledger transaction, from the columns `transaction_id`,
/// `kind`, `reference`, `amount` and `created_at`.
pub(crate) fn ledger_entry_from_row<R: Columns>(row: &R) -> Result<LedgerEntry, R::Error> {
    Ok(LedgerEntry {
        transaction_id: LedgerTransactionId(row.column("transaction_id")?),
        kind: row.column("kind")?,
        reference: row.column("reference")?,
        amount: row.column("amount")?,
        created_at: row.column("created_at")?,
    })
}

/// A line of a merchant's statement, from the columns `id`, `kind` and `created_at` of its
/// ledger transaction, the `amount` posted to the merchant, and the `trade_no`,
/// `out_trade_no`, `refund_no` and `out_refund_no` of the trade or refund it records.
pub(crate) fn statement_line_from_row<R: Columns>(row: &R) -> Result<StatementLine, R::Error> {
    let kind: String = row.column("kind")?;
    let out_refund_no: Option<String> = row.column("out_refund_no")?;
    let kind = match (kind.as_str(), out_refund_no.as_deref()) {
        ("payment", _) => StatementKind::Payment,
        ("refund", Some(CANCEL_REFUND_REFERENCE)) => StatementKind::Reversal,
        ("refund", _) => StatementKind::Refund,
        _ => return Err(row.corrupt("kind", "a merchant's posting that is no payment or refund")),
    };
    let posted: i64 = row.column("amount")?;
    let without_trade = "a merchant's posting without its trade";
    let trade_no: Option<String> = row.column("trade_no")?;
    let out_trade_no: Option<String> = row.column("out_trade_no")?;
    Ok(StatementLine {
        kind,
        transaction_id: LedgerTransactionId(row.column("id")?),
        at: row.column("created_at")?,
        amount: posted
            .checked_abs()
            .ok_or_else(|| row.corrupt("amount", "posting amount"))?,
        trade_no: trade_no.ok_or_else(|| row.corrupt("trade_no", without_trade))?,
        out_trade_no: out_trade_no.ok_or_else(|| row.corrupt("out_trade_no", without_trade))?,
        refund_no: row.column("refund_no")?,
        out_refund_no,
    })
}

/// A merchant's line of the settlement, from the columns `merchant_id`, `merchant_name`,
/// `gross`, `refunds`, `net` and `count`.
pub(crate) fn settlement_line_from_row<R: Columns>(row: &R) -> Result<SettlementLine, R::Error> {
    Ok(SettlementLine {
        merchant_id: MerchantId(row.column("merchant_id")?),
        merchant_name: row.column("merchant_name")?,
        totals: StatementTotals {
            gross: row.column("gross")?,
            refunds: row.column("refunds")?,
            net: row.column("net")?,
            count: row.count("count")?,
        },
    })
}
