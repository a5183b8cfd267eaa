//! Extractors whose rejections come back in the API's error format (axum's
//! `examples/error-handling` pattern): a JSON body that is malformed, of the wrong shape or
//! too large, a path id that does not parse, a query of the wrong shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use paycode_api::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::limits::MAX_BODY_BYTES;

/// The JSON field whose type errors are `INVALID_AMOUNT` rather than `MALFORMED_REQUEST`.
const AMOUNT_FIELD: &str = "amount";

/// A JSON request body. It must be declared as `application/json`, fit in
/// [`MAX_BODY_BYTES`], and match `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json_content_type(request.headers())?;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        decode(&bytes).map(Json)
    }
}

/// A JSON request body that may also be left out entirely: an empty body, or the JSON `null`
/// (what the OpenAPI document's optional body admits), is `T::default()`. For calls whose every
/// field is optional (enrolling a device, asking for an online code).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        if bytes.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        require_json_content_type(&headers)?;
        if bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        decode(&bytes).map(OptionalJson)
    }
}

fn require_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let is_json = media_type.eq_ignore_ascii_case("application/json")
        || (media_type.len() > 5
            && media_type.is_char_boundary(media_type.len() - 5)
            && media_type[media_type.len() - 5..].eq_ignore_ascii_case("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::malformed(
            "the body must be JSON, sent with Content-Type: application/json",
        ))
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::http(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    } else {
        ApiError::malformed("the body could not be read")
    }
}

/// Parses a JSON body into `T`, which must be sent as a JSON object: serde would also read a
/// struct from an array of its fields in order, which the API does not offer. A type error at
/// an `amount` field is `INVALID_AMOUNT`, so that `1.5`, `"100"` or `99999999999999999999` are
/// refused as amounts; every other problem is `MALFORMED_REQUEST`, with serde's description of
/// where it is.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return Err(ApiError::malformed(
            "invalid JSON body: the body must be a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let at_amount = matches!(
            error.path().iter().next_back(),
            Some(serde_path_to_error::Segment::Map { key }) if key == AMOUNT_FIELD
        );
        if at_amount && error.inner().classify() == serde_json::error::Category::Data {
            ApiError::from(paycode_core::Error::InvalidAmount(
                "amount must be a JSON integer of minor units".to_owned(),
            ))
        } else {
            ApiError::malformed(format!("invalid JSON body: {error}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::malformed("invalid JSON body: trailing characters"))?;
    Ok(value)
}

/// Path parameters. A parameter that does not parse (a non-numeric id) is `404 NOT_FOUND`:
/// no resource has such an id, exactly as for a number that names nothing.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ApiError::not_found("no such resource"))
    }
}

/// Query parameters; a query of the wrong shape is `400 MALFORMED_REQUEST`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::malformed(rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paycode_api::PayRequest;

    /// The code a body is refused with, or `None` when it decodes.
    fn code_of(body: &str) -> Option<ErrorCode> {
        decode::<PayRequest>(body.as_bytes())
            .err()
            .map(|error| error.code())
    }

    #[test]
    fn amounts_that_are_not_integers_in_range_are_invalid_amounts() {
        let base = r#"{"out_trade_no": "o", "auth_code": "811234567890123456", "amount": "#;
        for amount in ["99999999999999999999", "1.5", "\"100\"", "null", "-1e3"] {
            assert_eq!(
                code_of(&format!("{base}{amount}}}")),
                Some(ErrorCode::InvalidAmount),
                "{amount}"
            );
        }
        assert_eq!(code_of(&format!("{base}100}}")), None);
    }

    #[test]
    fn other_shape_errors_are_malformed_requests() {
        for body in [
            "{",
            "[]",
            r#"{"out_trade_no": "o", "amount": 5}"#,
            r#"{"out_trade_no": 5, "auth_code": "1", "amount": 5}"#,
            r#"{"out_trade_no": "o", "auth_code": "1", "amount": 5} trailing"#,
            r#"["o", "811234567890123456", 5]"#,
            r#" ["o", "811234567890123456", 5, null, null]"#,
            "null",
        ] {
            assert_eq!(code_of(body), Some(ErrorCode::MalformedRequest), "{body}");
        }
    }

    #[test]
    fn json_media_types_are_recognised_with_parameters_and_suffixes() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, value.parse().unwrap());
            require_json_content_type(&headers).is_ok()
        };
        assert!(accepts("application/json"));
        assert!(accepts("Application/JSON; charset=utf-8"));
        assert!(accepts("application/merge-patch+json"));
        assert!(!accepts("text/plain"));
        assert!(!accepts("+json"));
        assert!(require_json_content_type(&HeaderMap::new()).is_err());
    }
}
