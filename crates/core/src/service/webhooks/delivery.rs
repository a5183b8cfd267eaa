//! The bookkeeping of deliveries: which events are due, under which lease, with which webhook,
//! and how each attempt ended (delivered, due again after a backoff, or given up).

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::webhook_associated_data;
use crate::clock::{UnixMillis, MILLIS_PER_SECOND};
use crate::error::Error;
use crate::ids::{EventId, MerchantId};
use crate::limits::{EVENT_CLAIM_BATCH_SIZE, EVENT_LEASE_SECONDS, MAX_EVENT_ERROR_BYTES};
use crate::model::{EventAttempt, EventRecord, MerchantRecord};
use crate::service::Paycode;
use crate::Config;

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn long_errors_are_cut_on_a_character_boundary() {
        let error = bounded_error("é".repeat(MAX_EVENT_ERROR_BYTES));
        assert!(error.len() <= MAX_EVENT_ERROR_BYTES && error.len() >= MAX_EVENT_ERROR_BYTES - 1);
        assert_eq!(bounded_error("short".to_owned()), "short");
    }
}
