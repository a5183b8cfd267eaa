//! Trades and their refunds.

use std::collections::HashMap;

use paycode_core::clock::{start_of_day, UnixMillis};
use paycode_core::ids::{MerchantId, TradeId, UserId};
use paycode_core::model::{NewTrade, RefundRecord, TradeRecord};
use paycode_core::text::Label;

use super::error::{Error, Result};
use super::pool::{Connection, Parameters};
use super::rows::column;
use crate::rows::{refund_from_row, trade_from_row, REFUND_COLUMNS, TRADE_COLUMNS};
use crate::schema::limit_to_sql;

/// Stores the trade, or returns `None` when the merchant already has the `out_trade_no`.
/// `ON CONFLICT DO NOTHING` reports that without failing the statement, so the transaction
/// stays usable, as it does on SQLite; a concurrent insert of the same `out_trade_no` waits
/// for the first transaction and then finds its row. A taken `trade_no` is still an error. A
/// new trade has nothing refunded, no wrong PIN and no end yet.
pub(super) fn insert_trade(
    connection: &mut Connection,
    trade: &NewTrade,
) -> Result<Option<TradeId>> {
    let row = connection.query_opt(
        "INSERT INTO trades (trade_no, merchant_id, user_id, out_trade_no, auth_code_hash,
             amount, refunded_amount, status, subject, terminal_id, pin_free, pin_attempts,
             created_at, paid_at, confirm_deadline, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (merchant_id, out_trade_no) DO NOTHING
         RETURNING id",
        &[
            &trade.trade_no,
            &trade.merchant_id.0,
            &trade.user_id.0,
            &trade.out_trade_no.as_str(),
            &trade.auth_code_hash,
            &trade.amount.minor(),
            &0_i64,
            &trade.status.as_str(),
            &trade.subject.as_ref().map(Label::as_str),
            &trade.terminal_id.as_ref().map(Label::as_str),
            &trade.pin_free,
            &0_i64,
            &trade.created_at,
            &trade.paid_at,
            &trade.confirm_deadline,
            &None::<i64>,
        ],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    add_to_pin_free_days(connection, std::slice::from_ref(trade))?;
    Ok(Some(TradeId(row.try_get(0)?)))
}

/// Adds the pin-free paid trades among `trades` to their users' running totals of the day
/// they were paid, in one statement, summed per user and day first (one statement may change
/// a row only once) and in ascending order (the order row locks are taken in).
fn add_to_pin_free_days(connection: &mut Connection, trades: &[NewTrade]) -> Result<()> {
    let mut totals: std::collections::BTreeMap<(i64, i64), i64> = std::collections::BTreeMap::new();
    for trade in trades {
        if let (true, Some(paid_at)) = (trade.pin_free, trade.paid_at) {
            let total = totals
                .entry((trade.user_id.0, start_of_day(paid_at)))
                .or_insert(0);
            *total = total
                .checked_add(trade.amount.minor())
                .ok_or(Error::OutOfRange("pin-free total"))?;
        }
    }
    if totals.is_empty() {
        return Ok(());
    }
    let (keys, amounts): (Vec<(i64, i64)>, Vec<i64>) = totals.into_iter().unzip();
    let (users, days): (Vec<i64>, Vec<i64>) = keys.into_iter().unzip();
    connection.execute(
        "INSERT INTO pin_free_days (user_id, day, total)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
         ON CONFLICT (user_id, day) DO UPDATE SET total = pin_free_days.total + excluded.total",
        &[&users, &days, &amounts],
    )?;
    Ok(())
}

/// Stores every trade in one statement and returns their ids in the order given, or `None`
/// when a merchant already has one of the `out_trade_no`s (or the batch has one twice), and
/// then the other trades are stored all the same, so the caller must not commit. Rows come
/// back in no promised order, so each id is found by its trade's `trade_no`, which is
/// unique. A taken `trade_no` is an error, as in [`insert_trade`]; the new trades have nothing
/// refunded, no wrong PIN and no end, as there.
pub(super) fn insert_trades(
    connection: &mut Connection,
    trades: &[NewTrade],
) -> Result<Option<Vec<TradeId>>> {
    let trade_nos = column(trades, |trade| trade.trade_no.as_str());
    let merchants = column(trades, |trade| trade.merchant_id.0);
    let users = column(trades, |trade| trade.user_id.0);
    let out_trade_nos = column(trades, |trade| trade.out_trade_no.as_str());
    let auth_code_hashes = column(trades, |trade| &*trade.auth_code_hash);
    let amounts = column(trades, |trade| trade.amount.minor());
    let refunded = column(trades, |_| 0_i64);
    let statuses = column(trades, |trade| trade.status.as_str());
    let subjects = column(trades, |trade| trade.subject.as_ref().map(Label::as_str));
    let terminals = column(trades, |trade| {
        trade.terminal_id.as_ref().map(Label::as_str)
    });
    let pin_free = column(trades, |trade| trade.pin_free);
    let pin_attempts = column(trades, |_| 0_i64);
    let created = column(trades, |trade| trade.created_at);
    let paid = column(trades, |trade| trade.paid_at);
    let deadlines = column(trades, |trade| trade.confirm_deadline);
    let finished = column(trades, |_| None::<i64>);
    let rows = connection.query(
        "INSERT INTO trades (trade_no, merchant_id, user_id, out_trade_no, auth_code_hash,
             amount, refunded_amount, status, subject, terminal_id, pin_free, pin_attempts,
             created_at, paid_at, confirm_deadline, finished_at)
         SELECT trade_no, merchant_id, user_id, out_trade_no, auth_code_hash, amount,
             refunded_amount, status, subject, terminal_id, pin_free, pin_attempts, created_at,
             paid_at, confirm_deadline, finished_at
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bytea[],
             $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::boolean[],
             $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[])
             WITH ORDINALITY AS t (trade_no, merchant_id, user_id, out_trade_no,
                 auth_code_hash, amount, refunded_amount, status, subject, terminal_id,
                 pin_free, pin_attempts, created_at, paid_at, confirm_deadline, finished_at, n)
         ORDER BY n
         ON CONFLICT (merchant_id, out_trade_no) DO NOTHING
         RETURNING id, trade_no",
        &[
            &trade_nos,
            &merchants,
            &users,
            &out_trade_nos,
            &auth_code_hashes,
            &amounts,
            &refunded,
            &statuses,
            &subjects,
            &terminals,
            &pin_free,
            &pin_attempts,
            &created,
            &paid,
            &deadlines,
            &finished,
        ],
    )?;
    if rows.len() < trades.len() {
        return Ok(None);
    }
    add_to_pin_free_days(connection, trades)?;
    let ids: HashMap<String, i64> = rows
        .iter()
        .map(|row| Ok((row.try_get(1)?, row.try_get(0)?)))
        .collect::<Result<_>>()?;
    trades
        .iter()
        .map(|trade| {
            ids.get(&trade.trade_no)
                .map(|&id| TradeId(id))
                .ok_or(Error::Missing("trade"))
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// Writes the fields the contract calls mutable: status, refunded amount, PIN attempts and
/// the three times. What was charged, to whom and for what never changes.
pub(super) fn update_trade(connection: &mut Connection, trade: &TradeRecord) -> Result<()> {
    let changed = connection.execute(
        "UPDATE trades SET status = $2, refunded_amount = $3, pin_attempts = $4,
             paid_at = $5, confirm_deadline = $6, finished_at = $7
         WHERE id = $1",
        &[
            &trade.id.0,
            &trade.status.as_str(),
            &trade.refunded_amount.minor(),
            &i64::from(trade.pin_attempts),
            &trade.paid_at,
            &trade.confirm_deadline,
            &trade.finished_at,
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("trade"))
    }
}

/// Reads the trade with `FOR UPDATE`. When there is none, nothing is locked: that case is
/// what the advisory lock of `lock_out_trade_no` is for.
pub(super) fn lock_trade_by_out_trade_no(
    connection: &mut Connection,
    merchant: MerchantId,
    out_trade_no: &str,
) -> Result<Option<TradeRecord>> {
    one_trade(
        connection,
        "merchant_id = $1 AND out_trade_no = $2 FOR UPDATE",
        &[&merchant.0, &out_trade_no],
    )
}

/// Reads every trade of `keys` with `FOR UPDATE`, one index lookup per key in the order of
/// `keys` (the batch sorts them, and already holds their advisory locks). Keys without a
/// trade lock nothing, as in [`lock_trade_by_out_trade_no`].
///
/// The bulk statements are written so that their plan looks rows up by index whatever the
/// table's statistics say: a connection keeps a generic plan, and one made while a table was
/// nearly empty (a join that hashes it after a sequential scan) would scan it in full on every
/// batch once it is large. Here the `LIMIT` keeps the lookup a parameterized index scan.
pub(super) fn lock_trades_by_out_trade_nos(
    connection: &mut Connection,
    keys: &[(MerchantId, String)],
) -> Result<Vec<TradeRecord>> {
    let (merchants, out_trade_nos): (Vec<i64>, Vec<&str>) = keys
        .iter()
        .map(|(merchant, out_trade_no)| (merchant.0, out_trade_no.as_str()))
        .unzip();
    let sql = format!(
        "SELECT t.* FROM unnest($1::bigint[], $2::text[]) AS k (merchant_id, out_trade_no)
         CROSS JOIN LATERAL (
             SELECT {TRADE_COLUMNS} FROM trades
             WHERE trades.merchant_id = k.merchant_id AND trades.out_trade_no = k.out_trade_no
             LIMIT 1 FOR UPDATE) AS t"
    );
    let rows = connection.query(&sql, &[&merchants, &out_trade_nos])?;
    rows.iter().map(trade_from_row).collect()
}

pub(super) fn lock_trade_by_trade_no(
    connection: &mut Connection,
    trade_no: &str,
) -> Result<Option<TradeRecord>> {
    one_trade(connection, "trade_no = $1 FOR UPDATE", &[&trade_no])
}

/// The status is a literal in this and the next query, so that the planner can use the
/// partial indexes on `USER_PAYING` trades in generic plans too.
pub(super) fn user_paying_trades_of_user(
    connection: &mut Connection,
    user: UserId,
) -> Result<Vec<TradeRecord>> {
    trades(
        connection,
        "user_id = $1 AND status = 'USER_PAYING' ORDER BY created_at, id",
        &[&user.0],
    )
}

pub(super) fn overdue_user_paying_trades(
    connection: &mut Connection,
    now: UnixMillis,
    limit: usize,
) -> Result<Vec<TradeRecord>> {
    trades(
        connection,
        "status = 'USER_PAYING' AND confirm_deadline < $1
         ORDER BY confirm_deadline, id LIMIT $2",
        &[&now, &limit_to_sql(limit)],
    )
}

/// The user's running pin-free total of the day starting at `day`. It counts every trade that
/// was paid without a PIN that day, whatever happened to it afterwards: a refund or reversal
/// gives the money back but does not give back the pin-free allowance, which is the
/// conservative reading of a daily limit on unconfirmed spending.
pub(super) fn pin_free_total_of_day(
    connection: &mut Connection,
    user: UserId,
    day: UnixMillis,
) -> Result<i64> {
    let row = connection.query_opt(
        "SELECT total FROM pin_free_days WHERE user_id = $1 AND day = $2",
        &[&user.0, &day],
    )?;
    row.map_or(Ok(0), |row| Ok(row.try_get(0)?))
}

/// [`pin_free_total_of_day`] of every distinct user of `users` in one statement; a user
/// without pin-free payments that day gets 0.
pub(super) fn pin_free_totals_of_day(
    connection: &mut Connection,
    users: &[UserId],
    day: UnixMillis,
) -> Result<Vec<(UserId, i64)>> {
    let mut ids: Vec<i64> = users.iter().map(|user| user.0).collect();
    ids.sort_unstable();
    ids.dedup();
    // `= ANY` keeps the plan on the primary key (see lock_trades_by_out_trade_nos).
    let rows = connection.query(
        "SELECT user_id, total FROM pin_free_days WHERE user_id = ANY($1) AND day = $2",
        &[&ids, &day],
    )?;
    let mut totals: HashMap<i64, i64> = rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_>>()?;
    Ok(ids
        .into_iter()
        .map(|id| (UserId(id), totals.remove(&id).unwrap_or(0)))
        .collect())
}

fn one_trade(
    connection: &mut Connection,
    condition: &str,
    parameters: Parameters<'_>,
) -> Result<Option<TradeRecord>> {
    let sql = format!("SELECT {TRADE_COLUMNS} FROM trades WHERE {condition}");
    let row = connection.query_opt(&sql, parameters)?;
    row.as_ref().map(trade_from_row).transpose()
}

fn trades(
    connection: &mut Connection,
    condition: &str,
    parameters: Parameters<'_>,
) -> Result<Vec<TradeRecord>> {
    let sql = format!("SELECT {TRADE_COLUMNS} FROM trades WHERE {condition}");
    let rows = connection.query(&sql, parameters)?;
    rows.iter().map(trade_from_row).collect()
}

/// Stores the refund, or returns false when the trade already has the `out_refund_no`
/// (without failing the statement, as [`insert_trade`] does). A taken `refund_no` is still an
/// error.
pub(super) fn insert_refund(connection: &mut Connection, refund: &RefundRecord) -> Result<bool> {
    let inserted = connection.execute(
        "INSERT INTO refunds (refund_no, trade_id, out_refund_no, amount, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (trade_id, out_refund_no) DO NOTHING",
        &[
            &refund.refund_no,
            &refund.trade_id.0,
            &refund.out_refund_no,
            &refund.amount.minor(),
            &refund.reason,
            &refund.created_at,
        ],
    )?;
    Ok(inserted == 1)
}

pub(super) fn refund_by_out_refund_no(
    connection: &mut Connection,
    trade: TradeId,
    out_refund_no: &str,
) -> Result<Option<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE trade_id = $1 AND out_refund_no = $2");
    let row = connection.query_opt(&sql, &[&trade.0, &out_refund_no])?;
    row.as_ref().map(refund_from_row).transpose()
}

pub(super) fn refunds_of_trade(
    connection: &mut Connection,
    trade: TradeId,
) -> Result<Vec<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE trade_id = $1 ORDER BY created_at, id");
    let rows = connection.query(&sql, &[&trade.0])?;
    rows.iter().map(refund_from_row).collect()
}
