//! Merchants' notifications (SPEC section 7): the webhook a merchant sets, the events posted
//! to it, and the merchant's list of them.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{Timestamp, REDACTED};

/// `PUT /v1/merchant/webhook` (and `PUT /v1/admin/merchants/{id}/webhook`): where to post the
/// merchant's notifications. Setting it again issues a new secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWebhookRequest {
    /// An `http` or `https` URL of at most 2048 bytes, without user name or password.
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
}

/// A webhook just set, with its signing secret, shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookWithSecret {
    /// The URL, as stored.
    pub url: String,
    /// The signing secret. `Paycode-Signature`'s `v1` is the lower-case hex of
    /// HMAC-SHA256 under the UTF-8 bytes of this string, of `t + "." + body`.
    pub secret: String,
}

impl fmt::Debug for WebhookWithSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("WebhookWithSecret")
            .field("url", &self.url)
            .field("secret", &REDACTED)
            .finish()
    }
}

/// A merchant's webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    /// The URL; `null` while the merchant has no webhook.
    pub url: Option<String>,
}

/// The body of a notification, exactly as posted to the webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// The event's id, also in the `Paycode-Event-Id` header; the same on every retry, so a
    /// receiver can drop a notification it has seen.
    pub id: i64,
    /// `trade.succeeded`, `trade.closed`, `trade.reversed` or `refund.succeeded`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change happened.
    pub created_at: Timestamp,
    /// The trade (for `trade.*`) or the refund (for `refund.succeeded`) as the API returned
    /// it at that moment.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// An event as the merchant's list shows it: the notification and how its delivery goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventInfo {
    /// The event's id.
    pub id: i64,
    /// The event's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change happened.
    pub created_at: Timestamp,
    /// The trade or refund.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Whether a receiver answered 2xx.
    pub delivered: bool,
    /// When it did.
    pub delivered_at: Option<Timestamp>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Why the last failed attempt failed (an HTTP status, a timeout, a refused connection).
    pub last_error: Option<String>,
    /// When the next attempt is due; absent once delivered or given up (24 hours after the
    /// event; `POST .../redeliver` makes it due again).
    pub next_attempt_at: Option<Timestamp>,
}

/// A page of the merchant's events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// The events.
    pub items: Vec<EventInfo>,
    /// Present when the page is full: pass it as `before` for the next page.
    pub next_before: Option<i64>,
}

/// Query of `GET /v1/merchant/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events with an id below this one (the `next_before` of the previous page).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}
