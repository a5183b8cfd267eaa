//! Every refusal comes back with its exact status and code, and none of them moves money: each
//! scenario compares the wallet's and the merchant's balances before and after.

use axum::http::StatusCode;
use paycode_api::{PayRequest, RefundRequest, TradeStatus};

use crate::helpers::{
    code_of, json_request, pay_request, spawn_app, status_and_code, Backend, Merchant, Phone,
    TestApp, Wallet,
};

/// A test app with a topped-up wallet, one enrolled device, and a merchant.
struct Scene {
    app: TestApp,
    wallet: Wallet,
    shop: Merchant,
    phone: Phone,
    before: (i64, i64),
}

async fn scene(backend: Backend) -> Scene {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 5_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = wallet.enroll_phone().await;
    let before = app.balances(&wallet, &shop).await;
    Scene {
        app,
        wallet,
        shop,
        phone,
        before,
    }
}

impl Scene {
    /// Asserts that no balance moved since `before`, and that the ledger holds.
    async fn assert_nothing_moved(&self) {
        let after = self.app.balances(&self.wallet, &self.shop).await;
        assert_eq!(after, self.before, "a refusal moved money");
        self.app.assert_ledger_ok().await;
    }

    async fn pay(&self, request: &PayRequest) -> (u16, String) {
        status_and_code(self.shop.client.pay(request).await)
    }
}

async fn a_replayed_offline_code_is_refused_as_used(backend: Backend) {
    let scene = scene(backend).await;
    let code = scene.phone.code(scene.app.step(), 0);
    scene
        .shop
        .client
        .pay(&pay_request("order-1", &code, 100))
        .await
        .unwrap();
    let paid = scene.app.balances(&scene.wallet, &scene.shop).await;
    let replay = scene.pay(&pay_request("order-2", &code, 100)).await;
    assert_eq!(replay, (422, "CODE_USED".to_owned()));
    assert_eq!(scene.app.balances(&scene.wallet, &scene.shop).await, paid);
    assert_eq!(paid, (scene.before.0 - 100, scene.before.1 + 100));
    scene.app.assert_ledger_ok().await;
}

async fn a_replayed_online_code_is_refused_as_used(backend: Backend) {
    let scene = scene(backend).await;
    let code = scene.wallet.client.online_code(None).await.unwrap().code;
    scene
        .shop
        .client
        .pay(&pay_request("order-1", &code, 100))
        .await
        .unwrap();
    let replay = scene.pay(&pay_request("order-2", &code, 100)).await;
    assert_eq!(replay, (422, "CODE_USED".to_owned()));
    let after = scene.app.balances(&scene.wallet, &scene.shop).await;
    assert_eq!(after, (scene.before.0 - 100, scene.before.1 + 100));
    scene.app.assert_ledger_ok().await;
}

async fn a_wrong_one_time_password_is_refused_as_invalid(backend: Backend) {
    let scene = scene(backend).await;
    let provisioning = scene.wallet.enroll().await;
    let impostor = Phone::impostor(&provisioning);
    let refused = scene
        .pay(&pay_request(
            "order-1",
            &impostor.code(scene.app.step(), 0),
            100,
        ))
        .await;
    assert_eq!(refused, (422, "CODE_INVALID".to_owned()));
    scene.assert_nothing_moved().await;
}

async fn an_expired_online_code_is_refused_as_expired(backend: Backend) {
    let scene = scene(backend).await;
    let code = scene.wallet.client.online_code(None).await.unwrap().code;
    scene.app.clock.advance_seconds(61);
    let refused = scene.pay(&pay_request("order-1", &code, 100)).await;
    assert_eq!(refused, (422, "CODE_EXPIRED".to_owned()));
    scene.assert_nothing_moved().await;
}

async fn a_code_of_a_revoked_device_is_refused(backend: Backend) {
    let scene = scene(backend).await;
    let revoked = scene
        .wallet
        .client
        .revoke_device(scene.phone.device_id)
        .await
        .unwrap();
    assert_eq!(revoked.status, paycode_api::DeviceStatus::Revoked);
    let refused = scene
        .pay(&pay_request(
            "order-1",
            &scene.phone.code(scene.app.step(), 0),
            100,
        ))
        .await;
    assert_eq!(refused, (422, "DEVICE_REVOKED".to_owned()));
    let online = scene
        .wallet
        .client
        .online_code(Some(scene.phone.device_id))
        .await;
    assert_eq!(code_of(online), "DEVICE_REVOKED");
    scene.assert_nothing_moved().await;
}

