//! Lockouts that cannot be aimed (SPEC 2.5 points 5 and 6): wrong codes lock a device out
//! only at the merchant that sent them, many merchants together lock it everywhere and alert
//! the operator, and a merchant's failure budget holds under concurrent requests.

use std::sync::Arc;

use paycode_api::{DeviceProvisioning, PayRequest, TradeStatus};
use paycode_client::{Client, ClientError, Payment};
use paycode_core::Config;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::helpers::{
    captured_log, code_of, pay_request, spawn_app_with, test_config, Backend, Phone,
};

/// The exact attack of the issue: a wallet holder who knows the code key and a victim's slot
/// sends ten forged codes for that slot through merchant A, with the default
/// `max_failed_attempts` of 10. Merchant A is refused the device from then on; the owner still
/// pays at merchant B.
async fn forged_codes_through_one_merchant_do_not_lock_the_owner_out_at_another(backend: Backend) {
    let config = Config {
        max_failed_attempts: 10,
        ..test_config()
    };
    let app = spawn_app_with(backend, config).await;
    let victim = app.wallet("victim", 5_000).await;
    let provisioning = victim.enroll().await;
    let owner = Phone::new(&provisioning);
    let attacker = Phone::forger(&provisioning, provisioning.slot);
    let merchant_a = app.merchant("Merchant A").await;
    let merchant_b = app.merchant("Merchant B").await;
    let step = app.step();

    for index in 0..10 {
        let forged = merchant_a
            .client
            .pay(&pay_request(
                &format!("forged-{index}"),
                &attacker.code(step, index),
                100,
            ))
            .await;
        assert_eq!(code_of(forged), "CODE_INVALID", "forged code {index}");
    }

    let paid = merchant_b
        .client
        .pay(&pay_request("lunch", &owner.code(step, 0), 100))
        .await
        .expect("the owner pays at merchant B");
    assert_eq!(paid.trade.status, TradeStatus::Success);
    let at_a = merchant_a
        .client
        .pay(&pay_request("coffee", &owner.code(step, 1), 100))
        .await;
    assert_eq!(code_of(at_a), "DEVICE_LOCKED", "merchant A is refused");
    let device = device_of(&victim.client, provisioning.id).await;
    assert_eq!(device.locked_until, None, "not locked everywhere");
    assert_eq!(app.balances(&victim, &merchant_b).await, (4_900, 100));
    app.assert_ledger_ok().await;
}

/// Failures at several merchants add up: at `global_failed_attempts` within the lockout
/// period the device is refused everywhere, the operator is alerted in the metrics and the
/// log, and an admin unlock clears every count so that the device pays again everywhere.
async fn failures_at_many_merchants_lock_the_device_everywhere_and_alert_the_operator(
    backend: Backend,
) {
    let config = Config {
        max_failed_attempts: 3,
        global_failed_attempts: 6,
        ..test_config()
    };
    let app = spawn_app_with(backend, config).await;
    let wallet = app.wallet("alice", 5_000).await;
    let provisioning = wallet.enroll().await;
    let phone = Phone::new(&provisioning);
    let impostor = Phone::impostor(&provisioning);
    let shops = [
        app.merchant("Canteen").await,
        app.merchant("Kiosk").await,
        app.merchant("Bookshop").await,
    ];
    let step = app.step();

    for (number, shop) in shops[..2].iter().enumerate() {
        for index in 0..3 {
            let wrong = shop
                .client
                .pay(&pay_request(
                    &format!("wrong-{number}-{index}"),
                    &impostor.code(step, index),
                    100,
                ))
                .await;
            assert_eq!(
                code_of(wrong),
                "CODE_INVALID",
                "shop {number}, code {index}"
            );
        }
    }
    let elsewhere = shops[2]
        .client
        .pay(&pay_request("order-1", &phone.code(step, 0), 100))
        .await;
    assert_eq!(code_of(elsewhere), "DEVICE_LOCKED", "locked everywhere");
    let device = device_of(&wallet.client, provisioning.id).await;
    assert_eq!(device.failed_attempts, 6);
    assert!(device.locked_until.is_some());
    let metrics = app.anonymous.metrics().await.unwrap();
    assert!(
        metrics.contains("paycode_device_global_lockouts_total 1"),
        "{metrics}"
    );
    let log = captured_log();
    assert!(log.contains("device locked at every merchant"));
    assert!(log.contains(&format!(
        "device={} failures=6 merchants=2",
        provisioning.id
    )));

    let unlocked = app.admin.unlock_device(provisioning.id).await.unwrap();
    assert_eq!((unlocked.failed_attempts, unlocked.locked_until), (0, None));
    for (number, shop) in shops.iter().enumerate() {
        let index = u8::try_from(number).unwrap() + 1;
        let paid = shop
            .client
            .pay(&pay_request(
                &format!("after-{number}"),
                &phone.code(step, index),
                100,
            ))
            .await
            .unwrap_or_else(|error| panic!("shop {number} after the unlock: {error}"));
        assert_eq!(paid.trade.status, TradeStatus::Success);
    }
    app.assert_ledger_ok().await;
}

