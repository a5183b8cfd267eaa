//! Every JSON request body of the API through the server's own extractors
//! (`paycode_server::extract`): whatever the bytes, the extractor returns the request or a 4xx
//! `ApiError`, never a panic and never a 5xx. A request that is accepted, written back as JSON,
//! is accepted again and is equal.
//!
//! The first input byte chooses the request type and the declared content type; the rest is the
//! body.

#![no_main]

use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use libfuzzer_sys::fuzz_target;
use paycode_api::{
    ConfirmPaymentRequest, CreateMerchantRequest, CreateUserRequest, EnrollDeviceRequest,
    LoginRequest, OnlineCodeRequest, PayRequest, RefundRequest, RotateDeviceRequest, SetPinRequest,
    SetWebhookRequest, TopupRequest,
};
use paycode_server::extract::{Json, OptionalJson};
use paycode_server::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The content type of a request written back as JSON.
const JSON: &str = "application/json";

/// The content types a client might declare; only the JSON ones may be accepted.
const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    None,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector >> 4) % CONTENT_TYPES.len()];
    match selector & 0x0f {
        0 => required::<LoginRequest>(content_type, body),
        1 => required::<SetPinRequest>(content_type, body),
        2 => required::<EnrollDeviceRequest>(content_type, body),
        3 => optional::<OnlineCodeRequest>(content_type, body),
        4 => required::<ConfirmPaymentRequest>(content_type, body),
        5 => required::<PayRequest>(content_type, body),
        6 => required::<RefundRequest>(content_type, body),
        7 => required::<CreateUserRequest>(content_type, body),
        8 => required::<CreateMerchantRequest>(content_type, body),
        9 => required::<TopupRequest>(content_type, body),
        10 => required::<RotateDeviceRequest>(content_type, body),
        11 => required::<SetWebhookRequest>(content_type, body),
        _ => {}
    }
});

/// A body that [`Json`] must extract.
fn required<T>(content_type: Option<&str>, body: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let outcome = run(Json::<T>::from_request(request(content_type, body), &()));
    if let Some(Json(value)) = check(outcome, content_type, body) {
        let again = run(Json::<T>::from_request(
            request(Some(JSON), &rewritten(&value)),
            &(),
        ));
        assert_eq!(again.ok().map(|Json(again)| again), Some(value));
    }
}

/// A body that [`OptionalJson`] must extract: empty means the default request.
fn optional<T>(content_type: Option<&str>, body: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug + Default,
{
    let outcome = run(OptionalJson::<T>::from_request(
        request(content_type, body),
        &(),
    ));
    if body.is_empty() {
        match &outcome {
            Ok(OptionalJson(value)) => assert_eq!(value, &T::default()),
            Err(error) => panic!("an empty body is the default request, not {error:?}"),
        }
    }
    if let Some(OptionalJson(value)) = check(outcome, content_type, body) {
        let rewritten = rewritten(&value);
        let again = run(OptionalJson::<T>::from_request(
            request(Some(JSON), &rewritten),
            &(),
        ));
        assert_eq!(again.ok().map(|OptionalJson(again)| again), Some(value));
    }
}

/// Refusals are client errors; a body is accepted only when declared as JSON (or, for an
/// optional body, when it is empty).
fn check<T>(outcome: Result<T, ApiError>, content_type: Option<&str>, body: &[u8]) -> Option<T> {
    match outcome {
        Ok(value) => {
            let declared_json =
                content_type.is_some_and(|value| value.starts_with("application/json"));
            assert!(
                declared_json || body.is_empty(),
                "accepted without a JSON content type"
            );
            Some(value)
        }
        Err(error) => {
            assert!(
                error.status().is_client_error(),
                "a body is refused with a 4xx, not {} {}",
                error.status(),
                error.code()
            );
            None
        }
    }
}

fn request(content_type: Option<&str>, body: &[u8]) -> Request {
    let mut builder = Request::builder().method("POST").uri("/fuzz");
    if let Some(content_type) = content_type {
        builder = builder.header(CONTENT_TYPE, content_type);
    }
    builder
        .body(Body::from(body.to_vec()))
        .expect("a request with a valid header builds")
}

fn rewritten<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("a request serialises")
}

/// Drives an extractor to completion. The body is already in memory, so the future never
/// waits on anything; a `Pending` would be a bug of the harness, not of the input.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("an extractor over an in-memory body never finished");
}
