//! The domain's use cases driven directly (no HTTP) over a real SQLite store, with the clock
//! in the test's hands. After every scenario, and after every step of the property test, the
//! ledger invariants are checked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use paycode_codec::{make_offline_code, CodeIndex, DeviceSlot, OfflineCodec};
use paycode_core::clock::ManualClock;
use paycode_core::crypto::{MasterKey, MasterKeys};
use paycode_core::ids::{MerchantId, UserId};
use paycode_core::model::TradeStatus;
use paycode_core::service::{PayRequest, Provisioning, RefundRequest};
use paycode_core::store::{Store, StoreResult, Transaction};
use paycode_core::{Config, Error, Paycode};
use paycode_otp::HotpKey;
use paycode_store::SqliteStore;
use proptest::prelude::*;

/// 2026-11-26T00:00:00Z, a multiple of 30 s.
const START_MILLIS: i64 = 1_795_651_200_000;

struct World {
    paycode: Paycode,
    clock: ManualClock,
}

impl World {
    fn new(config: Config) -> Self {
        let store = Arc::new(SqliteStore::open_in_memory().expect("in-memory store"));
        Self::over(store, config)
    }

    /// A world over `store`, which wraps a fresh store.
    fn over(store: Arc<dyn Store>, config: Config) -> Self {
        let clock = ManualClock::new(START_MILLIS);
        let keys = MasterKeys::new(1, vec![MasterKey::generate(1)]).expect("key ring");
        let paycode =
            Paycode::open(store, Arc::new(clock.clone()), config, keys).expect("paycode opens");
        Self { paycode, clock }
    }

    fn user_with_money(&self, name: &str, amount: i64) -> (UserId, Provisioning) {
        let user = self
            .paycode
            .create_user(name, "correct horse battery")
            .expect("user");
        if amount > 0 {
            self.paycode
                .topup(user.id.0, amount, &format!("topup-{name}"))
                .expect("top-up");
        }
        let device = self
            .paycode
            .enroll_device(user.id, Some("phone"), None, Some("correct horse battery"))
            .expect("device");
        (user.id, device)
    }

    fn merchant(&self, name: &str) -> MerchantId {
        self.paycode
            .create_merchant(name)
            .expect("merchant")
            .merchant
            .id
    }

    /// The code a wallet would show, made only from the provisioning data and the wallet's clock.
    fn wallet_code(&self, device: &Provisioning, index: u8, clock_offset_seconds: i64) -> String {
        let codec = OfflineCodec::new(device.prefix, &device.code_key);
        let key = HotpKey::new(&device.secret, device.device.algorithm);
        let wallet_time = self.clock.now_seconds() as i64 + clock_offset_seconds;
        let step = wallet_time as u64 / u64::from(device.device.period_seconds);
        let slot = DeviceSlot::new(device.device.id.0 as u32).expect("slot");
        make_offline_code(
            &codec,
            slot,
            CodeIndex::new(index).expect("index"),
            &key,
            step,
        )
        .to_string()
    }

    fn pay(
        &self,
        merchant: MerchantId,
        out_trade_no: &str,
        code: &str,
        amount: i64,
    ) -> Result<TradeStatus, Error> {
        let request = PayRequest {
            out_trade_no: out_trade_no.to_owned(),
            auth_code: code.to_owned(),
            amount,
            subject: None,
            terminal_id: None,
        };
        self.paycode
            .pay(merchant, &request)
            .map(|trade| trade.status)
    }

    fn assert_ledger_ok(&self) {
        let totals = self.paycode.check_ledger().expect("ledger check runs");
        assert!(totals.ok(), "ledger invariants broken: {totals:?}");
    }
}

use paycode_core::Clock as _;

#[test]
fn a_refused_payment_still_spends_the_code() {
    let world = World::new(Config::default());
    let (_user, device) = world.user_with_money("alice", 100);
    let merchant = world.merchant("Canteen");
    let code = world.wallet_code(&device, 0, 0);
    assert!(matches!(
        world.pay(merchant, "order-1", &code, 500),
        Err(Error::InsufficientFunds)
    ));
    assert!(matches!(
        world.pay(merchant, "order-1", &code, 50),
        Err(Error::CodeUsed)
    ));
    let fresh = world.wallet_code(&device, 1, 0);
    assert_eq!(
        world
            .pay(merchant, "order-1", &fresh, 50)
            .expect("fresh code pays"),
        TradeStatus::Success
    );
    assert_eq!(world.paycode.user_balance(_user).expect("balance"), 50);
    world.assert_ledger_ok();
}

