//! Tests of `decide` with no database: a view filled by hand, one payment or a batch of them
//! decided against it, and the outcome and the writes compared with what the rules say.

use paycode_codec::{offline_counter, CodeIndex, DeviceSlot, OfflinePayload, OTP_DIGITS};
use paycode_otp::{Algorithm, HotpKey, Secret};

use super::check_invariants;
use super::decide::{decide, Alert, Decided, Rules};
use super::plan::{Instant, Payment, ScannedCode};
use super::view::{View, ViewBuilder};
use super::write::Write;
use crate::config::Config;
use crate::crypto::{MasterKey, MasterKeys};
use crate::error::Error;
use crate::ids::{AccountId, DeviceId, MerchantId, TradeId, UserId};
use crate::model::{
    DeviceFailures, DeviceRecord, DeviceStatus, MerchantRecord, OnlineCodeRecord, TradeRecord,
    TradeStatus, UserRecord,
};
use crate::money::Amount;
use crate::service::device_associated_data;
use crate::store::{NewLedgerTransaction, SpentOfflineCode};
use crate::text::Reference;

const NOW: i64 = 1_796_000_000_000;
const PERIOD: u32 = 30;
const DEVICE: DeviceId = DeviceId(7);
const USER: UserId = UserId(1);
const USER_ACCOUNT: AccountId = AccountId(10);
const MERCHANT: MerchantId = MerchantId(3);
const MERCHANT_ACCOUNT: AccountId = AccountId(30);
const OTHER_MERCHANT: MerchantId = MerchantId(4);
const ONLINE_HASH: &[u8] = b"online code hash";

/// The stored state a test starts from, and the rules it runs under.
struct World {
    config: Config,
    keys: MasterKeys,
    secret: Secret,
    device: DeviceRecord,
    device_failures: Vec<DeviceFailures>,
    spent: Vec<SpentOfflineCode>,
    balance: i64,
    pin_free_today: i64,
    merchant_failures: u32,
    online_code: Option<OnlineCodeRecord>,
    trades: Vec<TradeRecord>,
}

fn server_step() -> u64 {
    (NOW / 1_000) as u64 / u64::from(PERIOD)
}

impl World {
    fn new() -> Self {
        let keys = MasterKeys::new(1, vec![MasterKey::new(1, [9; 32])]).unwrap();
        let secret = Secret::from_bytes(vec![42; 20]).unwrap();
        let sealed = keys
            .seal(&device_associated_data(DEVICE), secret.expose_bytes())
            .unwrap();
        let device = DeviceRecord {
            id: DEVICE,
            user_id: USER,
            name: None,
            algorithm: Algorithm::Sha1,
            period_seconds: PERIOD,
            secret: sealed,
            status: DeviceStatus::Active,
            failed_attempts: 0,
            locked_until: None,
            drift_steps: 0,
            created_at: NOW - 86_400_000,
            last_used_at: None,
        };
        Self {
            config: Config::default(),
            keys,
            secret,
            device,
            device_failures: Vec::new(),
            spent: Vec::new(),
            balance: 1_000_000,
            pin_free_today: 0,
            merchant_failures: 0,
            online_code: None,
            trades: Vec::new(),
        }
    }

    /// The payload of the device's code `index` made at `step`.
    fn payload(&self, step: u64, index: u8) -> OfflinePayload {
        let index = CodeIndex::new(index).unwrap();
        let key = HotpKey::new(&self.secret, Algorithm::Sha1);
        OfflinePayload {
            slot: DeviceSlot::new(DEVICE.0 as u32).unwrap(),
            index,
            otp: key.value(offline_counter(index, step), OTP_DIGITS),
        }
    }

    /// A payment of `amount` with the device's code `index` of `step`.
    fn offline(&self, out_trade_no: &str, amount: i64, step: u64, index: u8) -> Payment {
        payment(
            out_trade_no,
            amount,
            ScannedCode::Offline(self.payload(step, index)),
        )
    }

