//! Whole journeys over real HTTP: enrolment, top-up, offline and online payments, queries,
//! refunds, cancellation, history, devices and merchant keys.

use paycode_api::{RefundRequest, TradeStatus};

use crate::helpers::{code_of, pay_request, spawn_app, Backend, Phone};
use crate::helpers::{Proof, PASSWORD};

fn refund_request(out_refund_no: &str, amount: i64) -> RefundRequest {
    RefundRequest {
        out_refund_no: out_refund_no.to_owned(),
        amount,
        reason: Some("customer changed their mind".to_owned()),
    }
}

async fn a_wallet_pays_offline_and_online_and_the_merchant_refunds_and_cancels(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 10_000).await;
    let shop = app.merchant("Canteen 3").await;

    let provisioning = alice
        .client
        .enroll_device(Some("phone"), Proof::Password(PASSWORD))
        .await
        .unwrap();
    assert_eq!(provisioning.algorithm, "SHA1");
    assert_eq!((provisioning.digits, provisioning.period), (6, 30));
    assert_eq!(provisioning.prefix, "81");
    assert_eq!(provisioning.secret.len(), 32, "160 bits in Base32");
    assert!(provisioning
        .uri
        .starts_with("otpauth://totp/Paycode:alice?"));
    assert!(provisioning
        .uri
        .contains(&format!("slot={}", provisioning.slot)));
    let phone = Phone::new(&provisioning);

    let offline = pay_request("order-1", &phone.code(app.step(), 0), 1_200);
    let paid = shop.client.pay(&offline).await.unwrap();
    assert!(!paid.awaiting_confirmation);
    assert_eq!(paid.trade.status, TradeStatus::Success);
    assert_eq!((paid.trade.amount, paid.trade.refunded_amount), (1_200, 0));
    assert_eq!(paid.trade.currency, "CNY");
    assert!(paid.trade.paid_at.is_some());
    assert!(paid.trade.created_at.ends_with('Z'));

    let retried = shop.client.pay(&offline).await.unwrap();
    assert_eq!(
        retried.trade.trade_no, paid.trade.trade_no,
        "a retry is idempotent"
    );

    let online = alice.client.online_code(None).await.unwrap();
    assert!(online.code.starts_with("80") && online.code.len() == 18);
    let second = shop
        .client
        .pay(&pay_request("order-2", &online.code, 800))
        .await
        .unwrap();
    assert_eq!(second.trade.status, TradeStatus::Success);

    let queried = shop.client.payment("order-1").await.unwrap();
    assert_eq!(queried, paid.trade);
    assert_eq!(app.balances(&alice, &shop).await, (8_000, 2_000));

    let first_refund = shop
        .client
        .refund("order-1", &refund_request("refund-1", 500))
        .await
        .unwrap();
    let again = shop
        .client
        .refund("order-1", &refund_request("refund-1", 500))
        .await
        .unwrap();
    assert_eq!(
        again.refund_no, first_refund.refund_no,
        "out_refund_no is idempotent"
    );
    let other_reason = RefundRequest {
        reason: Some("another reason".to_owned()),
        ..refund_request("refund-1", 500)
    };
    let conflict = shop.client.refund("order-1", &other_reason).await;
    assert_eq!(
        code_of(conflict),
        "OUT_TRADE_NO_CONFLICT",
        "another reason is another request"
    );
    shop.client
        .refund("order-1", &refund_request("refund-2", 700))
        .await
        .unwrap();
    let one_more = shop
        .client
        .refund("order-1", &refund_request("refund-3", 1))
        .await;
    assert_eq!(code_of(one_more), "REFUND_EXCEEDS_PAYMENT");
    let refunded = shop.client.payment("order-1").await.unwrap();
    assert_eq!(refunded.status, TradeStatus::Success);
    assert_eq!(refunded.refunded_amount, 1_200);
    assert_eq!(shop.client.refunds("order-1").await.unwrap().len(), 2);
    assert_eq!(app.balances(&alice, &shop).await, (9_200, 800));

    let cancelled = shop.client.cancel("order-2").await.unwrap();
    assert_eq!(cancelled.status, TradeStatus::Reversed);
    assert_eq!(cancelled.refunded_amount, 800);
    assert_eq!(app.balances(&alice, &shop).await, (10_000, 0));

    app.assert_ledger_ok().await;
}

