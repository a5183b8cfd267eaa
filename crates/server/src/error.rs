//! The one error type of the HTTP layer and its response. Domain errors map to a status and a
//! stable code through `paycode_core::Error` alone; the few errors that arise before the domain
//! is reached (a body that is not JSON, an oversized body, an unknown route) are built here
//! with the codes of `paycode_api::codes`.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use paycode_api::{codes, ErrorBody};

/// An error answered to the client as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub enum ApiError {
    /// A refusal or failure of the domain.
    Domain(paycode_core::Error),
    /// An error of the HTTP layer itself.
    Http {
        /// The status to answer.
        status: StatusCode,
        /// The stable code.
        code: &'static str,
        /// The message for the client.
        message: String,
    },
}

impl ApiError {
    /// A `400 MALFORMED_REQUEST` with `message`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::http(StatusCode::BAD_REQUEST, codes::MALFORMED_REQUEST, message)
    }

    /// A `404 NOT_FOUND` with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::http(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }

    /// An error of the HTTP layer.
    pub fn http(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Http {
            status,
            code,
            message: message.into(),
        }
    }

    /// A failure inside the server; `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Domain(paycode_core::Error::Internal(detail.to_string()))
    }

    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(error) => error.code(),
            ApiError::Http { code, .. } => code,
        }
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Domain(error) => StatusCode::from_u16(error.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ApiError::Http { status, .. } => *status,
        }
    }

    fn public_message(&self) -> String {
        match self {
            ApiError::Domain(error) => error.public_message(),
            ApiError::Http { message, .. } => message.clone(),
        }
    }
}

impl From<paycode_core::Error> for ApiError {
    fn from(error: paycode_core::Error) -> Self {
        ApiError::Domain(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The full error (a database message, say) goes to the operator's log only; the
            // client gets the generic public message.
            tracing::error!(code = self.code(), error = %ErrorForLog(&self), "request failed");
        } else {
            // Refusals are the client's business; only the code is logged, because messages
            // may quote what the client sent.
            tracing::debug!(code = self.code(), "request refused");
        }
        let body = ErrorBody::new(self.code(), self.public_message());
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

    #[test]
    fn internal_details_stay_out_of_the_response() {
        let error = ApiError::from(paycode_core::Error::Store(StoreError::Other(
            "disk I/O error at page 7".to_owned(),
        )));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code(), codes::INTERNAL);
        assert!(!error.public_message().contains("page 7"));
    }

    #[test]
    fn rate_limited_answers_say_when_to_retry() {
        let response = ApiError::from(paycode_core::Error::RateLimited {
            retry_after_seconds: 42,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "42");
        let other = ApiError::from(paycode_core::Error::CodeUsed).into_response();
        assert!(other.headers().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn every_domain_code_is_a_code_of_the_api_with_the_same_status() {
        use paycode_core::Error;
        let samples = [
            Error::MalformedRequest(String::new()),
            Error::InvalidAmount(String::new()),
            Error::InvalidCodeFormat(String::new()),
            Error::Unauthenticated,
            Error::Forbidden(String::new()),
            Error::NotFound("trade"),
            Error::Conflict(String::new()),
            Error::OutTradeNoConflict("out_trade_no"),
            Error::RequestInProgress,
            Error::RateLimited {
                retry_after_seconds: 1,
            },
            Error::CodeInvalid,
            Error::CodeExpired,
            Error::CodeUsed,
            Error::DeviceLocked,
            Error::DeviceRevoked,
            Error::InsufficientFunds,
            Error::LimitExceeded(String::new()),
            Error::TradeNotRefundable,
            Error::RefundExceedsPayment,
            Error::TradeNotCancellable,
            Error::Config(String::new()),
            Error::Store(StoreError::Unavailable(String::new())),
            Error::Internal(String::new()),
        ];
        for error in samples {
            assert_eq!(
                codes::status_of(error.code()),
                Some(error.http_status()),
                "{error:?}"
            );
        }
    }
}