    /// What prefetch would load for `payments`.
    fn view(&self, payments: &[Payment]) -> View {
        let mut builder = ViewBuilder::new(Instant { millis: NOW });
        let keys: Vec<_> = payments.iter().map(Payment::trade_key).collect();
        builder.trades(&keys, self.trades.clone());
        builder.merchant_failures(&[MERCHANT], vec![(MERCHANT, self.merchant_failures)]);
        let from = server_step() - 30;
        builder.devices(
            &[DEVICE],
            vec![self.device.clone()],
            self.device_failures.clone(),
            &[(DEVICE, from)],
            self.spent.clone(),
        );
        builder.online_codes(vec![(ONLINE_HASH.to_vec(), self.online_code.clone())]);
        builder.payers(
            &[USER],
            vec![UserRecord {
                id: USER,
                username: "alice".to_owned(),
                password_hash: String::new(),
                pin_hash: None,
                account_id: USER_ACCOUNT,
                created_at: 0,
            }],
            vec![(USER_ACCOUNT, self.balance)],
            vec![(USER, self.pin_free_today)],
        );
        builder.merchants(
            &[MERCHANT],
            vec![MerchantRecord {
                id: MERCHANT,
                name: "Canteen".to_owned(),
                account_id: MERCHANT_ACCOUNT,
                created_at: 0,
                webhook: None,
            }],
        );
        builder.build()
    }

    /// Decides `payments` as one batch, each seeing the writes of those before it.
    fn batch(&self, payments: &[Payment]) -> (Vec<Decided>, View) {
        let mut view = self.view(payments);
        let rules = Rules {
            config: &self.config,
            keys: &self.keys,
            event_data: None,
        };
        let decided = payments
            .iter()
            .enumerate()
            .map(|(number, payment)| {
                let decided = decide(&rules, &view, payment, &format!("T{number}"));
                view.absorb(&decided.writes).unwrap();
                decided
            })
            .collect();
        (decided, view)
    }

    fn one(&self, payment: Payment) -> Decided {
        self.batch(&[payment]).0.remove(0)
    }
}

fn payment(out_trade_no: &str, amount: i64, code: ScannedCode) -> Payment {
    Payment {
        merchant: MERCHANT,
        out_trade_no: Reference::parse("out_trade_no", out_trade_no).unwrap(),
        code,
        amount: Amount::new(amount).unwrap(),
        subject: None,
        terminal_id: None,
        auth_code_hash: out_trade_no.as_bytes().to_vec(),
    }
}

fn refusal(decided: &Decided) -> &'static str {
    match &decided.outcome {
        Ok(trade) => panic!("expected a refusal, got {trade:?}"),
        Err(error) => error.kind().as_str(),
    }
}

fn kinds(decided: &Decided) -> Vec<&'static str> {
    decided
        .writes
        .iter()
        .map(|write| match write {
            Write::SpendOfflineCode(_) => "spend",
            Write::SpendOnlineCode { .. } => "spend_online",
            Write::PutDevice(_) => "device",
            Write::PutDeviceFailures(_) => "device_failures",
            Write::AddMerchantFailure(_) => "merchant_failure",
            Write::Audit(_) => "audit",
            Write::Post(_) => "post",
            Write::InsertTrade(_) => "trade",
            Write::InsertEvent(_) => "event",
            Write::CountRefusal(_) => "refusal",
        })
        .collect()
}

#[test]
fn a_good_offline_code_pays_and_writes_the_spend_the_device_the_posting_and_the_trade() {
    let world = World::new();
    let decided = world.one(world.offline("t1", 2_500, server_step(), 0));
    let trade = decided.outcome.as_ref().unwrap();
    assert_eq!(trade.status, TradeStatus::Success);
    assert_eq!(
        (trade.amount, trade.user_id, trade.id),
        (2_500, USER, TradeId(0))
    );
    assert_eq!(kinds(&decided), ["spend", "device", "post", "trade"]);
    let Write::Post(posting) = &decided.writes[2] else {
        unreachable!()
    };
    assert_eq!(
        posting.postings,
        [(USER_ACCOUNT, -2_500), (MERCHANT_ACCOUNT, 2_500)]
    );
    assert_eq!(decided.alert, None);
}

