//! Group commit of payments: concurrent payments share one durable transaction.
//!
//! A commit costs one flush to disk, which takes far longer than the work of a payment, so
//! committing each payment alone caps throughput at the disk's flush rate. Here a payment is
//! queued with a callback for its outcome, and one leader at a time takes every payment waiting
//! (up to [`MAX_PAYMENTS_PER_BATCH`]), runs them in one transaction (see `crate::engine`: the
//! rows their plan names are read and locked in bulk, each payment is decided in memory, the
//! writes go to the database in bulk), commits once, and calls every payment's callback with
//! its own outcome. The leader goes on while payments wait, so batches grow with the load, and
//! no thread waits per payment: the server's request tasks await their callbacks. A payment
//! that fails keeps none of its writes; a refusal that must be kept (a spent code, a counted
//! failure) is kept like a success. Every outcome is handed out only after the batch committed,
//! so a success is still reported only once it is durable.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::in_progress_on_duplicate;
use super::serial::serial_number;
use super::Paycode;
use crate::engine::{
    check_invariants, decide, prefetch, Alert, BatchTrade, Instant, Payment, PaymentWrites, Plan,
    Rules,
};
use crate::error::Error;
use crate::ids::TradeId;
use crate::limits::{MAX_PAYMENTS_PER_BATCH, MAX_TRANSACTION_RETRIES};
use crate::model::TradeRecord;
use crate::store::StoreError;

/// The queue of payments waiting for a batch, and whether a batch leader is running.
#[derive(Debug, Default)]
pub(super) struct Batcher {
    queue: Mutex<Queue>,
    batches_committed: AtomicU64,
    payments_committed: AtomicU64,
    /// Nanoseconds the committed batches spent in each [`Phase`], in its order.
    phase_nanos: [AtomicU64; Phase::ALL.len()],
}

/// The steps of a batch whose time is measured: where the time of a payment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading and locking what the plan names.
    Prefetch,
    /// Deciding every payment against the view.
    Decide,
    /// Checking the invariants and writing in bulk.
    Apply,
    /// The durable commit.
    Commit,
}

impl Phase {
    /// Every phase, in the order a batch runs them.
    pub const ALL: [Phase; 4] = [Phase::Prefetch, Phase::Decide, Phase::Apply, Phase::Commit];

    /// The phase's name, as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prefetch => "prefetch",
            Phase::Decide => "decide",
            Phase::Apply => "apply",
            Phase::Commit => "commit",
        }
    }
}

/// How much group commit has grouped so far, and how long its steps took, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchCounts {
    /// Batches committed.
    pub batches: u64,
    /// Payments committed in those batches.
    pub payments: u64,
    /// The time those batches spent in each phase of [`Phase::ALL`], in nanoseconds.
    pub phase_nanos: [u64; Phase::ALL.len()],
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<Job>,
    leading: bool,
}

/// The duty to run batches, handed to the one caller whose payment found no leader running:
/// until it calls [`Paycode::lead_batches`], its payment and every one queued after it wait.
#[must_use = "the queued payments wait until the holder of the leadership leads"]
#[derive(Debug)]
pub struct Leadership {
    _private: (),
}

/// What receives a payment's outcome: called once, on the leader's thread, after the
/// payment's batch committed (or failed).
pub type PaymentDone = Box<dyn FnOnce(Result<TradeRecord, Error>) + Send>;

/// One payment waiting for, or inside, a batch.
struct Job {
    payment: Payment,
    done: PaymentDone,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Job")
            .field("payment", &self.payment)
            .finish_non_exhaustive()
    }
}

