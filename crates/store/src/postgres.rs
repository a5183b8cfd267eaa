//! The PostgreSQL implementation of [`Store`], for running any number of server instances on
//! one database (SPEC section 5).
//!
//! # Concurrency
//! Each transaction has a connection of its own from a bounded pool and runs at PostgreSQL's
//! `READ COMMITTED` level. The read-check-write sequences of the domain are made serializable
//! by explicit locks, which hold across every connection of every server instance:
//! - the `lock_*` methods read with `SELECT ... FOR UPDATE`, so the row stays locked until the
//!   transaction ends;
//! - [`PaymentStore::lock_out_trade_no`] takes a transaction advisory lock on a 64-bit hash of
//!   the merchant and the `out_trade_no`, which works before any row exists;
//! - [`PaymentStore::post_transaction`] updates balances in ascending account order, so two
//!   transfers between the same accounts lock them in the same order;
//! - the bulk forms that lock (a batch's `out_trade_no`s, trades, devices, balances) do so in
//!   one statement each, in ascending key order, so two batches cannot deadlock;
//! - a merchant's failure count of the minute is locked by an upsert, which works before the
//!   row exists; a device's failure counts at every merchant are guarded by the device's lock;
//! - spending an offline code inserts into a primary key with `ON CONFLICT DO NOTHING`: a
//!   concurrent duplicate waits for the first transaction, then inserts nothing.
//!
//! A deadlock or serialization failure that PostgreSQL reports anyway is a
//! [`StoreError::Conflict`], which the domain retries.
//!
//! # Failed statements
//! PostgreSQL refuses every statement of a transaction after one has failed, and its `COMMIT`
//! then quietly rolls back. The inserts whose duplicates the contract expects (a username, a
//! top-up reference, an online code, an `out_trade_no`, an `out_refund_no`) therefore use
//! `ON CONFLICT DO NOTHING` and report [`StoreError::Duplicate`] without failing, so the
//! transaction stays usable as it does on SQLite. After any other failed statement the
//! transaction refuses further work, and [`Transaction::commit`] returns an error instead of
//! pretending to have written anything.
//!
//! # Durability
//! Every connection sets `synchronous_commit = on`, whatever the server's configuration says,
//! so `COMMIT` returns only once the commit record is flushed to disk (SPEC section 3).
//!
//! # Device slots
//! Slots are drawn at random by the domain (the trait's default
//! [`PaymentStore::allocate_device_slot`]) among those no stored device holds; the primary key
//! refuses the second of two enrollments that drew the same slot at once.
//!
//! # Connections
//! Connections are not encrypted (the store connects without TLS): run the database on the
//! same host or a private network, or reach it through a Unix socket.

mod codes;
mod devices;
mod error;
mod events;
mod failures;
mod ledger;
mod merchants;
mod migrations;
mod pool;
mod reports;
mod rows;
mod settings;
mod statements;
mod trades;
mod users;

use std::io::Write;
use std::sync::Once;
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
    AdminStore, NewLedgerTransaction, PaymentStore, SpentOfflineCode, Store, StoreError,
    StoreResult, Transaction, VerificationFailure, WalletStore,
};
use sha2::{Digest, Sha256};

use self::error::{Error, Result};
use self::pool::{Connection, Pool, Pooled};
pub use self::pool::{PoolStatus, CHECKOUT_TIMEOUT};

/// How long opening a connection may take when the URL does not say (`connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a connection may sit in an open transaction without sending a statement before
/// the server ends its session. A transaction of paycode is a few statements long; one that
/// idles this long was leaked, and the locks it holds would otherwise block every payment of
/// the same user or merchant.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that names the database the PostgreSQL tests use.
pub const TEST_DATABASE_URL_VARIABLE: &str = "PAYCODE_TEST_DATABASE_URL";

/// The longest identifier PostgreSQL keeps whole, in bytes.
const MAX_SCHEMA_NAME_BYTES: usize = 63;

