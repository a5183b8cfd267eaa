//! Where the server and its OpenAPI document disagreed (found by schemathesis against a live
//! server, `.ci/schemathesis.sh`), the server now does what the document says.

use axum::http::StatusCode;

use crate::helpers::{json_request, spawn_app, Backend, PASSWORD};

/// A body that may be left out (asking for an online code) may also be sent as JSON `null`,
/// which the document's optional body admits; a body that is required (enrolling a device,
/// which needs the PIN or password) and any other value that is not an object are refused.
async fn an_optional_body_may_be_null(backend: Backend) {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 0).await;
    wallet.enroll().await;
    let token = app.anonymous.login("alice", PASSWORD).await.unwrap().token;

    let ask = json_request("POST", "/v1/wallet/codes", &token, "null");
    let (status, code) = app.oneshot(ask).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    assert_eq!(code["code"].as_str().map(str::len), Some(18));

    for body in ["null", "0", "[]", "\"name\"", "{\"name\": 5}"] {
        let enroll = json_request("POST", "/v1/wallet/devices", &token, body);
        let (status, error) = app.oneshot(enroll).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["code"], "MALFORMED_REQUEST", "{body}");
    }
    let devices = app.anonymous.with_bearer(token).devices().await.unwrap();
    assert_eq!(devices.len(), 1, "a refused enrollment enrolled a device");
}

/// The document declares every request body as a JSON object. serde would also read a struct
/// from an array of its fields in order; the server refuses that, and nothing is paid.
async fn a_body_that_is_an_array_of_the_fields_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 5_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = wallet.enroll_phone().await;
    let before = app.balances(&wallet, &shop).await;
    let code = phone.code(app.step(), 0);
    for body in [
        format!(r#"["order-1", "{code}", 100]"#),
        format!(r#"["order-1", "{code}", 100, null, null]"#),
    ] {
        let request = json_request("POST", "/v1/payments", &shop.api_key, body.clone());
        let (status, error) = app.oneshot(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["code"], "MALFORMED_REQUEST", "{body}");
    }
    assert_eq!(app.balances(&wallet, &shop).await, before);
    app.assert_ledger_ok().await;
}

on_both_backends!(
    an_optional_body_may_be_null,
    a_body_that_is_an_array_of_the_fields_is_refused,
);
