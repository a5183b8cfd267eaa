//! The outbox of notifications to merchants (SPEC section 7): what happened, and how its
//! delivery stands.

use crate::clock::UnixMillis;
use crate::ids::{EventId, MerchantId};

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