#[test]
fn a_code_is_accepted_one_step_late_but_not_two() {
    let world = World::new(Config::default());
    let (_user, late) = world.user_with_money("bob", 10_000);
    let (_other, later) = world.user_with_money("bob2", 10_000);
    let merchant = world.merchant("Kiosk");
    let one_step_late = world.wallet_code(&late, 0, 0);
    let two_steps_late = world.wallet_code(&later, 0, -30);
    world.clock.advance_seconds(30);
    assert_eq!(
        world
            .pay(merchant, "late-one", &one_step_late, 10)
            .expect("one step late"),
        TradeStatus::Success
    );
    assert!(matches!(
        world.pay(merchant, "late-two", &two_steps_late, 10),
        Err(Error::CodeInvalid)
    ));
    world.assert_ledger_ok();
}

#[test]
fn the_server_follows_a_wallet_clock_that_drifts_step_by_step() {
    let world = World::new(Config::default());
    let (_user, device) = world.user_with_money("carol", 10_000);
    let merchant = world.merchant("Bakery");
    // A wallet three steps ahead is outside the ±1 window at first...
    let far = world.wallet_code(&device, 0, 90);
    assert!(matches!(
        world.pay(merchant, "far", &far, 10),
        Err(Error::CodeInvalid)
    ));
    // ...but a clock that drifts one step at a time is followed by the learned drift.
    for (offset, out_trade_no) in [(30, "drift-1"), (60, "drift-2"), (90, "drift-3")] {
        world.clock.advance_seconds(30);
        let wallet_offset = offset;
        let code = world.wallet_code(&device, 1, wallet_offset);
        assert_eq!(
            world
                .pay(merchant, out_trade_no, &code, 10)
                .expect(out_trade_no),
            TradeStatus::Success
        );
    }
    world.assert_ledger_ok();
}

#[test]
fn a_device_locks_after_the_configured_failures_and_the_lock_expires() {
    let config = Config {
        max_failed_attempts: 3,
        lockout_seconds: 600,
        ..Config::default()
    };
    let world = World::new(config);
    let (_user, device) = world.user_with_money("dave", 10_000);
    let merchant = world.merchant("Shop");
    let good = world.wallet_code(&device, 0, 0);
    // Same device slot, wrong OTP: take a real code of another step from the same device.
    for attempt in 0..3 {
        let wrong = world.wallet_code(&device, attempt, 3_000);
        assert!(matches!(
            world.pay(merchant, &format!("bad-{attempt}"), &wrong, 10),
            Err(Error::CodeInvalid)
        ));
    }
    assert!(matches!(
        world.pay(merchant, "good", &good, 10),
        Err(Error::DeviceLocked)
    ));
    world.clock.advance_seconds(601);
    let later = world.wallet_code(&device, 0, 0);
    assert_eq!(
        world
            .pay(merchant, "after-lock", &later, 10)
            .expect("lock expired"),
        TradeStatus::Success
    );
    world.assert_ledger_ok();
}

#[test]
fn the_daily_pin_free_total_turns_payments_into_user_paying() {
    let config = Config {
        pin_free_limit: 1_000,
        daily_pin_free_limit: 1_500,
        ..Config::default()
    };
    let world = World::new(config);
    let (user, device) = world.user_with_money("erin", 10_000);
    let merchant = world.merchant("Market");
    assert_eq!(
        world
            .pay(merchant, "a", &world.wallet_code(&device, 0, 0), 1_000)
            .unwrap(),
        TradeStatus::Success
    );
    assert_eq!(
        world
            .pay(merchant, "b", &world.wallet_code(&device, 1, 0), 600)
            .unwrap(),
        TradeStatus::UserPaying
    );
    assert_eq!(
        world
            .pay(merchant, "c", &world.wallet_code(&device, 2, 0), 500)
            .unwrap(),
        TradeStatus::Success
    );
    assert_eq!(world.paycode.user_balance(user).unwrap(), 8_500);
    // The next UTC day starts a fresh total.
    world.clock.advance_seconds(86_400);
    assert_eq!(
        world
            .pay(merchant, "d", &world.wallet_code(&device, 0, 0), 1_000)
            .unwrap(),
        TradeStatus::Success
    );
    world.assert_ledger_ok();
}

