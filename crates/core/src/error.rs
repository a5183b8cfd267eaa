//! The one error type of the domain, [`Error`], and its [`ErrorKind`]: which of the stable
//! outcomes an error is. The server maps each kind onto one error code of the HTTP API (SPEC
//! section 4) in one place; the domain itself stores kinds by name in durable records (the
//! refusal counts). Statuses and the messages clients see are the server's business.

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
    /// A username that must be unique is taken. The request is at fault, as with a malformed
    /// field, so its kind is [`ErrorKind::MalformedRequest`].
    #[error("{0}")]
    NameTaken(String),
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
    /// Which stable outcome this error is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::MalformedRequest(_) | Error::NameTaken(_) => ErrorKind::MalformedRequest,
            Error::InvalidAmount(_) => ErrorKind::InvalidAmount,
            Error::InvalidCodeFormat(_) => ErrorKind::InvalidCodeFormat,
            Error::Unauthenticated => ErrorKind::Unauthenticated,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::OutTradeNoConflict(_) => ErrorKind::OutTradeNoConflict,
            Error::RequestInProgress => ErrorKind::RequestInProgress,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::CodeInvalid => ErrorKind::CodeInvalid,
            Error::CodeExpired => ErrorKind::CodeExpired,
            Error::CodeUsed => ErrorKind::CodeUsed,
            Error::DeviceLocked => ErrorKind::DeviceLocked,
            Error::DeviceRevoked => ErrorKind::DeviceRevoked,
            Error::PinLocked => ErrorKind::PinLocked,
            Error::InsufficientFunds => ErrorKind::InsufficientFunds,
            Error::LimitExceeded(_) => ErrorKind::LimitExceeded,
            Error::TradeNotRefundable => ErrorKind::TradeNotRefundable,
            Error::RefundExceedsPayment => ErrorKind::RefundExceedsPayment,
            Error::TradeNotCancellable => ErrorKind::TradeNotCancellable,
            Error::Store(StoreError::Unavailable(_)) => ErrorKind::Unavailable,
            Error::Config(_) | Error::Store(_) | Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// Declares [`ErrorKind`] from one table of kind and stable name, so that the kinds,
/// [`ErrorKind::ALL`] and [`ErrorKind::as_str`] are written once and cannot disagree.
macro_rules! error_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident = $name:literal;)*) => {
        /// The stable outcomes an [`Error`] can be, without the error's data: one per error
        /// code of the HTTP API that the domain can cause, named as that code is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            /// Every kind.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind,)*];

            /// The kind's stable name, such as `CODE_USED`: the name of its error code in the
            /// API, and the name durable records (the refusal counts) keep.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }
        }
    };
}

error_kinds! {
    /// The request is structurally wrong, or names something unique that is taken.
    MalformedRequest = "MALFORMED_REQUEST";
    /// An amount is zero, negative, too large, or would overflow a balance.
    InvalidAmount = "INVALID_AMOUNT";
    /// The payment code is not 18 digits or has an unknown prefix.
    InvalidCodeFormat = "INVALID_CODE_FORMAT";
    /// No credential, or one that is wrong, expired or revoked.
    Unauthenticated = "UNAUTHENTICATED";
    /// The caller is authenticated but may not do this.
    Forbidden = "FORBIDDEN";
    /// The thing asked for does not exist, or belongs to someone else.
    NotFound = "NOT_FOUND";
    /// An idempotency key came again with other parameters.
    OutTradeNoConflict = "OUT_TRADE_NO_CONFLICT";
    /// Another request with the same idempotency key is being processed.
    RequestInProgress = "REQUEST_IN_PROGRESS";
    /// Too many attempts for now; a retry later can succeed.
    RateLimited = "RATE_LIMITED";
    /// The code does not verify.
    CodeInvalid = "CODE_INVALID";
    /// The code's time is over.
    CodeExpired = "CODE_EXPIRED";
    /// The code was already used.
    CodeUsed = "CODE_USED";
    /// The device is locked after too many failed verifications.
    DeviceLocked = "DEVICE_LOCKED";
    /// The device was revoked.
    DeviceRevoked = "DEVICE_REVOKED";
    /// Too many wrong PINs in a row.
    PinLocked = "PIN_LOCKED";
    /// The paying account does not hold enough money.
    InsufficientFunds = "INSUFFICIENT_FUNDS";
    /// A configured limit is reached.
    LimitExceeded = "LIMIT_EXCEEDED";
    /// Only successful trades can be refunded.
    TradeNotRefundable = "TRADE_NOT_REFUNDABLE";
    /// The refunds would exceed the amount paid.
    RefundExceedsPayment = "REFUND_EXCEEDS_PAYMENT";
    /// The trade can no longer be cancelled.
    TradeNotCancellable = "TRADE_NOT_CANCELLABLE";
    /// The database cannot be reached; a retry later can succeed.
    Unavailable = "UNAVAILABLE";
    /// A failure the client cannot fix; its details are for the operator's log only.
    Internal = "INTERNAL";
}

