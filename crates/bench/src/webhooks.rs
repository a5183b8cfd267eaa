//! `--webhooks`: every merchant of the run gets a webhook pointing at a receiver in this
//! process that answers `204` to everything, so that the run measures the payment path with
//! the outbox written and the events delivered, and the receiver's count shows the deliveries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use tokio::net::TcpListener;

use crate::error::Error;
use crate::population::BenchMerchant;

/// A receiver that answers every request at once and counts them.
#[derive(Debug, Clone)]
pub struct NoOpReceiver {
    /// Its URL, on loopback.
    pub url: String,
    received: Arc<AtomicU64>,
}

impl NoOpReceiver {
    /// Starts one on a free loopback port.
    pub async fn start() -> Result<Self, Error> {
        let received = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                async { StatusCode::NO_CONTENT }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| Error::Provisioning(format!("no port for the receiver: {error}")))?;
        let address = listener
            .local_addr()
            .map_err(|error| Error::Provisioning(format!("no port for the receiver: {error}")))?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            url: format!("http://{address}/hook"),
            received,
        })
    }

    /// Requests received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// Points every merchant's webhook at `receiver`, through the admin API.
pub async fn set_webhooks(
    url: &str,
    admin_key: &str,
    merchants: &[BenchMerchant],
    receiver: &NoOpReceiver,
) -> Result<(), Error> {
    let admin = paycode_client::Client::new(url)?.with_bearer(admin_key);
    for merchant in merchants {
        admin
            .set_merchant_webhook(merchant.id, &receiver.url)
            .await
            .map_err(|error| Error::Provisioning(format!("setting a webhook: {error}")))?;
    }
    Ok(())
}