#[test]
fn every_refusal_code_with_the_writes_it_keeps() {
    struct Case {
        name: &'static str,
        setup: fn(&mut World),
        payment: fn(&World) -> Payment,
        code: &'static str,
        writes: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "a wrong OTP",
            setup: |_| {},
            payment: |world| {
                let mut payload = world.payload(server_step(), 0);
                payload.otp = (payload.otp + 1) % 1_000_000;
                payment("t", 100, ScannedCode::Offline(payload))
            },
            code: "CODE_INVALID",
            writes: &[
                "device_failures",
                "device",
                "audit",
                "merchant_failure",
                "refusal",
            ],
        },
        Case {
            name: "an unknown device slot",
            setup: |world| world.device.id = DeviceId(8),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "CODE_INVALID",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "an undecodable offline code",
            setup: |_| {},
            payment: |_| payment("t", 100, ScannedCode::Undecodable),
            code: "CODE_INVALID",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "an unknown online code",
            setup: |_| {},
            payment: |_| payment("t", 100, online()),
            code: "CODE_INVALID",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "a replayed offline code",
            setup: |world| {
                world.spent.push(SpentOfflineCode {
                    device: DEVICE,
                    step: server_step(),
                    index: 0,
                })
            },
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "CODE_USED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a used online code",
            setup: |world| world.online_code = Some(online_record(NOW + 60_000, Some(NOW - 1))),
            payment: |_| payment("t", 100, online()),
            code: "CODE_USED",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "an expired online code",
            setup: |world| world.online_code = Some(online_record(NOW, None)),
            payment: |_| payment("t", 100, online()),
            code: "CODE_EXPIRED",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "a revoked device",
            setup: |world| world.device.status = DeviceStatus::Revoked,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_REVOKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a device locked everywhere",
            setup: |world| world.device.locked_until = Some(NOW + 1),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_LOCKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a device locked at this merchant",
            setup: |world| {
                world.device_failures.push(DeviceFailures {
                    device_id: DEVICE,
                    merchant_id: MERCHANT,
                    failures: 10,
                    since: NOW - 1_000,
                    locked_until: Some(NOW + 1),
                })
            },
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_LOCKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a merchant out of its failure budget",
            setup: |world| world.merchant_failures = world.config.merchant_failures_per_minute,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "RATE_LIMITED",
            writes: &["refusal"],
        },
        Case {
            name: "too little money",
            setup: |world| world.balance = 99,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "INSUFFICIENT_FUNDS",
            writes: &["spend", "device", "refusal"],
        },
        Case {
            name: "an out_trade_no reused with another amount",
            setup: |world| world.trades.push(trade("t", 50)),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "OUT_TRADE_NO_CONFLICT",
            writes: &[],
        },
    ];
    for case in cases {
        let mut world = World::new();
        (case.setup)(&mut world);
        let decided = world.one((case.payment)(&world));
        assert_eq!(refusal(&decided), case.code, "{}", case.name);
        assert_eq!(kinds(&decided), case.writes, "{}", case.name);
    }
}

fn online() -> ScannedCode {
    ScannedCode::Online {
        hash: ONLINE_HASH.to_vec(),
    }
}

fn online_record(expires_at: i64, used_at: Option<i64>) -> OnlineCodeRecord {
    OnlineCodeRecord {
        code_hash: ONLINE_HASH.to_vec(),
        user_id: USER,
        device_id: None,
        created_at: NOW - 10_000,
        expires_at,
        used_at,
    }
}

fn trade(out_trade_no: &str, amount: i64) -> TradeRecord {
    TradeRecord {
        id: TradeId(99),
        trade_no: "T99".to_owned(),
        merchant_id: MERCHANT,
        user_id: USER,
        out_trade_no: out_trade_no.to_owned(),
        auth_code_hash: out_trade_no.as_bytes().to_vec(),
        amount,
        refunded_amount: 0,
        status: TradeStatus::Success,
        subject: None,
        terminal_id: None,
        pin_free: true,
        pin_attempts: 0,
        created_at: NOW - 5_000,
        paid_at: Some(NOW - 5_000),
        confirm_deadline: None,
        finished_at: None,
    }
}

#[test]
fn a_retry_with_identical_parameters_returns_the_stored_trade_and_writes_nothing() {
    let mut world = World::new();
    world.trades.push(trade("t", 100));
    let decided = world.one(world.offline("t", 100, server_step(), 0));
    assert_eq!(decided.outcome.unwrap().id, TradeId(99));
    assert!(decided.writes.is_empty());
}

