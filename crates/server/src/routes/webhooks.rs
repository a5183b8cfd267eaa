//! Merchants' notifications (SPEC section 7): the webhook, set by the merchant or by the
//! operator for it, and the merchant's list of events with their delivery state.

use axum::extract::State;
use axum::http::StatusCode;
use paycode_api::{
    ErrorBody, EventInfo, EventPage, EventsQuery, SetWebhookRequest, Webhook, WebhookWithSecret,
};
use paycode_core::ids::{EventId, MerchantId};
use paycode_core::limits::DEFAULT_PAGE_SIZE;
use paycode_core::service::WebhookIssued;

use crate::auth::{AdminAuth, MerchantAuth};
use crate::convert;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

fn issued(issued: WebhookIssued) -> axum::Json<WebhookWithSecret> {
    axum::Json(WebhookWithSecret {
        url: issued.url,
        secret: issued.secret.to_string(),
    })
}

async fn set(
    state: &AppState,
    merchant: MerchantId,
    request: SetWebhookRequest,
) -> Result<axum::Json<WebhookWithSecret>, ApiError> {
    let webhook = state
        .run(move |paycode| paycode.set_webhook(merchant, &request.url))
        .await?;
    Ok(issued(webhook))
}

async fn current(state: &AppState, merchant: MerchantId) -> Result<axum::Json<Webhook>, ApiError> {
    let url = state
        .run(move |paycode| paycode.webhook_url(merchant))
        .await?;
    Ok(axum::Json(Webhook { url }))
}

async fn delete(state: &AppState, merchant: MerchantId) -> Result<StatusCode, ApiError> {
    state
        .run(move |paycode| paycode.delete_webhook(merchant))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the merchant's webhook and returns a new signing secret, shown this once. The
/// previous URL and secret stop being used at once.
#[utoipa::path(
    put, path = "/v1/merchant/webhook", tag = "merchant",
    request_body = SetWebhookRequest,
    responses(
        (status = 200, description = "The webhook with its signing secret, shown once", body = WebhookWithSecret),
        (status = 400, description = "`MALFORMED_REQUEST`: not an http(s) URL of at most 2048 bytes, or a host this deployment does not deliver to", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn set_webhook(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Json(request): Json<SetWebhookRequest>,
) -> Result<axum::Json<WebhookWithSecret>, ApiError> {
    set(&state, merchant, request).await
}

/// The merchant's webhook, without its secret, which is shown only when it is set.
#[utoipa::path(
    get, path = "/v1/merchant/webhook", tag = "merchant",
    responses(
        (status = 200, description = "The webhook (`url` is null while none is set)", body = Webhook),
    ),
    security(("merchant" = []))
)]
pub async fn webhook(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<Webhook>, ApiError> {
    current(&state, merchant).await
}

/// Removes the merchant's webhook; events not delivered yet fail until one is set again.
#[utoipa::path(
    delete, path = "/v1/merchant/webhook", tag = "merchant",
    responses((status = 204, description = "Removed (or there was none)")),
    security(("merchant" = []))
)]
pub async fn delete_webhook(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
) -> Result<StatusCode, ApiError> {
    delete(&state, merchant).await
}

/// Sets a merchant's webhook for it; the signing secret is shown this once, to be handed to
/// the merchant.
#[utoipa::path(
    put, path = "/v1/admin/merchants/{id}/webhook", tag = "admin",
    params(("id" = i64, Path, description = "The merchant's id")),
    request_body = SetWebhookRequest,
    responses(
        (status = 200, description = "The webhook with its signing secret, shown once", body = WebhookWithSecret),
        (status = 400, description = "`MALFORMED_REQUEST`: not an http(s) URL of at most 2048 bytes, or a host this deployment does not deliver to", body = ErrorBody),
        (status = 404, description = "No such merchant", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn admin_set_webhook(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(merchant): Path<i64>,
    Json(request): Json<SetWebhookRequest>,
) -> Result<axum::Json<WebhookWithSecret>, ApiError> {
    set(&state, MerchantId(merchant), request).await
}

/// A merchant's webhook, without its secret, which is shown only when it is set.
#[utoipa::path(
    get, path = "/v1/admin/merchants/{id}/webhook", tag = "admin",
    params(("id" = i64, Path, description = "The merchant's id")),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 404, description = "`NOT_FOUND`: no such merchant", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn admin_webhook(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(merchant): Path<i64>,
) -> Result<axum::Json<Webhook>, ApiError> {
    current(&state, MerchantId(merchant)).await
}

/// Removes a merchant's webhook.
#[utoipa::path(
    delete, path = "/v1/admin/merchants/{id}/webhook", tag = "admin",
    params(("id" = i64, Path, description = "The merchant's id")),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        (status = 404, description = "No such merchant", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn admin_delete_webhook(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(merchant): Path<i64>,
) -> Result<StatusCode, ApiError> {
    delete(&state, MerchantId(merchant)).await
}

/// The merchant's events, newest first, with how their delivery goes.
#[utoipa::path(
    get, path = "/v1/merchant/events", tag = "merchant",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page; pass `next_before` as `before` for the next", body = EventPage),
        (status = 400, description = "`MALFORMED_REQUEST`: `limit` is not 1 to 100, or `before` is not a positive integer", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn events(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Query(query): Query<EventsQuery>,
) -> Result<axum::Json<EventPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if query.before.is_some_and(|before| before < 1) {
        return Err(ApiError::malformed("before must be a positive event id"));
    }
    let before = query.before.map(EventId);
    let records = state
        .run(move |paycode| paycode.events(merchant, before, limit))
        .await?;
    Ok(axum::Json(convert::event_page(&records, limit)))
}

/// Sends one of the merchant's events again, now: also one delivered or given up.
#[utoipa::path(
    post, path = "/v1/merchant/events/{id}/redeliver", tag = "merchant",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The event, due now", body = EventInfo),
        (status = 404, description = "No such event of this merchant", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn redeliver_event(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(event): Path<i64>,
) -> Result<axum::Json<EventInfo>, ApiError> {
    let record = state
        .run(move |paycode| paycode.redeliver_event(merchant, EventId(event)))
        .await?;
    Ok(axum::Json(convert::event_info(&record)))
}