async fn a_device_locked_after_too_many_failures_pays_again_after_an_admin_unlock(
    backend: Backend,
) {
    let scene = scene(backend).await;
    let provisioning = scene.wallet.enroll().await;
    let impostor = Phone::impostor(&provisioning);
    let phone = Phone::new(&provisioning);
    let step = scene.app.step();
    for index in 0..3 {
        let wrong = scene
            .pay(&pay_request("order-1", &impostor.code(step, index), 100))
            .await;
        assert_eq!(wrong, (422, "CODE_INVALID".to_owned()), "failure {index}");
    }
    let locked = scene
        .pay(&pay_request("order-1", &phone.code(step, 0), 100))
        .await;
    assert_eq!(locked, (422, "DEVICE_LOCKED".to_owned()));
    let listed = scene.wallet.client.devices().await.unwrap();
    let device = listed
        .iter()
        .find(|device| device.id == provisioning.id)
        .unwrap();
    assert_eq!(device.failed_attempts, 3);
    assert_eq!(device.locked_until, None, "locked at this merchant only");
    scene.assert_nothing_moved().await;

    let unlocked = scene
        .app
        .admin
        .unlock_device(provisioning.id)
        .await
        .unwrap();
    assert_eq!((unlocked.failed_attempts, unlocked.locked_until), (0, None));
    let paid = scene
        .shop
        .client
        .pay(&pay_request("order-1", &phone.code(step, 1), 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    scene.app.assert_ledger_ok().await;
}

async fn a_payment_beyond_the_balance_is_refused_and_the_same_order_can_be_paid_later(
    backend: Backend,
) {
    let scene = scene(backend).await;
    let step = scene.app.step();
    let refused = scene
        .pay(&pay_request("order-1", &scene.phone.code(step, 0), 5_001))
        .await;
    assert_eq!(refused, (422, "INSUFFICIENT_FUNDS".to_owned()));
    scene.assert_nothing_moved().await;
    let not_stored = scene.shop.client.payment("order-1").await;
    assert_eq!(
        code_of(not_stored),
        "NOT_FOUND",
        "a refusal stores no trade"
    );

    scene
        .app
        .admin
        .topup(scene.wallet.user_id, 1, "one-more")
        .await
        .unwrap();
    let paid = scene
        .shop
        .client
        .pay(&pay_request("order-1", &scene.phone.code(step, 1), 5_001))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    assert_eq!(scene.wallet.client.balance().await.unwrap().balance, 0);
    scene.app.assert_ledger_ok().await;
}

async fn a_body_over_64_kib_is_refused_as_too_large(backend: Backend) {
    let scene = scene(backend).await;
    let padding = "x".repeat(100 * 1024);
    let body = format!(
        r#"{{"out_trade_no": "order-1", "auth_code": "{}", "amount": 100, "subject": "{padding}"}}"#,
        scene.phone.code(scene.app.step(), 0)
    );
    let request = json_request("POST", "/v1/payments", &scene.shop.api_key, body);
    let (status, body) = scene.app.oneshot(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    scene.assert_nothing_moved().await;
}

async fn malformed_json_and_wrong_shapes_are_refused_as_malformed_requests(backend: Backend) {
    let scene = scene(backend).await;
    for body in [
        "{\"out_trade_no\": ",
        "not json",
        r#"{"out_trade_no": "order-1", "amount": 100}"#,
        r#"{"out_trade_no": 7, "auth_code": "811234567890123456", "amount": 100}"#,
        r#"{"out_trade_no": "order-1", "auth_code": "811234567890123456", "amount": 1, "tip": 5}"#,
    ] {
        let request = json_request("POST", "/v1/payments", &scene.shop.api_key, body);
        let (status, json) = scene.app.oneshot(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["error"]["code"], "MALFORMED_REQUEST", "{body}");
    }
    let text_body = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/payments")
        .header("authorization", format!("Bearer {}", scene.shop.api_key))
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    let (status, json) = scene.app.oneshot(text_body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"]["code"], "MALFORMED_REQUEST");
    scene.assert_nothing_moved().await;
}

async fn zero_negative_fractional_and_overflowing_amounts_are_refused_as_invalid(backend: Backend) {
    let scene = scene(backend).await;
    let code = scene.phone.code(scene.app.step(), 0);
    for amount in [0, -100] {
        let refused = scene.pay(&pay_request("order-1", &code, amount)).await;
        assert_eq!(refused, (400, "INVALID_AMOUNT".to_owned()), "{amount}");
    }
    for amount in ["99999999999999999999", "1.5", "\"100\""] {
        let body =
            format!(r#"{{"out_trade_no": "order-1", "auth_code": "{code}", "amount": {amount}}}"#);
        let request = json_request("POST", "/v1/payments", &scene.shop.api_key, body);
        let (status, json) = scene.app.oneshot(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{amount}");
        assert_eq!(json["error"]["code"], "INVALID_AMOUNT", "{amount}");
    }
    let refund = RefundRequest {
        out_refund_no: "refund-1".to_owned(),
        amount: -1,
        reason: None,
    };
    let paid = scene
        .shop
        .client
        .pay(&pay_request("order-2", &code, 100))
        .await
        .unwrap();
    let refused = scene.shop.client.refund("order-2", &refund).await;
    assert_eq!(code_of(refused), "INVALID_AMOUNT");
    let topup = scene
        .app
        .admin
        .topup(scene.wallet.user_id, -5, "negative")
        .await;
    assert_eq!(code_of(topup), "INVALID_AMOUNT");
    let after = scene.app.balances(&scene.wallet, &scene.shop).await;
    assert_eq!(after, (scene.before.0 - 100, scene.before.1 + 100));
    assert_eq!(paid.trade.amount, 100);
    scene.app.assert_ledger_ok().await;
}

async fn a_code_that_is_not_eighteen_digits_of_a_known_prefix_is_refused_as_a_format_error(
    backend: Backend,
) {
    let scene = scene(backend).await;
    for code in ["81abcdefghijklmnop", "8112345", "", "991234567890123456"] {
        let refused = scene.pay(&pay_request("order-1", code, 100)).await;
        assert_eq!(refused, (400, "INVALID_CODE_FORMAT".to_owned()), "{code:?}");
    }
    scene.assert_nothing_moved().await;
}

async fn missing_and_wrong_credentials_are_refused_as_unauthenticated(backend: Backend) {
    let scene = scene(backend).await;
    let code = scene.phone.code(scene.app.step(), 0);
    let request = pay_request("order-1", &code, 100);
    let anonymous = &scene.app.anonymous;
    let calls = [
        status_and_code(anonymous.pay(&request).await),
        status_and_code(anonymous.with_bearer("pk_wrong").pay(&request).await),
        status_and_code(scene.wallet.client.pay(&request).await),
        status_and_code(anonymous.balance().await),
        status_and_code(scene.shop.client.balance().await),
        status_and_code(anonymous.ledger_check().await),
        status_and_code(scene.shop.client.ledger_check().await),
        status_and_code(anonymous.login("alice", "not the password").await),
        status_and_code(anonymous.login("nobody", "not the password").await),
    ];
    for (index, call) in calls.into_iter().enumerate() {
        assert_eq!(call, (401, "UNAUTHENTICATED".to_owned()), "call {index}");
    }
    scene.assert_nothing_moved().await;
}

async fn a_merchant_cannot_see_or_touch_another_merchants_trade(backend: Backend) {
    let scene = scene(backend).await;
    scene
        .shop
        .client
        .pay(&pay_request(
            "order-1",
            &scene.phone.code(scene.app.step(), 0),
            100,
        ))
        .await
        .unwrap();
    let paid = scene.app.balances(&scene.wallet, &scene.shop).await;
    let other = scene.app.merchant("Other shop").await;
    let refund = RefundRequest {
        out_refund_no: "refund-1".to_owned(),
        amount: 100,
        reason: None,
    };
    assert_eq!(code_of(other.client.payment("order-1").await), "NOT_FOUND");
    assert_eq!(code_of(other.client.cancel("order-1").await), "NOT_FOUND");
    assert_eq!(
        code_of(other.client.refund("order-1", &refund).await),
        "NOT_FOUND"
    );
    assert_eq!(code_of(other.client.refunds("order-1").await), "NOT_FOUND");
    assert_eq!(scene.app.balances(&scene.wallet, &scene.shop).await, paid);
    assert_eq!(other.client.merchant_balance().await.unwrap().balance, 0);
    scene.app.assert_ledger_ok().await;
}

async fn the_same_out_trade_no_with_other_parameters_is_a_conflict(backend: Backend) {
    let scene = scene(backend).await;
    let step = scene.app.step();
    scene
        .shop
        .client
        .pay(&pay_request("order-1", &scene.phone.code(step, 0), 100))
        .await
        .unwrap();
    let paid = scene.app.balances(&scene.wallet, &scene.shop).await;
    let other_amount = scene
        .pay(&pay_request("order-1", &scene.phone.code(step, 0), 200))
        .await;
    assert_eq!(other_amount, (409, "OUT_TRADE_NO_CONFLICT".to_owned()));
    let other_code = scene
        .pay(&pay_request("order-1", &scene.phone.code(step, 1), 100))
        .await;
    assert_eq!(other_code, (409, "OUT_TRADE_NO_CONFLICT".to_owned()));
    assert_eq!(scene.app.balances(&scene.wallet, &scene.shop).await, paid);
    scene.app.assert_ledger_ok().await;
}

async fn a_merchant_over_its_failure_budget_is_rate_limited_until_the_minute_ends(
    backend: Backend,
) {
    let config = paycode_core::Config {
        merchant_failures_per_minute: 3,
        ..crate::helpers::test_config()
    };
    let app = crate::helpers::spawn_app_with(backend, config).await;
    let wallet = app.wallet("alice", 1_000).await;
    wallet.enroll().await;
    let shop = app.merchant("Guesser").await;
    let before = app.balances(&wallet, &shop).await;
    // Online codes that were never issued: each is a failed verification of no device.
    for guess in 0..3 {
        let code = format!("80{guess:016}");
        let refused = shop.client.pay(&pay_request("order-1", &code, 100)).await;
        assert_eq!(status_and_code(refused), (422, "CODE_INVALID".to_owned()));
    }
    let issued = wallet.client.online_code(None).await.unwrap().code;
    let limited = shop.client.pay(&pay_request("order-1", &issued, 100)).await;
    assert_eq!(status_and_code(limited), (429, "RATE_LIMITED".to_owned()));
    assert_eq!(app.balances(&wallet, &shop).await, before);

    app.clock.advance_seconds(60);
    let fresh = wallet.client.online_code(None).await.unwrap().code;
    let paid = shop
        .client
        .pay(&pay_request("order-1", &fresh, 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    app.assert_ledger_ok().await;
}

on_both_backends!(
    a_replayed_offline_code_is_refused_as_used,
    a_replayed_online_code_is_refused_as_used,
    a_wrong_one_time_password_is_refused_as_invalid,
    an_expired_online_code_is_refused_as_expired,
    a_code_of_a_revoked_device_is_refused,
    a_device_locked_after_too_many_failures_pays_again_after_an_admin_unlock,
    a_payment_beyond_the_balance_is_refused_and_the_same_order_can_be_paid_later,
    a_body_over_64_kib_is_refused_as_too_large,
    malformed_json_and_wrong_shapes_are_refused_as_malformed_requests,
    zero_negative_fractional_and_overflowing_amounts_are_refused_as_invalid,
    a_code_that_is_not_eighteen_digits_of_a_known_prefix_is_refused_as_a_format_error,
    missing_and_wrong_credentials_are_refused_as_unauthenticated,
    a_merchant_cannot_see_or_touch_another_merchants_trade,
    the_same_out_trade_no_with_other_parameters_is_a_conflict,
    a_merchant_over_its_failure_budget_is_rate_limited_until_the_minute_ends,
);
