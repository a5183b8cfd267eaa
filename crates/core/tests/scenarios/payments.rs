//! One payment at a time: the code's window and drift, the device's lockout, the pin-free
//! limits, the confirmation with the PIN, and a cancel after a refund.

use paycode_core::model::TradeStatus;
use paycode_core::service::RefundRequest;
use paycode_core::{Config, Error};

use super::World;

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
        (cancelled.status, cancelled.refunded_amount.minor()),
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
