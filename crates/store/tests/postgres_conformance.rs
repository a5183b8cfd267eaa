//! The conformance suite against PostgreSQL, each test in a fresh schema that is dropped
//! afterwards, plus what only a PostgreSQL store can show: migrations applied once by stores
//! connecting at once, transactions on separate pooled connections that really run in
//! parallel and lock each other out where they must, the pool surviving dropped and failed
//! transactions, a ledger broken behind the store's back, and an unreachable server.
//!
//! The database comes from `PAYCODE_TEST_DATABASE_URL`
//! (see [`paycode_store::postgres::test_database_url`]): without it the tests pass without
//! checking anything, except under CI, where they fail.

use std::sync::mpsc;
use std::sync::{Barrier, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use paycode_core::ids::{AccountId, DeviceId, MerchantId, TradeId, UserId};
use paycode_core::model::{
    AccountKind, DeviceRecord, DeviceStatus, LedgerKind, LedgerTotals, NewSession,
    OnlineCodeRecord, SealedSecret, TradeRecord, TradeStatus,
};
use paycode_core::store::{Store, StoreError, StoreResult, Transaction};
use paycode_otp::Algorithm;
use paycode_store::postgres::test_database_url;
use paycode_store::PostgresStore;
use postgres::{Client, NoTls};

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

fn trade(merchant: MerchantId, user: UserId, out_trade_no: &str, trade_no: &str) -> TradeRecord {
    TradeRecord {
        id: TradeId(0),
        trade_no: trade_no.to_owned(),
        merchant_id: merchant,
        user_id: user,
        out_trade_no: out_trade_no.to_owned(),
        auth_code_hash: vec![0xA5; 32],
        amount: 500,
        refunded_amount: 0,
        status: TradeStatus::Success,
        subject: None,
        terminal_id: None,
        pin_free: true,
        pin_attempts: 0,
        created_at: NOW,
        paid_at: Some(NOW),
        confirm_deadline: None,
        finished_at: None,
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

// Migrations.

#[test]
fn stores_connecting_at_once_to_a_new_schema_migrate_it_once() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    let instances = 4;
    let barrier = Barrier::new(instances);
    let stores: Vec<PostgresStore> = thread::scope(|scope| {
        let handles: Vec<_> = (0..instances)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    schema.connect(2)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap().expect("every instance connects"))
            .collect()
    });
    drop(stores);

    let mut raw = schema.raw();
    let row = raw
        .query_one(
            "SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations",
            &[],
        )
        .unwrap();
    let (recorded, distinct, last): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert!(last >= 2, "every migration was applied");
    assert_eq!((recorded, distinct), (last, last), "each migration once");
    let issuance: i64 = raw
        .query_one("SELECT count(*) FROM accounts WHERE kind = 'issuance'", &[])
        .unwrap()
        .get(0);
    assert_eq!(issuance, 1);
}

#[test]
fn a_schema_migrated_by_a_newer_program_is_refused() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    drop(schema.connect(1).unwrap());
    schema
        .raw()
        .batch_execute("INSERT INTO schema_migrations VALUES (1000, 'from the future', 0)")
        .unwrap();
    let refused = schema.connect(1);
    assert!(
        matches!(&refused, Err(StoreError::Other(message)) if message.contains("newer")),
        "{refused:?}"
    );
}

// Connections.

#[test]
fn a_server_that_does_not_answer_is_unavailable() {
    let refused = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres", 2);
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
}

#[test]
fn transactions_run_at_once_on_separate_pooled_connections() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let threads = usize::try_from(POOL_SIZE).unwrap();
    let release = RwLock::new(());
    let held = release.write().unwrap();
    let (ready, readies) = mpsc::channel();
    thread::scope(|scope| {
        for thread in 0..threads {
            let (ready, release) = (ready.clone(), &release);
            scope.spawn(move || {
                let mut transaction = store.begin().unwrap();
                new_user(&mut *transaction, &format!("user-{thread}"));
                ready.send(()).unwrap();
                // Every thread keeps its transaction open until all of them have one.
                drop(release.read().unwrap());
                transaction.commit().unwrap();
            });
        }
        for _ in 0..threads {
            readies
                .recv_timeout(Duration::from_secs(10))
                .expect("every thread has a transaction open at the same time");
        }
        let status = store.pool_status();
        assert_eq!((status.open, status.idle), (POOL_SIZE, 0), "{status:?}");
        drop(held);
    });
    assert_eq!(store.pool_status().idle, POOL_SIZE);
}