/// paycode's state in a PostgreSQL database, shared by any number of server instances.
pub struct PostgresStore {
    pool: Pool,
    /// Part of every advisory lock key, so that stores in different schemas of one database
    /// (test runs, several deployments) do not wait for each other's locks.
    lock_namespace: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL is left out on purpose: it may hold a password.
        formatter
            .debug_struct("PostgresStore")
            .field("schema", &self.lock_namespace)
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
    /// the `key=value` form), applies every migration it has not had yet, and keeps up to
    /// `pool_size` connections for transactions. The tables live in the first schema of the
    /// connection's search path (`public` unless the URL's `options` say otherwise).
    ///
    /// Fails with [`StoreError::Unavailable`] when the server cannot be reached, and with
    /// [`StoreError::Other`] when the URL is malformed, `pool_size` is 0, the server refuses
    /// the login, or a migration fails.
    pub fn connect(url: &str, pool_size: u32) -> std::result::Result<PostgresStore, StoreError> {
        Ok(Self::start(url, None, pool_size)?)
    }

    /// Like [`PostgresStore::connect`], but keeps every table in `schema`, which is created
    /// if it does not exist: every pooled connection sets its search path to it. Tests use a
    /// fresh schema each; a deployment may use one to share a database with other programs.
    ///
    /// `schema` is lowercase ASCII letters, digits and underscores, not starting with a digit,
    /// at most 63 bytes; anything else fails with [`StoreError::Other`].
    pub fn connect_with_schema(
        url: &str,
        schema: &str,
        pool_size: u32,
    ) -> std::result::Result<PostgresStore, StoreError> {
        if !is_plain_identifier(schema) {
            return Err(
                Error::Config("the schema name must be a plain lowercase identifier").into(),
            );
        }
        Ok(Self::start(url, Some(schema), pool_size)?)
    }

    /// How many connections the store has open and idle now.
    pub fn pool_status(&self) -> PoolStatus {
        self.pool.status()
    }

    fn start(url: &str, schema: Option<&str>, pool_size: u32) -> Result<PostgresStore> {
        if pool_size == 0 {
            return Err(Error::Config(
                "the connection pool needs at least one connection",
            ));
        }
        // The parser's error is not shown: it may quote the URL, password and all.
        let mut config: postgres::Config = url
            .parse()
            .map_err(|_| Error::Config("the database URL is malformed"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("paycode");
        }
        let quoted_schema = schema.map(|name| format!("\"{name}\""));
        let pool = Pool::new(config, session_setup(quoted_schema.as_deref()), pool_size);
        let lock_namespace = schema.unwrap_or_default().to_owned();

        let mut connection = pool.checkout()?;
        let migration_lock = advisory_lock_key(&[b"paycode.migrations", lock_namespace.as_bytes()]);
        if let Err(error) =
            migrations::apply(&mut connection, migration_lock, quoted_schema.as_deref())
        {
            connection.discard();
            return Err(error);
        }
        drop(connection);
        tracing::debug!(
            schema = lock_namespace,
            "postgres store connected and migrated"
        );
        Ok(PostgresStore {
            pool,
            lock_namespace,
        })
    }
}

impl AsRef<dyn Store> for PostgresStore {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        self
    }
}

/// What every new connection runs before its first transaction. `synchronous_commit` is set
/// even though `on` is PostgreSQL's default, because a server or role setting could weaken it
/// and a payment must not be reported before it is durable.
fn session_setup(quoted_schema: Option<&str>) -> String {
    let mut setup = format!(
        "SET synchronous_commit = on; \
         SET idle_in_transaction_session_timeout = {}; ",
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
    );
    if let Some(schema) = quoted_schema {
        setup.push_str(&format!("SET search_path TO {schema}; "));
    }
    setup
}

