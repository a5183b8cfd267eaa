//! Group commit of payments: concurrent payments share one durable transaction.
//!
//! A commit costs one flush to disk, which takes far longer than the work of a payment, so
//! committing each payment alone caps throughput at the disk's flush rate. Here a payment is
//! queued with a callback for its outcome, and one leader at a time takes every payment waiting
//! (up to [`MAX_PAYMENTS_PER_BATCH`]), runs them in one transaction (see `overlay`: the rows
//! they need are loaded in bulk, each payment runs in memory inside a savepoint, the writes go
//! to the database in bulk), commits once, and calls every payment's callback with its own
//! outcome. The leader goes on while payments wait, so batches grow with the load, and no
//! thread waits per payment: the server's request tasks await their callbacks. A payment's
//! failure rolls back its savepoint only; a refusal that must be kept (a spent code, a counted
//! failure) is kept like a success. Every outcome is handed out only after the batch committed,
//! so a success is still reported only once it is durable.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::overlay::Overlay;
use super::payments::ParsedPay;
use super::Paycode;
use crate::clock::{start_of_day, MILLIS_PER_MINUTE};
use crate::error::Error;
use crate::ids::{DeviceId, MerchantId, TradeId, UserId};
use crate::limits::{MAX_DRIFT_STEPS, MAX_PAYMENTS_PER_BATCH, MAX_SKEW_STEPS};
use crate::model::TradeRecord;
use crate::store::{StoreError, Transaction};

/// The queue of payments waiting for a batch, and whether a batch leader is running.
#[derive(Debug, Default)]
pub(super) struct Batcher {
    queue: Mutex<Queue>,
    batches_committed: AtomicU64,
    payments_committed: AtomicU64,
}

/// How much group commit has grouped so far, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchCounts {
    /// Batches committed.
    pub batches: u64,
    /// Payments committed in those batches.
    pub payments: u64,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<Job>,
    leading: bool,
}

/// What receives a payment's outcome: called once, on the leader's thread, after the
/// payment's batch committed (or failed).
pub type PaymentDone = Box<dyn FnOnce(Result<TradeRecord, Error>) + Send>;

/// One payment waiting for, or inside, a batch.
struct Job {
    merchant: MerchantId,
    pay: ParsedPay,
    done: PaymentDone,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Job")
            .field("merchant", &self.merchant)
            .field("pay", &self.pay)
            .finish_non_exhaustive()
    }
}

/// What happened to a payment inside a batch that has not committed yet: its outcome, valid
/// once the batch commits, or `None` when it lost a race with another transaction and runs
/// again on its own after the batch.
type Pending = Option<Result<TradeRecord, Error>>;

impl Batcher {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves the queue consistent (every change to it is a
        // single push, drain or flag write), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a leader's turn even if a batch panics: the flag is cleared so that the next payment
/// leads, and the jobs of the failed batch are dropped, which their callers see as an error.
struct Leading<'a>(&'a Batcher);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().leading = false;
        }
    }
}

impl Paycode {
    /// How many batches and payments group commit has committed since the start.
    pub fn batch_counts(&self) -> BatchCounts {
        BatchCounts {
            batches: self.batcher.batches_committed.load(Ordering::Relaxed),
            payments: self.batcher.payments_committed.load(Ordering::Relaxed),
        }
    }

    /// Queues a parsed payment for the next batch; `done` gets its outcome. Returns true when
    /// no batch leader is running: the caller must then call [`Paycode::lead_batches`] (on a
    /// thread that may block), or the payment waits forever.
    pub(super) fn enqueue(&self, merchant: MerchantId, pay: ParsedPay, done: PaymentDone) -> bool {
        let mut queue = self.batcher.lock();
        queue.waiting.push_back(Job {
            merchant,
            pay,
            done,
        });
        !std::mem::replace(&mut queue.leading, true)
    }

    /// Runs batches until no payment waits, after [`Paycode::submit_payment`] returned true.
    /// It blocks on the database: call it where blocking is allowed.
    /// Payments that arrive meanwhile join the next batch, so batches grow with the load.
    pub fn lead_batches(&self) {
        let _leading = Leading(&self.batcher);
        loop {
            let batch: Vec<Job> = {
                let mut queue = self.batcher.lock();
                if queue.waiting.is_empty() {
                    queue.leading = false;
                    return;
                }
                let count = queue.waiting.len().min(MAX_PAYMENTS_PER_BATCH);
                queue.waiting.drain(..count).collect()
            };
            // A panic inside a batch (a bug) must not strand the payments queued behind it:
            // this leader goes on with them. The failed batch's jobs were dropped while the
            // panic unwound, and their callers see an error.
            let payments = batch.len();
            let ran = panic::catch_unwind(AssertUnwindSafe(|| self.run_batch(batch)));
            if ran.is_err() {
                tracing::error!(payments, "a payment batch panicked; its payments failed");
            }
        }
    }

