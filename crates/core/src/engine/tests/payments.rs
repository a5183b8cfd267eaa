//! Payments that go through, a retry, the learned drift, and a view missing a key.

use super::*;

#[test]
fn a_good_offline_code_pays_and_writes_the_spend_the_device_the_posting_and_the_trade() {
    let world = World::new();
    let decided = world.one(world.offline("t1", 2_500, server_step(), 0));
    let trade = made(&decided);
    assert_eq!(trade.status, TradeStatus::Success);
    assert_eq!((trade.amount.minor(), trade.user_id), (2_500, USER));
    assert_eq!(kinds(&decided), ["spend", "device", "post", "trade"]);
    assert_eq!(decided.writes[3], Write::InsertTrade(trade.clone()));
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
fn a_retry_with_identical_parameters_returns_the_stored_trade_and_writes_nothing() {
    let mut world = World::new();
    world.trades.push(trade("t", 100));
    let decided = world.one(world.offline("t", 100, server_step(), 0));
    assert!(
        matches!(&decided.outcome, Ok(BatchTrade::Stored(trade)) if trade.id == TradeId(99)),
        "{:?}",
        decided.outcome
    );
    assert!(decided.writes.is_empty());
}

#[test]
fn a_good_online_code_pays_once() {
    let mut world = World::new();
    world.online_code = Some(online_record(NOW + 60_000, None));
    let (decided, _) = world.batch(&[payment("a", 100, online()), payment("b", 100, online())]);
    assert_eq!(made(&decided[0]).status, TradeStatus::Success);
    assert_eq!(kinds(&decided[0]), ["spend_online", "post", "trade"]);
    assert_eq!(refusal(&decided[1]), "CODE_USED");
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
