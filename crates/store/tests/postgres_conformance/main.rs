//! The conformance suite against PostgreSQL, each test in a fresh schema that is dropped
//! afterwards, plus what only a PostgreSQL store can show: migrations applied once by stores
//! connecting at once, transactions on separate pooled connections that really run in
//! parallel and lock each other out where they must, the pool surviving dropped and failed
//! transactions, a ledger broken behind the store's back, stored values the program never
//! writes, and an unreachable server.
//!
//! The database comes from `PAYCODE_TEST_DATABASE_URL`
//! (see [`paycode_store::postgres::test_database_url`]): without it the tests pass without
//! checking anything, except under CI, where they fail.

use std::sync::mpsc;
use std::sync::{Barrier, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use paycode_core::ids::{AccountId, DeviceId, MerchantId, UserId};
use paycode_core::model::{
    AccountKind, DeviceRecord, DeviceStatus, LedgerKind, LedgerTotals, NewSession, NewTrade,
    OnlineCodeRecord, SealedSecret, TradeRecord, TradeStatus,
};
use paycode_core::money::Amount;
use paycode_core::store::{Store, StoreError, StoreResult, Transaction};
use paycode_core::text::Reference;
use paycode_otp::Algorithm;
use paycode_store::postgres::test_database_url;
use paycode_store::PostgresStore;
use postgres::{Client, NoTls};

mod broken;
mod connections;
mod locks;

/// Connections of each test's store: as many as the conformance suite's threads, so that its
/// concurrency checks run in parallel rather than one pooled connection at a time.
const POOL_SIZE: u32 = 8;

/// A time for the records the tests write.
const NOW: i64 = 1_750_000_000_000;

/// How long a test lets a transaction hold a lock to show that another one waits for it.
const HOLD: Duration = Duration::from_millis(400);

/// A schema of the test database that is dropped, with everything in it, when this is.
struct ScratchSchema {
    url: String,
    name: String,
}

impl ScratchSchema {
    fn new(url: &str) -> ScratchSchema {
        ScratchSchema {
            url: url.to_owned(),
            name: format!("paycode_test_{:016x}", rand::random::<u64>()),
        }
    }

    /// A connection of its own, outside any store, with the schema on its search path.
    fn raw(&self) -> Client {
        let mut client = Client::connect(&self.url, NoTls)
            .unwrap_or_else(|error| panic!("cannot connect to PAYCODE_TEST_DATABASE_URL: {error}"));
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .unwrap();
        client
    }

    fn connect(&self, pool_size: u32) -> StoreResult<PostgresStore> {
        PostgresStore::connect_with_schema(&self.url, &self.name, pool_size)
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let dropped = Client::connect(&self.url, NoTls).and_then(|mut client| {
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
        });
        if let Err(error) = dropped {
            eprintln!("could not drop test schema {}: {error}", self.name);
        }
    }
}

/// A store in a scratch schema. The fields drop in order: the store closes its connections
/// before the schema is dropped.
struct PostgresFixture {
    store: PostgresStore,
    schema: ScratchSchema,
}

impl PostgresFixture {
    fn new(url: &str, pool_size: u32) -> PostgresFixture {
        let schema = ScratchSchema::new(url);
        let store = schema.connect(pool_size).unwrap_or_else(|error| {
            panic!("PAYCODE_TEST_DATABASE_URL is set, but the database cannot be used: {error}")
        });
        PostgresFixture { store, schema }
    }
}

impl AsRef<dyn Store> for PostgresFixture {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        &self.store
    }
}

fn fresh_store() -> Option<PostgresFixture> {
    test_database_url().map(|url| PostgresFixture::new(&url, POOL_SIZE))
}

fn fresh_store_with_pool(pool_size: u32) -> Option<PostgresFixture> {
    test_database_url().map(|url| PostgresFixture::new(&url, pool_size))
}

mod conformance {
    paycode_store_conformance::conformance_tests!(optional: super::fresh_store);
}

// Helpers for the PostgreSQL-only tests.

fn new_user(transaction: &mut dyn Transaction, username: &str) -> (UserId, AccountId) {
    let account = transaction.insert_account(AccountKind::User, NOW).unwrap();
    let user = transaction
        .insert_user(username, "$argon2id$hash", account, NOW)
        .unwrap();
    (user, account)
}

fn new_merchant(transaction: &mut dyn Transaction, name: &str) -> (MerchantId, AccountId) {
    let account = transaction
        .insert_account(AccountKind::Merchant, NOW)
        .unwrap();
    let merchant = transaction.insert_merchant(name, account, NOW).unwrap();
    (merchant, account)
}

fn top_up(transaction: &mut dyn Transaction, account: AccountId, amount: i64) {
    let issuance = transaction.issuance_account().unwrap();
    transaction
        .post_transaction(
            LedgerKind::Topup,
            "topup-1",
            &[(issuance, -amount), (account, amount)],
            NOW,
        )
        .unwrap();
}

fn trade(merchant: MerchantId, user: UserId, out_trade_no: &str, trade_no: &str) -> NewTrade {
    NewTrade {
        trade_no: trade_no.to_owned(),
        merchant_id: merchant,
        user_id: user,
        out_trade_no: Reference::parse("out_trade_no", out_trade_no).unwrap(),
        auth_code_hash: vec![0xA5; 32],
        amount: Amount::new(500).unwrap(),
        status: TradeStatus::Success,
        subject: None,
        terminal_id: None,
        pin_free: true,
        created_at: NOW,
        paid_at: Some(NOW),
        confirm_deadline: None,
    }
}

fn enroll(transaction: &mut dyn Transaction, user: UserId) -> DeviceId {
    let id = transaction.allocate_device_slot().unwrap();
    transaction
        .insert_device(&DeviceRecord {
            id,
            user_id: user,
            name: None,
            algorithm: Algorithm::Sha1,
            period_seconds: 30,
            secret: SealedSecret {
                key_id: 1,
                nonce: vec![1; 12],
                ciphertext: vec![2; 36],
            },
            status: DeviceStatus::Active,
            failed_attempts: 0,
            locked_until: None,
            drift_steps: 0,
            created_at: NOW,
            last_used_at: None,
        })
        .unwrap();
    id
}

/// Runs `attempt` again while it loses races, as a use case does.
fn with_retries<T>(mut attempt: impl FnMut() -> StoreResult<T>) -> T {
    for _ in 0..10 {
        match attempt() {
            Err(StoreError::Conflict(_)) => continue,
            result => return result.expect("the transaction succeeds"),
        }
    }
    panic!("the transaction still conflicted after 10 attempts");
}

/// Runs `work(thread)` on `threads` threads at once and returns the sum of what they return.
fn sum_on_threads(threads: usize, work: impl Fn(usize) -> usize + Sync) -> usize {
    let barrier = Barrier::new(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let (barrier, work) = (&barrier, &work);
                scope.spawn(move || {
                    barrier.wait();
                    work(thread)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .sum()
    })
}