#[test]
fn a_dropped_transaction_leaves_its_pooled_connection_usable() {
    let Some(fixture) = fresh_store_with_pool(1) else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, alice) = new_user(&mut *transaction, "alice");
    transaction.commit().unwrap();

    // Dropped while it holds a row lock: the lock goes with it.
    let mut transaction = store.begin().unwrap();
    transaction.lock_balance(alice).unwrap();
    new_user(&mut *transaction, "ghost");
    drop(transaction);

    // Dropped after a failed statement, which leaves PostgreSQL's transaction aborted.
    let mut transaction = store.begin().unwrap();
    let (bob, _) = new_user(&mut *transaction, "bob");
    let session = NewSession {
        token_hash: vec![7; 32],
        user_id: bob,
        created_at: NOW,
        expires_at: NOW + 1,
        user_agent: None,
    };
    transaction.insert_session(&session).unwrap();
    assert!(matches!(
        transaction.insert_session(&session),
        Err(StoreError::Duplicate("session"))
    ));
    assert!(transaction.user(bob).is_err());
    drop(transaction);

    // The pool's only connection is back outside any transaction, without locks.
    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.lock_balance(alice).unwrap(), 0);
    assert_eq!(transaction.user_by_username("ghost").unwrap(), None);
    assert_eq!(transaction.user_by_username("bob").unwrap(), None);
    new_user(&mut *transaction, "carol");
    transaction.commit().unwrap();
    let mut transaction = store.begin().unwrap();
    assert!(transaction.user_by_username("carol").unwrap().is_some());
    drop(transaction);
    assert_eq!(store.pool_status().open, 1);
}

#[test]
fn connections_the_server_closed_are_replaced_when_a_transaction_begins() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    let application = schema.name.clone();
    let separator = if url.contains('?') { '&' } else { '?' };
    let tagged_url = format!("{url}{separator}application_name={application}");
    let store = PostgresStore::connect_with_schema(&tagged_url, &schema.name, 2).unwrap();
    // Two transactions at once, so that the pool keeps two idle connections afterwards.
    let mut first = store.begin().unwrap();
    let mut second = store.begin().unwrap();
    new_user(&mut *first, "alice");
    new_user(&mut *second, "bob");
    first.commit().unwrap();
    second.commit().unwrap();
    assert_eq!(store.pool_status().idle, 2);

    let terminated = schema
        .raw()
        .query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&application],
        )
        .unwrap();
    assert_eq!(terminated.len(), 2);
    assert!(terminated.iter().all(|row| row.get::<_, bool>(0)));

    let mut transaction = store
        .begin()
        .expect("a fresh connection replaces the closed ones");
    assert!(transaction.user_by_username("alice").unwrap().is_some());
    drop(transaction);
    assert_eq!(store.pool_status().open, 1);
}

// Failed statements.

#[test]
fn commit_after_a_failed_statement_is_refused_and_writes_nothing() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction
        .insert_trade(&trade(merchant, user, "order-1", "T-1"))
        .unwrap();
    // Another out_trade_no with a taken trade_no: a unique violation PostgreSQL reports as a
    // failed statement.
    let taken = transaction.insert_trade(&trade(merchant, user, "order-2", "T-1"));
    assert!(
        matches!(taken, Err(StoreError::Duplicate("trade_no"))),
        "{taken:?}"
    );
    let commit = transaction.commit();
    assert!(matches!(commit, Err(StoreError::Other(_))), "{commit:?}");

    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.user_by_username("alice").unwrap(), None);
}

#[test]
fn an_expected_duplicate_leaves_the_transaction_usable() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, account) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction
        .insert_trade(&trade(merchant, user, "order-1", "T-1"))
        .unwrap();
    transaction.commit().unwrap();

    // As the wallet does when a new online code collides: note the duplicate, carry on.
    let mut transaction = store.begin().unwrap();
    let code = OnlineCodeRecord {
        code_hash: vec![1; 32],
        user_id: user,
        device_id: None,
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: None,
    };
    transaction.insert_online_code(&code).unwrap();
    let duplicates = [
        transaction.insert_online_code(&code),
        transaction
            .insert_trade(&trade(merchant, user, "order-1", "T-2"))
            .map(drop),
        transaction
            .insert_user("alice", "hash", account, NOW)
            .map(drop),
    ];
    for (duplicate, label) in
        duplicates
            .into_iter()
            .zip(["online code", "out_trade_no", "username"])
    {
        assert!(
            matches!(duplicate, Err(StoreError::Duplicate(found)) if found == label),
            "{label}"
        );
    }
    new_user(&mut *transaction, "bob");
    transaction.commit().unwrap();

    let mut transaction = store.begin().unwrap();
    assert!(transaction.user_by_username("bob").unwrap().is_some());
    assert!(transaction.lock_online_code(&[1; 32]).unwrap().is_some());
}

