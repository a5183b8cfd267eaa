//! Delivery of merchants' notifications (SPEC section 7): the task every server instance runs
//! beside its API. It takes the events that are due from the outbox, each under a lease (so
//! that no other instance takes them meanwhile), posts each one signed to its merchant's
//! webhook, and records the results together: delivered on any 2xx, else due again after the
//! backoff, or given up a day after the event.
//!
//! Nothing is lost if the instance dies: an event is only ever marked delivered after its
//! receiver answered, and the lease of one that was being sent runs out, after which any
//! instance takes it again. A receiver may therefore see an event twice (at least once), and
//! tells by `Paycode-Event-Id`.

use std::sync::Arc;
use std::time::Instant;

use paycode_core::model::{NewTrade, RefundRecord, TradeRecord};
use paycode_core::service::{signature_header, DeliveryOutcome, DueEvent, EventData};
use paycode_core::Paycode;
use tokio::sync::{watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use crate::convert;
use crate::limits::{
    WEBHOOK_CONCURRENT_ATTEMPTS, WEBHOOK_IDLE_POLL_INTERVAL, WEBHOOK_QUEUE_DEPTH_INTERVAL,
    WEBHOOK_REQUEST_TIMEOUT,
};
use crate::metrics::Metrics;

/// The header with the event's id.
pub const EVENT_ID_HEADER: &str = "Paycode-Event-Id";
/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "Paycode-Signature";

/// Renders events' `data` as the API renders trades and refunds, in the deployment's currency.
#[derive(Debug, Clone)]
pub struct WireEventData {
    currency: String,
}

impl WireEventData {
    /// Renders in `currency`.
    pub fn shared(currency: &str) -> Arc<dyn EventData> {
        Arc::new(Self {
            currency: currency.to_owned(),
        })
    }
}

impl EventData for WireEventData {
    fn trade(&self, trade: &TradeRecord) -> String {
        serde_json::to_string(&convert::trade(trade, &self.currency))
            .expect("a trade serializes to JSON")
    }

    fn new_trade(&self, trade: &NewTrade) -> String {
        serde_json::to_string(&convert::new_trade(trade, &self.currency))
            .expect("a trade serializes to JSON")
    }

    fn refund(&self, refund: &RefundRecord, trade: &TradeRecord) -> String {
        serde_json::to_string(&convert::refund(refund, &trade.out_trade_no))
            .expect("a refund serializes to JSON")
    }
}

/// The HTTP client of deliveries: no redirects followed (a redirect is a failed attempt, so
/// a webhook cannot be bent towards another host), a timeout per attempt, rustls.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(WEBHOOK_REQUEST_TIMEOUT)
        .connect_timeout(WEBHOOK_REQUEST_TIMEOUT)
        .user_agent(concat!("paycode-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client builds")
}

/// Starts the delivery task; it stops when `stopped` turns true. Each round records the
/// previous round's results and takes the events now due in one transaction, then sends them.
/// Attempts in flight at the stop are dropped: their events are taken again by an instance
/// once their lease runs out.
pub fn spawn_deliverer(
    paycode: Arc<Paycode>,
    metrics: Arc<Metrics>,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = http_client();
        let mut finished: Vec<DeliveryOutcome> = Vec::new();
        let mut depth_counted: Option<Instant> = None;
        loop {
            let due = tokio::select! {
                due = finish_and_claim(&paycode, &mut finished) => due,
                _ = stopped.changed() => return,
            };
            if depth_counted.is_none_or(|at| at.elapsed() >= WEBHOOK_QUEUE_DEPTH_INTERVAL) {
                count_queue(&paycode, &metrics).await;
                depth_counted = Some(Instant::now());
            }
            if due.is_empty() {
                tokio::select! {
                    () = tokio::time::sleep(WEBHOOK_IDLE_POLL_INTERVAL) => {}
                    _ = stopped.changed() => return,
                }
                continue;
            }
            finished = tokio::select! {
                outcomes = send_all(&paycode, &client, due) => outcomes,
                _ = stopped.changed() => return,
            };
            for outcome in &finished {
                metrics.observe_delivery(outcome.error.is_none());
            }
            if *stopped.borrow() {
                record(&paycode, finished).await;
                return;
            }
        }
    })
}