impl ErrorKind {
    /// Whether this is a business refusal: a well-formed, authorised request that the domain
    /// turned down on its merits (a used code, too little money, a refund too large), as
    /// opposed to a wrong request, a throttled one, or a failure.
    pub const fn is_refusal(self) -> bool {
        match self {
            ErrorKind::CodeInvalid
            | ErrorKind::CodeExpired
            | ErrorKind::CodeUsed
            | ErrorKind::DeviceLocked
            | ErrorKind::DeviceRevoked
            | ErrorKind::PinLocked
            | ErrorKind::InsufficientFunds
            | ErrorKind::LimitExceeded
            | ErrorKind::TradeNotRefundable
            | ErrorKind::RefundExceedsPayment
            | ErrorKind::TradeNotCancellable => true,
            ErrorKind::MalformedRequest
            | ErrorKind::InvalidAmount
            | ErrorKind::InvalidCodeFormat
            | ErrorKind::Unauthenticated
            | ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::OutTradeNoConflict
            | ErrorKind::RequestInProgress
            | ErrorKind::RateLimited
            | ErrorKind::Unavailable
            | ErrorKind::Internal => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_in_screaming_snake_case() {
        let mut names: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert!(names.iter().all(|name| name
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        assert_eq!(Error::CodeUsed.kind().as_str(), "CODE_USED");
    }

    #[test]
    fn a_taken_name_is_the_requests_fault() {
        let taken = Error::NameTaken("username alice is taken".to_owned());
        assert_eq!(taken.kind(), ErrorKind::MalformedRequest);
        assert_eq!(taken.to_string(), "username alice is taken");
    }

    #[test]
    fn an_unreachable_store_is_unavailable_and_every_other_store_failure_internal() {
        let unreachable = Error::Store(StoreError::Unavailable("connection refused".to_owned()));
        assert_eq!(unreachable.kind(), ErrorKind::Unavailable);
        for failure in [
            Error::Store(StoreError::Conflict("serialization failure".to_owned())),
            Error::Store(StoreError::Duplicate("trade")),
            Error::Store(StoreError::Other("disk I/O error".to_owned())),
            Error::Config("no currency".to_owned()),
            Error::Internal("a payment batch failed".to_owned()),
        ] {
            assert_eq!(failure.kind(), ErrorKind::Internal, "{failure:?}");
        }
    }

    #[test]
    fn business_refusals_are_refusals_and_wrong_or_throttled_requests_are_not() {
        for refusal in [Error::CodeUsed, Error::InsufficientFunds, Error::PinLocked] {
            assert!(refusal.kind().is_refusal(), "{refusal:?}");
        }
        for other in [
            Error::RateLimited {
                retry_after_seconds: 1,
            },
            Error::OutTradeNoConflict("out_trade_no"),
            Error::MalformedRequest("no amount".to_owned()),
            Error::Unauthenticated,
            Error::Internal(String::new()),
        ] {
            assert!(!other.kind().is_refusal(), "{other:?}");
        }
    }
}
