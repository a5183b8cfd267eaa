//! The SQLite implementation of [`Store`].
//!
//! # Layout
//! This module holds the store and the transaction's plumbing (begin, commit, savepoints). The
//! transaction implements each role of the contract in a module of its own (`payments`,
//! `wallet`, `admin`, `reports`), whose methods run the statements of the modules that own
//! the tables (`trades`, `devices`, `users`...).
//!
//! # Concurrency
//! The store has one connection behind a mutex. [`Store::begin`] takes the mutex and runs
//! `BEGIN IMMEDIATE`; the returned transaction holds the mutex until it commits or is dropped
//! (dropping rolls back). So transactions of one store run one after the other: they are
//! serializable without row locks, the `lock_*` methods are plain reads, and
//! [`PaymentStore::lock_out_trade_no`] has nothing to do. Several processes sharing one file
//! also serialize, on SQLite's own write lock: a transaction that cannot get it within
//! [`BUSY_TIMEOUT`] fails with [`StoreError::Conflict`].
//!
//! # Durability
//! The journal is a write-ahead log with `synchronous=FULL`, so `COMMIT` returns only once the
//! log is on disk (SPEC section 3). A thread of the store checkpoints the log into the
//! database file, off the payment path ([`checkpoint`]).
//!
//! # Device slots
//! Slots are drawn at random by the domain (the trait's default
//! [`PaymentStore::allocate_device_slot`]), among those no stored device holds. A slot drawn by
//! a transaction that rolls back was stored nowhere and shown to nobody, so it may be drawn
//! again; a slot is never reused once a device was stored with it, revoked or not.
//!
//! [`PaymentStore::lock_out_trade_no`]: paycode_core::store::PaymentStore::lock_out_trade_no
//! [`PaymentStore::allocate_device_slot`]: paycode_core::store::PaymentStore::allocate_device_slot

mod admin;
mod checkpoint;
mod codes;
mod devices;
mod error;
mod events;
mod failures;
mod ledger;
mod merchants;
mod migrations;
mod payments;
mod reports;
mod rows;
mod settings;
mod statements;
mod trades;
mod users;
mod wallet;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use paycode_core::store::{Store, StoreError, StoreResult, Transaction};
use rusqlite::Connection;

use self::error::{Error, Result};

/// How long a transaction waits for another process's write lock before it reports a conflict.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The page size of a new database file: SQLite's smallest. The write-ahead log writes every
/// page a commit changed whole, and a batch of payments changes rows scattered over a few
/// indexes and tables (one page each per payment: a device, a user's postings, a till's
/// references), so the bytes a payment costs are about this size times the pages it touches
/// (docs/BENCHMARKS.md, "Where the time and the bytes go"). Every row of the payment path
/// fits in a 512-byte page; a webhook event's data may spill to an overflow page, which is
/// appended at the end of the file.
const PAGE_SIZE_BYTES: i64 = 512;
/// Prepared statements kept per connection; the store has about sixty distinct statements.
const STATEMENT_CACHE_CAPACITY: usize = 96;
/// Read-only connections beside the writer. The write-ahead log lets them read while the writer
/// writes; a few cover the concurrent credential checks and queries of a busy server.
const READER_CONNECTIONS: usize = 4;

/// paycode's state in one SQLite database file (or in memory, for tests).
pub struct SqliteStore {
    /// Declared first, so dropped first: the thread stops before the connections close.
    checkpointer: Option<checkpoint::Checkpointer>,
    connection: Arc<Mutex<Connection>>,
    /// Read-only connections for [`Store::begin_read`], so that credential checks and queries
    /// do not wait behind the writer; none for an in-memory database, which is one connection.
    readers: Vec<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it (readable by its owner only) when it does
    /// not exist, and applies every migration it has not had yet.
    ///
    /// Fails with [`StoreError::Unavailable`] when the file cannot be opened or created.
    pub fn open(path: &Path) -> std::result::Result<SqliteStore, StoreError> {
        create_private_file(path);
        let connection = Connection::open(path).map_err(Error::from)?;
        // Only a database without tables takes a page size; an existing one keeps its own.
        connection
            .pragma_update(None, "page_size", PAGE_SIZE_BYTES)
            .map_err(Error::from)?;
        enable_write_ahead_log(&connection)?;
        // The checkpointer checkpoints; the writer's commits never do.
        connection
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(Error::from)?;
        connection
            .pragma_update(
                None,
                "journal_size_limit",
                checkpoint::JOURNAL_SIZE_LIMIT_BYTES,
            )
            .map_err(Error::from)?;
        let mut store = Self::start(connection)?;
        store.checkpointer = Some(checkpoint::Checkpointer::start(
            path,
            Arc::clone(&store.connection),
        )?);
        // Opened after the writer has migrated, so that readers see the whole schema.
        store.readers = (0..READER_CONNECTIONS)
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<_>>()?;
        Ok(store)
    }

