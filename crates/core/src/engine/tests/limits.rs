//! The pin-free limits and the lockouts, at their boundaries.

use super::*;

fn status_for(amount: i64, pin_free_today: i64) -> TradeStatus {
    let mut world = World::new();
    world.pin_free_today = pin_free_today;
    let decided = world.one(world.offline("t", amount, server_step(), 0));
    made(&decided).status
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
    let trade = made(&decided);
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
    assert_eq!(made(&decided[0]).status, TradeStatus::Success);
    assert_eq!(made(&decided[1]).status, TradeStatus::UserPaying);
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