#[test]
fn a_user_balance_below_zero_is_refused_by_the_schema() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let mut transaction = fixture.store.begin().unwrap();
    let issuance = transaction.issuance_account().unwrap();
    let user = transaction.insert_account(AccountKind::User, 1).unwrap();
    let overdraw =
        transaction.post_transaction(LedgerKind::Payment, "T-1", &[(issuance, 5), (user, -5)], 1);
    assert!(
        matches!(&overdraw, Err(StoreError::Other(message)) if !message.contains("DETAIL")),
        "{overdraw:?}"
    );
}

// Locks across connections.

#[test]
fn the_out_trade_no_lock_makes_a_second_transaction_wait_for_the_first() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (go, is_go) = mpsc::channel::<()>();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            transaction.lock_out_trade_no(merchant, "order-1").unwrap();
            locked.send(()).unwrap();
            // Holds the lock until the main thread has shown that another out_trade_no is
            // free (or, if it is not, until the wait gives up), then a while longer.
            let _ = is_go.recv_timeout(Duration::from_secs(10));
            thread::sleep(HOLD);
            transaction
                .insert_trade(&trade(merchant, user, "order-1", "T-1"))
                .unwrap();
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();

        let mut other = store.begin().unwrap();
        other.lock_out_trade_no(merchant, "order-2").unwrap();
        drop(other);
        go.send(()).unwrap();
        let mut second = store.begin().unwrap();
        second.lock_out_trade_no(merchant, "order-1").unwrap();
        let acquired = Instant::now();
        let commit_started = is_committing.recv().unwrap();
        assert!(
            acquired >= commit_started,
            "the second transaction got the lock only once the first was committing"
        );
        let found = second
            .lock_trade_by_out_trade_no(merchant, "order-1")
            .unwrap();
        assert_eq!(found.map(|trade| trade.trade_no), Some("T-1".to_owned()));
    });
}

/// The bulk form takes the very locks of the one-row form: a key it holds makes a one-row
/// lock of the same key wait, and leaves other keys free.
#[test]
fn out_trade_no_locks_taken_in_bulk_make_a_one_row_lock_wait() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            let keys = [
                (merchant, "order-2".to_owned()),
                (merchant, "order-1".to_owned()),
            ];
            transaction.lock_out_trade_nos(&keys).unwrap();
            locked.send(()).unwrap();
            thread::sleep(HOLD);
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();

        let mut other = store.begin().unwrap();
        other.lock_out_trade_no(merchant, "order-3").unwrap();
        drop(other);
        let mut second = store.begin().unwrap();
        second.lock_out_trade_no(merchant, "order-1").unwrap();
        let acquired = Instant::now();
        let commit_started = is_committing.try_recv().expect("the first is committing");
        assert!(acquired >= commit_started);
    });
}

#[test]
fn a_locked_balance_makes_a_second_reader_wait_and_see_the_committed_value() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, payer) = new_user(&mut *transaction, "alice");
    let (_, payee) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, payer, 100);
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            assert_eq!(transaction.lock_balance(payer).unwrap(), 100);
            locked.send(()).unwrap();
            thread::sleep(HOLD);
            transaction
                .post_transaction(
                    LedgerKind::Payment,
                    "T-1",
                    &[(payer, -60), (payee, 60)],
                    NOW,
                )
                .unwrap();
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();
        let mut second = store.begin().unwrap();
        assert_eq!(second.lock_balance(payer).unwrap(), 40);
        let acquired = Instant::now();
        assert!(acquired >= is_committing.recv().unwrap());
    });
}

#[test]
fn spends_of_one_offline_code_from_eight_connections_succeed_once() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let device = enroll(&mut *transaction, user);
    transaction.commit().unwrap();

    let spent = sum_on_threads(8, |_| {
        (0..30)
            .filter(|_| {
                with_retries(|| {
                    let mut transaction = store.begin()?;
                    let spent = transaction.spend_offline_code(device, 1_000, 3, NOW)?;
                    transaction.commit()?;
                    Ok(spent)
                })
            })
            .count()
    });
    assert_eq!(spent, 1);
}

