//! The one error type of the domain. Each variant maps to exactly one stable error code of the
//! HTTP API (SPEC section 4); [`Error::code`] is that mapping, so the server cannot drift.

use crate::store::StoreError;

/// Everything a use case can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is structurally wrong: a missing field, a bad length, a malformed id.
    #[error("{0}")]
    MalformedRequest(String),
    /// An amount is zero, negative, too large, or would overflow a balance.
    #[error("{0}")]
    InvalidAmount(String),
    /// The payment code is not 18 digits or has an unknown prefix.
    #[error("{0}")]
    InvalidCodeFormat(String),
    /// No credential, or one that is wrong, expired or revoked.
    #[error("missing or invalid credentials")]
    Unauthenticated,
    /// The caller is authenticated but may not do this (for example a wrong PIN).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist, or belongs to someone else.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A username or name that must be unique is taken.
    #[error("{0}")]
    Conflict(String),
    /// The same `out_trade_no` (or `out_refund_no`, or top-up reference) came with other parameters.
    #[error("{0} was already used with other parameters")]
    OutTradeNoConflict(&'static str),
    /// Another request with the same idempotency key is being processed right now.
    #[error("a request with the same out_trade_no is in progress; retry shortly")]
    RequestInProgress,
    /// Too many attempts for now: a merchant spent its failure budget, a username failed too
    /// many logins, or too many password checks wait already. The caller may retry after
    /// `retry_after_seconds` (the HTTP `Retry-After` header).
    #[error("too many attempts; retry in {retry_after_seconds} seconds")]
    RateLimited {
        /// Seconds until a retry can succeed, at least 1.
        retry_after_seconds: u64,
    },
    /// The code does not verify (wrong OTP, unknown device slot, unknown online code).
    #[error("the payment code is not valid")]
    CodeInvalid,
    /// The code was valid once but its time is over.
    #[error("the payment code has expired")]
    CodeExpired,
    /// The code was already used once.
    #[error("the payment code was already used")]
    CodeUsed,
    /// The device made too many wrong codes and is locked for a while.
    #[error("the device is locked after too many failed verifications")]
    DeviceLocked,
    /// The device was revoked by its owner.
    #[error("the device has been revoked")]
    DeviceRevoked,
    /// Too many wrong PINs in a row: every PIN check of the user is refused for a while.
    #[error("too many wrong PINs; PIN checks are locked for 15 minutes")]
    PinLocked,
    /// The paying account does not hold enough money.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// A configured limit (devices per user, keys per merchant, refunds per trade) is reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// Only successful trades can be refunded.
    #[error("the trade cannot be refunded in its current status")]
    TradeNotRefundable,
    /// The refunds would exceed the paid amount.
    #[error("the refunds would exceed the amount paid")]
    RefundExceedsPayment,
    /// The trade can no longer be cancelled.
    #[error("the trade can no longer be cancelled")]
    TradeNotCancellable,
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The store failed; details go to the log, never to the client.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// A programming or environment failure that the client cannot fix.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable error code of the HTTP API for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedRequest(_) | Error::Conflict(_) => "MALFORMED_REQUEST",
            Error::InvalidAmount(_) => "INVALID_AMOUNT",
            Error::InvalidCodeFormat(_) => "INVALID_CODE_FORMAT",
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::OutTradeNoConflict(_) => "OUT_TRADE_NO_CONFLICT",
            Error::RequestInProgress => "REQUEST_IN_PROGRESS",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::CodeInvalid => "CODE_INVALID",
            Error::CodeExpired => "CODE_EXPIRED",
            Error::CodeUsed => "CODE_USED",
            Error::DeviceLocked => "DEVICE_LOCKED",
            Error::DeviceRevoked => "DEVICE_REVOKED",
            Error::PinLocked => "PIN_LOCKED",
            Error::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Error::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Error::TradeNotRefundable => "TRADE_NOT_REFUNDABLE",
            Error::RefundExceedsPayment => "REFUND_EXCEEDS_PAYMENT",
            Error::TradeNotCancellable => "TRADE_NOT_CANCELLABLE",
            Error::Store(StoreError::Unavailable(_)) => "UNAVAILABLE",
            Error::Config(_) | Error::Store(_) | Error::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status of [`Error::code`].
    pub fn http_status(&self) -> u16 {
        match self.code() {
            "MALFORMED_REQUEST" | "INVALID_AMOUNT" | "INVALID_CODE_FORMAT" => 400,
            "UNAUTHENTICATED" => 401,
            "FORBIDDEN" => 403,
            "NOT_FOUND" => 404,
            "OUT_TRADE_NO_CONFLICT" | "REQUEST_IN_PROGRESS" => 409,
            "RATE_LIMITED" => 429,
            "INTERNAL" => 500,
            "UNAVAILABLE" => 503,
            _ => 422,
        }
    }

    /// The message safe to show a client: internal details are replaced by a generic text.
    pub fn public_message(&self) -> String {
        match self.code() {
            "INTERNAL" => "internal error".to_owned(),
            "UNAVAILABLE" => "the database is unavailable; retry later".to_owned(),
            _ => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_refusals_are_422_and_internal_details_do_not_leak() {
        assert_eq!(Error::CodeUsed.http_status(), 422);
        assert_eq!(Error::CodeUsed.code(), "CODE_USED");
        let internal = Error::Internal("table devices is corrupt".to_owned());
        assert_eq!(internal.http_status(), 500);
        assert!(!internal.public_message().contains("devices"));
    }
}