/// Records `finished` and takes the events due now. `finished` is emptied once recorded; if
/// the database fails, it is kept for the next round (and the events due wait for it too).
async fn finish_and_claim(
    paycode: &Arc<Paycode>,
    finished: &mut Vec<DeliveryOutcome>,
) -> Vec<DueEvent> {
    let (claiming, outcomes) = (Arc::clone(paycode), finished.clone());
    match tokio::task::spawn_blocking(move || claiming.finish_and_claim(&outcomes)).await {
        Ok(Ok(due)) => {
            finished.clear();
            due
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not record webhook deliveries or take due events");
            Vec::new()
        }
        Err(error) => {
            tracing::error!(%error, "recording webhook deliveries panicked");
            finished.clear();
            Vec::new()
        }
    }
}

/// Records the last round's results at a stop.
async fn record(paycode: &Arc<Paycode>, finished: Vec<DeliveryOutcome>) {
    let finishing = Arc::clone(paycode);
    match tokio::task::spawn_blocking(move || finishing.finish_deliveries(&finished)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "could not record webhook deliveries"),
        Err(error) => tracing::error!(%error, "recording webhook deliveries panicked"),
    }
}

/// Counts the events waiting, for `paycode_webhook_queue_depth`.
async fn count_queue(paycode: &Arc<Paycode>, metrics: &Metrics) {
    let counting = Arc::clone(paycode);
    if let Ok(Ok(pending)) =
        tokio::task::spawn_blocking(move || counting.pending_event_count()).await
    {
        metrics.set_webhook_queue_depth(pending);
    }
}

/// Sends every event, at most [`WEBHOOK_CONCURRENT_ATTEMPTS`] at once.
async fn send_all(
    paycode: &Arc<Paycode>,
    client: &reqwest::Client,
    due: Vec<DueEvent>,
) -> Vec<DeliveryOutcome> {
    let permits = Arc::new(Semaphore::new(WEBHOOK_CONCURRENT_ATTEMPTS));
    let mut attempts = JoinSet::new();
    for event in due {
        let (client, permits, paycode) =
            (client.clone(), Arc::clone(&permits), Arc::clone(paycode));
        attempts.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let error = send(&paycode, &client, &event).await.err();
            if let Some(error) = &error {
                tracing::info!(event = event.event.id.0, %error, "a webhook delivery failed");
            }
            DeliveryOutcome {
                event: event.event.id,
                created_at: event.event.created_at,
                previous_attempts: event.event.attempts,
                lease_until: event.lease_until,
                error,
            }
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = attempts.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            // The event's lease runs out and it is sent again.
            Err(error) => tracing::error!(%error, "a webhook delivery panicked"),
        }
    }
    outcomes
}

/// One attempt: `Ok` on a 2xx answer, else why not.
async fn send(paycode: &Paycode, client: &reqwest::Client, due: &DueEvent) -> Result<(), String> {
    let Some((url, secret)) = &due.webhook else {
        return Err("the merchant has no webhook".to_owned());
    };
    let body = serde_json::to_vec(&convert::event(&due.event))
        .map_err(|error| format!("the event does not serialize: {error}"))?;
    let unix_seconds = i64::try_from(paycode.clock().now_seconds()).unwrap_or(i64::MAX);
    let signature = signature_header(secret.as_bytes(), unix_seconds, &body);
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, due.event.id.0.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|error| describe(&error))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered HTTP {}", status.as_u16()))
    }
}

/// A failed request in words, without its URL (the merchant knows it, the log need not).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}
