//! The merchant's endpoints, authenticated with an API key: charge a scanned code, query,
//! cancel, refund, balance. A merchant sees only its own trades.

use axum::extract::State;
use axum::http::StatusCode;
use paycode_api::{
    Balance, ErrorBody, PayRequest, Refund, RefundList, RefundRequest, Trade, TradeStatus,
};

use crate::auth::MerchantAuth;
use crate::convert;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Charges the code a merchant scanned.
///
/// `200` with a `SUCCESS` trade when paid; `202` with a `USER_PAYING` trade when the amount
/// needs the user's PIN (poll `GET /v1/payments/{out_trade_no}`). Retrying the same
/// `out_trade_no` with identical parameters returns the stored trade.
#[utoipa::path(
    post, path = "/v1/payments", tag = "merchant",
    request_body = PayRequest,
    responses(
        (status = 200, description = "Paid: status `SUCCESS`", body = Trade),
        (status = 202, description = "Waiting for the user's PIN: status `USER_PAYING`", body = Trade),
        (status = 400, description = "`MALFORMED_REQUEST`, `INVALID_AMOUNT` or `INVALID_CODE_FORMAT`", body = ErrorBody),
        (status = 401, description = "No live API key", body = ErrorBody),
        (status = 409, description = "`OUT_TRADE_NO_CONFLICT` or `REQUEST_IN_PROGRESS`", body = ErrorBody),
        (status = 422, description = "A refusal: `CODE_INVALID`, `CODE_EXPIRED`, `CODE_USED`, `DEVICE_LOCKED`, `DEVICE_REVOKED`, `INSUFFICIENT_FUNDS`", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`: too many failed verifications this minute; retry after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the minute is over"))),
    ),
    security(("merchant" = []))
)]
pub async fn pay(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    request: Result<Json<PayRequest>, ApiError>,
) -> Result<(StatusCode, axum::Json<Trade>), ApiError> {
    let outcome = charge(&state, merchant, request).await;
    state.metrics.observe_payment(match &outcome {
        Ok(trade) => trade.status.as_str(),
        Err(error) => error.code().as_str(),
    });
    let trade = outcome?;
    let status = if trade.status == TradeStatus::UserPaying {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(trade)))
}

/// The payment itself. The body's rejection is taken as a value so that a malformed payment
/// request is counted among the payment outcomes too.
async fn charge(
    state: &AppState,
    merchant: paycode_core::ids::MerchantId,
    request: Result<Json<PayRequest>, ApiError>,
) -> Result<Trade, ApiError> {
    let Json(request) = request?;
    let request = paycode_core::service::PayRequest {
        out_trade_no: request.out_trade_no,
        auth_code: request.auth_code,
        amount: request.amount,
        subject: request.subject,
        terminal_id: request.terminal_id,
    };
    let trade = state.pay(merchant, &request).await?;
    Ok(convert::trade(&trade, state.paycode.currency().as_str()))
}

/// A trade of this merchant by its `out_trade_no`; the POS polls it while `USER_PAYING`.
#[utoipa::path(
    get, path = "/v1/payments/{out_trade_no}", tag = "merchant",
    params(("out_trade_no" = String, Path, description = "The merchant's reference",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The trade", body = Trade),
        (status = 400, description = "`MALFORMED_REQUEST`: `out_trade_no` is not 1 to 64 letters, digits or `_ - . :`", body = ErrorBody),
        (status = 404, description = "No such trade of this merchant", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn payment(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
) -> Result<axum::Json<Trade>, ApiError> {
    let trade = state
        .run(move |paycode| paycode.trade(merchant, &out_trade_no))
        .await?;
    Ok(axum::Json(convert::trade(
        &trade,
        state.paycode.currency().as_str(),
    )))
}

/// Cancels a trade: an unpaid one becomes `CLOSED`, a paid one `REVERSED` with the money
/// refunded. Cancelling again returns the trade.
#[utoipa::path(
    post, path = "/v1/payments/{out_trade_no}/cancel", tag = "merchant",
    params(("out_trade_no" = String, Path, description = "The merchant's reference",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The trade, `CLOSED` or `REVERSED`", body = Trade),
        (status = 400, description = "`MALFORMED_REQUEST`: `out_trade_no` is not 1 to 64 letters, digits or `_ - . :`", body = ErrorBody),
        (status = 404, description = "No such trade of this merchant", body = ErrorBody),
        (status = 422, description = "`TRADE_NOT_CANCELLABLE`: past the cancel window", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn cancel(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
) -> Result<axum::Json<Trade>, ApiError> {
    let trade = state
        .run(move |paycode| paycode.cancel(merchant, &out_trade_no))
        .await?;
    Ok(axum::Json(convert::trade(
        &trade,
        state.paycode.currency().as_str(),
    )))
}

/// Refunds part of a paid trade; idempotent by `out_refund_no`.
#[utoipa::path(
    post, path = "/v1/payments/{out_trade_no}/refunds", tag = "merchant",
    params(("out_trade_no" = String, Path, description = "The merchant's reference",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    request_body = RefundRequest,
    responses(
        (status = 200, description = "The refund (the stored one when `out_refund_no` was used before)", body = Refund),
        (status = 400, description = "`MALFORMED_REQUEST` (a bad body, `out_trade_no` or `out_refund_no`) or `INVALID_AMOUNT`", body = ErrorBody),
        (status = 404, description = "No such trade of this merchant", body = ErrorBody),
        (status = 409, description = "`out_refund_no` was used with another amount", body = ErrorBody),
        (status = 422, description = "`TRADE_NOT_REFUNDABLE` or `REFUND_EXCEEDS_PAYMENT`", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn refund(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
    Json(request): Json<RefundRequest>,
) -> Result<axum::Json<Refund>, ApiError> {
    let request = paycode_core::service::RefundRequest {
        out_refund_no: request.out_refund_no,
        amount: request.amount,
        reason: request.reason,
    };
    let record = state
        .run({
            let out_trade_no = out_trade_no.clone();
            move |paycode| paycode.refund(merchant, &out_trade_no, &request)
        })
        .await?;
    Ok(axum::Json(convert::refund(&record, &out_trade_no)))
}

/// A trade's refunds, oldest first.
#[utoipa::path(
    get, path = "/v1/payments/{out_trade_no}/refunds", tag = "merchant",
    params(("out_trade_no" = String, Path, description = "The merchant's reference",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The refunds", body = RefundList),
        (status = 400, description = "`MALFORMED_REQUEST`: `out_trade_no` is not 1 to 64 letters, digits or `_ - . :`", body = ErrorBody),
        (status = 404, description = "No such trade of this merchant", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn refunds(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
) -> Result<axum::Json<RefundList>, ApiError> {
    let records = state
        .run({
            let out_trade_no = out_trade_no.clone();
            move |paycode| paycode.refunds(merchant, &out_trade_no)
        })
        .await?;
    Ok(axum::Json(RefundList {
        items: records
            .iter()
            .map(|record| convert::refund(record, &out_trade_no))
            .collect(),
    }))
}

/// The merchant's balance.
#[utoipa::path(
    get, path = "/v1/merchant/balance", tag = "merchant",
    responses(
        (status = 200, description = "The balance", body = Balance),
        (status = 401, description = "No live API key", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn balance(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<Balance>, ApiError> {
    let balance = state
        .run(move |paycode| paycode.merchant_balance(merchant))
        .await?;
    Ok(axum::Json(Balance {
        balance,
        currency: state.paycode.currency().as_str().to_owned(),
    }))
}