/// A name that needs no quoting and means the same quoted or not, so it can be put in SQL.
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    let starts_well = bytes
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == b'_');
    starts_well
        && name.len() <= MAX_SCHEMA_NAME_BYTES
        && bytes.all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// A 64-bit advisory lock key: the first eight bytes of SHA-256 over the length-prefixed
/// fields. Every instance computes the same key for the same fields, whatever its platform or
/// version of PostgreSQL (unlike `hashtext`, whose values are not promised to stay the same);
/// two different field lists that collide only make two transactions wait for each other.
fn advisory_lock_key(fields: &[&[u8]]) -> i64 {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    let digest = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The database URL for PostgreSQL tests, from [`TEST_DATABASE_URL_VARIABLE`]
/// (`PAYCODE_TEST_DATABASE_URL`), e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
///
/// When the variable is unset or empty, a test should skip itself: this prints one line to
/// standard error saying so (once per process) and returns `None`. Under CI (the `CI`
/// variable is set) a missing database is a failure, never a skip, so it panics instead.
pub fn test_database_url() -> Option<String> {
    static SKIPPING: Once = Once::new();
    match std::env::var(TEST_DATABASE_URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{TEST_DATABASE_URL_VARIABLE} is not set, and CI is: the PostgreSQL tests must run \
             in CI; start PostgreSQL and set {TEST_DATABASE_URL_VARIABLE}"
        ),
        _ => {
            // Written to the process's standard error directly: the test harness captures
            // `eprintln!` of a passing test, and a skip must be seen.
            SKIPPING.call_once(|| {
                let line =
                    format!("{TEST_DATABASE_URL_VARIABLE} is not set; skipping PostgreSQL tests\n");
                drop(std::io::stderr().write_all(line.as_bytes()));
            });
            None
        }
    }
}

impl Store for PostgresStore {
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        Ok(Box::new(PostgresTransaction::begin(self)?))
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }
}

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Open and usable.
    Open,
    /// A statement failed; PostgreSQL refuses the rest, so the store does too.
    Failed,
    /// Committed; there is nothing to roll back.
    Committed,
}

/// An open `READ COMMITTED` transaction on a pooled connection of its own.
struct PostgresTransaction<'store> {
    connection: Pooled<'store>,
    lock_namespace: &'store str,
    state: State,
}

impl<'store> PostgresTransaction<'store> {
    /// Begins on a pooled connection. An idle connection that the server has closed since it
    /// was last used (after a restart, say) shows it only now; it is closed and the next one
    /// tried, which is safe because nothing was sent but `BEGIN`. Each attempt discards one
    /// connection, so after as many attempts as the pool has connections, the pool opens a
    /// fresh one.
    fn begin(store: &'store PostgresStore) -> Result<Self> {
        let mut attempts_left = store.pool.max_size();
        loop {
            let mut connection = store.pool.checkout()?;
            match connection.batch("BEGIN ISOLATION LEVEL READ COMMITTED") {
                Ok(()) => {
                    return Ok(PostgresTransaction {
                        connection,
                        lock_namespace: &store.lock_namespace,
                        state: State::Open,
                    })
                }
                Err(error) => {
                    connection.discard();
                    if !error.is_lost_connection() || attempts_left == 0 {
                        return Err(error);
                    }
                    tracing::info!(%error, "replacing a postgres connection the server closed");
                    attempts_left -= 1;
                }
            }
        }
    }

    /// The advisory lock key of a merchant's `out_trade_no` in this store's schema.
    fn out_trade_no_lock_key(&self, merchant: MerchantId, out_trade_no: &str) -> i64 {
        advisory_lock_key(&[
            b"paycode.out_trade_no",
            self.lock_namespace.as_bytes(),
            &merchant.0.to_be_bytes(),
            out_trade_no.as_bytes(),
        ])
    }

