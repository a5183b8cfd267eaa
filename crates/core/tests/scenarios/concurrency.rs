//! Payments sent at once: batches shared between them, a user's limits kept across them, a
//! revoked key seen by a second instance, and a batch that panics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use paycode_core::clock::ManualClock;
use paycode_core::crypto::{MasterKey, MasterKeys};
use paycode_core::model::TradeStatus;
use paycode_core::service::PayRequest;
use paycode_core::store::{Store, StoreResult, Transaction};
use paycode_core::{Config, Error, Paycode};
use paycode_store::SqliteStore;

use super::{World, PASSWORD, START_MILLIS};

#[test]
fn concurrent_payments_share_batches_and_each_keeps_its_own_outcome() {
    let world = World::new(Config::default());
    let (rich, rich_phone) = world.user_with_money("rich", 1_000);
    let rich_tablet = world
        .paycode
        .enroll_device(rich, Some("tablet"), None, Some(PASSWORD))
        .unwrap();
    let (poor, poor_phone) = world.user_with_money("poor", 50);
    let (_replayer, replayed_phone) = world.user_with_money("replayer", 1_000);
    let (_victim, victim_phone) = world.user_with_money("victim", 1_000);
    let merchant = world.merchant("Stadium");
    let impostor_codes: Vec<String> = (0..5)
        .map(|index| world.wallet_code(&victim_phone, index, 9_000))
        .collect();
    let replayed = world.wallet_code(&replayed_phone, 0, 0);

    let mut payments: Vec<(String, String)> = Vec::new();
    for index in 0..10u8 {
        payments.push((
            format!("rich-phone-{index}"),
            world.wallet_code(&rich_phone, index, 0),
        ));
        payments.push((
            format!("rich-tablet-{index}"),
            world.wallet_code(&rich_tablet, index, 0),
        ));
        payments.push((
            format!("poor-{index}"),
            world.wallet_code(&poor_phone, index, 0),
        ));
        payments.push((format!("replay-{index}"), replayed.clone()));
    }
    for (index, code) in impostor_codes.iter().enumerate() {
        payments.push((format!("impostor-{index}"), code.clone()));
    }
    let barrier = std::sync::Barrier::new(payments.len());
    let outcomes: Vec<(String, Result<TradeStatus, Error>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = payments
            .iter()
            .map(|(out_trade_no, code)| {
                let (world, barrier) = (&world, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    (
                        out_trade_no.clone(),
                        world.pay(merchant, out_trade_no, code, 10),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a payer thread"))
            .collect()
    });

    let count = |prefix: &str, wanted: fn(&Result<TradeStatus, Error>) -> bool| {
        outcomes
            .iter()
            .filter(|(name, outcome)| name.starts_with(prefix) && wanted(outcome))
            .count()
    };
    let paid = |outcome: &Result<TradeStatus, Error>| matches!(outcome, Ok(TradeStatus::Success));
    assert_eq!(count("rich-", paid), 20, "{outcomes:?}");
    assert_eq!(count("poor-", paid), 5);
    assert_eq!(
        count("poor-", |outcome| matches!(
            outcome,
            Err(Error::InsufficientFunds)
        )),
        5
    );
    assert_eq!(count("replay-", paid), 1);
    assert_eq!(
        count("replay-", |outcome| matches!(outcome, Err(Error::CodeUsed))),
        9
    );
    assert_eq!(
        count("impostor-", |outcome| matches!(
            outcome,
            Err(Error::CodeInvalid)
        )),
        5
    );
    assert_eq!(world.paycode.user_balance(rich).unwrap(), 800);
    assert_eq!(world.paycode.user_balance(poor).unwrap(), 0);
    assert_eq!(
        world.paycode.merchant_balance(merchant).unwrap(),
        200 + 50 + 10
    );
    world.assert_ledger_ok();
}

#[test]
fn concurrent_payments_of_one_user_keep_the_daily_pin_free_total_and_their_trade_ids() {
    let config = Config {
        pin_free_limit: 1_000,
        daily_pin_free_limit: 1_500,
        ..Config::default()
    };
    let world = World::new(config);
    let (user, device) = world.user_with_money("erin", 10_000);
    let merchant = world.merchant("Market");
    // Ten payments of 400 at once: three fit in the day's pin-free 1,500, the others need the
    // PIN. The same request twice at once is charged once and answered with one trade.
    let mut requests: Vec<PayRequest> = (0..10u8)
        .map(|index| PayRequest {
            out_trade_no: format!("order-{index}"),
            auth_code: world.wallet_code(&device, index, 0),
            amount: 400,
            subject: None,
            terminal_id: None,
        })
        .collect();
    requests.push(requests[0].clone());
    let barrier = std::sync::Barrier::new(requests.len());
    let trades: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .iter()
            .map(|request| {
                let (world, barrier) = (&world, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    world.paycode.pay(merchant, request).expect("payment")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a payer thread"))
            .collect()
    });

    let distinct: std::collections::BTreeMap<&str, _> = trades
        .iter()
        .map(|trade| (trade.out_trade_no.as_str(), trade))
        .collect();
    assert_eq!(distinct.len(), 10);
    assert_eq!(trades[0], trades[10], "one request, one trade");
    let paid = distinct
        .values()
        .filter(|trade| trade.status == TradeStatus::Success)
        .count();
    assert_eq!(paid, 3, "{trades:?}");
    assert_eq!(world.paycode.user_balance(user).unwrap(), 10_000 - 3 * 400);
    assert_eq!(world.paycode.merchant_balance(merchant).unwrap(), 3 * 400);
    let ids: std::collections::BTreeSet<_> = distinct.values().map(|trade| trade.id).collect();
    assert_eq!(ids.len(), 10, "every trade has its own id");
    for trade in distinct.values() {
        let stored = world.paycode.trade(merchant, &trade.out_trade_no).unwrap();
        assert_eq!(&&stored, trade, "the answer is what was stored");
    }
    world.assert_ledger_ok();
}

#[test]
fn a_revoked_merchant_key_stops_at_once_here_and_within_a_second_elsewhere() {
    let clock = ManualClock::new(START_MILLIS);
    let store = Arc::new(SqliteStore::open_in_memory().expect("in-memory store"));
    let master = [7u8; 32];
    let keys = || MasterKeys::new(1, vec![MasterKey::new(1, master)]).expect("key ring");
    let here = Paycode::open(
        store.clone(),
        Arc::new(clock.clone()),
        Config::default(),
        keys(),
    )
    .expect("paycode opens");
    let elsewhere = Paycode::open(store, Arc::new(clock.clone()), Config::default(), keys())
        .expect("a second instance opens");
    let created = here.create_merchant("Kiosk").expect("merchant");
    let second = here
        .add_merchant_key(created.merchant.id.0)
        .expect("second key");
    for key in [&created.api_key.key, &second.key] {
        assert_eq!(
            elsewhere.authenticate_merchant(key).unwrap(),
            created.merchant.id
        );
        assert_eq!(
            here.authenticate_merchant(key).unwrap(),
            created.merchant.id
        );
    }

    here.revoke_merchant_key(created.merchant.id.0, created.api_key.id.0)
        .expect("revoked");
    assert!(matches!(
        here.authenticate_merchant(&created.api_key.key),
        Err(Error::Unauthenticated)
    ));
    assert_eq!(
        here.recently_authenticated_merchant(&created.api_key.key),
        None
    );
    // The other instance learns of it when its memory of the key expires.
    assert_eq!(
        elsewhere.recently_authenticated_merchant(&created.api_key.key),
        Some(created.merchant.id)
    );
    clock.advance_seconds(1);
    assert!(matches!(
        elsewhere.authenticate_merchant(&created.api_key.key),
        Err(Error::Unauthenticated)
    ));
    assert_eq!(
        elsewhere.authenticate_merchant(&second.key).unwrap(),
        created.merchant.id,
        "the merchant's other key still works"
    );
    assert!(matches!(
        here.authenticate_merchant("pk_not_a_key"),
        Err(Error::Unauthenticated)
    ));
}

/// A store whose first `begin` after [`PanickingStore::arm`] tells the test it has started,
/// waits for the test's word, and panics: a bug inside a payment batch.
struct PanickingStore {
    inner: SqliteStore,
    armed: AtomicBool,
    started: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl PanickingStore {
    /// Makes the next `begin` panic; returns where it says it started and how to let it go.
    fn arm(&self) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (started, on_start) = mpsc::channel();
        let (let_go, release) = mpsc::channel();
        *self.started.lock().unwrap() = Some(started);
        *self.release.lock().unwrap() = Some(release);
        self.armed.store(true, Ordering::SeqCst);
        (on_start, let_go)
    }
}

impl Store for PanickingStore {
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        if self.armed.swap(false, Ordering::SeqCst) {
            let started = self.started.lock().unwrap().take().unwrap();
            let release = self.release.lock().unwrap().take().unwrap();
            started.send(()).unwrap();
            release.recv().unwrap();
            panic!("a bug inside a payment batch");
        }
        self.inner.begin()
    }

    fn begin_read(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        self.inner.begin_read()
    }

    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }
}

#[test]
fn a_panicking_batch_does_not_leave_the_payments_queued_behind_it_waiting() {
    let store = Arc::new(PanickingStore {
        inner: SqliteStore::open_in_memory().expect("in-memory store"),
        armed: AtomicBool::new(false),
        started: Mutex::new(None),
        release: Mutex::new(None),
    });
    let world = World::over(Arc::clone(&store) as Arc<dyn Store>, Config::default());
    let (_user, device) = world.user_with_money("grace", 1_000);
    let merchant = world.merchant("Bakery");
    let first = world.wallet_code(&device, 0, 0);
    let queued = PayRequest {
        out_trade_no: "queued".to_owned(),
        auth_code: world.wallet_code(&device, 1, 0),
        amount: 10,
        subject: None,
        terminal_id: None,
    };
    let (started, let_go) = store.arm();

    std::thread::scope(|scope| {
        let leader = scope.spawn(|| world.pay(merchant, "first", &first, 10));
        started.recv().unwrap();
        // The first payment's batch is running: this one waits in the queue behind it.
        let (done, outcome) = mpsc::channel();
        let leadership = world
            .paycode
            .submit_payment(
                merchant,
                &queued,
                Box::new(move |result| done.send(result).unwrap()),
            )
            .unwrap();
        assert!(
            leadership.is_none(),
            "the first payment's leader is running"
        );
        let_go.send(()).unwrap();

        let first_outcome = leader.join().expect("the leader survives the panic");
        assert!(
            matches!(first_outcome, Err(Error::Internal(_))),
            "{first_outcome:?}"
        );
        let queued_outcome = outcome
            .recv_timeout(Duration::from_secs(10))
            .expect("the queued payment is not left waiting");
        assert_eq!(queued_outcome.unwrap().status, TradeStatus::Success);
    });
    world.assert_ledger_ok();
}
