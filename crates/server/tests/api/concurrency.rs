//! Real parallel HTTP requests against one server: double spends, duplicate `out_trade_no`s,
//! a burst of payments larger than the balance, and refunds racing payments.

use paycode_api::{PayRequest, RefundRequest, TradeStatus};
use paycode_client::{Client, ClientError, Payment};
use tokio::task::JoinSet;

use crate::helpers::{captured_log, code_of, pay_request, spawn_app, Backend, Phone};
use crate::helpers::{Proof, PASSWORD};

/// Parallel requests in each scenario.
const PARALLEL_REQUESTS: usize = 50;

/// Sends every request at once, each from its own task, and collects the answers.
async fn pay_all(client: &Client, requests: Vec<PayRequest>) -> Vec<Result<Payment, ClientError>> {
    let mut tasks = JoinSet::new();
    for request in requests {
        let client = client.clone();
        tasks.spawn(async move { client.pay(&request).await });
    }
    let mut answers = Vec::with_capacity(PARALLEL_REQUESTS);
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("the request task finished"));
    }
    answers
}

async fn one_offline_code_sent_fifty_times_at_once_pays_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 10_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = alice.enroll_phone().await;
    let code = phone.code(app.step(), 0);
    let requests = (0..PARALLEL_REQUESTS)
        .map(|index| pay_request(&format!("order-{index}"), &code, 100))
        .collect();

    let answers = pay_all(&shop.client, requests).await;
    let (paid, refused): (Vec<_>, Vec<_>) = answers.into_iter().partition(Result::is_ok);
    assert_eq!(paid.len(), 1, "exactly one payment goes through");
    for refusal in refused {
        assert_eq!(code_of(refusal), "CODE_USED");
    }
    assert_eq!(app.balances(&alice, &shop).await, (9_900, 100));
    app.assert_ledger_ok().await;
}

async fn one_out_trade_no_and_code_sent_fifty_times_at_once_charges_once_and_answers_alike(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 10_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = alice.enroll_phone().await;
    let request = pay_request("order-1", &phone.code(app.step(), 0), 100);
    let requests = vec![request; PARALLEL_REQUESTS];

    let answers = pay_all(&shop.client, requests).await;
    let trades: Vec<Payment> = answers
        .into_iter()
        .map(|answer| answer.expect("every duplicate gets the trade"))
        .collect();
    let first = &trades[0].trade;
    assert_eq!(first.status, TradeStatus::Success);
    assert!(trades
        .iter()
        .all(|payment| payment.trade.trade_no == first.trade_no));
    assert_eq!(app.balances(&alice, &shop).await, (9_900, 100));
    app.assert_ledger_ok().await;
}

async fn fifty_payments_at_once_beyond_the_balance_never_take_it_below_zero(backend: Backend) {
    const BALANCE: i64 = 1_000;
    const AMOUNT: i64 = 30;
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", BALANCE).await;
    let shop = app.merchant("Canteen").await;
    // Thirty offline codes from three devices (ten code indexes each) and twenty online codes.
    let mut codes = Vec::with_capacity(PARALLEL_REQUESTS);
    let mut device_ids = Vec::new();
    for _ in 0..3 {
        let provisioning = alice.enroll().await;
        device_ids.push(provisioning.id);
        let phone = Phone::new(&provisioning);
        codes.extend((0..10).map(|index| phone.code(app.step(), index)));
    }
    while codes.len() < PARALLEL_REQUESTS {
        let device = device_ids[codes.len() % device_ids.len()];
        codes.push(alice.client.online_code(Some(device)).await.unwrap().code);
    }
    let requests = codes
        .iter()
        .enumerate()
        .map(|(index, code)| pay_request(&format!("order-{index}"), code, AMOUNT))
        .collect();

    let answers = pay_all(&shop.client, requests).await;
    let mut successes = 0;
    for answer in answers {
        match answer {
            Ok(payment) => {
                assert_eq!(payment.trade.status, TradeStatus::Success);
                successes += 1;
            }
            refused => assert_eq!(code_of(refused), "INSUFFICIENT_FUNDS"),
        }
    }
    let (wallet_balance, shop_balance) = app.balances(&alice, &shop).await;
    assert!(wallet_balance >= 0);
    assert_eq!(
        successes,
        BALANCE / AMOUNT,
        "every payment the balance covers succeeds"
    );
    assert_eq!(wallet_balance, BALANCE - AMOUNT * successes);
    assert_eq!(shop_balance, AMOUNT * successes);
    app.assert_ledger_ok().await;
}

