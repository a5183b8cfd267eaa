//! The SQLite implementation of [`Store`].
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

mod checkpoint;
mod codes;
mod devices;
mod error;
mod events;
mod failures;
mod ledger;
mod merchants;
mod migrations;
mod reports;
mod rows;
mod settings;
mod statements;
mod trades;
mod users;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use paycode_core::clock::UnixMillis;
use paycode_core::days::DayRange;
use paycode_core::ids::{
    AccountId, ApiKeyId, DeviceId, EventId, LedgerTransactionId, MerchantId, SessionId, TradeId,
    UserId,
};
use paycode_core::model::{
    AccountKind, ApiKeyRecord, DeviceFailures, DeviceRecord, EventAttempt, EventRecord,
    LedgerEntry, LedgerKind, LedgerTotals, MerchantRecord, MerchantWebhook, NewEvent, NewSession,
    OnlineCodeRecord, PinAttempts, RefundRecord, SessionRecord, SettlementLine, StatementLine,
    TopupRecord, TradeRecord, UserRecord,
};
use paycode_core::reports::{
    ActivityCounts, RefusalCount, ReportTransaction, TradeListing, TradeQuery, TradeTotals,
};
use paycode_core::store::{
    AdminStore, PaymentStore, SpentOfflineCode, Store, StoreError, StoreResult, Transaction,
    WalletStore,
};
use rusqlite::Connection;

use self::error::{Error, Result};

/// How long a transaction waits for another process's write lock before it reports a conflict.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The page size of a new database file. The write-ahead log writes every page a commit
/// changed whole, and a batch of payments changes rows scattered over a few indexes and
/// tables (one page each per payment: a device, a user's postings, a till's references), so
/// the bytes a payment costs are about this size times the pages it touches
/// (docs/BENCHMARKS.md, "Where the time and the bytes go").
const PAGE_SIZE_BYTES: i64 = 1_024;
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

    fn savepoint(&mut self) -> StoreResult<()> {
        Ok(self
            .connection
            .execute_batch("SAVEPOINT job")
            .map_err(Error::from)?)
    }

    fn release_savepoint(&mut self) -> StoreResult<()> {
        Ok(self
            .connection
            .execute_batch("RELEASE job")
            .map_err(Error::from)?)
    }

    fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        // ROLLBACK TO leaves the savepoint on the stack; RELEASE removes it, so that savepoints
        // never pile up over a long batch.
        Ok(self
            .connection
            .execute_batch("ROLLBACK TO job; RELEASE job")
            .map_err(Error::from)?)
    }
}