#[test]
fn a_good_online_code_pays_once() {
    let mut world = World::new();
    world.online_code = Some(online_record(NOW + 60_000, None));
    let (decided, _) = world.batch(&[payment("a", 100, online()), payment("b", 100, online())]);
    assert_eq!(
        decided[0].outcome.as_ref().unwrap().status,
        TradeStatus::Success
    );
    assert_eq!(kinds(&decided[0]), ["spend_online", "post", "trade"]);
    assert_eq!(refusal(&decided[1]), "CODE_USED");
}

fn status_for(amount: i64, pin_free_today: i64) -> TradeStatus {
    let mut world = World::new();
    world.pin_free_today = pin_free_today;
    let decided = world.one(world.offline("t", amount, server_step(), 0));
    decided.outcome.unwrap().status
}

#[test]
fn the_pin_free_limits_hold_at_their_boundaries() {
    let config = Config::default();
    let (single, daily) = (config.pin_free_limit, config.daily_pin_free_limit);
    assert_eq!(status_for(single, 0), TradeStatus::Success);
    assert_eq!(status_for(single + 1, 0), TradeStatus::UserPaying);
    assert_eq!(status_for(100, daily - 100), TradeStatus::Success);
    assert_eq!(status_for(101, daily - 100), TradeStatus::UserPaying);
}

#[test]
fn a_payment_above_the_limit_waits_for_the_pin_and_moves_no_money() {
    let world = World::new();
    let amount = world.config.pin_free_limit + 1;
    let decided = world.one(world.offline("t", amount, server_step(), 0));
    let trade = decided.outcome.as_ref().unwrap();
    assert_eq!(trade.status, TradeStatus::UserPaying);
    assert_eq!(trade.confirm_deadline, Some(NOW + 60_000));
    assert_eq!(kinds(&decided), ["spend", "device", "trade"]);
}

#[test]
fn the_pin_free_total_grows_within_a_batch() {
    let mut world = World::new();
    world.pin_free_today = world.config.daily_pin_free_limit - 150;
    let (decided, _) = world.batch(&[
        world.offline("a", 100, server_step(), 0),
        world.offline("b", 100, server_step(), 1),
    ]);
    assert_eq!(
        decided[0].outcome.as_ref().unwrap().status,
        TradeStatus::Success
    );
    assert_eq!(
        decided[1].outcome.as_ref().unwrap().status,
        TradeStatus::UserPaying
    );
}

#[test]
fn the_drift_moves_the_window_and_is_learned() {
    let mut world = World::new();
    // Skew 1: a code two steps ahead does not verify with no drift ...
    let ahead = world.one(world.offline("t", 100, server_step() + 2, 0));
    assert_eq!(refusal(&ahead), "CODE_INVALID");
    // ... and does with the drift the device showed before, which it then learns.
    world.device.drift_steps = 1;
    let decided = world.one(world.offline("t", 100, server_step() + 2, 0));
    assert!(decided.outcome.is_ok());
    let Some(Write::PutDevice(device)) = decided.writes.get(1) else {
        panic!("{:?}", decided.writes)
    };
    assert_eq!(device.drift_steps, 2);
    assert_eq!(device.last_used_at, Some(NOW));
}

fn wrong_code(world: &World, out_trade_no: &str) -> Payment {
    let mut payload = world.payload(server_step(), 0);
    payload.otp = (payload.otp + 1) % 1_000_000;
    payment(out_trade_no, 100, ScannedCode::Offline(payload))
}

#[test]
fn the_last_allowed_wrong_code_locks_the_device_at_the_merchant() {
    let mut world = World::new();
    let limit = world.config.max_failed_attempts;
    world.device_failures.push(DeviceFailures {
        device_id: DEVICE,
        merchant_id: MERCHANT,
        failures: limit - 2,
        since: NOW - 1_000,
        locked_until: None,
    });
    let (decided, _) = world.batch(&[
        wrong_code(&world, "a"),
        wrong_code(&world, "b"),
        world.offline("c", 100, server_step(), 0),
    ]);
    assert_eq!(refusal(&decided[0]), "CODE_INVALID");
    assert_eq!(decided[0].alert, None);
    assert_eq!(refusal(&decided[1]), "CODE_INVALID");
    assert_eq!(
        decided[1].alert,
        Some(Alert::LockedAtMerchant {
            device: DEVICE,
            merchant: MERCHANT,
            failures: limit
        })
    );
    // The next code of the batch, a good one, is refused: the lockout is in the view.
    assert_eq!(refusal(&decided[2]), "DEVICE_LOCKED");
}

