//! The one error type of the HTTP layer and its response. Domain errors reach the API's stable
//! codes through [`code_of`], the one place a kind of domain error meets its code; the few
//! errors that arise before the domain is reached (a body that is not JSON, an oversized body,
//! an unknown route) are built here with their [`ErrorCode`]. Every status comes from
//! [`ErrorCode::http_status`].

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use paycode_api::{ErrorBody, ErrorCode};
use paycode_core::ErrorKind;

/// An error answered to the client as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub enum ApiError {
    /// A refusal or failure of the domain.
    Domain(paycode_core::Error),
    /// An error of the HTTP layer itself.
    Http {
        /// The stable code, which also fixes the status.
        code: ErrorCode,
        /// The message for the client.
        message: String,
    },
}

impl ApiError {
    /// A `400 MALFORMED_REQUEST` with `message`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::http(ErrorCode::MalformedRequest, message)
    }

    /// A `404 NOT_FOUND` with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::http(ErrorCode::NotFound, message)
    }

    /// An error of the HTTP layer.
    pub fn http(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Http {
            code,
            message: message.into(),
        }
    }

    /// A failure inside the server; `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Domain(paycode_core::Error::Internal(detail.to_string()))
    }

    /// The stable code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Domain(error) => code_of(error.kind()),
            ApiError::Http { code, .. } => *code,
        }
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The message the client sees: a domain failure's details (a database message, say) are
    /// replaced by a generic sentence.
    fn public_message(&self) -> String {
        match self {
            ApiError::Domain(error) => match error.kind() {
                ErrorKind::Internal => "internal error".to_owned(),
                ErrorKind::Unavailable => "the database is unavailable; retry later".to_owned(),
                _ => error.to_string(),
            },
            ApiError::Http { message, .. } => message.clone(),
        }
    }
}

/// The API's error code of each kind of domain error.
pub fn code_of(kind: ErrorKind) -> ErrorCode {
    match kind {
        ErrorKind::MalformedRequest => ErrorCode::MalformedRequest,
        ErrorKind::InvalidAmount => ErrorCode::InvalidAmount,
        ErrorKind::InvalidCodeFormat => ErrorCode::InvalidCodeFormat,
        ErrorKind::Unauthenticated => ErrorCode::Unauthenticated,
        ErrorKind::Forbidden => ErrorCode::Forbidden,
        ErrorKind::NotFound => ErrorCode::NotFound,
        ErrorKind::OutTradeNoConflict => ErrorCode::OutTradeNoConflict,
        ErrorKind::RequestInProgress => ErrorCode::RequestInProgress,
        ErrorKind::RateLimited => ErrorCode::RateLimited,
        ErrorKind::CodeInvalid => ErrorCode::CodeInvalid,
        ErrorKind::CodeExpired => ErrorCode::CodeExpired,
        ErrorKind::CodeUsed => ErrorCode::CodeUsed,
        ErrorKind::DeviceLocked => ErrorCode::DeviceLocked,
        ErrorKind::DeviceRevoked => ErrorCode::DeviceRevoked,
        ErrorKind::PinLocked => ErrorCode::PinLocked,
        ErrorKind::InsufficientFunds => ErrorCode::InsufficientFunds,
        ErrorKind::LimitExceeded => ErrorCode::LimitExceeded,
        ErrorKind::TradeNotRefundable => ErrorCode::TradeNotRefundable,
        ErrorKind::RefundExceedsPayment => ErrorCode::RefundExceedsPayment,
        ErrorKind::TradeNotCancellable => ErrorCode::TradeNotCancellable,
        ErrorKind::Unavailable => ErrorCode::Unavailable,
        ErrorKind::Internal => ErrorCode::Internal,
    }
}

