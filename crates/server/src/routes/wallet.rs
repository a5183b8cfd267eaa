//! The wallet's endpoints, under `/v1/wallet`, authenticated with a session token (except
//! logging in, which makes one).

use axum::extract::State;
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use paycode_api::{
    Balance, ConfirmPaymentRequest, DeviceList, DeviceProvisioning, EnrollDeviceRequest, ErrorBody,
    LoginRequest, OnlineCode, OnlineCodeRequest, PendingPaymentsQuery, RotateDeviceRequest,
    Session, SessionList, SessionsEnded, SetPinRequest, Trade, TradeList, TradeStatus,
    TransactionsPage, TransactionsQuery,
};
use paycode_core::limits::DEFAULT_PAGE_SIZE;

use crate::auth::{WalletAuth, WalletSession};
use crate::convert;
use crate::error::ApiError;
use crate::extract::{Json, OptionalJson, Path, Query};
use crate::state::AppState;

/// Logs in with username and password; the token authenticates the other wallet calls.
/// After a few failed logins a username waits, doubling with each further failure, whether
/// it exists or not.
#[utoipa::path(
    post, path = "/v1/wallet/sessions", tag = "wallet",
    request_body = LoginRequest,
    responses(
        (status = 201, description = "A new session", body = Session),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`: the username failed too many logins, or too many password checks wait; retry after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a retry can succeed"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<(StatusCode, axum::Json<Session>), ApiError> {
    let user_agent = headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let session = state
        .run(move |paycode| {
            paycode.login(&request.username, &request.password, user_agent.as_deref())
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(convert::session(session))))
}

/// The user's live sessions, oldest first, the current one marked.
#[utoipa::path(
    get, path = "/v1/wallet/sessions", tag = "wallet",
    responses(
        (status = 200, description = "The sessions", body = SessionList),
        (status = 401, description = "No live session", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn sessions(
    current: WalletSession,
    State(state): State<AppState>,
) -> Result<axum::Json<SessionList>, ApiError> {
    let user = current.user;
    let records = state.run(move |paycode| paycode.sessions(user)).await?;
    Ok(axum::Json(SessionList {
        items: records
            .iter()
            .map(|record| convert::session_info(record, current.session))
            .collect(),
    }))
}

/// Logs out: ends the session making the request.
#[utoipa::path(
    delete, path = "/v1/wallet/sessions/current", tag = "wallet",
    responses(
        (status = 204, description = "The session is ended"),
        (status = 401, description = "No live session", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn end_current_session(
    current: WalletSession,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |paycode| paycode.end_session(current.user, current.session.0))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one of the user's sessions, for example on a lost phone.
#[utoipa::path(
    delete, path = "/v1/wallet/sessions/{id}", tag = "wallet",
    params(("id" = i64, Path, description = "The session's id")),
    responses(
        (status = 204, description = "The session is ended"),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 404, description = "No such session of this user", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn end_session(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |paycode| paycode.end_session(user, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the user but the one making the request.
#[utoipa::path(
    delete, path = "/v1/wallet/sessions", tag = "wallet",
    responses(
        (status = 200, description = "How many sessions were ended", body = SessionsEnded),
        (status = 401, description = "No live session", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn end_other_sessions(
    current: WalletSession,
    State(state): State<AppState>,
) -> Result<axum::Json<SessionsEnded>, ApiError> {
    let ended = state
        .run(move |paycode| paycode.end_other_sessions(current.user, current.session))
        .await?;
    Ok(axum::Json(SessionsEnded { ended }))
}

/// Sets the PIN; changing an existing one needs `current_pin`.
#[utoipa::path(
    put, path = "/v1/wallet/pin", tag = "wallet",
    request_body = SetPinRequest,
    responses(
        (status = 204, description = "The PIN is set"),
        (status = 400, description = "The PIN is not 6 to 12 digits", body = ErrorBody),
        (status = 403, description = "`current_pin` is missing or wrong", body = ErrorBody),
        (status = 422, description = "`PIN_LOCKED`: too many wrong PINs in a row", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn set_pin(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Json(request): Json<SetPinRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |paycode| paycode.set_pin(user, &request.pin, request.current_pin.as_deref()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The wallet's balance.
#[utoipa::path(
    get, path = "/v1/wallet/balance", tag = "wallet",
    responses(
        (status = 200, description = "The balance", body = Balance),
        (status = 401, description = "No live session", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn balance(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<Balance>, ApiError> {
    let balance = state.run(move |paycode| paycode.user_balance(user)).await?;
    Ok(axum::Json(Balance {
        balance,
        currency: state.paycode.currency().as_str().to_owned(),
    }))
}

/// The wallet's history, newest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/wallet/transactions", tag = "wallet",
    params(TransactionsQuery),
    responses(
        (status = 200, description = "A page; pass `next_before` as `before` for the next", body = TransactionsPage),
        (status = 400, description = "`limit` is not 1 to 100", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn transactions(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Query(query): Query<TransactionsQuery>,
) -> Result<axum::Json<TransactionsPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let entries = state
        .run(move |paycode| paycode.user_history(user, query.before, Some(limit)))
        .await?;
    Ok(axum::Json(convert::transactions_page(&entries, limit)))
}

/// Enrolls a device: its secret and parameters, shown once (SPEC 2.4). Needs the PIN, or the
/// password while no PIN is set.
#[utoipa::path(
    post, path = "/v1/wallet/devices", tag = "wallet",
    request_body = EnrollDeviceRequest,
    responses(
        (status = 201, description = "The provisioning data", body = DeviceProvisioning),
        (status = 403, description = "The PIN (or password) is missing or wrong", body = ErrorBody),
        (status = 422, description = "`LIMIT_EXCEEDED`: too many active devices; `PIN_LOCKED`", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn enroll_device(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Json(request): Json<EnrollDeviceRequest>,
) -> Result<(StatusCode, axum::Json<DeviceProvisioning>), ApiError> {
    let provisioning = state
        .run(move |paycode| {
            paycode.enroll_device(
                user,
                request.name.as_deref(),
                request.pin.as_deref(),
                request.password.as_deref(),
            )
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(convert::provisioning(&provisioning)),
    ))
}

/// The wallet's devices, revoked ones included.
#[utoipa::path(
    get, path = "/v1/wallet/devices", tag = "wallet",
    responses((status = 200, description = "The devices, oldest first", body = DeviceList)),
    security(("wallet" = []))
)]
pub async fn devices(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<DeviceList>, ApiError> {
    let records = state.run(move |paycode| paycode.devices(user)).await?;
    Ok(axum::Json(DeviceList {
        items: records.iter().map(convert::device).collect(),
    }))
}

/// Revokes one of the wallet's devices; its codes stop working at once. Idempotent.
#[utoipa::path(
    delete, path = "/v1/wallet/devices/{id}", tag = "wallet",
    params(("id" = i64, Path, description = "The device's id")),
    responses(
        (status = 200, description = "The revoked device", body = paycode_api::Device),
        (status = 404, description = "No such device of this user", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn revoke_device(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Path(device): Path<i64>,
) -> Result<axum::Json<paycode_api::Device>, ApiError> {
    let record = state
        .run(move |paycode| paycode.revoke_device(user, device))
        .await?;
    Ok(axum::Json(convert::device(&record)))
}

/// Gives a device a new secret (same slot); codes of the old secret stop verifying. Needs the
/// PIN, or the password while no PIN is set.
#[utoipa::path(
    post, path = "/v1/wallet/devices/{id}/rotate", tag = "wallet",
    params(("id" = i64, Path, description = "The device's id")),
    request_body = RotateDeviceRequest,
    responses(
        (status = 200, description = "The new provisioning data", body = DeviceProvisioning),
        (status = 403, description = "The PIN (or password) is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such device of this user", body = ErrorBody),
        (status = 422, description = "`DEVICE_REVOKED`; `PIN_LOCKED`", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn rotate_device(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Path(device): Path<i64>,
    Json(request): Json<RotateDeviceRequest>,
) -> Result<axum::Json<DeviceProvisioning>, ApiError> {
    let provisioning = state
        .run(move |paycode| {
            paycode.rotate_device(
                user,
                device,
                request.pin.as_deref(),
                request.password.as_deref(),
            )
        })
        .await?;
    Ok(axum::Json(convert::provisioning(&provisioning)))
}

/// Issues an online code, valid once until it expires (SPEC 2.2).
#[utoipa::path(
    post, path = "/v1/wallet/codes", tag = "wallet",
    request_body(content = Option<OnlineCodeRequest>, description = "May be left out"),
    responses(
        (status = 201, description = "The code", body = OnlineCode),
        (status = 400, description = "`device_id` is needed: the user has several active devices", body = ErrorBody),
        (status = 403, description = "The user has no active device", body = ErrorBody),
        (status = 404, description = "No such device of this user", body = ErrorBody),
        (status = 422, description = "`DEVICE_REVOKED`", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn online_code(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    OptionalJson(request): OptionalJson<OnlineCodeRequest>,
) -> Result<(StatusCode, axum::Json<OnlineCode>), ApiError> {
    let code = state
        .run(move |paycode| paycode.issue_online_code(user, request.device_id))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(convert::online_code(code))))
}

/// The wallet's payments waiting for the PIN.
#[utoipa::path(
    get, path = "/v1/wallet/payments", tag = "wallet",
    params(PendingPaymentsQuery),
    responses(
        (status = 200, description = "Trades in `USER_PAYING`, oldest first", body = TradeList),
        (status = 400, description = "A status other than `USER_PAYING`", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn pending_payments(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Query(query): Query<PendingPaymentsQuery>,
) -> Result<axum::Json<TradeList>, ApiError> {
    let listable = TradeStatus::UserPaying.as_str();
    if query
        .status
        .as_deref()
        .is_some_and(|status| status != listable)
    {
        return Err(ApiError::malformed(format!(
            "only status={listable} can be listed"
        )));
    }
    let trades = state
        .run(move |paycode| paycode.pending_payments(user))
        .await?;
    let currency = state.paycode.currency().as_str();
    Ok(axum::Json(TradeList {
        items: trades
            .iter()
            .map(|trade| convert::trade(trade, currency))
            .collect(),
    }))
}

/// Pays a `USER_PAYING` trade with the PIN.
#[utoipa::path(
    post, path = "/v1/wallet/payments/{trade_no}/confirm", tag = "wallet",
    params(("trade_no" = String, Path, description = "paycode's trade number",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    request_body = ConfirmPaymentRequest,
    responses(
        (status = 200, description = "The trade, now `SUCCESS`", body = Trade),
        (status = 400, description = "`MALFORMED_REQUEST`: a bad body, or `trade_no` is not 1 to 64 letters, digits or `_ - . :`", body = ErrorBody),
        (status = 403, description = "Wrong PIN, no PIN set, or the trade is not waiting", body = ErrorBody),
        (status = 404, description = "No such trade of this user", body = ErrorBody),
        (status = 422, description = "`CODE_EXPIRED` (timed out), `INSUFFICIENT_FUNDS` or `PIN_LOCKED`", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn confirm_payment(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Path(trade_no): Path<String>,
    Json(request): Json<ConfirmPaymentRequest>,
) -> Result<axum::Json<Trade>, ApiError> {
    let trade = state
        .run(move |paycode| paycode.confirm_payment(user, &trade_no, &request.pin))
        .await?;
    Ok(axum::Json(convert::trade(
        &trade,
        state.paycode.currency().as_str(),
    )))
}

/// Declines a `USER_PAYING` trade: it is closed and nothing is paid.
#[utoipa::path(
    post, path = "/v1/wallet/payments/{trade_no}/decline", tag = "wallet",
    params(("trade_no" = String, Path, description = "paycode's trade number",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The trade, now `CLOSED`", body = Trade),
        (status = 400, description = "`MALFORMED_REQUEST`: `trade_no` is not 1 to 64 letters, digits or `_ - . :`", body = ErrorBody),
        (status = 403, description = "The trade is not waiting for confirmation", body = ErrorBody),
        (status = 404, description = "No such trade of this user", body = ErrorBody),
        (status = 422, description = "`CODE_EXPIRED`: the trade timed out before it was declined", body = ErrorBody),
    ),
    security(("wallet" = []))
)]
pub async fn decline_payment(
    WalletAuth(user): WalletAuth,
    State(state): State<AppState>,
    Path(trade_no): Path<String>,
) -> Result<axum::Json<Trade>, ApiError> {
    let trade = state
        .run(move |paycode| paycode.decline_payment(user, &trade_no))
        .await?;
    Ok(axum::Json(convert::trade(
        &trade,
        state.paycode.currency().as_str(),
    )))
}