    /// Runs `batch` in one transaction and settles every job. If the transaction as a whole
    /// fails (a lost connection, a conflict at commit), every job runs again on its own.
    fn run_batch(&self, batch: Vec<Job>) {
        debug_assert!(!batch.is_empty() && batch.len() <= MAX_PAYMENTS_PER_BATCH);
        let pending = self
            .store
            .begin()
            .map_err(Error::from)
            .and_then(|mut transaction| {
                let mut overlay = Overlay::new(transaction.as_mut());
                self.load_batch(&mut overlay, &batch)?;
                let mut pending = batch
                    .iter()
                    .map(|job| self.run_in_savepoint(&mut overlay, job))
                    .collect::<Result<Vec<_>, Error>>()?;
                let trade_ids = overlay.flush(self.now())?;
                drop(overlay);
                for trade in pending.iter_mut().flatten().flatten() {
                    if trade.id == TradeId(0) {
                        trade.id = *trade_ids.get(&trade.trade_no).ok_or_else(|| {
                            Error::Internal("a batched trade got no id".to_owned())
                        })?;
                    }
                }
                transaction.commit()?;
                Ok(pending)
            });
        match pending {
            Ok(pending) => {
                self.batcher
                    .batches_committed
                    .fetch_add(1, Ordering::Relaxed);
                self.batcher
                    .payments_committed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, pending) in batch.into_iter().zip(pending) {
                    let outcome = match pending {
                        Some(outcome) => outcome,
                        None => self.pay_alone(&job),
                    };
                    self.settle(job, outcome);
                }
            }
            Err(error) => {
                tracing::debug!(%error, payments = batch.len(), "a payment batch failed; running its payments one by one");
                for job in batch {
                    let outcome = self.pay_alone(&job);
                    self.settle(job, outcome);
                }
            }
        }
    }

    /// Hands a job its outcome.
    fn settle(&self, job: Job, outcome: Result<TradeRecord, Error>) {
        (job.done)(outcome);
    }

    /// Locks and loads, in bulk, what the batch's payments will read, in the lock order of a
    /// single payment (docs/ARCHITECTURE.md): their merchants' references and trades, the
    /// merchants' failure counts of this minute, the devices their offline codes name with
    /// the codes those devices spent lately and their failure counts at every merchant, the
    /// devices' users with their balances and pin-free totals, and the merchants.
    fn load_batch(&self, overlay: &mut Overlay<'_>, batch: &[Job]) -> Result<(), Error> {
        let keys: Vec<(MerchantId, String)> = batch
            .iter()
            .map(|job| (job.merchant, job.pay.out_trade_no().to_owned()))
            .collect();
        overlay.load_trades(&keys)?;
        let merchants: Vec<MerchantId> = batch.iter().map(|job| job.merchant).collect();
        overlay.load_merchant_failures(&merchants, self.now().div_euclid(MILLIS_PER_MINUTE))?;
        let slots: Vec<DeviceId> = batch
            .iter()
            .filter_map(|job| self.offline_device(job.pay.code()))
            .collect();
        let now_seconds = self.clock.now_seconds();
        // A code is accepted within the skew around the server's step moved by the device's
        // drift, and the drift may move within the batch; every step such a code can have is
        // at or after this one.
        let earliest = MAX_SKEW_STEPS + MAX_DRIFT_STEPS.unsigned_abs();
        let devices = overlay.load_devices(&slots, |device| {
            (now_seconds / u64::from(device.period_seconds.max(1))).saturating_sub(earliest)
        })?;
        let users: Vec<UserId> = devices.iter().map(|device| device.user_id).collect();
        overlay.load_users(&users, start_of_day(self.now()))?;
        overlay.load_merchants(&merchants)?;
        Ok(())
    }

    /// Runs one job inside a savepoint, keeping its writes if it succeeded or was refused in a
    /// way that must be kept, and undoing them otherwise.
    fn run_in_savepoint(
        &self,
        transaction: &mut dyn Transaction,
        job: &Job,
    ) -> Result<Pending, Error> {
        transaction.savepoint()?;
        match self.pay_in(transaction, job.merchant, &job.pay) {
            Ok(decided) => {
                transaction.release_savepoint()?;
                Ok(Some(decided))
            }
            Err(Error::Store(StoreError::Conflict(_))) => {
                transaction.rollback_to_savepoint()?;
                Ok(None)
            }
            Err(error) => {
                transaction.rollback_to_savepoint()?;
                Ok(Some(Err(error)))
            }
        }
    }

    /// Runs one job in a transaction of its own, with the usual retries.
    fn pay_alone(&self, job: &Job) -> Result<TradeRecord, Error> {
        self.deciding(|transaction| self.pay_in(transaction, job.merchant, &job.pay))
    }
}