    /// Runs one operation of the transaction, and remembers a failure that PostgreSQL saw.
    fn run<T>(&mut self, operation: impl FnOnce(&mut Connection) -> Result<T>) -> StoreResult<T> {
        if self.state != State::Open {
            return Err(Error::Aborted.into());
        }
        let result = operation(&mut self.connection);
        if result.as_ref().is_err_and(Error::aborts_transaction) {
            self.state = State::Failed;
        }
        Ok(result?)
    }
}

impl Drop for PostgresTransaction<'_> {
    fn drop(&mut self) {
        if self.state == State::Committed {
            return;
        }
        // The pooled connection must go back outside any transaction. A connection that
        // cannot even roll back is broken, and closing it is the only safe way to end its
        // transaction (the server rolls back a transaction whose session ends).
        if let Err(error) = self.connection.batch("ROLLBACK") {
            tracing::warn!(%error, "postgres rollback failed; closing the connection");
            self.connection.discard();
        }
    }
}

impl ReportTransaction for PostgresTransaction<'_> {
    fn trades_page(&mut self, query: &TradeQuery) -> StoreResult<Vec<TradeListing>> {
        self.run(|connection| reports::trades_page(connection, query))
    }

    fn trade_totals(
        &mut self,
        merchant: MerchantId,
        created: DayRange,
    ) -> StoreResult<TradeTotals> {
        self.run(|connection| reports::trade_totals(connection, merchant, created))
    }

    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()> {
        self.run(|connection| reports::add_refusals(connection, counts))
    }

    fn activity_counts(
        &mut self,
        day: DayRange,
        now: UnixMillis,
        paid_within: i64,
    ) -> StoreResult<ActivityCounts> {
        self.run(|connection| reports::activity_counts(connection, day, now, paid_within))
    }
}

impl Transaction for PostgresTransaction<'_> {
    /// Fails without writing anything if a statement of the transaction failed before: then
    /// PostgreSQL would roll back on `COMMIT` and still report success. If the connection is
    /// lost during `COMMIT`, the outcome is unknown and the error is
    /// [`StoreError::Unavailable`].
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        if self.state != State::Open {
            return Err(Error::Aborted.into());
        }
        self.connection.batch("COMMIT")?;
        self.state = State::Committed;
        Ok(())
    }

    fn savepoint(&mut self) -> StoreResult<()> {
        self.run(|connection| connection.batch("SAVEPOINT job"))
    }

    fn release_savepoint(&mut self) -> StoreResult<()> {
        self.run(|connection| connection.batch("RELEASE SAVEPOINT job"))
    }

    /// Also the way out of a failed statement: PostgreSQL accepts `ROLLBACK TO SAVEPOINT` in an
    /// aborted transaction and makes it usable again.
    fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        if self.state == State::Committed {
            return Err(Error::Aborted.into());
        }
        self.connection
            .batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")?;
        self.state = State::Open;
        Ok(())
    }
}

