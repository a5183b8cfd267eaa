//! The public endpoints: health, metrics, the OpenAPI document, and the JSON answers for
//! unknown routes and methods.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use paycode_api::{ErrorBody, ErrorCode, Health};
use paycode_core::service::Phase;
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// The media type of the Prometheus text format.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Reports whether the server can reach its database, by running a trivial transaction.
#[utoipa::path(
    get, path = "/healthz", tag = "public",
    responses(
        (status = 200, description = "The server and its database work", body = Health),
        (status = 503, description = "`UNAVAILABLE`: the database does not answer", body = ErrorBody),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state.probe_store().await.map_err(|error| {
        tracing::error!(code = error.code().as_str(), "health check failed");
        ApiError::http(ErrorCode::Unavailable, "the database does not answer")
    })?;
    Ok(axum::Json(Health {
        status: "ok".to_owned(),
        database: state.paycode.backend_name().to_owned(),
    }))
}

/// The metrics in the Prometheus text format.
#[utoipa::path(
    get, path = "/metrics", tag = "public",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    let grouped = state.paycode.batch_counts();
    // Group commit, from the domain's own counters: payments per batch is their ratio.
    text.push_str(&format!(
        "# HELP paycode_payment_batches_total Transactions that committed a batch of payments.\n\
         # TYPE paycode_payment_batches_total counter\n\
         paycode_payment_batches_total {}\n\
         # HELP paycode_batched_payments_total Payments committed in those batches.\n\
         # TYPE paycode_batched_payments_total counter\n\
         paycode_batched_payments_total {}\n\
         # HELP paycode_device_global_lockouts_total Devices locked at every merchant after \
         failed verifications at many merchants: someone may be guessing their codes.\n\
         # TYPE paycode_device_global_lockouts_total counter\n\
         paycode_device_global_lockouts_total {}\n",
        grouped.batches,
        grouped.payments,
        state.paycode.global_lockouts()
    ));
    text.push_str(
        "# HELP paycode_payment_batch_seconds_total Time the committed batches of payments \
         spent in each phase: prefetch, decide, apply, commit.\n\
         # TYPE paycode_payment_batch_seconds_total counter\n",
    );
    for (phase, nanos) in Phase::ALL.iter().zip(grouped.phase_nanos) {
        text.push_str(&format!(
            "paycode_payment_batch_seconds_total{{phase=\"{}\"}} {}\n",
            phase.as_str(),
            nanos as f64 / 1e9
        ));
    }
    ([(CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)], text)
}

/// This API's OpenAPI document, generated from the code.
#[utoipa::path(
    get, path = "/openapi.json", tag = "public",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// Any path that is not a route.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

/// A route asked with a method it does not have.
pub async fn method_not_allowed() -> ApiError {
    ApiError::http(
        ErrorCode::MethodNotAllowed,
        "the route does not accept this method",
    )
}
