//! The routes of the API, one module per kind of caller.

pub mod admin;
pub mod merchant;
pub mod public;
pub mod reports;
pub mod statements;
pub mod wallet;
pub mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::limits::MAX_BODY_BYTES;
use crate::metrics::track;
use crate::state::AppState;

/// The whole API over `state`: every route of SPEC section 4, JSON errors for unknown routes
/// and methods, the 64 KiB body limit, and request metrics and logs.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(admin_routes())
        .merge(wallet_routes())
        .merge(merchant_routes())
        .merge(report_routes())
        .merge(crate::web::routes())
        .route("/healthz", get(public::healthz))
        .route("/metrics", get(public::metrics))
        .route("/openapi.json", get(public::openapi))
        .fallback(public::not_found)
        .method_not_allowed_fallback(public::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

fn admin_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/users",
            post(admin::create_user).get(admin::users),
        )
        .route("/v1/admin/users/{id}", get(admin::user))
        .route(
            "/v1/admin/users/{id}/transactions",
            get(admin::user_transactions),
        )
        .route(
            "/v1/admin/merchants",
            post(admin::create_merchant).get(admin::merchants),
        )
        .route(
            "/v1/admin/merchants/{id}/keys",
            post(admin::add_merchant_key).get(admin::merchant_keys),
        )
        .route(
            "/v1/admin/merchants/{id}/keys/{key_id}",
            delete(admin::revoke_merchant_key),
        )
        .route(
            "/v1/admin/merchants/{id}/webhook",
            get(webhooks::admin_webhook)
                .put(webhooks::admin_set_webhook)
                .delete(webhooks::admin_delete_webhook),
        )
        .route("/v1/admin/topups", post(admin::topup))
        .route("/v1/admin/settlements/{date}", get(statements::settlement))
        .route("/v1/admin/devices/{id}/unlock", post(admin::unlock_device))
        .route("/v1/admin/devices/{id}/revoke", post(admin::revoke_device))
        .route("/v1/admin/ledger/check", get(admin::ledger_check))
}

fn wallet_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/wallet/sessions",
            post(wallet::login)
                .get(wallet::sessions)
                .delete(wallet::end_other_sessions),
        )
        .route(
            "/v1/wallet/sessions/current",
            delete(wallet::end_current_session),
        )
        .route("/v1/wallet/sessions/{id}", delete(wallet::end_session))
        .route("/v1/wallet/pin", put(wallet::set_pin))
        .route("/v1/wallet/balance", get(wallet::balance))
        .route("/v1/wallet/transactions", get(wallet::transactions))
        .route(
            "/v1/wallet/devices",
            post(wallet::enroll_device).get(wallet::devices),
        )
        .route("/v1/wallet/devices/{id}", delete(wallet::revoke_device))
        .route(
            "/v1/wallet/devices/{id}/rotate",
            post(wallet::rotate_device),
        )
        .route("/v1/wallet/codes", post(wallet::online_code))
        .route("/v1/wallet/payments", get(wallet::pending_payments))
        .route(
            "/v1/wallet/payments/{trade_no}/confirm",
            post(wallet::confirm_payment),
        )
        .route(
            "/v1/wallet/payments/{trade_no}/decline",
            post(wallet::decline_payment),
        )
}

fn merchant_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/payments", post(merchant::pay))
        .route("/v1/payments/{out_trade_no}", get(merchant::payment))
        .route("/v1/payments/{out_trade_no}/cancel", post(merchant::cancel))
        .route(
            "/v1/payments/{out_trade_no}/refunds",
            post(merchant::refund).get(merchant::refunds),
        )
        .route("/v1/merchant/balance", get(merchant::balance))
        .route(
            "/v1/merchant/webhook",
            get(webhooks::webhook)
                .put(webhooks::set_webhook)
                .delete(webhooks::delete_webhook),
        )
        .route("/v1/merchant/events", get(webhooks::events))
        .route("/v1/merchant/statements/{date}", get(statements::statement))
        .route(
            "/v1/merchant/events/{id}/redeliver",
            post(webhooks::redeliver_event),
        )
}

fn report_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchant/trades", get(reports::merchant_trades))
        .route("/v1/admin/trades", get(reports::admin_trades))
        .route("/v1/admin/summary", get(reports::summary))
}