impl PaymentStore for PostgresTransaction<'_> {
    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64> {
        self.run(|connection| ledger::lock_balance(connection, account))
    }

    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId> {
        self.run(|connection| {
            ledger::post_transaction(connection, kind, reference, postings, created_at)
        })
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        self.run(|connection| users::user(connection, id))
    }

    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        self.run(|connection| merchants::merchant(connection, id))
    }

    fn insert_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        self.run(|connection| devices::insert_device(connection, device))
    }

    fn device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        self.run(|connection| devices::device(connection, id))
    }

    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        self.run(|connection| devices::lock_device(connection, id))
    }

    fn devices_page(
        &mut self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::devices_page(connection, after, limit))
    }

    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        self.run(|connection| devices::update_device(connection, device))
    }

    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()> {
        self.run(|connection| {
            devices::insert_verification_failure(connection, device, merchant, reason, at)
        })
    }

    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>> {
        self.run(|connection| failures::failures_of_devices(connection, &[device]))
    }

    fn put_device_failures(&mut self, counts: &DeviceFailures) -> StoreResult<()> {
        self.run(|connection| failures::put_devices_failures(connection, &[*counts]))
    }

    fn clear_device_failures(&mut self, device: DeviceId) -> StoreResult<u64> {
        self.run(|connection| failures::clear_device_failures(connection, device))
    }

    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32> {
        self.run(|connection| failures::lock_merchant_failures(connection, merchant, minute))
    }

    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        added: u32,
    ) -> StoreResult<()> {
        self.run(|connection| {
            failures::add_merchants_failures(connection, &[(merchant, added)], minute)
        })
    }

    fn delete_verification_failures_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        self.run(|connection| {
            failures::delete_verification_failures_before(connection, before, limit)
        })
    }

    fn delete_merchant_failures_before(&mut self, minute: i64) -> StoreResult<u64> {
        self.run(|connection| failures::delete_merchant_failures_before(connection, minute))
    }

    fn spent_offline_codes_from(
        &mut self,
        from: &[(DeviceId, u64)],
    ) -> StoreResult<Vec<SpentOfflineCode>> {
        self.run(|connection| codes::spent_offline_codes_from(connection, from))
    }

    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        self.run(|connection| codes::spend_offline_code(connection, device, step, index, at))
    }

    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>> {
        self.run(|connection| codes::lock_online_code(connection, code_hash))
    }

    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool> {
        self.run(|connection| codes::spend_online_code(connection, code_hash, at))
    }

    /// Takes a transaction advisory lock on a hash of the store's schema, the merchant and
    /// the `out_trade_no`; PostgreSQL releases it when the transaction ends.
    fn lock_out_trade_no(&mut self, merchant: MerchantId, out_trade_no: &str) -> StoreResult<()> {
        let key = self.out_trade_no_lock_key(merchant, out_trade_no);
        self.run(|connection| {
            connection.execute("SELECT pg_advisory_xact_lock($1)", &[&key])?;
            Ok(())
        })
    }

    fn insert_trade(&mut self, trade: &TradeRecord) -> StoreResult<TradeId> {
        self.run(|connection| trades::insert_trade(connection, trade))?
            .ok_or(StoreError::Duplicate("out_trade_no"))
    }

    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>> {
        self.run(|connection| {
            trades::lock_trade_by_out_trade_no(connection, merchant, out_trade_no)
        })
    }

    fn lock_trade_by_trade_no(&mut self, trade_no: &str) -> StoreResult<Option<TradeRecord>> {
        self.run(|connection| trades::lock_trade_by_trade_no(connection, trade_no))
    }

    fn update_trade(&mut self, trade: &TradeRecord) -> StoreResult<()> {
        self.run(|connection| trades::update_trade(connection, trade))
    }

    fn user_paying_trades_of_user(&mut self, user: UserId) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::user_paying_trades_of_user(connection, user))
    }

    fn overdue_user_paying_trades(
        &mut self,
        now: UnixMillis,
        limit: usize,
    ) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::overdue_user_paying_trades(connection, now, limit))
    }

    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64> {
        self.run(|connection| trades::pin_free_total_of_day(connection, user, day))
    }

    /// Takes the advisory locks of [`PaymentStore::lock_out_trade_no`] in one statement, in
    /// ascending order of their keys (the order of the hashes, not of the merchants and
    /// numbers, which is as good for avoiding deadlocks). The subquery's `ORDER BY` makes
    /// PostgreSQL sort the keys before it calls the lock function on any of them.
    fn lock_out_trade_nos(&mut self, keys: &[(MerchantId, String)]) -> StoreResult<()> {
        let mut keys: Vec<i64> = keys
            .iter()
            .map(|(merchant, out_trade_no)| self.out_trade_no_lock_key(*merchant, out_trade_no))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        self.run(|connection| {
            connection.execute(
                "SELECT pg_advisory_xact_lock(k)
                 FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS sorted",
                &[&keys],
            )?;
            Ok(())
        })
    }

    fn lock_trades_by_out_trade_nos(
        &mut self,
        keys: &[(MerchantId, String)],
    ) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::lock_trades_by_out_trade_nos(connection, keys))
    }

    fn lock_devices(&mut self, ids: &[DeviceId]) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::lock_devices(connection, ids))
    }

    fn failures_of_devices(&mut self, devices: &[DeviceId]) -> StoreResult<Vec<DeviceFailures>> {
        self.run(|connection| failures::failures_of_devices(connection, devices))
    }

    fn put_devices_failures(&mut self, counts: &[DeviceFailures]) -> StoreResult<()> {
        self.run(|connection| failures::put_devices_failures(connection, counts))
    }

    fn lock_merchants_failures(
        &mut self,
        merchants: &[MerchantId],
        minute: i64,
    ) -> StoreResult<Vec<(MerchantId, u32)>> {
        self.run(|connection| failures::lock_merchants_failures(connection, merchants, minute))
    }

    fn add_merchants_failures(
        &mut self,
        counts: &[(MerchantId, u32)],
        minute: i64,
    ) -> StoreResult<()> {
        self.run(|connection| failures::add_merchants_failures(connection, counts, minute))
    }

    fn users(&mut self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>> {
        self.run(|connection| users::users(connection, ids))
    }

    fn lock_balances(&mut self, accounts: &[AccountId]) -> StoreResult<Vec<(AccountId, i64)>> {
        self.run(|connection| ledger::lock_balances(connection, accounts))
    }

    fn pin_free_totals_of_day(
        &mut self,
        users: &[UserId],
        day: UnixMillis,
    ) -> StoreResult<Vec<(UserId, i64)>> {
        self.run(|connection| trades::pin_free_totals_of_day(connection, users, day))
    }

    fn merchants(&mut self, ids: &[MerchantId]) -> StoreResult<Vec<MerchantRecord>> {
        self.run(|connection| merchants::merchants(connection, ids))
    }

    fn spend_offline_codes(
        &mut self,
        codes: &[SpentOfflineCode],
        at: UnixMillis,
    ) -> StoreResult<()> {
        if self.run(|connection| codes::spend_offline_codes(connection, codes, at))? {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "an offline code of the batch was spent meanwhile".to_owned(),
            ))
        }
    }

    fn update_devices(&mut self, devices: &[DeviceRecord]) -> StoreResult<()> {
        self.run(|connection| devices::update_devices(connection, devices))
    }

    fn insert_verification_failures(
        &mut self,
        failures: &[VerificationFailure],
    ) -> StoreResult<()> {
        self.run(|connection| devices::insert_verification_failures(connection, failures))
    }

    fn post_transactions(
        &mut self,
        transactions: &[NewLedgerTransaction],
    ) -> StoreResult<Vec<LedgerTransactionId>> {
        self.run(|connection| ledger::post_transactions(connection, transactions))
    }

    fn insert_trades(&mut self, trades: &[TradeRecord]) -> StoreResult<Vec<TradeId>> {
        self.run(|connection| trades::insert_trades(connection, trades))?
            .ok_or(StoreError::Duplicate("out_trade_no"))
    }

    fn insert_refund(&mut self, refund: &RefundRecord) -> StoreResult<()> {
        if self.run(|connection| trades::insert_refund(connection, refund))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("out_refund_no"))
        }
    }

    fn refund_by_out_refund_no(
        &mut self,
        trade: TradeId,
        out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        self.run(|connection| trades::refund_by_out_refund_no(connection, trade, out_refund_no))
    }

    fn refunds_of_trade(&mut self, trade: TradeId) -> StoreResult<Vec<RefundRecord>> {
        self.run(|connection| trades::refunds_of_trade(connection, trade))
    }
}

