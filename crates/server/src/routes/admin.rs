//! The operator's endpoints, under `/v1/admin`, authenticated with the admin key.

use axum::http::StatusCode;
use paycode_api::{
    CreateMerchantRequest, CreateUserRequest, Device, ErrorBody, LedgerCheck, Merchant,
    MerchantKey, MerchantKeyInfo, MerchantKeyList, MerchantPage, MerchantsQuery, Topup,
    TopupRequest, TransactionsPage, TransactionsQuery, User, UserOverview, UserPage, UsersQuery,
};
use paycode_core::ids::UserId;
use paycode_core::limits::DEFAULT_PAGE_SIZE;

use crate::auth::AdminAuth;
use crate::convert;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;

/// Creates a wallet user with a password.
#[utoipa::path(
    post, path = "/v1/admin/users", tag = "admin",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "The user", body = User),
        (status = 400, description = "Bad username or password, or the username is taken", body = ErrorBody),
        (status = 401, description = "Not the admin key", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn create_user(
    _: AdminAuth,
    State(state): State<AppState>,
    Json(request): Json<CreateUserRequest>,
) -> Result<(StatusCode, axum::Json<User>), ApiError> {
    let user = state
        .run(move |paycode| paycode.create_user(&request.username, &request.password))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(convert::user(&user))))
}

/// Creates a merchant with its account and first API key, shown once.
#[utoipa::path(
    post, path = "/v1/admin/merchants", tag = "admin",
    request_body = CreateMerchantRequest,
    responses(
        (status = 201, description = "The merchant with `api_key` and `api_key_id`", body = Merchant),
        (status = 400, description = "Bad name", body = ErrorBody),
        (status = 401, description = "Not the admin key", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn create_merchant(
    _: AdminAuth,
    State(state): State<AppState>,
    Json(request): Json<CreateMerchantRequest>,
) -> Result<(StatusCode, axum::Json<Merchant>), ApiError> {
    let created = state
        .run(move |paycode| paycode.create_merchant(&request.name))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(convert::merchant_created(created)),
    ))
}