#[test]
fn read_check_write_payments_from_sixteen_connections_never_overdraw() {
    const THREADS: usize = 16;
    const FUNDS: i64 = 200;
    let Some(fixture) = fresh_store_with_pool(16) else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, payer) = new_user(&mut *transaction, "alice");
    let (_, payee) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, payer, FUNDS);
    transaction.commit().unwrap();

    let paid = sum_on_threads(THREADS, |thread| {
        (0..20)
            .filter(|attempt| {
                with_retries(|| {
                    let mut transaction = store.begin()?;
                    let balance = transaction.lock_balance(payer)?;
                    assert!(balance >= 0, "a balance went below zero: {balance}");
                    if balance < 1 {
                        return Ok(false);
                    }
                    transaction.post_transaction(
                        LedgerKind::Payment,
                        &format!("T-{thread}-{attempt}"),
                        &[(payer, -1), (payee, 1)],
                        NOW,
                    )?;
                    transaction.commit()?;
                    Ok(true)
                })
            })
            .count()
    });

    assert_eq!(paid, usize::try_from(FUNDS).unwrap());
    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.lock_balance(payer).unwrap(), 0);
    assert_eq!(transaction.lock_balance(payee).unwrap(), FUNDS);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert!(store.pool_status().open > 1);
}

// The ledger check, against a ledger broken behind the store's back.

/// Sets up a ledger with one top-up, then lets `corrupt` change it with a raw connection.
fn ledger_broken_by(corrupt: &str) -> Option<LedgerTotals> {
    let fixture = fresh_store()?;
    let mut transaction = fixture.store.begin().unwrap();
    let issuance = transaction.issuance_account().unwrap();
    let merchant = transaction
        .insert_account(AccountKind::Merchant, 1)
        .unwrap();
    transaction
        .post_transaction(
            LedgerKind::Topup,
            "topup-1",
            &[(issuance, -10), (merchant, 10)],
            1,
        )
        .unwrap();
    transaction.commit().unwrap();

    fixture.schema.raw().batch_execute(corrupt).unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let totals = transaction.ledger_totals().unwrap();
    assert!(!totals.ok(), "{totals:?}");
    Some(totals)
}

#[test]
fn ledger_totals_detect_a_balance_changed_behind_the_ledgers_back() {
    let Some(totals) =
        ledger_broken_by("UPDATE accounts SET balance = balance + 1 WHERE kind = 'merchant'")
    else {
        return;
    };
    assert_eq!(totals.sum_of_balances, 1);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_postings, 0);
}

#[test]
fn ledger_totals_detect_an_unbalanced_transaction() {
    let Some(totals) = ledger_broken_by("UPDATE postings SET amount = amount * 2 WHERE amount > 0")
    else {
        return;
    };
    assert_eq!(totals.unbalanced_transactions, 1);
    assert_eq!(totals.sum_of_postings, 10);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_balances, 0);
}

#[test]
fn ledger_totals_sum_balances_past_i64_without_overflowing() {
    let Some(totals) = ledger_broken_by(
        "UPDATE accounts SET balance = 9223372036854775807 WHERE kind = 'merchant';
         INSERT INTO accounts (kind, balance, created_at) VALUES ('merchant', 9223372036854775807, 1);",
    ) else {
        return;
    };
    assert_eq!(totals.sum_of_balances, 2 * i128::from(i64::MAX) - 10);
    assert_eq!(totals.accounts_not_matching_postings, 2);
}

// Stored values this program never writes, put there behind the store's back.

/// Enrolls a device, lets `corrupt` change its row with a raw connection (after dropping the
/// schema's checks, which would refuse it), and reads the device back.
fn device_broken_by(corrupt: &str) -> Option<StoreResult<Option<DeviceRecord>>> {
    let fixture = fresh_store()?;
    let mut transaction = fixture.store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let device = enroll(&mut *transaction, user);
    transaction.commit().unwrap();

    fixture
        .schema
        .raw()
        .batch_execute(&format!(
            "ALTER TABLE devices DROP CONSTRAINT devices_status_known,
                 DROP CONSTRAINT devices_failed_attempts_in_range;
             {corrupt}"
        ))
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let read = transaction.device(device);
    Some(read)
}

#[test]
fn a_stored_status_this_program_never_writes_is_corrupt() {
    let Some(read) = device_broken_by("UPDATE devices SET status = 'melted'") else {
        return;
    };
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("device status")),
        "{read:?}"
    );
}

#[test]
fn a_stored_count_out_of_range_is_corrupt() {
    let Some(read) = device_broken_by("UPDATE devices SET failed_attempts = -1") else {
        return;
    };
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("failed_attempts")),
        "{read:?}"
    );
}