#[test]
fn a_confirmation_needs_the_pin_and_five_wrong_pins_close_the_trade() {
    let config = Config {
        pin_free_limit: 100,
        ..Config::default()
    };
    let world = World::new(config);
    let (user, device) = world.user_with_money("frank", 10_000);
    let merchant = world.merchant("Electronics");
    world
        .paycode
        .set_pin(user, "246810", None)
        .expect("first PIN needs no old PIN");
    assert!(matches!(
        world.paycode.set_pin(user, "135791", None),
        Err(Error::Forbidden(_))
    ));
    let status = world
        .pay(merchant, "tv", &world.wallet_code(&device, 0, 0), 5_000)
        .unwrap();
    assert_eq!(status, TradeStatus::UserPaying);
    let pending = world.paycode.pending_payments(user).unwrap();
    assert_eq!(pending[0].merchant_name, "Electronics");
    let trade_no = pending[0].trade.trade_no.clone();
    for _ in 0..4 {
        assert!(matches!(
            world.paycode.confirm_payment(user, &trade_no, "000000"),
            Err(Error::Forbidden(_))
        ));
    }
    assert_eq!(
        world.paycode.trade(merchant, "tv").unwrap().status,
        TradeStatus::UserPaying
    );
    // The fifth wrong PIN in a row also reaches the user's limit, which locks PIN checks.
    assert!(matches!(
        world.paycode.confirm_payment(user, &trade_no, "000000"),
        Err(Error::PinLocked)
    ));
    assert_eq!(
        world.paycode.trade(merchant, "tv").unwrap().status,
        TradeStatus::Closed
    );
    assert_eq!(world.paycode.user_balance(user).unwrap(), 10_000);
    world.assert_ledger_ok();
}

#[test]
fn cancelling_a_partly_refunded_trade_refunds_the_rest() {
    let world = World::new(Config::default());
    let (user, device) = world.user_with_money("grace", 10_000);
    let merchant = world.merchant("Cafe");
    world
        .pay(merchant, "latte", &world.wallet_code(&device, 0, 0), 3_000)
        .unwrap();
    let refund = RefundRequest {
        out_refund_no: "r1".to_owned(),
        amount: 1_000,
        reason: None,
    };
    world.paycode.refund(merchant, "latte", &refund).unwrap();
    let cancelled = world.paycode.cancel(merchant, "latte").unwrap();
    assert_eq!(
        (cancelled.status, cancelled.refunded_amount),
        (TradeStatus::Reversed, 3_000)
    );
    assert_eq!(world.paycode.user_balance(user).unwrap(), 10_000);
    assert_eq!(world.paycode.merchant_balance(merchant).unwrap(), 0);
    assert!(matches!(
        world.paycode.refund(
            merchant,
            "latte",
            &RefundRequest {
                out_refund_no: "r2".to_owned(),
                ..refund
            }
        ),
        Err(Error::TradeNotRefundable)
    ));
    world.assert_ledger_ok();
}