    /// Opens a fresh database that lives in memory and disappears with the store; for tests.
    /// It has no write-ahead log and no durability, and it is one connection, as an in-memory
    /// database must be to be seen whole.
    pub fn open_in_memory() -> std::result::Result<SqliteStore, StoreError> {
        let connection = Connection::open_in_memory().map_err(Error::from)?;
        Ok(Self::start(connection)?)
    }

    fn start(mut connection: Connection) -> Result<SqliteStore> {
        configure(&connection)?;
        migrations::apply(&mut connection)?;
        tracing::debug!("sqlite store opened and migrated");
        Ok(SqliteStore {
            checkpointer: None,
            connection: Arc::new(Mutex::new(connection)),
            readers: Vec::new(),
        })
    }
}

impl AsRef<dyn Store> for SqliteStore {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        self
    }
}

/// Creates the database file with mode 0600 before SQLite does, because SQLite creates it (and
/// then its `-wal` and `-shm` files, which copy its mode) readable by everyone under the usual
/// umask, and the file holds credential hashes and sealed secrets.
fn create_private_file(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // Any failure (the file exists already, the directory is missing) is left for SQLite to
    // report, so that it is classified like every other error of opening the database.
    drop(options.open(path));
}

fn open_reader(path: &Path) -> Result<Connection> {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(connection)
}

fn enable_write_ahead_log(connection: &Connection) -> Result<()> {
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(Error::Unsupported(
            "the database file does not support a write-ahead log",
        ))
    }
}

fn configure(connection: &Connection) -> Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

impl Store for SqliteStore {
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        // A poisoned mutex only means a thread panicked inside a transaction; that
        // transaction's drop already rolled it back, so the connection is fine to use.
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(Box::new(SqliteTransaction::begin(connection)?))
    }

    fn begin_read(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        if self.readers.is_empty() {
            return self.begin();
        }
        // Take a free reader if there is one; otherwise wait for the first.
        let connection = self
            .readers
            .iter()
            .find_map(|reader| reader.try_lock().ok())
            .unwrap_or_else(|| {
                self.readers[0]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
            });
        Ok(Box::new(SqliteTransaction::begin_deferred(connection)?))
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}

/// An open `BEGIN IMMEDIATE` transaction, holding the store's only connection.
struct SqliteTransaction<'store> {
    connection: MutexGuard<'store, Connection>,
}

impl<'store> SqliteTransaction<'store> {
    fn begin(connection: MutexGuard<'store, Connection>) -> Result<Self> {
        if !connection.is_autocommit() {
            // Only reachable if a previous transaction's rollback failed; start clean.
            connection.execute_batch("ROLLBACK")?;
        }
        connection.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTransaction { connection })
    }

    /// A transaction on a read-only connection: its snapshot starts at its first read.
    fn begin_deferred(connection: MutexGuard<'store, Connection>) -> Result<Self> {
        if !connection.is_autocommit() {
            connection.execute_batch("ROLLBACK")?;
        }
        connection.execute_batch("BEGIN DEFERRED")?;
        Ok(SqliteTransaction { connection })
    }
}

impl Drop for SqliteTransaction<'_> {
    fn drop(&mut self) {
        // After a successful COMMIT the connection is back in autocommit mode; after a failed
        // one, or without one, the transaction is still open and is rolled back here.
        if self.connection.is_autocommit() {
            return;
        }
        if let Err(error) = self.connection.execute_batch("ROLLBACK") {
            tracing::error!(%error, "sqlite rollback failed");
        }
    }
}

impl Transaction for SqliteTransaction<'_> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        Ok(self
            .connection
            .execute_batch("COMMIT")
            .map_err(Error::from)?)
    }
}
