//! Payments above the pin-free limit wait for the user's PIN (`USER_PAYING`): confirmed, they
//! succeed; with a wrong PIN they keep waiting; declined or unconfirmed, they close.

use std::time::Duration;

use paycode_api::TradeStatus;
use paycode_core::ids::MerchantId;

use crate::helpers::{
    code_of, pay_request, spawn_app, status_and_code, Backend, Merchant, Proof, TestApp, Wallet,
    PIN,
};

/// Above the test configuration's `pin_free_limit` of 10 000.
const LARGE_AMOUNT: i64 = 15_000;

async fn scene(backend: Backend) -> (TestApp, Wallet, Merchant) {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 50_000).await;
    wallet.client.set_pin(PIN, None).await.unwrap();
    wallet
        .client
        .enroll_device(Some("phone"), Proof::Pin(PIN))
        .await
        .unwrap();
    let shop = app.merchant("Electronics").await;
    (app, wallet, shop)
}

/// Starts a large payment with an online code and returns its trade number.
async fn start_large_payment(wallet: &Wallet, shop: &Merchant, out_trade_no: &str) -> String {
    let code = wallet.client.online_code(None).await.unwrap().code;
    let payment = shop
        .client
        .pay(&pay_request(out_trade_no, &code, LARGE_AMOUNT))
        .await
        .unwrap();
    assert!(payment.awaiting_confirmation, "202 Accepted");
    assert_eq!(payment.trade.status, TradeStatus::UserPaying);
    assert!(payment.trade.confirm_deadline.is_some());
    assert_eq!(payment.trade.paid_at, None);
    payment.trade.trade_no
}

async fn a_large_payment_waits_for_the_pin_and_succeeds_when_confirmed(backend: Backend) {
    let (app, wallet, shop) = scene(backend).await;
    let before = app.balances(&wallet, &shop).await;
    let trade_no = start_large_payment(&wallet, &shop, "order-1").await;
    assert_eq!(
        app.balances(&wallet, &shop).await,
        before,
        "nothing moves yet"
    );
    let pending = wallet.client.pending_payments().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].trade_no, trade_no);

    let wrong = wallet.client.confirm_payment(&trade_no, "000000").await;
    assert_eq!(status_and_code(wrong), (403, "FORBIDDEN".to_owned()));
    let polled = shop.client.payment("order-1").await.unwrap();
    assert_eq!(polled.status, TradeStatus::UserPaying);
    assert_eq!(app.balances(&wallet, &shop).await, before);

    let confirmed = wallet.client.confirm_payment(&trade_no, PIN).await.unwrap();
    assert_eq!(confirmed.status, TradeStatus::Success);
    let polled = shop.client.payment("order-1").await.unwrap();
    assert_eq!(polled.status, TradeStatus::Success);
    assert!(polled.paid_at.is_some());
    assert_eq!(
        app.balances(&wallet, &shop).await,
        (before.0 - LARGE_AMOUNT, before.1 + LARGE_AMOUNT)
    );
    assert!(wallet.client.pending_payments().await.unwrap().is_empty());
    app.assert_ledger_ok().await;
}

async fn an_unconfirmed_payment_is_closed_after_the_timeout(backend: Backend) {
    let (app, wallet, shop) = scene(backend).await;
    let before = app.balances(&wallet, &shop).await;
    let trade_no = start_large_payment(&wallet, &shop, "order-1").await;
    app.clock.advance_seconds(61);
    let polled = shop.client.payment("order-1").await.unwrap();
    assert_eq!(polled.status, TradeStatus::Closed);
    let late = wallet.client.confirm_payment(&trade_no, PIN).await;
    assert_eq!(code_of(late), "CODE_EXPIRED");
    assert_eq!(app.balances(&wallet, &shop).await, before);
    app.assert_ledger_ok().await;
}

async fn a_declined_payment_is_closed_and_nothing_is_paid(backend: Backend) {
    let (app, wallet, shop) = scene(backend).await;
    let before = app.balances(&wallet, &shop).await;
    let trade_no = start_large_payment(&wallet, &shop, "order-1").await;
    let declined = wallet.client.decline_payment(&trade_no).await.unwrap();
    assert_eq!(declined.status, TradeStatus::Closed);
    assert_eq!(
        shop.client.payment("order-1").await.unwrap().status,
        TradeStatus::Closed
    );
    let after_decline = wallet.client.confirm_payment(&trade_no, PIN).await;
    assert_eq!(code_of(after_decline), "FORBIDDEN");
    assert_eq!(app.balances(&wallet, &shop).await, before);
    app.assert_ledger_ok().await;
}

async fn the_background_task_closes_overdue_payments_without_anyone_asking(backend: Backend) {
    let (app, wallet, shop) = scene(backend).await;
    start_large_payment(&wallet, &shop, "order-1").await;
    app.clock.advance_seconds(61);
    // Read the trade straight from the store: reads through the domain would close it
    // themselves, and this scenario is about the background task.
    let mut status = TradeStatus::UserPaying;
    for _ in 0..50 {
        let store = app.state.store.clone();
        let merchant = MerchantId(shop.id);
        let stored = tokio::task::spawn_blocking(move || {
            let mut transaction = store.begin().unwrap();
            transaction
                .lock_trade_by_out_trade_no(merchant, "order-1")
                .unwrap()
                .unwrap()
                .status
        })
        .await
        .unwrap();
        status = paycode_server::convert::trade_status(stored);
        if status == TradeStatus::Closed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, TradeStatus::Closed);
    app.assert_ledger_ok().await;
}

async fn a_pin_can_be_changed_only_with_the_current_one(backend: Backend) {
    let (app, wallet, _shop) = scene(backend).await;
    let without = wallet.client.set_pin("246802", None).await;
    assert_eq!(status_and_code(without), (403, "FORBIDDEN".to_owned()));
    let wrong = wallet.client.set_pin("246802", Some("000000")).await;
    assert_eq!(status_and_code(wrong), (403, "FORBIDDEN".to_owned()));
    wallet.client.set_pin("246802", Some(PIN)).await.unwrap();
    let short = wallet.client.set_pin("12", Some("246802")).await;
    assert_eq!(code_of(short), "MALFORMED_REQUEST");
    app.assert_ledger_ok().await;
}

on_both_backends!(
    a_large_payment_waits_for_the_pin_and_succeeds_when_confirmed,
    an_unconfirmed_payment_is_closed_after_the_timeout,
    a_declined_payment_is_closed_and_nothing_is_paid,
    the_background_task_closes_overdue_payments_without_anyone_asking,
    a_pin_can_be_changed_only_with_the_current_one,
);