async fn the_history_lists_every_movement_newest_first_in_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 5_000).await;
    alice.enroll().await;
    let shop = app.merchant("Kiosk").await;
    for index in 0..3 {
        let code = alice.client.online_code(None).await.unwrap().code;
        shop.client
            .pay(&pay_request(&format!("order-{index}"), &code, 100))
            .await
            .unwrap();
    }
    let first = alice.client.transactions(None, Some(3)).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert!(first
        .items
        .iter()
        .all(|item| item.kind == "payment" && item.amount == -100));
    let before = first.next_before.expect("a full page points to the next");
    let rest = alice
        .client
        .transactions(Some(before), Some(3))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].kind, "topup");
    assert_eq!(rest.items[0].amount, 5_000);
    assert_eq!(rest.next_before, None);
    let too_many = alice.client.transactions(None, Some(1_000)).await;
    assert_eq!(code_of(too_many), "MALFORMED_REQUEST");
    app.assert_ledger_ok().await;
}

async fn a_top_up_is_idempotent_by_its_reference(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 0).await;
    let first = app
        .admin
        .topup(alice.user_id, 700, "batch-7")
        .await
        .unwrap();
    let again = app
        .admin
        .topup(alice.user_id, 700, "batch-7")
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(alice.client.balance().await.unwrap().balance, 700);
    let conflict = app.admin.topup(alice.user_id, 701, "batch-7").await;
    assert_eq!(code_of(conflict), "OUT_TRADE_NO_CONFLICT");
    let unknown_user = app.admin.topup(999_999, 5, "batch-8").await;
    assert_eq!(code_of(unknown_user), "NOT_FOUND");
    app.assert_ledger_ok().await;
}

async fn a_rotated_device_pays_only_with_its_new_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 1_000).await;
    let shop = app.merchant("Kiosk").await;
    let old = alice.enroll().await;
    let new = alice
        .client
        .rotate_device(old.id, Proof::Password(PASSWORD))
        .await
        .unwrap();
    assert_eq!((new.id, new.slot), (old.id, old.slot), "the slot is kept");
    assert_ne!(new.secret, old.secret);
    let stale = shop
        .client
        .pay(&pay_request(
            "order-1",
            &Phone::new(&old).code(app.step(), 0),
            100,
        ))
        .await;
    assert_eq!(code_of(stale), "CODE_INVALID");
    let fresh = shop
        .client
        .pay(&pay_request(
            "order-1",
            &Phone::new(&new).code(app.step(), 1),
            100,
        ))
        .await
        .unwrap();
    assert_eq!(fresh.trade.status, TradeStatus::Success);
    let devices = alice.client.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert!(devices[0].last_used_at.is_some());
    app.assert_ledger_ok().await;
}

async fn a_merchant_key_can_be_added_and_the_old_one_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.merchant("Kiosk").await;
    let added = app.admin.add_merchant_key(shop.id).await.unwrap();
    assert_eq!(added.merchant_id, shop.id);
    let new_client = app.anonymous.with_bearer(added.api_key.clone());
    assert_eq!(new_client.merchant_balance().await.unwrap().balance, 0);
    let old_key_id = shop.api_key_id;
    app.admin
        .revoke_merchant_key(shop.id, old_key_id)
        .await
        .unwrap();
    assert_eq!(
        code_of(shop.client.merchant_balance().await),
        "UNAUTHENTICATED"
    );
    assert_eq!(new_client.merchant_balance().await.unwrap().balance, 0);
    let again = app.admin.revoke_merchant_key(shop.id, old_key_id).await;
    assert_eq!(code_of(again), "NOT_FOUND");
    app.assert_ledger_ok().await;
}

on_both_backends!(
    a_wallet_pays_offline_and_online_and_the_merchant_refunds_and_cancels,
    the_history_lists_every_movement_newest_first_in_pages,
    a_top_up_is_idempotent_by_its_reference,
    a_rotated_device_pays_only_with_its_new_secret,
    a_merchant_key_can_be_added_and_the_old_one_revoked,
);
