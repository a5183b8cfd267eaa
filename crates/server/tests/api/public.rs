//! The public endpoints, the JSON answers for unknown routes, and the log's discretion.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::Proof;
use crate::helpers::{
    captured_log, code_of, json_request, pay_request, spawn_app, Backend, Phone, ADMIN_KEY,
    PASSWORD, PIN,
};

async fn the_health_check_answers_ok_with_the_database_backend(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.anonymous.healthz().await.unwrap();
    assert_eq!(
        (health.status.as_str(), health.database.as_str()),
        ("ok", backend.name())
    );
    app.assert_ledger_ok().await;
}

async fn the_metrics_count_requests_payments_and_verification_failures(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 1_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = alice.enroll_phone().await;
    let code = phone.code(app.step(), 0);
    shop.client
        .pay(&pay_request("order-1", &code, 100))
        .await
        .unwrap();
    let replay = shop.client.pay(&pay_request("order-2", &code, 100)).await;
    assert_eq!(code_of(replay), "CODE_USED");

    let text = app.anonymous.metrics().await.unwrap();
    for expected in [
        "paycode_payments_total{outcome=\"SUCCESS\"} 1",
        "paycode_payments_total{outcome=\"CODE_USED\"} 1",
        "paycode_verification_failures_total{code=\"CODE_USED\"} 1",
        "paycode_http_requests_total{method=\"POST\",route=\"/v1/payments\",status=\"200\"} 1",
        "paycode_http_requests_total{method=\"POST\",route=\"/v1/payments\",status=\"422\"} 1",
        "paycode_http_request_duration_seconds_count{route=\"/v1/payments\"} 2",
        "# TYPE paycode_http_request_duration_seconds histogram",
        // Two payments one after the other: two batches of one.
        "paycode_payment_batches_total 2",
        "paycode_batched_payments_total 2",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // Where the batches' time went: every phase took some of it.
    for phase in ["prefetch", "decide", "apply", "commit"] {
        let series = format!("paycode_payment_batch_seconds_total{{phase=\"{phase}\"}} ");
        let seconds: f64 = text
            .lines()
            .find_map(|line| line.strip_prefix(&series))
            .unwrap_or_else(|| panic!("missing {series} in\n{text}"))
            .parse()
            .unwrap();
        assert!(seconds > 0.0 && seconds < 10.0, "{series}{seconds}");
    }
    app.assert_ledger_ok().await;
}

async fn the_openapi_document_is_json_listing_every_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = app.anonymous.openapi().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/v1/payments",
        "/v1/payments/{out_trade_no}",
        "/v1/payments/{out_trade_no}/refunds",
        "/v1/wallet/devices",
        "/v1/wallet/payments/{trade_no}/confirm",
        "/v1/admin/ledger/check",
        "/v1/merchant/trades",
        "/v1/admin/trades",
        "/v1/admin/summary",
        "/v1/merchant/webhook",
        "/v1/merchant/events",
        "/v1/merchant/events/{id}/redeliver",
        "/v1/admin/merchants/{id}/webhook",
        "/v1/merchant/statements/{date}",
        "/v1/admin/settlements/{date}",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    assert_eq!(paths.len(), 40, "every route is documented");
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    assert!(["admin", "wallet", "merchant"]
        .iter()
        .all(|name| schemes.contains_key(*name)));
    assert!(document["components"]["schemas"]["Trade"].is_object());
    app.assert_ledger_ok().await;
}

async fn unknown_routes_methods_and_ids_are_answered_in_the_error_format(backend: Backend) {
    let app = spawn_app(backend).await;
    let get = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {ADMIN_KEY}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, body) = app.oneshot(get("/v2/nothing")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (status, body) = app.oneshot(get("/v1/payments")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("METHOD_NOT_ALLOWED"))
    );
    let request = json_request("POST", "/v1/admin/devices/abc/unlock", ADMIN_KEY, "");
    let (status, body) = app.oneshot(request).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let request = json_request("POST", "/v1/admin/devices/999/unlock", ADMIN_KEY, "");
    let (status, body) = app.oneshot(request).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (status, body) = app.oneshot(get("/v1/wallet/transactions?limit=many")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "authentication comes first: {body}"
    );
    app.assert_ledger_ok().await;
}

async fn the_log_holds_no_password_token_key_code_or_pin(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 50_000).await;
    alice.client.set_pin(PIN, None).await.unwrap();
    let shop = app.merchant("Canteen").await;
    let provisioning = alice
        .client
        .enroll_device(None, Proof::Pin(PIN))
        .await
        .unwrap();
    let phone = Phone::new(&provisioning);
    let offline = phone.code(app.step(), 0);
    shop.client
        .pay(&pay_request("order-1", &offline, 100))
        .await
        .unwrap();
    let replay = shop
        .client
        .pay(&pay_request("order-2", &offline, 100))
        .await;
    assert_eq!(code_of(replay), "CODE_USED");
    let online = alice.client.online_code(None).await.unwrap().code;
    let large = shop
        .client
        .pay(&pay_request("order-3", &online, 20_000))
        .await
        .unwrap();
    let wrong_pin = alice
        .client
        .confirm_payment(&large.trade.trade_no, "975318642097")
        .await;
    assert_eq!(code_of(wrong_pin), "FORBIDDEN");
    alice
        .client
        .confirm_payment(&large.trade.trade_no, PIN)
        .await
        .unwrap();
    let session = app.anonymous.login("alice", PASSWORD).await.unwrap();
    app.assert_ledger_ok().await;

    let log = captured_log();
    assert!(log.contains("/v1/payments"), "the capture works");
    for secret in [
        PASSWORD,
        PIN,
        "975318642097",
        ADMIN_KEY,
        &shop.api_key,
        &session.token,
        &offline,
        &online,
        &provisioning.secret,
        &provisioning.code_key,
    ] {
        assert!(!log.contains(secret), "the log holds a secret");
    }
}

on_both_backends!(
    the_health_check_answers_ok_with_the_database_backend,
    the_metrics_count_requests_payments_and_verification_failures,
    the_openapi_document_is_json_listing_every_route,
    unknown_routes_methods_and_ids_are_answered_in_the_error_format,
    the_log_holds_no_password_token_key_code_or_pin,
);
