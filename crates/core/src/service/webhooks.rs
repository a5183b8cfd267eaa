//! Notifications to merchants (SPEC section 7): each merchant's webhook, the outbox of events
//! written in the same transaction as the change they report, and the bookkeeping of their
//! delivery. The HTTP requests themselves are the server's; this module decides what is due,
//! signs, and records how each attempt ended.
//!
//! Events are stored only for merchants that have a webhook when the change happens: the
//! payment path of the others writes nothing more than it did, and an event that no one can
//! receive would only grow the table. `GET /v1/merchant/events` therefore lists what was sent
//! (or is being sent) to the webhook, not every change of every trade.

use std::collections::HashMap;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::Paycode;
use crate::clock::{UnixMillis, MILLIS_PER_SECOND};
use crate::crypto::new_token;
use crate::error::Error;
use crate::ids::{EventId, MerchantId};
use crate::limits::{
    EVENT_CLAIM_BATCH_SIZE, EVENT_LEASE_SECONDS, MAX_EVENT_ERROR_BYTES, MAX_PAGE_SIZE,
    MAX_WEBHOOK_URL_BYTES,
};
use crate::model::{
    EventAttempt, EventKind, EventRecord, MerchantRecord, MerchantWebhook, NewEvent, RefundRecord,
    TradeRecord,
};
use crate::store::Transaction;
use crate::Config;

/// The prefix of webhook signing secrets, so that a secret found in a file says what it is.
const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// Renders what an event's `data` holds: the trade or refund exactly as the API returns it.
/// The server implements it with its wire types, which this crate does not know; the domain
/// calls it when the change happens, so the event keeps the trade as it was at that moment.
pub trait EventData: Send + Sync {
    /// A trade as JSON text.
    fn trade(&self, trade: &TradeRecord) -> String;
    /// A refund of `trade` as JSON text.
    fn refund(&self, refund: &RefundRecord, trade: &TradeRecord) -> String;
}

