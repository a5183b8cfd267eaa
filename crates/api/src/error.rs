//! The error body every failed request gets, and the stable codes it carries (SPEC section 4).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every error response: `{"error": {"code": "CODE_USED", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code and message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// One of the stable codes in [`codes`]; programs branch on it.
    pub code: String,
    /// A sentence for people; it may change between versions, and never holds internal details.
    pub message: String,
}

impl ErrorBody {
    /// An error body with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }
}

/// The stable error codes of the API with their HTTP statuses. The server's domain errors map
/// onto them in one place (`paycode_core::Error::code`); the server adds the few that arise
/// before the domain is reached (an oversized body, an unknown route).
pub mod codes {
    /// 400: the body is not JSON (or not declared as `application/json`), has the wrong
    /// shape, or a field is out of bounds.
    pub const MALFORMED_REQUEST: &str = "MALFORMED_REQUEST";
    /// 400: an amount is zero, negative, not an integer or too large.
    pub const INVALID_AMOUNT: &str = "INVALID_AMOUNT";
    /// 400: the payment code is not 18 digits or has an unknown prefix.
    pub const INVALID_CODE_FORMAT: &str = "INVALID_CODE_FORMAT";
    /// 401: the bearer credential is missing, wrong, expired or revoked.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// 403: the caller may not do this (for example a wrong PIN).
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// 404: no such thing, or it belongs to someone else; also unknown routes.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// 405: the route exists but not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// 408: the request was not received and answered within the server's request timeout
    /// (a client sending its body too slowly); the connection is closed.
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
    /// 409: the same `out_trade_no` (or `out_refund_no`, or top-up reference) with other parameters.
    pub const OUT_TRADE_NO_CONFLICT: &str = "OUT_TRADE_NO_CONFLICT";
    /// 409: a request with the same idempotency key is being processed; retry shortly.
    pub const REQUEST_IN_PROGRESS: &str = "REQUEST_IN_PROGRESS";
    /// 413: the body is larger than 64 KiB.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// 429: too many attempts (a merchant's failed verifications this minute, failed logins
    /// for a username, or password checks waiting); the `Retry-After` header says when to retry.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// 422: the code does not verify.
    pub const CODE_INVALID: &str = "CODE_INVALID";
    /// 422: the code's time is over.
    pub const CODE_EXPIRED: &str = "CODE_EXPIRED";
    /// 422: the code was already used.
    pub const CODE_USED: &str = "CODE_USED";
    /// 422: the device is locked after too many failed verifications.
    pub const DEVICE_LOCKED: &str = "DEVICE_LOCKED";
    /// 422: the device was revoked.
    pub const DEVICE_REVOKED: &str = "DEVICE_REVOKED";
    /// 422: the paying account does not hold enough money.
    pub const INSUFFICIENT_FUNDS: &str = "INSUFFICIENT_FUNDS";
    /// 422: too many wrong PINs in a row; the user's PIN checks are refused for 15 minutes.
    pub const PIN_LOCKED: &str = "PIN_LOCKED";
    /// 422: a configured limit is reached.
    pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
    /// 422: only successful trades can be refunded.
    pub const TRADE_NOT_REFUNDABLE: &str = "TRADE_NOT_REFUNDABLE";
    /// 422: the refunds would exceed the amount paid.
    pub const REFUND_EXCEEDS_PAYMENT: &str = "REFUND_EXCEEDS_PAYMENT";
    /// 422: the trade can no longer be cancelled.
    pub const TRADE_NOT_CANCELLABLE: &str = "TRADE_NOT_CANCELLABLE";
    /// 500: something failed inside the server; details are in its log only.
    pub const INTERNAL: &str = "INTERNAL";
    /// 503: the database cannot be reached; retry later.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";

    /// Every code with its HTTP status.
    pub const ALL: [(&str, u16); 25] = [
        (MALFORMED_REQUEST, 400),
        (INVALID_AMOUNT, 400),
        (INVALID_CODE_FORMAT, 400),
        (UNAUTHENTICATED, 401),
        (FORBIDDEN, 403),
        (NOT_FOUND, 404),
        (METHOD_NOT_ALLOWED, 405),
        (REQUEST_TIMEOUT, 408),
        (OUT_TRADE_NO_CONFLICT, 409),
        (REQUEST_IN_PROGRESS, 409),
        (PAYLOAD_TOO_LARGE, 413),
        (RATE_LIMITED, 429),
        (CODE_INVALID, 422),
        (CODE_EXPIRED, 422),
        (CODE_USED, 422),
        (DEVICE_LOCKED, 422),
        (DEVICE_REVOKED, 422),
        (INSUFFICIENT_FUNDS, 422),
        (PIN_LOCKED, 422),
        (LIMIT_EXCEEDED, 422),
        (TRADE_NOT_REFUNDABLE, 422),
        (REFUND_EXCEEDS_PAYMENT, 422),
        (TRADE_NOT_CANCELLABLE, 422),
        (INTERNAL, 500),
        (UNAVAILABLE, 503),
    ];

    /// The HTTP status of a code, if it is one of [`ALL`].
    pub fn status_of(code: &str) -> Option<u16> {
        ALL.iter()
            .find(|(known, _)| *known == code)
            .map(|(_, status)| *status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_shape_of_the_spec() {
        let body = serde_json::to_value(ErrorBody::new(codes::CODE_USED, "used")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "CODE_USED", "message": "used"}})
        );
    }

    #[test]
    fn every_code_is_listed_once_with_its_status() {
        let mut names: Vec<&str> = codes::ALL.iter().map(|(code, _)| *code).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), codes::ALL.len());
        assert_eq!(codes::status_of(codes::PAYLOAD_TOO_LARGE), Some(413));
        assert_eq!(codes::status_of("NO_SUCH_CODE"), None);
    }
}
