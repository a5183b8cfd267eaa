//! Failed verifications pruned, wrong PINs locked out, devices enrolled and rotated with the
//! PIN or the password, and online codes tied to an active device.

use paycode_core::model::TradeStatus;
use paycode_core::{Config, Error};

use super::{World, PASSWORD};

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