/// A merchant's lockout ends after `lockout_seconds`, and then the merchant has exactly
/// `max_failed_attempts` guesses again: no more than that per lockout period.
async fn a_lockout_at_one_merchant_ends_after_the_lockout_period(backend: Backend) {
    let app = spawn_app_with(backend, test_config()).await;
    let wallet = app.wallet("alice", 5_000).await;
    let provisioning = wallet.enroll().await;
    let phone = Phone::new(&provisioning);
    let impostor = Phone::impostor(&provisioning);
    let shop = app.merchant("Canteen").await;
    let guess = |index: u8| {
        let code = impostor.code(app.step(), index);
        let client = shop.client.clone();
        async move {
            code_of(
                client
                    .pay(&pay_request(&format!("guess-{index}"), &code, 100))
                    .await,
            )
        }
    };
    for index in 0..3 {
        assert_eq!(guess(index).await, "CODE_INVALID");
    }
    assert_eq!(guess(3).await, "DEVICE_LOCKED");

    app.clock.advance_seconds(1_800);
    for index in 4..7 {
        assert_eq!(guess(index).await, "CODE_INVALID", "guess {index}");
    }
    assert_eq!(guess(7).await, "DEVICE_LOCKED");
    app.clock.advance_seconds(1_800);
    let paid = shop
        .client
        .pay(&pay_request("order-1", &phone.code(app.step(), 0), 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    app.assert_ledger_ok().await;
}

/// Codes that fail are counted against the merchant before they are verified: fifty wrong
/// codes sent at once by a merchant with a budget of ten get exactly ten `CODE_INVALID` and
/// forty `RATE_LIMITED`; another merchant is not limited, and the merchant may pay again in
/// the next minute.
async fn wrong_codes_sent_at_once_cannot_overshoot_the_merchant_failure_budget(backend: Backend) {
    const BUDGET: usize = 10;
    const REQUESTS: usize = 50;
    let config = Config {
        merchant_failures_per_minute: u32::try_from(BUDGET).unwrap(),
        ..test_config()
    };
    let app = spawn_app_with(backend, config).await;
    let wallet = app.wallet("alice", 5_000).await;
    let provisioning = wallet.enroll().await;
    let phone = Phone::new(&provisioning);
    let guesser = app.merchant("Guesser").await;
    let other = app.merchant("Canteen").await;
    let step = app.step();
    let requests = (0..REQUESTS)
        .map(|index| {
            let slot = 1 + i64::try_from(index).unwrap();
            let forged = unknown_slot_code(&provisioning, slot, step);
            pay_request(&format!("guess-{index}"), &forged, 100)
        })
        .collect();

    let answers = pay_all_at_once(&guesser.client, requests).await;
    let refusals: Vec<String> = answers.into_iter().map(code_of).collect();
    let count = |code: &str| refusals.iter().filter(|refusal| *refusal == code).count();
    assert_eq!(
        (count("CODE_INVALID"), count("RATE_LIMITED")),
        (BUDGET, REQUESTS - BUDGET),
        "{refusals:?}"
    );

    let limited = guesser
        .client
        .pay(&pay_request("order-1", &phone.code(step, 0), 100))
        .await;
    assert_eq!(code_of(limited), "RATE_LIMITED");
    let paid = other
        .client
        .pay(&pay_request("order-1", &phone.code(step, 1), 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    app.clock.advance_seconds(60);
    let paid = guesser
        .client
        .pay(&pay_request("order-1", &phone.code(app.step(), 2), 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    app.assert_ledger_ok().await;
}

on_both_backends!(
    forged_codes_through_one_merchant_do_not_lock_the_owner_out_at_another,
    failures_at_many_merchants_lock_the_device_everywhere_and_alert_the_operator,
    a_lockout_at_one_merchant_ends_after_the_lockout_period,
    wrong_codes_sent_at_once_cannot_overshoot_the_merchant_failure_budget,
);

/// A well-formed code for `slot` (almost surely a slot no device has, now that slots are
/// random), made with the deployment's code key.
pub fn unknown_slot_code(provisioning: &DeviceProvisioning, slot: i64, step: u64) -> String {
    assert_ne!(slot, provisioning.slot);
    Phone::forger(provisioning, slot).code(step, 0)
}

/// The wallet's device with `id`, as the wallet lists it.
async fn device_of(wallet: &Client, id: i64) -> paycode_api::Device {
    wallet
        .devices()
        .await
        .unwrap()
        .into_iter()
        .find(|device| device.id == id)
        .expect("the device is listed")
}

/// Sends every request at once: a barrier releases them together once every task is ready.
async fn pay_all_at_once(
    client: &Client,
    requests: Vec<PayRequest>,
) -> Vec<Result<Payment, ClientError>> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let mut tasks = JoinSet::new();
    for request in requests {
        let (client, barrier) = (client.clone(), Arc::clone(&barrier));
        tasks.spawn(async move {
            barrier.wait().await;
            client.pay(&request).await
        });
    }
    tasks.join_all().await
}
