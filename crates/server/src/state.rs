//! What every request handler shares: the domain handle, the store (for health checks) and
//! the metrics.

use std::sync::Arc;

use paycode_core::store::Store;
use paycode_core::Paycode;

use crate::error::ApiError;
use crate::metrics::Metrics;

/// The state of the server, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The domain: every use case is a method on it.
    pub paycode: Arc<Paycode>,
    /// The store under `paycode`, for `/healthz` to probe directly.
    pub store: Arc<dyn Store>,
    /// Request, payment and verification counters.
    pub metrics: Arc<Metrics>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AppState")
            .field("paycode", &self.paycode)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a domain and the store it was opened on, with fresh metrics.
    pub fn new(paycode: Arc<Paycode>, store: Arc<dyn Store>) -> Self {
        Self {
            paycode,
            store,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Runs a use case on the blocking thread pool: the domain and its store are synchronous,
    /// and SQLite must not stall the async workers. (Argon2 checks run on the domain's own
    /// password pool; a use case that needs one waits for it here.)
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Paycode) -> Result<T, paycode_core::Error> + Send + 'static,
    {
        let paycode = Arc::clone(&self.paycode);
        tokio::task::spawn_blocking(move || work(&paycode))
            .await
            .map_err(|join_error| ApiError::internal(format!("a use case panicked: {join_error}")))?
            .map_err(ApiError::from)
    }

    /// Charges a code through group commit. The request's task awaits its outcome without
    /// holding a thread; when no batch leader runs, this request starts one on the blocking
    /// pool, which runs batches until no payment waits.
    pub async fn pay(
        &self,
        merchant: paycode_core::ids::MerchantId,
        request: &paycode_core::service::PayRequest,
    ) -> Result<paycode_core::model::TradeRecord, ApiError> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let done: paycode_core::service::PaymentDone = Box::new(move |outcome| {
            // A client that went away dropped the receiver; its payment stands.
            let _ = sender.send(outcome);
        });
        if let Some(leadership) = self.paycode.submit_payment(merchant, request, done)? {
            let paycode = Arc::clone(&self.paycode);
            tokio::task::spawn_blocking(move || paycode.lead_batches(leadership));
        }
        receiver
            .await
            .map_err(|_| ApiError::internal("a payment batch failed"))?
            .map_err(ApiError::from)
    }

    /// Opens and commits a transaction that reads one setting: proof that the database
    /// answers, for `/healthz`.
    pub async fn probe_store(&self) -> Result<(), ApiError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut transaction = store.begin()?;
            transaction.setting("healthz")?;
            transaction.commit()
        })
        .await
        .map_err(|join_error| ApiError::internal(format!("the probe panicked: {join_error}")))?
        .map_err(|error| ApiError::from(paycode_core::Error::Store(error)))
    }
}
