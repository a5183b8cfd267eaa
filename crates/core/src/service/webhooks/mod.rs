//! Notifications to merchants (SPEC section 7): each merchant's webhook, the outbox of events
//! written in the same transaction as the change they report, and the bookkeeping of their
//! delivery. The HTTP requests themselves are the server's; this module decides what is due,
//! signs, and records how each attempt ended.
//!
//! Events are stored only for merchants that have a webhook when the change happens: the
//! payment path of the others writes nothing more than it did, and an event that no one can
//! receive would only grow the table. `GET /v1/merchant/events` therefore lists what was sent
//! (or is being sent) to the webhook, not every change of every trade.

mod delivery;
mod outbox;
mod signing;
mod url;

use std::sync::Arc;

use zeroize::Zeroizing;

pub use delivery::{next_retry_at, DeliveryOutcome, DueEvent};
pub use outbox::EventData;
pub use signing::signature_header;
pub use url::WebhookUrl;

use super::Paycode;
use crate::crypto::new_token;
use crate::error::Error;
use crate::ids::{EventId, MerchantId};
use crate::limits::MAX_PAGE_SIZE;
use crate::model::{EventRecord, MerchantWebhook};
use crate::store::Transaction;

/// The prefix of webhook signing secrets, so that a secret found in a file says what it is.
const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

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

/// The associated data that binds a sealed webhook secret to its merchant.
fn webhook_associated_data(merchant: MerchantId) -> Vec<u8> {
    format!("webhook:{}", merchant.0).into_bytes()
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
}
