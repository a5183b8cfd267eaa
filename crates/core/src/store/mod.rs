//! The storage contract the domain needs. `paycode-store` implements it for SQLite and
//! PostgreSQL, and runs one conformance suite against both.
//!
//! A use case opens one [`Transaction`], reads and writes through it, and commits. The
//! implementation must make every transaction serializable with respect to the others that
//! touch the same rows: SQLite does so with a single writer (`BEGIN IMMEDIATE`), PostgreSQL with
//! row locks (`SELECT ... FOR UPDATE` in the `lock_*` methods) and advisory locks. A transaction
//! dropped without [`Transaction::commit`] is rolled back. `commit` returns only once the
//! transaction is durable (SPEC section 3).
//!
//! What a transaction can do is split by the role that needs it, one trait a file, so that
//! each reads at once and each backend implements each role in a module of its own:
//! - [`PaymentStore`]: the payment path, from the trade and the device to the balances, with
//!   the bulk forms a batch of payments uses;
//! - [`WalletStore`]: users, their sessions and PIN attempts, their devices and online codes;
//! - [`AdminStore`]: settings, accounts, merchants and their keys, top-ups, webhooks and
//!   events, statements;
//! - [`ReportTransaction`]: the lists and counts of the till and the console.
//!
//! [`Transaction`] is all four together, with the commit and the savepoints; the use cases
//! take a `&mut dyn Transaction`.

mod admin;
mod payments;
mod wallet;

pub use self::admin::AdminStore;
pub use self::payments::{
    NewLedgerTransaction, PaymentStore, SpentOfflineCode, VerificationFailure,
};
pub use self::wallet::WalletStore;
pub use crate::reports::ReportTransaction;

/// How a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (a taken username, a duplicate reference).
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// The transaction lost a race (serialization failure, deadlock, busy database) and may be
    /// retried from the start.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: corrupt data, a failed migration, a driver error.
    #[error("{0}")]
    Other(String),
}

/// A short alias for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A database that paycode's state lives in.
pub trait Store: Send + Sync + 'static {
    /// Starts a read-write transaction.
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>>;

    /// Starts a transaction that only reads. It sees every transaction committed before it
    /// began, and a store may run it beside the writer instead of after it (SQLite does, on a
    /// read-only connection). Writing through it is a programmer error that the store may
    /// refuse. By default it is an ordinary transaction.
    fn begin_read(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        self.begin()
    }

    /// A short name for logs and metrics: `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
}

/// One open transaction: every role's reads and writes, made durable together by
/// [`Transaction::commit`]. Methods named `lock_*` read a row and keep it locked until the end
/// of the transaction, so that a read-check-write sequence cannot interleave with another one.
pub trait Transaction: PaymentStore + WalletStore + AdminStore + ReportTransaction {
    /// Makes every write durable; on error nothing was written.
    fn commit(self: Box<Self>) -> StoreResult<()>;
}