impl From<paycode_core::Error> for ApiError {
    fn from(error: paycode_core::Error) -> Self {
        ApiError::Domain(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = (self.code(), self.status());
        if status.is_server_error() {
            // The full error (a database message, say) goes to the operator's log only; the
            // client gets the generic public message.
            tracing::error!(code = code.as_str(), error = %ErrorForLog(&self), "request failed");
        } else {
            // Refusals are the client's business; only the code is logged, because messages
            // may quote what the client sent.
            tracing::debug!(code = code.as_str(), "request refused");
        }
        let body = ErrorBody::new(code, self.public_message());
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::Domain(paycode_core::Error::RateLimited {
            retry_after_seconds,
        }) = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}

/// Shows the internal detail of an error, for the log.
struct ErrorForLog<'a>(&'a ApiError);

impl std::fmt::Display for ErrorForLog<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            ApiError::Domain(error) => write!(formatter, "{error}"),
            ApiError::Http { message, .. } => formatter.write_str(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paycode_core::store::StoreError;
    use paycode_core::Error;

    #[test]
    fn internal_details_stay_out_of_the_response() {
        let error = ApiError::from(Error::Store(StoreError::Other(
            "disk I/O error at page 7".to_owned(),
        )));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code(), ErrorCode::Internal);
        assert_eq!(error.public_message(), "internal error");
        let unavailable = ApiError::from(Error::Store(StoreError::Unavailable(
            "connection to 10.0.0.7 refused".to_owned(),
        )));
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            unavailable.public_message(),
            "the database is unavailable; retry later"
        );
    }

    #[test]
    fn rate_limited_answers_say_when_to_retry() {
        let response = ApiError::from(Error::RateLimited {
            retry_after_seconds: 42,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "42");
        let other = ApiError::from(Error::CodeUsed).into_response();
        assert!(other.headers().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn every_kind_maps_to_the_code_of_its_name() {
        for &kind in ErrorKind::ALL {
            assert_eq!(code_of(kind).as_str(), kind.as_str(), "{kind:?}");
        }
    }

    #[test]
    fn the_refusals_of_the_domain_are_the_422_codes() {
        for &kind in ErrorKind::ALL {
            assert_eq!(
                kind.is_refusal(),
                code_of(kind).http_status() == 422,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_status_is_a_valid_http_error_status() {
        for &code in ErrorCode::ALL {
            let status = StatusCode::from_u16(code.http_status()).unwrap();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}"
            );
        }
    }

    #[test]
    fn each_domain_error_answers_its_code_and_status() {
        let text = String::new;
        let cases = [
            (Error::MalformedRequest(text()), "MALFORMED_REQUEST", 400),
            (Error::NameTaken(text()), "MALFORMED_REQUEST", 400),
            (Error::InvalidAmount(text()), "INVALID_AMOUNT", 400),
            (Error::InvalidCodeFormat(text()), "INVALID_CODE_FORMAT", 400),
            (Error::Unauthenticated, "UNAUTHENTICATED", 401),
            (Error::Forbidden(text()), "FORBIDDEN", 403),
            (Error::NotFound("trade"), "NOT_FOUND", 404),
            (Error::OutTradeNoConflict("x"), "OUT_TRADE_NO_CONFLICT", 409),
            (Error::RequestInProgress, "REQUEST_IN_PROGRESS", 409),
            (Error::CodeInvalid, "CODE_INVALID", 422),
            (Error::CodeExpired, "CODE_EXPIRED", 422),
            (Error::CodeUsed, "CODE_USED", 422),
            (Error::DeviceLocked, "DEVICE_LOCKED", 422),
            (Error::DeviceRevoked, "DEVICE_REVOKED", 422),
            (Error::PinLocked, "PIN_LOCKED", 422),
            (Error::InsufficientFunds, "INSUFFICIENT_FUNDS", 422),
            (Error::LimitExceeded(text()), "LIMIT_EXCEEDED", 422),
            (Error::TradeNotRefundable, "TRADE_NOT_REFUNDABLE", 422),
            (Error::RefundExceedsPayment, "REFUND_EXCEEDS_PAYMENT", 422),
            (Error::TradeNotCancellable, "TRADE_NOT_CANCELLABLE", 422),
            (Error::Config(text()), "INTERNAL", 500),
            (Error::Store(StoreError::Conflict(text())), "INTERNAL", 500),
            (
                Error::Store(StoreError::Unavailable(text())),
                "UNAVAILABLE",
                503,
            ),
            (Error::Internal(text()), "INTERNAL", 500),
        ];
        for (error, code, status) in cases {
            let refusal_message = error.to_string();
            let error = ApiError::from(error);
            assert_eq!(error.code().as_str(), code, "{error:?}");
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            if status < 500 {
                assert_eq!(error.public_message(), refusal_message, "{error:?}");
            }
        }
        let rate_limited = ApiError::from(Error::RateLimited {
            retry_after_seconds: 3,
        });
        assert_eq!(rate_limited.code(), ErrorCode::RateLimited);
        assert_eq!(
            rate_limited.public_message(),
            "too many attempts; retry in 3 seconds"
        );
    }
}