/// Adds an API key to a merchant, shown once (to rotate: add, deploy, revoke the old one).
#[utoipa::path(
    post, path = "/v1/admin/merchants/{id}/keys", tag = "admin",
    params(("id" = i64, Path, description = "The merchant's id")),
    responses(
        (status = 201, description = "The new key", body = MerchantKey),
        (status = 401, description = "Not the admin key", body = ErrorBody),
        (status = 404, description = "No such merchant", body = ErrorBody),
        (status = 422, description = "`LIMIT_EXCEEDED`: too many live keys", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn add_merchant_key(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(merchant): Path<i64>,
) -> Result<(StatusCode, axum::Json<MerchantKey>), ApiError> {
    let issued = state
        .run(move |paycode| paycode.add_merchant_key(merchant))
        .await?;
    let key = MerchantKey {
        merchant_id: merchant,
        api_key_id: issued.id.0,
        api_key: issued.key,
    };
    Ok((StatusCode::CREATED, axum::Json(key)))
}

/// Revokes one of a merchant's API keys; it stops working at once.
#[utoipa::path(
    delete, path = "/v1/admin/merchants/{id}/keys/{key_id}", tag = "admin",
    params(
        ("id" = i64, Path, description = "The merchant's id"),
        ("key_id" = i64, Path, description = "The key's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not the admin key", body = ErrorBody),
        (status = 404, description = "No such live key of this merchant", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn revoke_merchant_key(
    _: AdminAuth,
    State(state): State<AppState>,
    Path((merchant, key)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |paycode| paycode.revoke_merchant_key(merchant, key))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Credits a user from the issuance account; idempotent by `reference`.
#[utoipa::path(
    post, path = "/v1/admin/topups", tag = "admin",
    request_body = TopupRequest,
    responses(
        (status = 200, description = "The top-up (the stored one when the reference was used before)", body = Topup),
        (status = 400, description = "Bad amount or reference", body = ErrorBody),
        (status = 401, description = "Not the admin key", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The reference was used with another user or amount", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn topup(
    _: AdminAuth,
    State(state): State<AppState>,
    Json(request): Json<TopupRequest>,
) -> Result<axum::Json<Topup>, ApiError> {
    let record = state
        .run(move |paycode| paycode.topup(request.user_id, request.amount, &request.reference))
        .await?;
    Ok(axum::Json(convert::topup(&record)))
}

/// Lifts a device's lockouts and clears its failure counts: at every merchant, and the count
/// of every merchant together.
#[utoipa::path(
    post, path = "/v1/admin/devices/{id}/unlock", tag = "admin",
    params(("id" = i64, Path, description = "The device's id (its slot)")),
    responses(
        (status = 200, description = "The device, unlocked everywhere", body = paycode_api::Device),
        (status = 401, description = "Not the admin key", body = ErrorBody),
        (status = 404, description = "No such device", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn unlock_device(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(device): Path<i64>,
) -> Result<axum::Json<paycode_api::Device>, ApiError> {
    let record = state
        .run(move |paycode| paycode.unlock_device(device))
        .await?;
    Ok(axum::Json(convert::device(&record)))
}

/// Computes the ledger invariants over everything stored.
#[utoipa::path(
    get, path = "/v1/admin/ledger/check", tag = "admin",
    responses(
        (status = 200, description = "The invariants; `ok` is false if any is broken", body = LedgerCheck),
        (status = 401, description = "Not the admin key", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn ledger_check(
    _: AdminAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<LedgerCheck>, ApiError> {
    let totals = state.run(|paycode| paycode.check_ledger()).await?;
    Ok(axum::Json(convert::ledger_check(&totals)))
}

/// Users in id order, filtered by a username prefix, a page at a time.
#[utoipa::path(
    get, path = "/v1/admin/users", tag = "admin",
    params(UsersQuery),
    responses(
        (status = 200, description = "A page; pass `next_after` as `after` for the next", body = UserPage),
        (status = 400, description = "`limit` is not 1 to 100, the prefix is too long, or an unknown parameter", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn users(
    _: AdminAuth,
    State(state): State<AppState>,
    Query(query): Query<UsersQuery>,
) -> Result<axum::Json<UserPage>, ApiError> {
    let limit = query.limit;
    let records = state
        .run(move |paycode| {
            paycode.find_users(query.username_prefix.as_deref(), query.after, query.limit)
        })
        .await?;
    let full = records.len() == limit.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
    Ok(axum::Json(UserPage {
        next_after: full
            .then(|| records.last().map(|record| record.id.0))
            .flatten(),
        items: records.iter().map(convert::user).collect(),
    }))
}

/// A user with balance, devices and PIN state.
#[utoipa::path(
    get, path = "/v1/admin/users/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserOverview),
        (status = 404, description = "No such user", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn user(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(user): Path<i64>,
) -> Result<axum::Json<UserOverview>, ApiError> {
    let overview = state
        .run(move |paycode| paycode.user_overview(user))
        .await?;
    Ok(axum::Json(UserOverview {
        user: convert::user(&overview.user),
        balance: overview.balance,
        currency: state.paycode.currency().as_str().to_owned(),
        pin_set: overview.user.pin_hash.is_some(),
        pin_locked_until: overview.pin_locked_until.map(convert::timestamp),
        devices: overview.devices.iter().map(convert::device).collect(),
    }))
}

/// A user's history, newest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/admin/users/{id}/transactions", tag = "admin",
    params(("id" = i64, Path, description = "The user's id"), TransactionsQuery),
    responses(
        (status = 200, description = "A page; pass `next_before` as `before` for the next", body = TransactionsPage),
        (status = 400, description = "`limit` is not 1 to 100, or an unknown parameter", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn user_transactions(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(user): Path<i64>,
    Query(query): Query<TransactionsQuery>,
) -> Result<axum::Json<TransactionsPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let entries = state
        .run(move |paycode| paycode.user_history(UserId(user), query.before, Some(limit)))
        .await?;
    Ok(axum::Json(convert::transactions_page(&entries, limit)))
}

/// Revokes a device for its owner (a phone reported lost); its codes stop working at once.
/// Idempotent.
#[utoipa::path(
    post, path = "/v1/admin/devices/{id}/revoke", tag = "admin",
    params(("id" = i64, Path, description = "The device's id")),
    responses(
        (status = 200, description = "The revoked device", body = Device),
        (status = 404, description = "No such device", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn revoke_device(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(device): Path<i64>,
) -> Result<axum::Json<Device>, ApiError> {
    let record = state
        .run(move |paycode| paycode.revoke_device_as_operator(device))
        .await?;
    Ok(axum::Json(convert::device(&record)))
}

/// Merchants in id order, a page at a time.
#[utoipa::path(
    get, path = "/v1/admin/merchants", tag = "admin",
    params(MerchantsQuery),
    responses(
        (status = 200, description = "A page; pass `next_after` as `after` for the next", body = MerchantPage),
        (status = 400, description = "`limit` is not 1 to 100, or an unknown parameter", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn merchants(
    _: AdminAuth,
    State(state): State<AppState>,
    Query(query): Query<MerchantsQuery>,
) -> Result<axum::Json<MerchantPage>, ApiError> {
    let limit = query.limit;
    let records = state
        .run(move |paycode| paycode.merchants_page(query.after, query.limit))
        .await?;
    let full = records.len() == limit.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
    Ok(axum::Json(MerchantPage {
        next_after: full
            .then(|| records.last().map(|record| record.id.0))
            .flatten(),
        items: records.iter().map(convert::merchant).collect(),
    }))
}

/// A merchant's API keys, revoked ones included (never the keys themselves).
#[utoipa::path(
    get, path = "/v1/admin/merchants/{id}/keys", tag = "admin",
    params(("id" = i64, Path, description = "The merchant's id")),
    responses(
        (status = 200, description = "The keys, oldest first", body = MerchantKeyList),
        (status = 404, description = "No such merchant", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn merchant_keys(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(merchant): Path<i64>,
) -> Result<axum::Json<MerchantKeyList>, ApiError> {
    let keys = state
        .run(move |paycode| paycode.merchant_keys(merchant))
        .await?;
    Ok(axum::Json(MerchantKeyList {
        items: keys
            .iter()
            .map(|key| MerchantKeyInfo {
                id: key.id.0,
                created_at: convert::timestamp(key.created_at),
                revoked_at: key.revoked_at.map(convert::timestamp),
            })
            .collect(),
    }))
}