#[test]
fn failures_at_every_merchant_together_lock_the_device_everywhere() {
    let mut world = World::new();
    world.config.global_failed_attempts = 5;
    world.device_failures.push(DeviceFailures {
        device_id: DEVICE,
        merchant_id: OTHER_MERCHANT,
        failures: 4,
        since: NOW - 1_000,
        locked_until: None,
    });
    let decided = world.one(wrong_code(&world, "a"));
    assert_eq!(
        decided.alert,
        Some(Alert::LockedEverywhere {
            device: DEVICE,
            failures: 5,
            merchants: 2
        })
    );
    let device = decided
        .writes
        .iter()
        .find_map(|write| match write {
            Write::PutDevice(device) => Some(device),
            _ => None,
        })
        .unwrap();
    assert_eq!(device.locked_until, Some(NOW + 1_800_000));
}

#[test]
fn a_code_used_twice_in_one_batch_pays_once() {
    let world = World::new();
    let (decided, view) = world.batch(&[
        world.offline("a", 100, server_step(), 0),
        world.offline("b", 100, server_step(), 0),
    ]);
    assert!(decided[0].outcome.is_ok());
    assert_eq!(refusal(&decided[1]), "CODE_USED");
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), world.balance - 100);
}

#[test]
fn the_same_out_trade_no_twice_in_one_batch_makes_one_trade() {
    let world = World::new();
    let first = world.offline("a", 100, server_step(), 0);
    let (decided, view) = world.batch(&[first.clone(), first]);
    assert_eq!(decided[0].outcome.as_ref().unwrap().trade_no, "T0");
    assert_eq!(decided[1].outcome.as_ref().unwrap().trade_no, "T0");
    assert!(decided[1].writes.is_empty());
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), world.balance - 100);
}

#[test]
fn payments_of_one_batch_cannot_spend_more_than_the_balance() {
    let mut world = World::new();
    world.balance = 250;
    let (decided, view) = world.batch(&[
        world.offline("a", 100, server_step(), 0),
        world.offline("b", 100, server_step(), 1),
        world.offline("c", 100, server_step(), 2),
    ]);
    assert!(decided[0].outcome.is_ok() && decided[1].outcome.is_ok());
    assert_eq!(refusal(&decided[2]), "INSUFFICIENT_FUNDS");
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), 50);
    let writes: Vec<Write> = decided
        .into_iter()
        .flat_map(|decided| decided.writes)
        .collect();
    check_invariants(&view, &writes).unwrap();
}

#[test]
fn a_key_the_plan_did_not_load_fails_the_payment_and_keeps_nothing() {
    let world = World::new();
    let view = world.view(&[]);
    let rules = Rules {
        config: &world.config,
        keys: &world.keys,
        event_data: None,
    };
    let decided = decide(
        &rules,
        &view,
        &world.offline("t", 100, server_step(), 0),
        "T",
    );
    assert!(
        matches!(decided.outcome, Err(Error::Internal(_))),
        "{:?}",
        decided.outcome
    );
    assert!(decided.writes.is_empty());
}

#[test]
fn the_invariants_refuse_an_unbalanced_posting_and_a_negative_payer() {
    let world = World::new();
    let view = world.view(&[]);
    let unbalanced = Write::Post(NewLedgerTransaction {
        kind: crate::model::LedgerKind::Payment,
        reference: "T".to_owned(),
        postings: vec![(USER_ACCOUNT, -100), (MERCHANT_ACCOUNT, 99)],
        created_at: NOW,
    });
    assert!(check_invariants(&view, &[unbalanced]).is_err());
    let mut overdrawn = World::new();
    overdrawn.balance = -1;
    assert!(check_invariants(&overdrawn.view(&[]), &[]).is_err());
    assert!(check_invariants(&view, &[]).is_ok());
}
