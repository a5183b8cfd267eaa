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
    /// One of the stable error codes of the API, such as `CODE_USED`; programs branch on it.
    // A string rather than an `ErrorCode`, so that a client built today still reads the body
    // of a code a later server adds.
    pub code: String,
    /// A sentence for people; it may change between versions, and never holds internal details.
    pub message: String,
}

impl ErrorBody {
    /// An error body with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.as_str().to_owned(),
                message: message.into(),
            },
        }
    }
}

/// Declares [`ErrorCode`] from one table of variant, wire name and HTTP status, so that the
/// variants, their serde names, [`ErrorCode::ALL`], [`ErrorCode::as_str`] and
/// [`ErrorCode::http_status`] are written once and cannot disagree.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $status:literal;)*) => {
        /// The stable error codes of the API, each with the one HTTP status it is answered
        /// with. The server maps the domain's errors onto them in one place and adds the few
        /// that arise before the domain is reached (an oversized body, an unknown route).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code of the API.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as the wire carries it, such as `CODE_USED`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// The HTTP status of every response with this code.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON (or not declared as `application/json`), has the wrong shape, or a
    /// field is out of bounds; also a username that is taken.
    MalformedRequest = "MALFORMED_REQUEST", 400;
    /// An amount is zero, negative, not an integer or too large.
    InvalidAmount = "INVALID_AMOUNT", 400;
    /// The payment code is not 18 digits or has an unknown prefix.
    InvalidCodeFormat = "INVALID_CODE_FORMAT", 400;
    /// The bearer credential is missing, wrong, expired or revoked.
    Unauthenticated = "UNAUTHENTICATED", 401;
    /// The caller may not do this (for example a wrong PIN).
    Forbidden = "FORBIDDEN", 403;
    /// No such thing, or it belongs to someone else; also unknown routes.
    NotFound = "NOT_FOUND", 404;
    /// The route exists but not with this method.
    MethodNotAllowed = "METHOD_NOT_ALLOWED", 405;
    /// The request was not received and answered within the server's request timeout (a
    /// client sending its body too slowly); the connection is closed.
    RequestTimeout = "REQUEST_TIMEOUT", 408;
    /// The same `out_trade_no` (or `out_refund_no`, or top-up reference) with other parameters.
    OutTradeNoConflict = "OUT_TRADE_NO_CONFLICT", 409;
    /// A request with the same idempotency key is being processed; retry shortly.
    RequestInProgress = "REQUEST_IN_PROGRESS", 409;
    /// The body is larger than 64 KiB.
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", 413;
    /// Too many attempts (a merchant's failed verifications this minute, failed logins for a
    /// username, or password checks waiting); the `Retry-After` header says when to retry.
    RateLimited = "RATE_LIMITED", 429;
    /// The code does not verify.
    CodeInvalid = "CODE_INVALID", 422;
    /// The code's time is over.
    CodeExpired = "CODE_EXPIRED", 422;
    /// The code was already used.
    CodeUsed = "CODE_USED", 422;
    /// The device is locked after too many failed verifications.
    DeviceLocked = "DEVICE_LOCKED", 422;
    /// The device was revoked.
    DeviceRevoked = "DEVICE_REVOKED", 422;
    /// The paying account does not hold enough money.
    InsufficientFunds = "INSUFFICIENT_FUNDS", 422;
    /// Too many wrong PINs in a row; the user's PIN checks are refused for 15 minutes.
    PinLocked = "PIN_LOCKED", 422;
    /// A configured limit is reached.
    LimitExceeded = "LIMIT_EXCEEDED", 422;
    /// Only successful trades can be refunded.
    TradeNotRefundable = "TRADE_NOT_REFUNDABLE", 422;
    /// The refunds would exceed the amount paid.
    RefundExceedsPayment = "REFUND_EXCEEDS_PAYMENT", 422;
    /// The trade can no longer be cancelled.
    TradeNotCancellable = "TRADE_NOT_CANCELLABLE", 422;
    /// Something failed inside the server; details are in its log only.
    Internal = "INTERNAL", 500;
    /// The database cannot be reached; retry later.
    Unavailable = "UNAVAILABLE", 503;
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_shape_of_the_spec() {
        let body = serde_json::to_value(ErrorBody::new(ErrorCode::CodeUsed, "used")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "CODE_USED", "message": "used"}})
        );
    }

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for &code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, serde_json::json!(code.as_str()), "{code:?}");
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), code);
            assert_eq!(code.to_string(), code.as_str());
        }
        assert!(serde_json::from_value::<ErrorCode>(serde_json::json!("NO_SUCH_CODE")).is_err());
    }

    #[test]
    fn every_code_is_listed_once_with_a_name_in_screaming_snake_case() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert!(names.iter().all(|name| name
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn statuses_are_those_of_the_spec() {
        let business_refusals = [
            ErrorCode::CodeInvalid,
            ErrorCode::CodeExpired,
            ErrorCode::CodeUsed,
            ErrorCode::DeviceLocked,
            ErrorCode::DeviceRevoked,
            ErrorCode::InsufficientFunds,
            ErrorCode::LimitExceeded,
            ErrorCode::PinLocked,
            ErrorCode::TradeNotRefundable,
            ErrorCode::RefundExceedsPayment,
            ErrorCode::TradeNotCancellable,
        ];
        for &code in ErrorCode::ALL {
            let status = code.http_status();
            assert!((400..600).contains(&status), "{code}: {status}");
            assert_eq!(status == 422, business_refusals.contains(&code), "{code}");
        }
        assert_eq!(ErrorCode::PayloadTooLarge.http_status(), 413);
        assert_eq!(ErrorCode::RateLimited.http_status(), 429);
        assert_eq!(ErrorCode::Unavailable.http_status(), 503);
    }
}
