//! paycode's HTTP wire types (SPEC section 4): the JSON body of every request and response of
//! the `/v1` API, the error body and its stable codes.
//!
//! The crate owns the shape of the JSON and nothing else. It is shared by `paycode-server`,
//! which converts the domain's records into these types at its boundary, and by
//! `paycode-client`, which sends and reads them. Every type derives `utoipa::ToSchema`, so the
//! server's OpenAPI document is generated from the same definitions that serialise the JSON.
//!
//! Conventions of the wire format:
//!
//! - Amounts are JSON integers in minor units (fen, cents). A request amount that is not an
//!   integer in the range of `i64` (a fraction, a string, `99999999999999999999`) is refused
//!   with `400 INVALID_AMOUNT`, exactly like a zero or negative amount; any other field of the
//!   wrong type is `400 MALFORMED_REQUEST`.
//! - Timestamps are RFC 3339 strings in UTC with milliseconds, such as
//!   `2026-11-26T01:02:03.456Z` ([`Timestamp`]).
//! - Request bodies refuse unknown fields, so that a misspelt optional field (`subjet`) is an
//!   error rather than silently ignored. Responses may gain fields; clients ignore the unknown.
//! - Lists come wrapped as `{"items": [...]}` so that paging fields can be added beside them.
//! - Credentials, codes, secrets, passwords and PINs are redacted in `Debug` output, so that
//!   logging a value by mistake does not leak one.

pub mod admin;
pub mod error;
pub mod payments;
pub mod reports;
pub mod statements;
pub mod wallet;
pub mod webhooks;

pub use admin::{
    CreateMerchantRequest, CreateUserRequest, LedgerCheck, Merchant, MerchantKey, MerchantKeyInfo,
    MerchantKeyList, MerchantPage, MerchantsQuery, Topup, TopupRequest, User, UserOverview,
    UserPage, UsersQuery,
};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use payments::{PayRequest, Refund, RefundList, RefundRequest, Trade, TradeList, TradeStatus};
pub use reports::{
    AdminTrade, AdminTradesPage, AdminTradesQuery, MerchantTradesPage, MerchantTradesQuery,
    Summary, SummaryQuery, TradeTotals,
};
pub use statements::{
    Settlement, SettlementItem, Statement, StatementLine, StatementQuery, StatementTotals,
};
pub use wallet::{
    Balance, ConfirmPaymentRequest, Device, DeviceList, DeviceProvisioning, DeviceStatus,
    EnrollDeviceRequest, LoginRequest, OnlineCode, OnlineCodeRequest, PendingPaymentsQuery,
    RotateDeviceRequest, Session, SessionInfo, SessionList, SessionsEnded, SetPinRequest,
    Transaction, TransactionsPage, TransactionsQuery,
};
pub use webhooks::{
    Event, EventInfo, EventPage, EventsQuery, SetWebhookRequest, Webhook, WebhookWithSecret,
};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 3339 timestamp in UTC with milliseconds, for example `2026-11-26T01:02:03.456Z`.
pub type Timestamp = String;

/// What `GET /healthz` answers when the server and its database work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The storage backend: `sqlite` or `postgres`.
    pub database: String,
}

/// The text shown instead of a secret value in `Debug` output.
pub(crate) const REDACTED: &str = "[REDACTED]";
