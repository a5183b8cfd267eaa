//! Login guessing (SPEC section 4, `docs/SECURITY.md`): after a few failed logins a username
//! waits, doubling with each further failure, with `429 RATE_LIMITED` and `Retry-After`; a
//! username that does not exist is treated exactly like one that does. Every `RATE_LIMITED`
//! says when to retry.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt as _;

use crate::helpers::{pay_request, spawn_app_with, test_config, Backend, TestApp, PASSWORD};

/// Failures a username may make before it waits, in these scenarios.
const FREE_FAILURES: u32 = 3;

/// The status, code and `Retry-After` of a login, sent in-process.
async fn login(app: &TestApp, username: &str, password: &str) -> (StatusCode, String, Option<u64>) {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let request = Request::builder()
        .method("POST")
        .uri("/v1/wallet/sessions")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = paycode_server::router(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().parse().unwrap());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code, retry_after)
}

async fn app(backend: Backend) -> TestApp {
    let config = paycode_core::Config {
        login_free_failures: FREE_FAILURES,
        login_max_delay_seconds: 900,
        merchant_failures_per_minute: 2,
        ..test_config()
    };
    spawn_app_with(backend, config).await
}

/// What a run of wrong logins for `username` answers: the statuses and retry times in order.
async fn guess(app: &TestApp, username: &str, times: u32) -> Vec<(u16, Option<u64>)> {
    let mut answers = Vec::new();
    for _ in 0..times {
        let (status, _, retry_after) = login(app, username, "wrong password").await;
        answers.push((status.as_u16(), retry_after));
    }
    answers
}

async fn failed_logins_make_a_username_wait_whether_it_exists_or_not(backend: Backend) {
    let app = app(backend).await;
    app.admin.create_user("alice", PASSWORD).await.unwrap();

    let known = guess(&app, "alice", FREE_FAILURES + 3).await;
    let unknown = guess(&app, "nobody", FREE_FAILURES + 3).await;
    // The free failures, then one more that earns a one-second wait, then refusals.
    let mut expected = vec![(401, None); FREE_FAILURES as usize + 1];
    expected.extend([(429, Some(1)), (429, Some(1))]);
    assert_eq!(known, expected);
    assert_eq!(unknown, expected);

    // While it waits, even the right password is refused, unchecked.
    let (status, code, retry_after) = login(&app, "alice", PASSWORD).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    assert_eq!(retry_after, Some(1));
    // Other usernames are not affected.
    app.admin.create_user("bob", PASSWORD).await.unwrap();
    assert_eq!(login(&app, "bob", PASSWORD).await.0, StatusCode::CREATED);

    // After the wait one more try is allowed; failing it doubles the wait.
    app.clock.advance_seconds(1);
    assert_eq!(
        guess(&app, "alice", 2).await,
        vec![(401, None), (429, Some(2))]
    );
    app.clock.advance_seconds(2);
    assert_eq!(login(&app, "alice", PASSWORD).await.0, StatusCode::CREATED);
    // A success forgives the failures.
    let after_success = guess(&app, "alice", FREE_FAILURES).await;
    assert_eq!(after_success, vec![(401, None); FREE_FAILURES as usize]);
}

async fn a_merchant_over_its_failure_budget_is_told_when_the_minute_ends(backend: Backend) {
    let app = app(backend).await;
    let shop = app.merchant("Guesser").await;
    for guess in 0..2 {
        let code = format!("80{guess:016}");
        let request = serde_json::to_string(&pay_request("order-1", &code, 100)).unwrap();
        let (status, body) = app
            .oneshot(crate::helpers::json_request(
                "POST",
                "/v1/payments",
                &shop.api_key,
                request,
            ))
            .await;
        assert_eq!(status, 422, "{body}");
    }
    let request =
        serde_json::to_string(&pay_request("order-1", "800000000000000009", 100)).unwrap();
    let response = paycode_server::router(app.state.clone())
        .oneshot(crate::helpers::json_request(
            "POST",
            "/v1/payments",
            &shop.api_key,
            request,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The test clock stands 15 seconds into a minute.
    assert_eq!(response.headers()["retry-after"], "45");
}

on_both_backends!(
    failed_logins_make_a_username_wait_whether_it_exists_or_not,
    a_merchant_over_its_failure_budget_is_told_when_the_minute_ends,
);
