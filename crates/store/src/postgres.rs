//! The PostgreSQL implementation of [`Store`], for running any number of server instances on
//! one database (SPEC section 5).
//!
//! # Layout
//! This module holds the store and the transaction's plumbing (begin, commit, savepoints). The
//! transaction implements each role of the contract in a module of its own (`payments`,
//! `wallet`, `admin`, `reports`), whose methods run the statements of the modules that own
//! the tables (`trades`, `devices`, `users`...).
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
//!
//! [`PaymentStore::lock_out_trade_no`]: paycode_core::store::PaymentStore::lock_out_trade_no
//! [`PaymentStore::post_transaction`]: paycode_core::store::PaymentStore::post_transaction
//! [`PaymentStore::allocate_device_slot`]: paycode_core::store::PaymentStore::allocate_device_slot

mod admin;
mod codes;
mod devices;
mod error;
mod events;
mod failures;
mod ledger;
mod merchants;
mod migrations;
mod payments;
mod pool;
mod reports;
mod rows;
mod settings;
mod statements;
mod trades;
mod users;
mod wallet;

use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use paycode_core::ids::MerchantId;
use paycode_core::store::{Store, StoreError, StoreResult, Transaction};
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
