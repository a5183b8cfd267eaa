//! Identifiers of stored things. Each is its own type so that a user id can never be passed
//! where a merchant id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A wallet user.
    UserId
);
id_type!(
    /// A wallet session.
    SessionId
);
id_type!(
    /// A merchant.
    MerchantId
);
id_type!(
    /// An API key of a merchant.
    ApiKeyId
);
id_type!(
    /// A ledger account.
    AccountId
);
id_type!(
    /// A wallet device. A device's id is its device slot: both are assigned once and never
    /// reused, so one number serves as the primary key and as `D` inside offline codes.
    DeviceId
);
id_type!(
    /// A trade (one payment attempt that got far enough to be stored).
    TradeId
);
id_type!(
    /// A ledger transaction (a set of postings that sum to zero).
    LedgerTransactionId
);
id_type!(
    /// An event of the outbox (a notification to a merchant).
    EventId
);
