//! The records the domain keeps. They are what the storage trait reads and writes; the HTTP
//! layer converts them into its own wire types, and the stores into their own rows.

mod devices;
mod events;
mod ledger;
mod merchants;
mod statements;
mod trades;
mod users;

pub use self::devices::{
    DeviceFailures, DeviceRecord, DeviceStatus, OnlineCodeRecord, SealedSecret,
};
pub use self::events::{EventAttempt, EventKind, EventRecord, NewEvent};
pub use self::ledger::{AccountKind, LedgerEntry, LedgerKind, LedgerTotals, TopupRecord};
pub use self::merchants::{ApiKeyRecord, MerchantRecord, MerchantWebhook};
pub use self::statements::{SettlementLine, StatementKind, StatementLine, StatementTotals};
pub use self::trades::{NewTrade, RefundRecord, TradeRecord, TradeStatus, CANCEL_REFUND_REFERENCE};
pub use self::users::{NewSession, PinAttempts, SessionRecord, UserRecord};