impl Batcher {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves the queue consistent (every change to it is a
        // single push, drain or flag write), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Measures the phases of one batch.
struct PhaseTimer {
    last: std::time::Instant,
    nanos: [u64; Phase::ALL.len()],
}

impl PhaseTimer {
    fn start() -> Self {
        Self {
            last: std::time::Instant::now(),
            nanos: [0; Phase::ALL.len()],
        }
    }

    /// Ends `phase`: the time since the previous lap is its.
    fn lap(&mut self, phase: Phase) {
        let now = std::time::Instant::now();
        let elapsed = now.duration_since(self.last).as_nanos();
        self.nanos[phase as usize] = u64::try_from(elapsed).unwrap_or(u64::MAX);
        self.last = now;
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
            phase_nanos: std::array::from_fn(|phase| {
                self.batcher.phase_nanos[phase].load(Ordering::Relaxed)
            }),
        }
    }

    /// Queues a parsed payment for the next batch; `done` gets its outcome. Returns the
    /// [`Leadership`] when no batch leader is running: the caller must then lead.
    pub(super) fn enqueue(&self, payment: Payment, done: PaymentDone) -> Option<Leadership> {
        let mut queue = self.batcher.lock();
        queue.waiting.push_back(Job { payment, done });
        let someone_leads = std::mem::replace(&mut queue.leading, true);
        (!someone_leads).then_some(Leadership { _private: () })
    }

    /// Runs batches until no payment waits; only the holder of the [`Leadership`] that
    /// [`Paycode::submit_payment`] handed out may. It blocks on the database: call it where
    /// blocking is allowed. Payments that arrive meanwhile join the next batch, so batches
    /// grow with the load.
    pub fn lead_batches(&self, _leadership: Leadership) {
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

    /// Runs `batch` as one transaction and settles every job. If the transaction as a whole
    /// fails (a lost connection, a conflict at commit, a trade number drawn twice), every job
    /// runs again as a batch of its own, so nothing of the failed batch was stored and nothing
    /// is charged twice.
    fn run_batch(&self, batch: Vec<Job>) {
        debug_assert!(!batch.is_empty() && batch.len() <= MAX_PAYMENTS_PER_BATCH);
        match self.execute(&batch) {
            Ok(outcomes) => {
                self.batcher
                    .batches_committed
                    .fetch_add(1, Ordering::Relaxed);
                self.batcher
                    .payments_committed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    (job.done)(outcome);
                }
            }
            Err(error) => {
                tracing::debug!(%error, payments = batch.len(), "a payment batch failed; running its payments one by one");
                for job in batch {
                    let outcome = self.execute_alone(&job);
                    (job.done)(outcome);
                }
            }
        }
    }

    /// Runs one job as a batch of one, again from the start after a conflict, at most
    /// [`MAX_TRANSACTION_RETRIES`] times.
    fn execute_alone(&self, job: &Job) -> Result<TradeRecord, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.execute(std::slice::from_ref(job)) {
                Ok(mut outcomes) => {
                    return outcomes.pop().unwrap_or_else(|| {
                        Err(Error::Internal("a payment had no outcome".to_owned()))
                    })
                }
                Err(Error::Store(StoreError::Conflict(reason)))
                    if attempt < MAX_TRANSACTION_RETRIES =>
                {
                    tracing::debug!(attempt, %reason, "running a payment again after a conflict");
                }
                Err(Error::Store(error)) => return Err(in_progress_on_duplicate(error)),
                Err(error) => return Err(error),
            }
        }
    }

    /// The rules every decision of a batch follows.
    fn rules(&self) -> Rules<'_> {
        Rules {
            config: &self.config,
            keys: &self.keys,
            event_data: self.event_data.as_deref(),
        }
    }

    /// Prefetch, decide, apply: reads and locks what the jobs' plan names, decides each job in
    /// turn against that view (each seeing the writes of those before it), checks the ledger's
    /// invariants, writes everything in bulk and commits. The outcomes are valid only if this
    /// returns `Ok`: then they are durable.
    fn execute(&self, jobs: &[Job]) -> Result<Vec<Result<TradeRecord, Error>>, Error> {
        let at = Instant { millis: self.now() };
        let mut timer = PhaseTimer::start();
        let plan = Plan::new(
            jobs.iter().map(|job| &job.payment),
            at,
            self.config.skew_steps,
        );
        let mut transaction = self.store.begin()?;
        let mut view = prefetch(transaction.as_mut(), &plan)?;
        timer.lap(Phase::Prefetch);
        let rules = self.rules();
        let mut writes = Vec::new();
        let mut outcomes = Vec::with_capacity(jobs.len());
        let mut alerts = Vec::new();
        for job in jobs {
            let trade_no = serial_number(at.millis);
            let decided = decide(&rules, &view, &job.payment, &trade_no);
            view.absorb(&decided.writes)?;
            writes.extend(decided.writes);
            outcomes.push(decided.outcome);
            alerts.extend(decided.alert);
        }
        timer.lap(Phase::Decide);
        check_invariants(&view, &writes)?;
        let ids = transaction.apply(writes, at.minute(), at.millis)?;
        timer.lap(Phase::Apply);
        transaction.commit()?;
        timer.lap(Phase::Commit);
        for (total, nanos) in self.batcher.phase_nanos.iter().zip(timer.nanos) {
            total.fetch_add(nanos, Ordering::Relaxed);
        }
        let outcomes = outcomes
            .into_iter()
            .map(|outcome| outcome.and_then(|trade| stored(trade, &ids)))
            .collect();
        for alert in alerts {
            self.raise(alert);
        }
        Ok(outcomes)
    }

    /// Tells the operator about a lockout that a committed batch stored.
    fn raise(&self, alert: Alert) {
        match alert {
            Alert::LockedAtMerchant {
                device,
                merchant,
                failures,
            } => tracing::warn!(
                device = device.0,
                merchant = merchant.0,
                failures,
                "device refused at one merchant after failed verifications there"
            ),
            Alert::LockedEverywhere {
                device,
                failures,
                merchants,
            } => {
                self.global_lockouts.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    device = device.0,
                    failures,
                    merchants,
                    "device locked at every merchant after failed verifications at many \
                     merchants; someone may be guessing its codes"
                );
            }
        }
    }
}

/// A payment's trade as stored: one stored before the batch as it was found, a new one under
/// the id the store assigned to its trade number when the batch applied its writes.
fn stored(trade: BatchTrade, ids: &BTreeMap<String, TradeId>) -> Result<TradeRecord, Error> {
    match trade {
        BatchTrade::Stored(trade) => Ok(trade),
        BatchTrade::New(trade) => {
            let id = *ids
                .get(&trade.trade_no)
                .ok_or_else(|| Error::Internal("a batched trade got no id".to_owned()))?;
            Ok(trade.stored(id))
        }
    }
}