#[derive(Debug, Clone)]
enum Operation {
    Topup {
        user: usize,
        amount: i64,
    },
    Pay {
        user: usize,
        merchant: usize,
        amount: i64,
    },
    Refund {
        trade: usize,
        amount: i64,
    },
    Cancel {
        trade: usize,
    },
    Advance {
        seconds: i64,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0..3usize, 1..50_000i64).prop_map(|(user, amount)| Operation::Topup { user, amount }),
        (0..3usize, 0..2usize, 1..40_000i64).prop_map(|(user, merchant, amount)| Operation::Pay {
            user,
            merchant,
            amount
        }),
        (0..20usize, 1..20_000i64).prop_map(|(trade, amount)| Operation::Refund { trade, amount }),
        (0..20usize).prop_map(|trade| Operation::Cancel { trade }),
        (1..90i64).prop_map(|seconds| Operation::Advance { seconds }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_invariants_hold_after_every_operation(operations in proptest::collection::vec(operation(), 1..40)) {
        let world = World::new(Config::default());
        let users: Vec<_> = ["u0", "u1", "u2"].iter().map(|name| world.user_with_money(name, 0)).collect();
        let merchants = [world.merchant("m0"), world.merchant("m1")];
        let mut trades: Vec<(MerchantId, String)> = Vec::new();
        let mut issued = 0i64;
        let mut index = 0u8;
        for (number, operation) in operations.iter().enumerate() {
            match *operation {
                Operation::Topup { user, amount } => {
                    world.paycode.topup(users[user].0 .0, amount, &format!("t{number}")).unwrap();
                    issued += amount;
                }
                Operation::Pay { user, merchant, amount } => {
                    index = (index + 1) % 10;
                    let code = world.wallet_code(&users[user].1, index, 0);
                    let out_trade_no = format!("o{number}");
                    match world.pay(merchants[merchant], &out_trade_no, &code, amount) {
                        Ok(_) => trades.push((merchants[merchant], out_trade_no)),
                        Err(Error::InsufficientFunds | Error::CodeUsed) => {}
                        Err(other) => panic!("unexpected refusal {other:?}"),
                    }
                }
                Operation::Refund { trade, amount } => {
                    if let Some((merchant, out_trade_no)) = trades.get(trade) {
                        let request = RefundRequest { out_refund_no: format!("r{number}"), amount, reason: None };
                        let _ = world.paycode.refund(*merchant, out_trade_no, &request);
                    }
                }
                Operation::Cancel { trade } => {
                    if let Some((merchant, out_trade_no)) = trades.get(trade) {
                        let _ = world.paycode.cancel(*merchant, out_trade_no);
                    }
                }
                Operation::Advance { seconds } => world.clock.advance_seconds(seconds),
            }
            let totals = world.paycode.check_ledger().unwrap();
            prop_assert!(totals.ok(), "after {operation:?}: {totals:?}");
            let held: i64 = users.iter().map(|(user, _)| world.paycode.user_balance(*user).unwrap()).sum::<i64>()
                + merchants.iter().map(|merchant| world.paycode.merchant_balance(*merchant).unwrap()).sum::<i64>();
            prop_assert_eq!(held, issued, "money was created or destroyed after {:?}", operation);
        }
    }
}

#[test]
fn concurrent_payments_share_batches_and_each_keeps_its_own_outcome() {
    let world = World::new(Config::default());
    let (rich, rich_phone) = world.user_with_money("rich", 1_000);
    let rich_tablet = world
        .paycode
        .enroll_device(rich, Some("tablet"), None, Some("correct horse battery"))
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

#[test]
fn failed_verifications_are_pruned_after_their_retention() {
    let config = Config {
        verification_failure_retention_seconds: 86_400,
        ..Config::default()
    };
    let world = World::new(config);
    let (_user, device) = world.user_with_money("heidi", 1_000);
    let merchant = world.merchant("Kiosk");
    for attempt in 0..2 {
        let wrong = world.wallet_code(&device, attempt, 3_000);
        assert!(matches!(
            world.pay(merchant, &format!("bad-{attempt}"), &wrong, 10),
            Err(Error::CodeInvalid)
        ));
    }
    assert_eq!(
        world.paycode.prune_failure_records().unwrap(),
        0,
        "too young"
    );
    world.clock.advance_seconds(43_200);
    let wrong = world.wallet_code(&device, 2, 3_000);
    assert!(world.pay(merchant, "bad-2", &wrong, 10).is_err());
    world.clock.advance_seconds(43_201);
    assert_eq!(world.paycode.prune_failure_records().unwrap(), 2);
    assert_eq!(world.paycode.prune_failure_records().unwrap(), 0);
    world.clock.advance_seconds(43_200);
    assert_eq!(world.paycode.prune_failure_records().unwrap(), 1);
}

const PASSWORD: &str = "correct horse battery";

#[test]
fn thirty_wrong_pins_lock_every_pin_check_of_the_user_for_fifteen_minutes() {
    let world = World::new(Config::default());
    let (user, _device) = world.user_with_money("mallory-target", 10_000);
    world.paycode.set_pin(user, "246810", None).unwrap();
    let outcomes: Vec<&str> = (0..30)
        .map(|guess| {
            let wrong = format!("{:06}", 100_000 + guess);
            match world.paycode.set_pin(user, "999999", Some(&wrong)) {
                Err(Error::Forbidden(_)) => "wrong",
                Err(Error::PinLocked) => "locked",
                other => panic!("unexpected answer to a wrong PIN: {other:?}"),
            }
        })
        .collect();
    assert_eq!(outcomes[..4], ["wrong"; 4]);
    assert!(outcomes[4..].iter().all(|outcome| *outcome == "locked"));

    // Locked means locked: the right PIN is refused too, on every kind of PIN check.
    assert!(matches!(
        world.paycode.set_pin(user, "999999", Some("246810")),
        Err(Error::PinLocked)
    ));
    assert!(matches!(
        world
            .paycode
            .enroll_device(user, Some("tablet"), Some("246810"), None),
        Err(Error::PinLocked)
    ));
    world.clock.advance_seconds(15 * 60 - 1);
    assert!(matches!(
        world.paycode.set_pin(user, "999999", Some("246810")),
        Err(Error::PinLocked)
    ));

    // After fifteen minutes the right PIN works again, and it clears the count.
    world.clock.advance_seconds(1);
    world
        .paycode
        .set_pin(user, "135791", Some("246810"))
        .unwrap();
    for _ in 0..4 {
        assert!(matches!(
            world.paycode.set_pin(user, "999999", Some("000000")),
            Err(Error::Forbidden(_))
        ));
    }
    world
        .paycode
        .set_pin(user, "135791", Some("135791"))
        .unwrap();
    assert!(matches!(
        world.paycode.set_pin(user, "999999", Some("000000")),
        Err(Error::Forbidden(_))
    ));
}

#[test]
fn concurrent_wrong_pins_cannot_overshoot_the_limit() {
    let world = World::new(Config::default());
    let (user, _device) = world.user_with_money("concurrent", 0);
    world.paycode.set_pin(user, "246810", None).unwrap();
    let answers: Vec<Result<(), Error>> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..16)
            .map(|guess| {
                let paycode = &world.paycode;
                scope.spawn(move || {
                    paycode.set_pin(user, "999999", Some(&format!("{:06}", 200_000 + guess)))
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|guess| guess.join().unwrap())
            .collect()
    });
    let compared = answers
        .iter()
        .filter(|answer| matches!(answer, Err(Error::Forbidden(_))))
        .count();
    let locked = answers
        .iter()
        .filter(|answer| matches!(answer, Err(Error::PinLocked)))
        .count();
    assert_eq!(compared + locked, 16, "{answers:?}");
    assert!(
        compared <= 4,
        "{compared} wrong PINs were compared before the lock"
    );
}

#[test]
fn enrolling_or_rotating_a_device_needs_the_pin_or_else_the_password() {
    let world = World::new(Config::default());
    let (user, device) = world.user_with_money("careful", 0);
    let enroll = |pin, password| {
        world
            .paycode
            .enroll_device(user, Some("tablet"), pin, password)
    };
    assert!(matches!(enroll(None, None), Err(Error::Forbidden(_))));
    assert!(matches!(
        enroll(None, Some("wrong horse battery")),
        Err(Error::Forbidden(_))
    ));
    assert!(enroll(None, Some(PASSWORD)).is_ok());

    world.paycode.set_pin(user, "246810", None).unwrap();
    assert!(
        matches!(enroll(None, Some(PASSWORD)), Err(Error::Forbidden(_))),
        "once a PIN is set, the password alone does not enroll"
    );
    assert!(matches!(
        enroll(Some("000000"), None),
        Err(Error::Forbidden(_))
    ));
    assert!(enroll(Some("246810"), None).is_ok());
    let rotate = |pin| {
        world
            .paycode
            .rotate_device(user, device.device.id.0, pin, None)
    };
    assert!(matches!(rotate(None), Err(Error::Forbidden(_))));
    assert!(matches!(rotate(Some("000000")), Err(Error::Forbidden(_))));
    assert!(rotate(Some("246810")).is_ok());
}

#[test]
fn online_codes_need_an_active_device_and_die_with_its_revocation() {
    let world = World::new(Config::default());
    let merchant = world.merchant("Kiosk");
    let deviceless = world
        .paycode
        .create_user("deviceless", PASSWORD)
        .unwrap()
        .id;
    assert!(matches!(
        world.paycode.issue_online_code(deviceless, None),
        Err(Error::Forbidden(_))
    ));

    let (user, phone) = world.user_with_money("online", 10_000);
    let code = world.paycode.issue_online_code(user, None).unwrap().code;
    let spare = world.paycode.issue_online_code(user, None).unwrap().code;
    assert_eq!(
        world.pay(merchant, "first", &code, 100).unwrap(),
        TradeStatus::Success
    );
    world
        .paycode
        .revoke_device(user, phone.device.id.0)
        .unwrap();
    assert!(matches!(
        world.pay(merchant, "second", &spare, 100),
        Err(Error::CodeExpired)
    ));
    assert!(matches!(
        world.paycode.issue_online_code(user, None),
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        world
            .paycode
            .issue_online_code(user, Some(phone.device.id.0)),
        Err(Error::DeviceRevoked)
    ));
    world.assert_ledger_ok();
}
