//! The reads behind the till's list of the day and the operator's console, and the refusal
//! counts: the reports' part of a transaction.

use paycode_core::clock::UnixMillis;
use paycode_core::days::DayRange;
use paycode_core::ids::MerchantId;
use paycode_core::reports::{
    merge_refusals, ActivityCounts, RefusalCount, ReportTransaction, TradeListing, TradeQuery,
    TradeTotals,
};
use paycode_core::store::StoreResult;
use postgres::types::ToSql;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::{column, count};
use super::PostgresTransaction;
use crate::listing::{self, Parameter};
use crate::rows::trade_listing_from_row;

/// The trades `query` selects, newest first (see [`listing::trades_page`]).
pub(super) fn trades_page(
    connection: &mut Connection,
    query: &TradeQuery,
) -> Result<Vec<TradeListing>> {
    let before = match query.before {
        Some(id) => {
            let Some(row) =
                connection.query_opt("SELECT created_at FROM trades WHERE id = $1", &[&id.0])?
            else {
                return Ok(Vec::new());
            };
            Some((row.try_get(0)?, id))
        }
        None => None,
    };
    let statement = listing::trades_page(query, before, |position| format!("${position}"));
    let parameters: Vec<&(dyn ToSql + Sync)> = statement
        .parameters
        .iter()
        .map(|parameter| match parameter {
            Parameter::Integer(value) => value as &(dyn ToSql + Sync),
            Parameter::Text(value) => value as &(dyn ToSql + Sync),
        })
        .collect();
    let rows = connection.query(&statement.sql, &parameters)?;
    rows.iter().map(trade_listing_from_row).collect()
}

/// The totals of the merchant's trades created in `created`. Sums of amounts are `NUMERIC`
/// in PostgreSQL; a day's cannot pass `i64` unless something is badly wrong, which the cast
/// then reports as an error.
pub(super) fn trade_totals(
    connection: &mut Connection,
    merchant: MerchantId,
    created: DayRange,
) -> Result<TradeTotals> {
    let row = connection.query_one(
        "SELECT count(*),
             count(*) FILTER (WHERE status IN ('SUCCESS', 'REVERSED')),
             coalesce(sum(amount) FILTER (WHERE status IN ('SUCCESS', 'REVERSED')), 0)::bigint,
             coalesce(sum(refunded_amount) FILTER (WHERE status IN ('SUCCESS', 'REVERSED')),
                 0)::bigint,
             count(*) FILTER (WHERE status = 'USER_PAYING'),
             count(*) FILTER (WHERE status = 'CLOSED')
         FROM trades
         WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3",
        &[&merchant.0, &created.start, &created.end],
    )?;
    Ok(TradeTotals {
        count: count(&row, 0)?,
        paid_count: count(&row, 1)?,
        gross: row.try_get(2)?,
        refunded: row.try_get(3)?,
        user_paying: count(&row, 4)?,
        closed: count(&row, 5)?,
    })
}

/// Adds the counts in one statement, merged per key and in key order (the order the upsert
/// locks its rows in, so two batches cannot deadlock on them).
pub(super) fn add_refusals(connection: &mut Connection, counts: &[RefusalCount]) -> Result<()> {
    let merged = merge_refusals(counts);
    if merged.is_empty() {
        return Ok(());
    }
    let periods = column(&merged, |count| count.period_start);
    let merchants = column(&merged, |count| count.merchant.0);
    let codes = column(&merged, |count| count.code.as_str());
    let refusals = merged
        .iter()
        .map(|count| i64::try_from(count.refusals).map_err(|_| Error::OutOfRange("refusals")))
        .collect::<Result<Vec<i64>>>()?;
    connection.execute(
        "INSERT INTO refusal_counts (period_start, merchant_id, code, refusals)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
         ON CONFLICT (period_start, merchant_id, code)
         DO UPDATE SET refusals = refusal_counts.refusals + excluded.refusals",
        &[&periods, &merchants, &codes, &refusals],
    )?;
    Ok(())
}

/// The operator's counts of the day and of the moment, in one statement, so that they come
/// from one snapshot.
pub(super) fn activity_counts(
    connection: &mut Connection,
    day: DayRange,
    now: UnixMillis,
    paid_within: i64,
) -> Result<ActivityCounts> {
    let lookback_start = day.start - paid_within;
    let row = connection.query_one(
        "SELECT
             (SELECT count(*) FROM trades
              WHERE created_at >= $1 AND created_at < $3
                  AND status IN ('SUCCESS', 'REVERSED') AND paid_at >= $2 AND paid_at < $3),
             (SELECT coalesce(sum(amount), 0)::bigint FROM trades
              WHERE created_at >= $1 AND created_at < $3
                  AND status IN ('SUCCESS', 'REVERSED') AND paid_at >= $2 AND paid_at < $3),
             (SELECT count(*) FROM refunds WHERE created_at >= $2 AND created_at < $3),
             (SELECT coalesce(sum(amount), 0)::bigint FROM refunds
              WHERE created_at >= $2 AND created_at < $3),
             (SELECT count(*) FROM trades
              WHERE status = 'USER_PAYING' AND confirm_deadline > $4),
             (SELECT count(*) FROM (
                  SELECT id FROM devices WHERE status = 'active' AND locked_until > $4
                  UNION
                  SELECT f.device_id FROM device_failures f JOIN devices d ON d.id = f.device_id
                  WHERE d.status = 'active' AND f.locked_until > $4) locked),
             (SELECT count(*) FROM users),
             (SELECT count(*) FROM merchants)",
        &[&lookback_start, &day.start, &day.end, &now],
    )?;
    let refusals = connection
        .query(
            "SELECT code, sum(refusals)::bigint FROM refusal_counts
             WHERE period_start >= $1 AND period_start < $2
             GROUP BY code ORDER BY code",
            &[&day.start, &day.end],
        )?
        .iter()
        .map(|row| Ok((row.try_get(0)?, count(row, 1)?)))
        .collect::<Result<_>>()?;
    Ok(ActivityCounts {
        payments: count(&row, 0)?,
        volume: row.try_get(1)?,
        refunds: count(&row, 2)?,
        refunded: row.try_get(3)?,
        refusals,
        user_paying: count(&row, 4)?,
        locked_devices: count(&row, 5)?,
        users: count(&row, 6)?,
        merchants: count(&row, 7)?,
    })
}

impl ReportTransaction for PostgresTransaction<'_> {
    fn trades_page(&mut self, query: &TradeQuery) -> StoreResult<Vec<TradeListing>> {
        self.run(|connection| trades_page(connection, query))
    }

    fn trade_totals(
        &mut self,
        merchant: MerchantId,
        created: DayRange,
    ) -> StoreResult<TradeTotals> {
        self.run(|connection| trade_totals(connection, merchant, created))
    }

    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()> {
        self.run(|connection| add_refusals(connection, counts))
    }

    fn activity_counts(
        &mut self,
        day: DayRange,
        now: UnixMillis,
        paid_within: i64,
    ) -> StoreResult<ActivityCounts> {
        self.run(|connection| activity_counts(connection, day, now, paid_within))
    }
}