impl PaymentStore for SqliteTransaction<'_> {
    /// A plain read: the transaction already excludes every other one.
    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64> {
        Ok(ledger::balance(&self.connection, account)?)
    }

    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId> {
        Ok(ledger::post_transaction(
            &self.connection,
            kind,
            reference,
            postings,
            created_at,
        )?)
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        Ok(users::user(&self.connection, id)?)
    }

    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        Ok(merchants::merchant(&self.connection, id)?)
    }

    fn insert_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        Ok(devices::insert_device(&self.connection, device)?)
    }

    fn device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        Ok(devices::device(&self.connection, id)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        Ok(devices::device(&self.connection, id)?)
    }

    fn devices_page(
        &mut self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        Ok(devices::devices_page(&self.connection, after, limit)?)
    }

    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        Ok(devices::update_device(&self.connection, device)?)
    }

    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()> {
        Ok(devices::insert_verification_failure(
            &self.connection,
            device,
            merchant,
            reason,
            at,
        )?)
    }

    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>> {
        Ok(failures::failures_of_device(&self.connection, device)?)
    }

    fn put_device_failures(&mut self, failures: &DeviceFailures) -> StoreResult<()> {
        Ok(failures::put_device_failures(&self.connection, failures)?)
    }

    fn clear_device_failures(&mut self, device: DeviceId) -> StoreResult<u64> {
        Ok(failures::clear_device_failures(&self.connection, device)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32> {
        Ok(failures::merchant_failures(
            &self.connection,
            merchant,
            minute,
        )?)
    }

    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        failures: u32,
    ) -> StoreResult<()> {
        Ok(failures::add_merchant_failures(
            &self.connection,
            merchant,
            minute,
            failures,
        )?)
    }

    fn delete_verification_failures_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        Ok(failures::delete_verification_failures_before(
            &self.connection,
            before,
            limit,
        )?)
    }

    fn delete_merchant_failures_before(&mut self, minute: i64) -> StoreResult<u64> {
        Ok(failures::delete_merchant_failures_before(
            &self.connection,
            minute,
        )?)
    }

    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        Ok(codes::spend_offline_code(
            &self.connection,
            device,
            step,
            index,
            at,
        )?)
    }

    fn spent_offline_codes_from(
        &mut self,
        from: &[(DeviceId, u64)],
    ) -> StoreResult<Vec<SpentOfflineCode>> {
        Ok(codes::spent_offline_codes_from(&self.connection, from)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>> {
        Ok(codes::online_code(&self.connection, code_hash)?)
    }

    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool> {
        Ok(codes::spend_online_code(&self.connection, code_hash, at)?)
    }

    /// Nothing to do: this transaction already excludes every other one of the store, so
    /// concurrent duplicates of an `out_trade_no` run one after the other anyway.
    fn lock_out_trade_no(&mut self, _merchant: MerchantId, _out_trade_no: &str) -> StoreResult<()> {
        Ok(())
    }

    fn insert_trade(&mut self, trade: &TradeRecord) -> StoreResult<TradeId> {
        Ok(trades::insert_trade(&self.connection, trade)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>> {
        Ok(trades::trade_by_out_trade_no(
            &self.connection,
            merchant,
            out_trade_no,
        )?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_trade_by_trade_no(&mut self, trade_no: &str) -> StoreResult<Option<TradeRecord>> {
        Ok(trades::trade_by_trade_no(&self.connection, trade_no)?)
    }

    fn update_trade(&mut self, trade: &TradeRecord) -> StoreResult<()> {
        Ok(trades::update_trade(&self.connection, trade)?)
    }

    fn user_paying_trades_of_user(&mut self, user: UserId) -> StoreResult<Vec<TradeRecord>> {
        Ok(trades::user_paying_trades_of_user(&self.connection, user)?)
    }

    fn overdue_user_paying_trades(
        &mut self,
        now: UnixMillis,
        limit: usize,
    ) -> StoreResult<Vec<TradeRecord>> {
        Ok(trades::overdue_user_paying_trades(
            &self.connection,
            now,
            limit,
        )?)
    }

    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64> {
        Ok(trades::pin_free_total_of_day(&self.connection, user, day)?)
    }

    fn insert_refund(&mut self, refund: &RefundRecord) -> StoreResult<()> {
        Ok(trades::insert_refund(&self.connection, refund)?)
    }

    fn refund_by_out_refund_no(
        &mut self,
        trade: TradeId,
        out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        Ok(trades::refund_by_out_refund_no(
            &self.connection,
            trade,
            out_refund_no,
        )?)
    }

    fn refunds_of_trade(&mut self, trade: TradeId) -> StoreResult<Vec<RefundRecord>> {
        Ok(trades::refunds_of_trade(&self.connection, trade)?)
    }
}

impl WalletStore for SqliteTransaction<'_> {
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        Ok(ledger::account_history(
            &self.connection,
            account,
            before,
            limit,
        )?)
    }

    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId> {
        Ok(users::insert_user(
            &self.connection,
            username,
            password_hash,
            account,
            created_at,
        )?)
    }

    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(users::user_by_username(&self.connection, username)?)
    }

    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()> {
        Ok(users::set_pin_hash(&self.connection, id, pin_hash)?)
    }

    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>> {
        // The single writer holds the whole database, so reading is locking.
        Ok(users::pin_attempts(&self.connection, user)?)
    }

    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()> {
        Ok(users::put_pin_attempts(&self.connection, user, attempts)?)
    }

    fn insert_session(&mut self, session: &NewSession) -> StoreResult<SessionId> {
        Ok(users::insert_session(&self.connection, session)?)
    }

    fn session(&mut self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        Ok(users::session(&self.connection, token_hash)?)
    }

    fn sessions_of_user(&mut self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        Ok(users::sessions_of_user(&self.connection, user)?)
    }

    fn touch_session(&mut self, id: SessionId, at: UnixMillis) -> StoreResult<()> {
        Ok(users::touch_session(&self.connection, id, at)?)
    }

    fn delete_session(&mut self, user: UserId, id: SessionId) -> StoreResult<bool> {
        Ok(users::delete_session(&self.connection, user, id)?)
    }

    fn delete_other_sessions(&mut self, user: UserId, keep: SessionId) -> StoreResult<u64> {
        Ok(users::delete_other_sessions(&self.connection, user, keep)?)
    }

    fn delete_expired_sessions(&mut self, before: UnixMillis) -> StoreResult<u64> {
        Ok(users::delete_expired_sessions(&self.connection, before)?)
    }

    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        Ok(devices::devices_of_user(&self.connection, user)?)
    }

    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()> {
        Ok(codes::insert_online_code(&self.connection, code)?)
    }

    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64> {
        Ok(codes::expire_online_codes_of_device(
            &self.connection,
            device,
            at,
        )?)
    }

    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64> {
        Ok(codes::delete_expired_online_codes(
            &self.connection,
            before,
        )?)
    }
}

impl AdminStore for SqliteTransaction<'_> {
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(settings::get(&self.connection, name)?)
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        Ok(settings::put(&self.connection, name, value)?)
    }

    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        if settings::insert(&self.connection, name, value)? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("setting"))
        }
    }

    fn insert_account(
        &mut self,
        kind: AccountKind,
        created_at: UnixMillis,
    ) -> StoreResult<AccountId> {
        Ok(ledger::insert_account(&self.connection, kind, created_at)?)
    }

    fn issuance_account(&mut self) -> StoreResult<AccountId> {
        Ok(ledger::issuance_account(&self.connection)?)
    }

    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals> {
        Ok(ledger::totals(&self.connection)?)
    }

    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        Ok(users::users_page(
            &self.connection,
            username_prefix,
            after,
            limit,
        )?)
    }

    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>> {
        Ok(merchants::merchants_page(&self.connection, after, limit)?)
    }

    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId> {
        Ok(merchants::insert_merchant(
            &self.connection,
            name,
            account,
            created_at,
        )?)
    }

    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        // The single writer holds the whole database, so reading is locking.
        self.merchant(id)
    }

    fn insert_api_key(
        &mut self,
        merchant: MerchantId,
        key_hash: &[u8],
        created_at: UnixMillis,
    ) -> StoreResult<ApiKeyId> {
        Ok(merchants::insert_api_key(
            &self.connection,
            merchant,
            key_hash,
            created_at,
        )?)
    }

    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        Ok(merchants::api_key_by_hash(&self.connection, key_hash)?)
    }

    fn api_keys_of_merchant(&mut self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        Ok(merchants::api_keys_of_merchant(&self.connection, merchant)?)
    }

    fn revoke_api_key(
        &mut self,
        merchant: MerchantId,
        key: ApiKeyId,
        revoked_at: UnixMillis,
    ) -> StoreResult<bool> {
        Ok(merchants::revoke_api_key(
            &self.connection,
            merchant,
            key,
            revoked_at,
        )?)
    }

    fn topup(&mut self, reference: &str) -> StoreResult<Option<TopupRecord>> {
        Ok(ledger::topup(&self.connection, reference)?)
    }

    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()> {
        Ok(ledger::insert_topup(&self.connection, topup)?)
    }

    fn set_merchant_webhook(
        &mut self,
        merchant: MerchantId,
        webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool> {
        Ok(merchants::set_merchant_webhook(
            &self.connection,
            merchant,
            webhook,
        )?)
    }

    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()> {
        Ok(events::insert_event(&self.connection, event)?)
    }

    fn events_of_merchant(
        &mut self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        Ok(events::events_of_merchant(
            &self.connection,
            merchant,
            before,
            limit,
        )?)
    }

    fn claim_due_events(
        &mut self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        Ok(events::claim_due_events(
            &self.connection,
            now,
            lease_until,
            limit,
        )?)
    }

    fn finish_event_attempts(&mut self, attempts: &[EventAttempt]) -> StoreResult<u64> {
        Ok(events::finish_event_attempts(&self.connection, attempts)?)
    }

    fn redeliver_event(
        &mut self,
        merchant: MerchantId,
        event: EventId,
        at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>> {
        Ok(events::redeliver_event(
            &self.connection,
            merchant,
            event,
            at,
        )?)
    }

    fn pending_event_count(&mut self) -> StoreResult<u64> {
        Ok(events::pending_event_count(&self.connection)?)
    }

    fn delete_finished_events_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        Ok(events::delete_finished_events_before(
            &self.connection,
            before,
            limit,
        )?)
    }

    fn statement_lines(
        &mut self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>> {
        Ok(statements::statement_lines(
            &self.connection,
            merchant,
            from,
            to,
            limit,
        )?)
    }

    fn settlement_lines(
        &mut self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>> {
        Ok(statements::settlement_lines(&self.connection, from, to)?)
    }
}

impl ReportTransaction for SqliteTransaction<'_> {
    fn trades_page(&mut self, query: &TradeQuery) -> StoreResult<Vec<TradeListing>> {
        Ok(reports::trades_page(&self.connection, query)?)
    }

    fn trade_totals(
        &mut self,
        merchant: MerchantId,
        created: DayRange,
    ) -> StoreResult<TradeTotals> {
        Ok(reports::trade_totals(&self.connection, merchant, created)?)
    }

    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()> {
        Ok(reports::add_refusals(&self.connection, counts)?)
    }

    fn activity_counts(
        &mut self,
        day: DayRange,
        now: UnixMillis,
        paid_within: i64,
    ) -> StoreResult<ActivityCounts> {
        Ok(reports::activity_counts(
            &self.connection,
            day,
            now,
            paid_within,
        )?)
    }
}
