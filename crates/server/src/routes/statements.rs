//! Merchants' daily statements and the operator's daily settlements (SPEC section 7): the
//! movements of merchants' accounts on a day of the configured time zone, as JSON or CSV.

use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use paycode_api::{ErrorBody, Settlement, Statement, StatementQuery};
use paycode_core::days::Day;

use crate::auth::{AdminAuth, MerchantAuth};
use crate::convert;
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::state::AppState;

/// The media type of CSV statements.
const CSV: &str = "text/csv; charset=utf-8";

/// Whether the caller asked for CSV: `?format=csv`, or `Accept: text/csv` without a
/// `format`. Any other `format` than `json` or `csv` is refused.
fn wants_csv(query: &StatementQuery, headers: &HeaderMap) -> Result<bool, ApiError> {
    match query.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::malformed("format must be json or csv")),
        None => Ok(headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|media| media.split(';').next().unwrap_or("").trim() == "text/csv")),
    }
}

/// The merchant's statement of one day (`YYYY-MM-DD` in the deployment's time zone): every
/// payment, refund and reversal, and their totals, as JSON or CSV.
#[utoipa::path(
    get, path = "/v1/merchant/statements/{date}", tag = "merchant",
    params(
        ("date" = String, Path, description = "The day, `YYYY-MM-DD`, in the deployment's time zone",
            pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        StatementQuery,
    ),
    responses(
        (status = 200, description = "The statement: JSON, or CSV (`text/csv`) with `?format=csv` or `Accept: text/csv`; the CSV has one line per movement, then lines `gross`, `refunds`, `net` and `count` with the totals in the `amount` column",
            content((Statement = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`MALFORMED_REQUEST`: not an existing date written YYYY-MM-DD, or a `format` other than json or csv", body = ErrorBody),
        (status = 422, description = "`LIMIT_EXCEEDED`: the day has more than 100000 movements", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn statement(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Path(date): Path<String>,
    Query(query): Query<StatementQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let csv = wants_csv(&query, &headers)?;
    let day = Day::parse("date", &date)?;
    let zone = state.paycode.statement_zone().clone();
    let range = zone.day_range(day)?;
    let statement = state
        .run(move |paycode| paycode.statement(merchant, range.start, range.end))
        .await?;
    let body = convert::statement(
        &statement,
        &day.to_string(),
        zone.name(),
        (range.start, range.end),
        state.paycode.currency().as_str(),
    );
    if csv {
        let disposition = format!("attachment; filename=\"statement-{day}.csv\"");
        Ok((
            [
                (CONTENT_TYPE, CSV.to_owned()),
                (CONTENT_DISPOSITION, disposition),
            ],
            convert::statement_csv(&body),
        )
            .into_response())
    } else {
        Ok(axum::Json(body).into_response())
    }
}

/// Every merchant's totals of one day (`YYYY-MM-DD` in the deployment's time zone), equal to
/// the totals of each merchant's statement and to the postings to its account that day.
#[utoipa::path(
    get, path = "/v1/admin/settlements/{date}", tag = "admin",
    params(("date" = String, Path, description = "The day, `YYYY-MM-DD`, in the deployment's time zone",
        pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    responses(
        (status = 200, description = "The settlement", body = Settlement),
        (status = 400, description = "`MALFORMED_REQUEST`: not an existing date written YYYY-MM-DD", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn settlement(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(date): Path<String>,
) -> Result<axum::Json<Settlement>, ApiError> {
    let day = Day::parse("date", &date)?;
    let zone = state.paycode.statement_zone().clone();
    let range = zone.day_range(day)?;
    let lines = state
        .run(move |paycode| paycode.settlement(range.start, range.end))
        .await?;
    Ok(axum::Json(convert::settlement(
        &lines,
        &day.to_string(),
        zone.name(),
        (range.start, range.end),
        state.paycode.currency().as_str(),
    )))
}