/// A webhook URL that passed every rule: at most [`MAX_WEBHOOK_URL_BYTES`], parsed by a real
/// URL parser, `http` or `https`, with a host and without user name or password, and on a host
/// the configuration allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses a URL; `allowed_hosts` empty allows every host.
    pub fn parse(text: &str, allowed_hosts: &[String]) -> Result<Self, Error> {
        let refuse = |why: &str| Err(Error::MalformedRequest(format!("url {why}")));
        if text.len() > MAX_WEBHOOK_URL_BYTES {
            return refuse(&format!("must be at most {MAX_WEBHOOK_URL_BYTES} bytes"));
        }
        let Ok(url) = url::Url::parse(text) else {
            return refuse("is not a valid absolute URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("must be http or https");
        }
        let Some(host) = url.host_str() else {
            return refuse("must name a host");
        };
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("must not hold a user name or password");
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !allowed_hosts.is_empty()
            && !allowed_hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
        {
            return refuse("names a host this deployment does not deliver to");
        }
        Ok(Self(url.to_string()))
    }

    /// The URL, normalised by the parser.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A webhook just set, with its signing secret, which is shown this once.
pub struct WebhookIssued {
    /// The URL, as stored.
    pub url: String,
    /// The signing secret: the key of the HMAC is the UTF-8 bytes of this string.
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for WebhookIssued {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WebhookIssued")
            .field("url", &self.url)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

/// An event taken for delivery, with where to send it and the key to sign it with.
pub struct DueEvent {
    /// The event.
    pub event: EventRecord,
    /// The lease it was taken under, to hand back in its [`EventAttempt`].
    pub lease_until: UnixMillis,
    /// The merchant's webhook URL and signing secret now; `None` when the merchant removed
    /// its webhook since the event was stored.
    pub webhook: Option<(String, Zeroizing<String>)>,
}

impl std::fmt::Debug for DueEvent {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DueEvent")
            .field("event", &self.event.id)
            .field("lease_until", &self.lease_until)
            .field("url", &self.webhook.as_ref().map(|(url, _)| url))
            .finish_non_exhaustive()
    }
}

/// How one delivery attempt ended, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// The event.
    pub event: EventId,
    /// Its creation time (the retries stop a fixed time after it).
    pub created_at: UnixMillis,
    /// Attempts made before this one.
    pub previous_attempts: u32,
    /// The lease the event was taken under.
    pub lease_until: UnixMillis,
    /// `None` when a receiver answered 2xx; else why not (a status, a timeout, a refused
    /// connection).
    pub error: Option<String>,
}

/// `Paycode-Signature` of a body sent at `unix_seconds` (SPEC section 7):
/// `t=<unix seconds>,v1=<lower-case hex of HMAC-SHA256(secret, t + "." + body)>`.
pub fn signature_header(secret: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!(
        "t={unix_seconds},v1={}",
        data_encoding::HEXLOWER.encode(&digest)
    )
}

/// When to try a delivery again after its `attempts`-th failure at `now`, or `None` to give
/// up: the wait starts at `webhook_retry_initial_seconds` and doubles with each failure up to
/// `webhook_retry_max_seconds`; no attempt is scheduled past `webhook_give_up_seconds` after
/// the event.
pub fn next_retry_at(
    config: &Config,
    created_at: UnixMillis,
    attempts: u32,
    now: UnixMillis,
) -> Option<UnixMillis> {
    let initial = i64::from(config.webhook_retry_initial_seconds) * MILLIS_PER_SECOND;
    let cap = i64::from(config.webhook_retry_max_seconds) * MILLIS_PER_SECOND;
    let doublings = attempts.saturating_sub(1).min(32);
    let wait = initial.saturating_mul(1_i64 << doublings).min(cap);
    let retry_at = now.saturating_add(wait);
    let give_up_at =
        created_at.saturating_add(i64::from(config.webhook_give_up_seconds) * MILLIS_PER_SECOND);
    (retry_at <= give_up_at).then_some(retry_at)
}

/// The associated data that binds a sealed webhook secret to its merchant.
fn webhook_associated_data(merchant: MerchantId) -> Vec<u8> {
    format!("webhook:{}", merchant.0).into_bytes()
}

/// Cuts an error message to [`MAX_EVENT_ERROR_BYTES`] on a character boundary.
fn bounded_error(mut error: String) -> String {
    if error.len() > MAX_EVENT_ERROR_BYTES {
        let mut end = MAX_EVENT_ERROR_BYTES;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
    }
    error
}

impl Paycode {
    /// Installs what renders events' `data`. Without it no event is stored: the domain alone
    /// does not know the wire format.
    pub fn with_event_data(mut self, data: Arc<dyn EventData>) -> Self {
        self.event_data = Some(data);
        self
    }

    /// Sets the merchant's webhook and issues a new signing secret, shown this once; the
    /// previous URL and secret stop being used at once.
    pub fn set_webhook(&self, merchant: MerchantId, url: &str) -> Result<WebhookIssued, Error> {
        let url = WebhookUrl::parse(url, &self.config.webhook_allowed_hosts)?;
        let secret = Zeroizing::new(new_token(WEBHOOK_SECRET_PREFIX));
        let sealed = self
            .keys
            .seal(&webhook_associated_data(merchant), secret.as_bytes())?;
        let webhook = MerchantWebhook {
            url: url.as_str().to_owned(),
            secret: sealed,
        };
        self.in_transaction(|transaction| {
            if transaction.set_merchant_webhook(merchant, Some(&webhook))? {
                Ok(())
            } else {
                Err(Error::NotFound("merchant"))
            }
        })?;
        Ok(WebhookIssued {
            url: webhook.url,
            secret,
        })
    }

    /// Removes the merchant's webhook (doing nothing if it has none). Events not delivered
    /// yet are given up at their next attempt.
    pub fn delete_webhook(&self, merchant: MerchantId) -> Result<(), Error> {
        self.in_transaction(|transaction| {
            if transaction.set_merchant_webhook(merchant, None)? {
                Ok(())
            } else {
                Err(Error::NotFound("merchant"))
            }
        })
    }

    /// The URL of the merchant's webhook, `None` while it has none; its secret is never shown
    /// again. `NotFound` when there is no such merchant.
    pub fn webhook_url(&self, merchant: MerchantId) -> Result<Option<String>, Error> {
        let record = self
            .reading(|transaction| Ok(transaction.merchant(merchant)?))?
            .ok_or(Error::NotFound("merchant"))?;
        Ok(record.webhook.map(|webhook| webhook.url))
    }

    /// The merchant's events, newest first, before `before` when given, at most `limit`
    /// (1 to the page limit).
    pub fn events(
        &self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, Error> {
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::MalformedRequest(format!(
                "limit must be 1 to {MAX_PAGE_SIZE}"
            )));
        }
        self.reading(|transaction| Ok(transaction.events_of_merchant(merchant, before, limit)?))
    }

    /// Makes one of the merchant's events due now, also one delivered or given up.
    pub fn redeliver_event(
        &self,
        merchant: MerchantId,
        event: EventId,
    ) -> Result<EventRecord, Error> {
        let now = self.now();
        self.in_transaction(|transaction| {
            transaction
                .redeliver_event(merchant, event, now)?
                .ok_or(Error::NotFound("event"))
        })
    }

    /// Takes the events due now for delivery by this caller, each under a lease of
    /// [`EVENT_LEASE_SECONDS`], with their merchants' webhooks.
    pub fn claim_due_events(&self) -> Result<Vec<DueEvent>, Error> {
        self.finish_and_claim(&[])
    }

    /// Records how the previous round's attempts ended (see [`Paycode::finish_deliveries`])
    /// and takes the next round's events (see [`Paycode::claim_due_events`]), in one
    /// transaction: a delivery round costs the database one commit.
    pub fn finish_and_claim(&self, outcomes: &[DeliveryOutcome]) -> Result<Vec<DueEvent>, Error> {
        let now = self.now();
        let lease_until = now + Self::seconds(EVENT_LEASE_SECONDS);
        let attempts = self.attempts_of(outcomes, now);
        let (events, merchants) = self.in_transaction(|transaction| {
            if !attempts.is_empty() {
                transaction.finish_event_attempts(&attempts)?;
            }
            let events = transaction.claim_due_events(now, lease_until, EVENT_CLAIM_BATCH_SIZE)?;
            let mut ids: Vec<MerchantId> = events.iter().map(|event| event.merchant_id).collect();
            ids.sort();
            ids.dedup();
            let merchants = transaction.merchants(&ids)?;
            Ok((events, merchants))
        })?;
        let mut webhooks: HashMap<MerchantId, Option<(String, Zeroizing<String>)>> = HashMap::new();
        for merchant in merchants {
            webhooks.insert(merchant.id, self.open_webhook(&merchant)?);
        }
        Ok(events
            .into_iter()
            .map(|event| DueEvent {
                webhook: webhooks.get(&event.merchant_id).cloned().flatten(),
                event,
                lease_until,
            })
            .collect())
    }

    fn open_webhook(
        &self,
        merchant: &MerchantRecord,
    ) -> Result<Option<(String, Zeroizing<String>)>, Error> {
        let Some(webhook) = &merchant.webhook else {
            return Ok(None);
        };
        let plain = self
            .keys
            .open(&webhook_associated_data(merchant.id), &webhook.secret)?;
        let secret = String::from_utf8(plain.to_vec())
            .map_err(|_| Error::Internal("a webhook secret is not UTF-8".to_owned()))?;
        Ok(Some((webhook.url.clone(), Zeroizing::new(secret))))
    }

    /// Records how delivery attempts ended, all in one transaction: delivered, due again after
    /// the backoff, or given up. Returns how many were recorded (an attempt that outlived its
    /// lease is not).
    pub fn finish_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<u64, Error> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let attempts = self.attempts_of(outcomes, self.now());
        self.in_transaction(|transaction| Ok(transaction.finish_event_attempts(&attempts)?))
    }

    /// The attempts to record for `outcomes` seen at `now`, with their next attempt times.
    fn attempts_of(&self, outcomes: &[DeliveryOutcome], now: UnixMillis) -> Vec<EventAttempt> {
        outcomes
            .iter()
            .map(|outcome| EventAttempt {
                id: outcome.event,
                lease_until: outcome.lease_until,
                at: now,
                retry_at: outcome.error.as_ref().and_then(|_| {
                    next_retry_at(
                        &self.config,
                        outcome.created_at,
                        outcome.previous_attempts.saturating_add(1),
                        now,
                    )
                }),
                error: outcome.error.clone().map(bounded_error),
            })
            .collect()
    }

    /// Events waiting for an attempt, for the queue depth metric.
    pub fn pending_event_count(&self) -> Result<u64, Error> {
        self.reading(|transaction| Ok(transaction.pending_event_count()?))
    }

    /// Stores the event `kind` of `trade` in the outbox of the transaction, if the trade's
    /// merchant has a webhook.
    pub(super) fn notify_trade(
        &self,
        transaction: &mut dyn Transaction,
        kind: EventKind,
        trade: &TradeRecord,
    ) -> Result<(), Error> {
        let Some(data) = &self.event_data else {
            return Ok(());
        };
        if !self.has_webhook(transaction, trade.merchant_id)? {
            return Ok(());
        }
        transaction.insert_event(&NewEvent {
            merchant_id: trade.merchant_id,
            kind,
            data: data.trade(trade),
            created_at: self.now(),
        })?;
        Ok(())
    }

    /// Stores `refund.succeeded` for a refund of `trade`, if its merchant has a webhook.
    pub(super) fn notify_refund(
        &self,
        transaction: &mut dyn Transaction,
        refund: &RefundRecord,
        trade: &TradeRecord,
    ) -> Result<(), Error> {
        let Some(data) = &self.event_data else {
            return Ok(());
        };
        if !self.has_webhook(transaction, trade.merchant_id)? {
            return Ok(());
        }
        transaction.insert_event(&NewEvent {
            merchant_id: trade.merchant_id,
            kind: EventKind::RefundSucceeded,
            data: data.refund(refund, trade),
            created_at: self.now(),
        })?;
        Ok(())
    }

    /// Re-encrypts the webhook secrets of a page of merchants (after `after`) that are
    /// sealed under an old master key; returns how many, and the last merchant of a full page.
    pub(super) fn reseal_webhook_page(
        &self,
        transaction: &mut dyn Transaction,
        after: Option<MerchantId>,
    ) -> Result<(u64, Option<MerchantId>), Error> {
        const PAGE: u32 = 500;
        let merchants = transaction.merchants_page(after, PAGE)?;
        let mut resealed = 0;
        for merchant in &merchants {
            let Some(webhook) = &merchant.webhook else {
                continue;
            };
            if webhook.secret.key_id == self.keys.current_id() {
                continue;
            }
            let aad = webhook_associated_data(merchant.id);
            // Locked so that a webhook set meanwhile is not overwritten with the old one.
            let Some(locked) = transaction.lock_merchant(merchant.id)? else {
                continue;
            };
            if let Some(current) = locked.webhook.filter(|current| current == webhook) {
                let plain = self.keys.open(&aad, &current.secret)?;
                let resealed_webhook = MerchantWebhook {
                    url: current.url,
                    secret: self.keys.seal(&aad, &plain)?,
                };
                transaction.set_merchant_webhook(merchant.id, Some(&resealed_webhook))?;
                resealed += 1;
            }
        }
        let last = (merchants.len() == PAGE as usize)
            .then(|| merchants.last().map(|merchant| merchant.id))
            .flatten();
        Ok((resealed, last))
    }

    fn has_webhook(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
    ) -> Result<bool, Error> {
        Ok(transaction
            .merchant(merchant)?
            .ok_or(Error::NotFound("merchant"))?
            .webhook
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_time_a_dot_and_the_body() {
        // Computed independently: printf '1700000000.{"id":1}' |
        //   openssl dgst -sha256 -hmac whsec_test
        let header = signature_header(b"whsec_test", 1_700_000_000, br#"{"id":1}"#);
        assert_eq!(
            header,
            "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
        );
        assert_ne!(
            header,
            signature_header(b"whsec_test", 1_700_000_001, br#"{"id":1}"#)
        );
    }

    #[test]
    fn retries_double_from_the_initial_wait_up_to_the_cap_and_stop_after_a_day() {
        let config = Config::default();
        let second = MILLIS_PER_SECOND;
        assert_eq!(next_retry_at(&config, 0, 1, 0), Some(5 * second));
        assert_eq!(next_retry_at(&config, 0, 2, 0), Some(10 * second));
        assert_eq!(next_retry_at(&config, 0, 3, 0), Some(20 * second));
        assert_eq!(next_retry_at(&config, 0, 30, 0), Some(3_600 * second));
        assert_eq!(next_retry_at(&config, 0, u32::MAX, 0), Some(3_600 * second));
        let late = 86_400 * second - 4 * second;
        assert_eq!(next_retry_at(&config, 0, 1, late), None);
        assert_eq!(
            next_retry_at(&config, 0, 1, late - second),
            Some(86_400 * second)
        );
    }

    #[test]
    fn webhook_urls_are_http_or_https_with_a_host_and_within_the_limits() {
        let any: Vec<String> = Vec::new();
        for good in [
            "https://shop.example/paycode",
            "http://127.0.0.1:8080/hook?x=1",
            "http://[::1]:9000/",
            "HTTPS://SHOP.EXAMPLE/",
        ] {
            assert!(WebhookUrl::parse(good, &any).is_ok(), "{good}");
        }
        let too_long = format!("https://shop.example/{}", "a".repeat(MAX_WEBHOOK_URL_BYTES));
        for bad in [
            "",
            "shop.example/hook",
            "ftp://shop.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pass@shop.example/",
            "http://",
            too_long.as_str(),
        ] {
            assert!(
                matches!(
                    WebhookUrl::parse(bad, &any),
                    Err(Error::MalformedRequest(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_host_list_allows_only_its_hosts() {
        let allowed = vec!["hooks.example".to_owned(), "::1".to_owned()];
        assert!(WebhookUrl::parse("https://HOOKS.example/x", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://[::1]:8080/x", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1/x", &allowed).is_err());
        assert!(WebhookUrl::parse("https://hooks.example.evil/x", &allowed).is_err());
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let error = bounded_error("é".repeat(MAX_EVENT_ERROR_BYTES));
        assert!(error.len() <= MAX_EVENT_ERROR_BYTES && error.len() >= MAX_EVENT_ERROR_BYTES - 1);
        assert_eq!(bounded_error("short".to_owned()), "short");
    }
}