/// Refunds and payments of the same user at the same merchant, all at once, never deadlock:
/// both lock the user's balance before the merchant's. (A deadlock would be resolved by the
/// database aborting one transaction, which is retried, so the outcome alone cannot show it;
/// the database's own message in the log does.)
async fn refunds_racing_payments_of_the_same_user_never_deadlock(backend: Backend) {
    const TRADES: usize = 25;
    const AMOUNT: i64 = 100;
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 1_000_000).await;
    alice.enroll().await;
    let shop = app.merchant("Canteen").await;
    for index in 0..TRADES {
        let code = alice.client.online_code(None).await.unwrap().code;
        shop.client
            .pay(&pay_request(&format!("paid-{index}"), &code, AMOUNT))
            .await
            .unwrap();
    }
    let mut codes = Vec::with_capacity(TRADES);
    for _ in 0..TRADES {
        codes.push(alice.client.online_code(None).await.unwrap().code);
    }
    let deadlocks_before = captured_log().matches("deadlock detected").count();

    let mut tasks = JoinSet::new();
    for (index, code) in codes.into_iter().enumerate() {
        let client = shop.client.clone();
        tasks.spawn(async move {
            let refund = RefundRequest {
                out_refund_no: format!("refund-{index}"),
                amount: AMOUNT,
                reason: None,
            };
            let refunded = client.refund(&format!("paid-{index}"), &refund).await;
            let paid = client
                .pay(&pay_request(&format!("new-{index}"), &code, AMOUNT))
                .await;
            (refunded.map(|_| ()), paid)
        });
        let client = shop.client.clone();
        let racing = alice.client.online_code(None).await.unwrap().code;
        tasks.spawn(async move {
            let paid = client
                .pay(&pay_request(&format!("racing-{index}"), &racing, AMOUNT))
                .await;
            (Ok(()), paid)
        });
    }
    while let Some(answer) = tasks.join_next().await {
        let (refunded, paid) = answer.expect("the task finished");
        refunded.expect("every refund succeeds");
        assert_eq!(
            paid.expect("every payment succeeds").trade.status,
            TradeStatus::Success
        );
    }

    assert_eq!(
        captured_log().matches("deadlock detected").count(),
        deadlocks_before,
        "a refund and a payment deadlocked"
    );
    let paid = i64::try_from(3 * TRADES).unwrap() * AMOUNT;
    let refunded = i64::try_from(TRADES).unwrap() * AMOUNT;
    assert_eq!(
        app.balances(&alice, &shop).await,
        (1_000_000 - paid + refunded, paid - refunded)
    );
    app.assert_ledger_ok().await;
}

/// Enrollments of one user at once with room for fewer than they are, and twenty new keys of
/// one merchant at once against the cap of ten live keys: the caps hold. (Four enrollments at
/// once, not more: each checks the password, and checks in flight count against the limit of
/// five wrong PINs or passwords in a row until they prove right.)
async fn device_and_key_caps_hold_under_concurrent_requests(backend: Backend) {
    use paycode_core::limits::{MAX_ACTIVE_DEVICES_PER_USER, MAX_KEYS_PER_MERCHANT};
    const AT_ONCE: usize = 4;
    const KEYS_AT_ONCE: usize = 20;
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 0).await;
    let shop = app.merchant("Canteen").await;
    let room = 2;
    for _ in 0..MAX_ACTIVE_DEVICES_PER_USER - room {
        alice.enroll().await;
    }
    let mut enrollments = JoinSet::new();
    for _ in 0..AT_ONCE {
        let client = alice.client.clone();
        enrollments.spawn(async move {
            client
                .enroll_device(None, Proof::Password(PASSWORD))
                .await
                .map(|_| ())
        });
    }
    let mut keys = JoinSet::new();
    for _ in 0..KEYS_AT_ONCE {
        let admin = app.admin.clone();
        keys.spawn(async move { admin.add_merchant_key(shop.id).await.map(|_| ()) });
    }
    let enrolled = count_successes(enrollments, "LIMIT_EXCEEDED").await;
    let added = count_successes(keys, "LIMIT_EXCEEDED").await;
    assert_eq!(enrolled, room);
    assert_eq!(
        alice.client.devices().await.unwrap().len(),
        MAX_ACTIVE_DEVICES_PER_USER
    );
    // The merchant's first key was made with the merchant.
    assert_eq!(added, MAX_KEYS_PER_MERCHANT - 1);
    app.assert_ledger_ok().await;
}

/// How many tasks succeeded; every other one must have been refused with `refusal`.
async fn count_successes(mut tasks: JoinSet<Result<(), ClientError>>, refusal: &str) -> usize {
    let mut successes = 0;
    while let Some(answer) = tasks.join_next().await {
        match answer.expect("the request task finished") {
            Ok(()) => successes += 1,
            Err(error) => assert_eq!(code_of::<()>(Err(error)), refusal),
        }
    }
    successes
}

on_both_backends!(
    refunds_racing_payments_of_the_same_user_never_deadlock,
    device_and_key_caps_hold_under_concurrent_requests,
    one_offline_code_sent_fifty_times_at_once_pays_exactly_once,
    one_out_trade_no_and_code_sent_fifty_times_at_once_charges_once_and_answers_alike,
    fifty_payments_at_once_beyond_the_balance_never_take_it_below_zero,
);
