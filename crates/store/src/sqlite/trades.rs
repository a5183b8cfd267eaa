//! Trades and their refunds.

use paycode_core::clock::{start_of_day, UnixMillis};
use paycode_core::ids::{MerchantId, TradeId, UserId};
use paycode_core::model::{NewTrade, RefundRecord, TradeRecord};
use paycode_core::text::Label;
use rusqlite::{params, Connection, OptionalExtension, Params};

use super::error::{Error, Result};
use crate::rows::{refund_from_row, trade_from_row, REFUND_COLUMNS, TRADE_COLUMNS};
use crate::schema::limit_to_sql;

/// Stores the trade, and adds a pin-free paid one to its user's running total of the day. A
/// new trade has nothing refunded, no wrong PIN and no end yet.
pub(super) fn insert_trade(connection: &Connection, trade: &NewTrade) -> Result<TradeId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO trades (trade_no, merchant_id, user_id, out_trade_no, auth_code_hash,
                 amount, refunded_amount, status, subject, terminal_id, pin_free, pin_attempts,
                 created_at, paid_at, confirm_deadline, finished_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             RETURNING id",
        )?
        .query_row(
            params![
                trade.trade_no,
                trade.merchant_id.0,
                trade.user_id.0,
                trade.out_trade_no.as_str(),
                trade.auth_code_hash,
                trade.amount.minor(),
                0_i64,
                trade.status.as_str(),
                trade.subject.as_ref().map(Label::as_str),
                trade.terminal_id.as_ref().map(Label::as_str),
                trade.pin_free,
                0_u32,
                trade.created_at,
                trade.paid_at,
                trade.confirm_deadline,
                None::<i64>,
            ],
            |row| row.get(0),
        )?;
    if let (true, Some(paid_at)) = (trade.pin_free, trade.paid_at) {
        connection
            .prepare_cached(
                "INSERT INTO pin_free_days (user_id, day, total) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, day) DO UPDATE SET total = total + excluded.total",
            )?
            .execute(params![
                trade.user_id.0,
                start_of_day(paid_at),
                trade.amount.minor()
            ])?;
    }
    Ok(TradeId(id))
}

/// Writes the fields the contract calls mutable: status, refunded amount, PIN attempts and
/// the three times. What was charged, to whom and for what never changes.
pub(super) fn update_trade(connection: &Connection, trade: &TradeRecord) -> Result<()> {
    let changed = connection
        .prepare_cached(
            "UPDATE trades SET status = ?2, refunded_amount = ?3, pin_attempts = ?4,
                 paid_at = ?5, confirm_deadline = ?6, finished_at = ?7
             WHERE id = ?1",
        )?
        .execute(params![
            trade.id.0,
            trade.status.as_str(),
            trade.refunded_amount.minor(),
            trade.pin_attempts,
            trade.paid_at,
            trade.confirm_deadline,
            trade.finished_at,
        ])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("trade"))
    }
}

pub(super) fn trade_by_out_trade_no(
    connection: &Connection,
    merchant: MerchantId,
    out_trade_no: &str,
) -> Result<Option<TradeRecord>> {
    one_trade(
        connection,
        "merchant_id = ?1 AND out_trade_no = ?2",
        params![merchant.0, out_trade_no],
    )
}

pub(super) fn trade_by_trade_no(
    connection: &Connection,
    trade_no: &str,
) -> Result<Option<TradeRecord>> {
    one_trade(connection, "trade_no = ?1", [trade_no])
}

// The status is a literal in this and the next query, so that SQLite can use the partial
// indexes on `USER_PAYING` trades.
pub(super) fn user_paying_trades_of_user(
    connection: &Connection,
    user: UserId,
) -> Result<Vec<TradeRecord>> {
    trades(
        connection,
        "user_id = ?1 AND status = 'USER_PAYING' ORDER BY created_at, id",
        params![user.0],
    )
}

pub(super) fn overdue_user_paying_trades(
    connection: &Connection,
    now: UnixMillis,
    limit: usize,
) -> Result<Vec<TradeRecord>> {
    trades(
        connection,
        "status = 'USER_PAYING' AND confirm_deadline < ?1 ORDER BY confirm_deadline, id LIMIT ?2",
        params![now, limit_to_sql(limit)],
    )
}

/// The user's running pin-free total of the day starting at `day`. It counts every trade that
/// was paid without a PIN that day, whatever happened to it afterwards: a refund or reversal
/// gives the money back but does not give back the pin-free allowance, which is the
/// conservative reading of a daily limit on unconfirmed spending.
pub(super) fn pin_free_total_of_day(
    connection: &Connection,
    user: UserId,
    day: UnixMillis,
) -> Result<i64> {
    let total = connection
        .prepare_cached("SELECT total FROM pin_free_days WHERE user_id = ?1 AND day = ?2")?
        .query_row(params![user.0, day], |row| row.get(0))
        .optional()?;
    Ok(total.unwrap_or(0))
}

fn one_trade(
    connection: &Connection,
    condition: &str,
    parameters: impl Params,
) -> Result<Option<TradeRecord>> {
    let sql = format!("SELECT {TRADE_COLUMNS} FROM trades WHERE {condition}");
    let trade = connection
        .prepare_cached(&sql)?
        .query_row(parameters, |row| trade_from_row(row))
        .optional()?;
    Ok(trade)
}

fn trades(
    connection: &Connection,
    condition: &str,
    parameters: impl Params,
) -> Result<Vec<TradeRecord>> {
    let sql = format!("SELECT {TRADE_COLUMNS} FROM trades WHERE {condition}");
    let trades = connection
        .prepare_cached(&sql)?
        .query_map(parameters, |row| trade_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(trades)
}

pub(super) fn insert_refund(connection: &Connection, refund: &RefundRecord) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO refunds (refund_no, trade_id, out_refund_no, amount, reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            refund.refund_no,
            refund.trade_id.0,
            refund.out_refund_no,
            refund.amount.minor(),
            refund.reason,
            refund.created_at,
        ])?;
    Ok(())
}

pub(super) fn refund_by_out_refund_no(
    connection: &Connection,
    trade: TradeId,
    out_refund_no: &str,
) -> Result<Option<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE trade_id = ?1 AND out_refund_no = ?2");
    let refund = connection
        .prepare_cached(&sql)?
        .query_row(params![trade.0, out_refund_no], |row| refund_from_row(row))
        .optional()?;
    Ok(refund)
}

pub(super) fn refunds_of_trade(
    connection: &Connection,
    trade: TradeId,
) -> Result<Vec<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE trade_id = ?1 ORDER BY created_at, id");
    let refunds = connection
        .prepare_cached(&sql)?
        .query_map([trade.0], |row| refund_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(refunds)
}