impl WalletStore for PostgresTransaction<'_> {
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        self.run(|connection| ledger::account_history(connection, account, before, limit))
    }

    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId> {
        self.run(|connection| {
            users::insert_user(connection, username, password_hash, account, created_at)
        })?
        .ok_or(StoreError::Duplicate("username"))
    }

    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.run(|connection| users::user_by_username(connection, username))
    }

    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()> {
        self.run(|connection| users::set_pin_hash(connection, id, pin_hash))
    }

    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>> {
        self.run(|connection| users::lock_pin_attempts(connection, user))
    }

    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()> {
        self.run(|connection| users::put_pin_attempts(connection, user, attempts))
    }

    fn insert_session(&mut self, session: &NewSession) -> StoreResult<SessionId> {
        self.run(|connection| users::insert_session(connection, session))
    }

    fn session(&mut self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        self.run(|connection| users::session(connection, token_hash))
    }

    fn sessions_of_user(&mut self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        self.run(|connection| users::sessions_of_user(connection, user))
    }

    fn touch_session(&mut self, id: SessionId, at: UnixMillis) -> StoreResult<()> {
        self.run(|connection| users::touch_session(connection, id, at))
    }

    fn delete_session(&mut self, user: UserId, id: SessionId) -> StoreResult<bool> {
        self.run(|connection| users::delete_session(connection, user, id))
    }

    fn delete_other_sessions(&mut self, user: UserId, keep: SessionId) -> StoreResult<u64> {
        self.run(|connection| users::delete_other_sessions(connection, user, keep))
    }

    fn delete_expired_sessions(&mut self, before: UnixMillis) -> StoreResult<u64> {
        self.run(|connection| users::delete_expired_sessions(connection, before))
    }

    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::devices_of_user(connection, user))
    }

    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()> {
        if self.run(|connection| codes::insert_online_code(connection, code))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("online code"))
        }
    }

    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64> {
        self.run(|connection| codes::expire_online_codes_of_device(connection, device, at))
    }

    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64> {
        self.run(|connection| codes::delete_expired_online_codes(connection, before))
    }
}

