//! The reads behind the till's list of the day and the operator's console, and the refusal
//! counts: the reports' part of a transaction.

use paycode_core::clock::UnixMillis;
use paycode_core::days::DayRange;
use paycode_core::ids::{MerchantId, TradeId};
use paycode_core::model::TradeStatus;
use paycode_core::reports::{
    merge_refusals, ActivityCounts, RefusalCount, ReportTransaction, TradeListing, TradeQuery,
    TradeTotals,
};
use paycode_core::store::StoreResult;
use rusqlite::types::ToSql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::error::{Error, Result};
use super::SqliteTransaction;
use crate::listing::{self, Parameter};
use crate::rows::trade_listing_from_row;

/// The trades `query` selects, newest first (see [`listing::trades_page`]).
pub(super) fn trades_page(
    connection: &Connection,
    query: &TradeQuery,
) -> Result<Vec<TradeListing>> {
    let before = match query.before {
        Some(id) => match created_at_of(connection, id)? {
            Some(created_at) => Some((created_at, id)),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let statement = listing::trades_page(query, before, |position| format!("?{position}"));
    let parameters = statement
        .parameters
        .iter()
        .map(|parameter| match parameter {
            Parameter::Integer(value) => value as &dyn ToSql,
            Parameter::Text(value) => value as &dyn ToSql,
        });
    let listings = connection
        .prepare_cached(&statement.sql)?
        .query_map(params_from_iter(parameters), |row| {
            trade_listing_from_row(row)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(listings)
}

/// When the trade `id` was created, if it exists.
fn created_at_of(connection: &Connection, id: TradeId) -> Result<Option<UnixMillis>> {
    let created_at = connection
        .prepare_cached("SELECT created_at FROM trades WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))
        .optional()?;
    Ok(created_at)
}

/// The totals of the merchant's trades created in `created`.
pub(super) fn trade_totals(
    connection: &Connection,
    merchant: MerchantId,
    created: DayRange,
) -> Result<TradeTotals> {
    let row = connection
        .prepare_cached(
            "SELECT count(*),
                 coalesce(sum(status IN ('SUCCESS', 'REVERSED')), 0),
                 coalesce(sum(CASE WHEN status IN ('SUCCESS', 'REVERSED') THEN amount END), 0),
                 coalesce(sum(CASE WHEN status IN ('SUCCESS', 'REVERSED')
                     THEN refunded_amount END), 0),
                 coalesce(sum(status = 'USER_PAYING'), 0),
                 coalesce(sum(status = 'CLOSED'), 0)
             FROM trades
             WHERE merchant_id = ?1 AND created_at >= ?2 AND created_at < ?3",
        )?
        .query_row(params![merchant.0, created.start, created.end], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })?;
    let (count, paid_count, gross, refunded, user_paying, closed) = row;
    Ok(TradeTotals {
        count: unsigned(count)?,
        paid_count: unsigned(paid_count)?,
        gross,
        refunded,
        user_paying: unsigned(user_paying)?,
        closed: unsigned(closed)?,
    })
}

/// Adds the counts, merged per key, one upsert each.
pub(super) fn add_refusals(connection: &Connection, counts: &[RefusalCount]) -> Result<()> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO refusal_counts (period_start, merchant_id, code, refusals)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (period_start, merchant_id, code)
         DO UPDATE SET refusals = refusals + excluded.refusals",
    )?;
    for count in merge_refusals(counts) {
        let refusals = i64::try_from(count.refusals).map_err(|_| Error::OutOfRange("refusals"))?;
        statement.execute(params![
            count.period_start,
            count.merchant.0,
            count.code,
            refusals
        ])?;
    }
    Ok(())
}

/// The operator's counts of the day and of the moment.
pub(super) fn activity_counts(
    connection: &Connection,
    day: DayRange,
    now: UnixMillis,
    paid_within: i64,
) -> Result<ActivityCounts> {
    let paid_statuses = format!(
        "('{}', '{}')",
        TradeStatus::Success.as_str(),
        TradeStatus::Reversed.as_str()
    );
    let (payments, volume) = connection
        .prepare_cached(&format!(
            "SELECT count(*), coalesce(sum(amount), 0) FROM trades
             WHERE created_at >= ?1 AND created_at < ?2 AND status IN {paid_statuses}
                 AND paid_at >= ?3 AND paid_at < ?2"
        ))?
        .query_row(
            params![day.start - paid_within, day.end, day.start],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )?;
    let (refunds, refunded) = connection
        .prepare_cached(
            "SELECT count(*), coalesce(sum(amount), 0) FROM refunds
             WHERE created_at >= ?1 AND created_at < ?2",
        )?
        .query_row(params![day.start, day.end], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })?;
    let refusals = connection
        .prepare_cached(
            "SELECT code, sum(refusals) FROM refusal_counts
             WHERE period_start >= ?1 AND period_start < ?2
             GROUP BY code ORDER BY code",
        )?
        .query_map(params![day.start, day.end], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(code, count)| Ok((code, unsigned(count)?)))
        .collect::<Result<_>>()?;
    let count = |sql: &str, parameters: &[&dyn rusqlite::ToSql]| -> Result<u64> {
        let value: i64 = connection
            .prepare_cached(sql)?
            .query_row(parameters, |row| row.get(0))?;
        unsigned(value)
    };
    Ok(ActivityCounts {
        payments: unsigned(payments)?,
        volume,
        refunds: unsigned(refunds)?,
        refunded,
        refusals,
        user_paying: count(
            "SELECT count(*) FROM trades WHERE status = 'USER_PAYING' AND confirm_deadline > ?1",
            &[&now],
        )?,
        locked_devices: count(LOCKED_DEVICES, &[&now])?,
        users: count("SELECT count(*) FROM users", &[])?,
        merchants: count("SELECT count(*) FROM merchants", &[])?,
    })
}

/// Active devices locked now everywhere (on the device row) or at some merchant.
pub(super) const LOCKED_DEVICES: &str = "SELECT count(*) FROM (
         SELECT id FROM devices WHERE status = 'active' AND locked_until > ?1
         UNION
         SELECT f.device_id FROM device_failures f JOIN devices d ON d.id = f.device_id
         WHERE d.status = 'active' AND f.locked_until > ?1
     )";

fn unsigned(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::Corrupt("negative count"))
}

impl ReportTransaction for SqliteTransaction<'_> {
    fn trades_page(&mut self, query: &TradeQuery) -> StoreResult<Vec<TradeListing>> {
        Ok(trades_page(&self.connection, query)?)
    }

    fn trade_totals(
        &mut self,
        merchant: MerchantId,
        created: DayRange,
    ) -> StoreResult<TradeTotals> {
        Ok(trade_totals(&self.connection, merchant, created)?)
    }

    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()> {
        Ok(add_refusals(&self.connection, counts)?)
    }

    fn activity_counts(
        &mut self,
        day: DayRange,
        now: UnixMillis,
        paid_within: i64,
    ) -> StoreResult<ActivityCounts> {
        Ok(activity_counts(&self.connection, day, now, paid_within)?)
    }
}
