//! The lists and counts of the till and the operator's console: the merchant's trades of a
//! day (merchant key), the operator's search of trades and summary of a day (admin key).

use axum::extract::State;
use paycode_api::{
    AdminTrade, AdminTradesPage, AdminTradesQuery, ErrorBody, MerchantTradesPage,
    MerchantTradesQuery, Summary, SummaryQuery, TradeTotals,
};
use paycode_core::reports::TradeListing;
use paycode_core::service::TradeSearch;

use crate::auth::{AdminAuth, MerchantAuth};
use crate::convert;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

/// The merchant's trades of a day, newest first, a page at a time, with the day's totals.
///
/// A day is a calendar day in the deployment's time zone (`time_zone`). The totals cover
/// every trade the merchant created that day, not only the page.
#[utoipa::path(
    get, path = "/v1/merchant/trades", tag = "merchant",
    params(MerchantTradesQuery),
    responses(
        (status = 200, description = "A page; pass `next_before` as `before` for the next", body = MerchantTradesPage),
        (status = 400, description = "`date` is not an existing `YYYY-MM-DD`, `limit` is not 1 to 100, or an unknown parameter", body = ErrorBody),
    ),
    security(("merchant" = []))
)]
pub async fn merchant_trades(
    MerchantAuth(merchant): MerchantAuth,
    State(state): State<AppState>,
    Query(query): Query<MerchantTradesQuery>,
) -> Result<axum::Json<MerchantTradesPage>, ApiError> {
    let day = state
        .run(move |paycode| {
            paycode.merchant_trades(merchant, query.date.as_deref(), query.before, query.limit)
        })
        .await?;
    let currency = state.paycode.currency().as_str();
    let totals = totals(&day.totals)?;
    Ok(axum::Json(MerchantTradesPage {
        date: day.day.to_string(),
        time_zone: state.paycode.statement_zone().name().to_owned(),
        items: day
            .trades
            .iter()
            .map(|trade| convert::trade(trade, currency))
            .collect(),
        next_before: day.next_before.map(|id| id.0),
        totals,
        currency: currency.to_owned(),
    }))
}

/// The operator's search of trades, newest first, a page at a time. Every filter given must
/// hold; an unknown merchant finds nothing.
#[utoipa::path(
    get, path = "/v1/admin/trades", tag = "admin",
    params(AdminTradesQuery),
    responses(
        (status = 200, description = "A page; pass `next_before` as `before` for the next", body = AdminTradesPage),
        (status = 400, description = "`out_trade_no` without `merchant_id`, a malformed `out_trade_no`, `trade_no`, `status` or `date`, `limit` not 1 to 100, or an unknown parameter", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn admin_trades(
    _: AdminAuth,
    State(state): State<AppState>,
    Query(query): Query<AdminTradesQuery>,
) -> Result<axum::Json<AdminTradesPage>, ApiError> {
    let search = TradeSearch {
        merchant_id: query.merchant_id,
        out_trade_no: query.out_trade_no,
        trade_no: query.trade_no,
        status: query.status,
        date: query.date,
        before: query.before,
        limit: query.limit,
    };
    let page = state
        .run(move |paycode| paycode.find_trades(&search))
        .await?;
    let currency = state.paycode.currency().as_str();
    Ok(axum::Json(AdminTradesPage {
        items: page
            .items
            .iter()
            .map(|listing| admin_trade(listing, currency))
            .collect(),
        next_before: page.next_before.map(|id| id.0),
    }))
}

/// The operator's counts of a day: payments and their volume, refunds, refusals by code; and
/// of the moment: trades waiting for a PIN, locked devices, users and merchants.
#[utoipa::path(
    get, path = "/v1/admin/summary", tag = "admin",
    params(SummaryQuery),
    responses(
        (status = 200, description = "The counts", body = Summary),
        (status = 400, description = "`date` is not an existing `YYYY-MM-DD`, or an unknown parameter", body = ErrorBody),
    ),
    security(("admin" = []))
)]
pub async fn summary(
    _: AdminAuth,
    State(state): State<AppState>,
    Query(query): Query<SummaryQuery>,
) -> Result<axum::Json<Summary>, ApiError> {
    let summary = state
        .run(move |paycode| paycode.day_summary(query.date.as_deref()))
        .await?;
    let counts = summary.counts;
    Ok(axum::Json(Summary {
        date: summary.day.to_string(),
        time_zone: state.paycode.statement_zone().name().to_owned(),
        currency: state.paycode.currency().as_str().to_owned(),
        payments: counts.payments,
        volume: counts.volume,
        refunds: counts.refunds,
        refunded: counts.refunded,
        user_paying: counts.user_paying,
        refusals: counts.refusals.into_iter().collect(),
        locked_devices: counts.locked_devices,
        users: counts.users,
        merchants: counts.merchants,
    }))
}

/// The day's totals on the wire, with the net the wire adds.
fn totals(totals: &paycode_core::reports::TradeTotals) -> Result<TradeTotals, ApiError> {
    let net = totals
        .gross
        .checked_sub(totals.refunded)
        .ok_or_else(|| ApiError::internal("the day's net is out of range".to_owned()))?;
    Ok(TradeTotals {
        count: totals.count,
        paid_count: totals.paid_count,
        gross: totals.gross,
        refunded: totals.refunded,
        net,
        user_paying: totals.user_paying,
        closed: totals.closed,
    })
}

fn admin_trade(listing: &TradeListing, currency: &str) -> AdminTrade {
    let mut trade = convert::trade(&listing.trade, currency);
    trade.merchant_name = Some(listing.merchant_name.clone());
    AdminTrade {
        trade,
        merchant_id: listing.trade.merchant_id.0,
        user_id: listing.trade.user_id.0,
        username: listing.username.clone(),
    }
}