impl AdminStore for PostgresTransaction<'_> {
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        self.run(|connection| settings::get(connection, name))
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        self.run(|connection| settings::put(connection, name, value))
    }

    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        if self.run(|connection| settings::insert(connection, name, value))? {
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
        self.run(|connection| ledger::insert_account(connection, kind, created_at))
    }

    fn issuance_account(&mut self) -> StoreResult<AccountId> {
        self.run(ledger::issuance_account)
    }

    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals> {
        self.run(ledger::totals)
    }

    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        self.run(|connection| users::users_page(connection, username_prefix, after, limit))
    }

    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>> {
        self.run(|connection| merchants::merchants_page(connection, after, limit))
    }

    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId> {
        self.run(|connection| merchants::insert_merchant(connection, name, account, created_at))
    }

    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        self.run(|connection| merchants::lock_merchant(connection, id))
    }

    fn insert_api_key(
        &mut self,
        merchant: MerchantId,
        key_hash: &[u8],
        created_at: UnixMillis,
    ) -> StoreResult<ApiKeyId> {
        self.run(|connection| merchants::insert_api_key(connection, merchant, key_hash, created_at))
    }

    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        self.run(|connection| merchants::api_key_by_hash(connection, key_hash))
    }

    fn api_keys_of_merchant(&mut self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        self.run(|connection| merchants::api_keys_of_merchant(connection, merchant))
    }

    fn revoke_api_key(
        &mut self,
        merchant: MerchantId,
        key: ApiKeyId,
        revoked_at: UnixMillis,
    ) -> StoreResult<bool> {
        self.run(|connection| merchants::revoke_api_key(connection, merchant, key, revoked_at))
    }

    fn topup(&mut self, reference: &str) -> StoreResult<Option<TopupRecord>> {
        self.run(|connection| ledger::topup(connection, reference))
    }

    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()> {
        if self.run(|connection| ledger::insert_topup(connection, topup))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("top-up reference"))
        }
    }

    fn set_merchant_webhook(
        &mut self,
        merchant: MerchantId,
        webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool> {
        self.run(|connection| merchants::set_merchant_webhook(connection, merchant, webhook))
    }

    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()> {
        self.insert_events(std::slice::from_ref(event))
    }

    fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        self.run(|connection| events::insert_events(connection, events))
    }

    fn events_of_merchant(
        &mut self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        self.run(|connection| events::events_of_merchant(connection, merchant, before, limit))
    }

    fn claim_due_events(
        &mut self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        self.run(|connection| events::claim_due_events(connection, now, lease_until, limit))
    }

    fn finish_event_attempts(&mut self, attempts: &[EventAttempt]) -> StoreResult<u64> {
        self.run(|connection| events::finish_event_attempts(connection, attempts))
    }

    fn redeliver_event(
        &mut self,
        merchant: MerchantId,
        event: EventId,
        at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>> {
        self.run(|connection| events::redeliver_event(connection, merchant, event, at))
    }

    fn pending_event_count(&mut self) -> StoreResult<u64> {
        self.run(events::pending_event_count)
    }

    fn delete_finished_events_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        self.run(|connection| events::delete_finished_events_before(connection, before, limit))
    }

    fn statement_lines(
        &mut self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>> {
        self.run(|connection| statements::statement_lines(connection, merchant, from, to, limit))
    }

    fn settlement_lines(
        &mut self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>> {
        self.run(|connection| statements::settlement_lines(connection, from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers_only() {
        for good in ["paycode", "paycode_test_0123456789abcdef", "_private"] {
            assert!(is_plain_identifier(good), "{good}");
        }
        let too_long = "a".repeat(MAX_SCHEMA_NAME_BYTES + 1);
        for bad in [
            "",
            "1abc",
            "Paycode",
            "pay-code",
            "a\"; DROP",
            too_long.as_str(),
        ] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn advisory_lock_keys_are_stable_and_separate_their_fields() {
        let key = advisory_lock_key(&[b"paycode.out_trade_no", b"", &1_i64.to_be_bytes(), b"a"]);
        assert_eq!(
            key,
            advisory_lock_key(&[b"paycode.out_trade_no", b"", &1_i64.to_be_bytes(), b"a"])
        );
        assert_ne!(
            key,
            advisory_lock_key(&[b"paycode.out_trade_no", b"", &2_i64.to_be_bytes(), b"a"])
        );
        assert_ne!(
            advisory_lock_key(&[b"ab", b"c"]),
            advisory_lock_key(&[b"a", b"bc"])
        );
        // The first eight bytes of SHA-256, pinned so that a change that would make two
        // versions of paycode lock differently fails here.
        assert_eq!(
            advisory_lock_key(&[]),
            i64::from_be_bytes(*b"\xe3\xb0\xc4\x42\x98\xfc\x1c\x14")
        );
    }

    #[test]
    fn every_session_commits_synchronously_and_limits_idle_transactions() {
        let setup = session_setup(Some("\"paycode_test\""));
        assert!(setup.contains("SET synchronous_commit = on;"));
        assert!(setup.contains("SET idle_in_transaction_session_timeout = 60000;"));
        assert!(setup.contains("SET search_path TO \"paycode_test\";"));
        assert!(!session_setup(None).contains("search_path"));
    }

    #[test]
    fn a_malformed_url_or_an_empty_pool_is_refused_before_connecting() {
        assert!(matches!(
            PostgresStore::connect("postgres://[::1", 4),
            Err(StoreError::Other(_))
        ));
        assert!(matches!(
            PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres", 0),
            Err(StoreError::Other(_))
        ));
        assert!(matches!(
            PostgresStore::connect_with_schema("postgres://postgres@127.0.0.1:1/x", "Bad", 4),
            Err(StoreError::Other(_))
        ));
    }
}
