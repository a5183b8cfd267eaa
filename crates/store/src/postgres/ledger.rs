//! Accounts, ledger transactions and their postings, top-ups, and the ledger check.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, LedgerTransactionId, UserId};
use paycode_core::model::{AccountKind, LedgerEntry, LedgerKind, LedgerTotals, TopupRecord};
use postgres::Row;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::{count, wide_sum};
use crate::schema::balanced_in_account_order;

pub(super) fn insert_account(
    connection: &mut Connection,
    kind: AccountKind,
    created_at: UnixMillis,
) -> Result<AccountId> {
    let row = connection.query_one(
        "INSERT INTO accounts (kind, balance, created_at) VALUES ($1, 0, $2) RETURNING id",
        &[&kind.as_str(), &created_at],
    )?;
    Ok(AccountId(row.try_get(0)?))
}

pub(super) fn issuance_account(connection: &mut Connection) -> Result<AccountId> {
    let row = connection.query_opt("SELECT id FROM accounts WHERE kind = 'issuance'", &[])?;
    let row = row.ok_or(Error::Missing("issuance account"))?;
    Ok(AccountId(row.try_get(0)?))
}

/// Reads a balance with `FOR UPDATE`: the row stays locked until the transaction ends, so a
/// read-check-write on a balance cannot interleave with another one on any server instance.
pub(super) fn lock_balance(connection: &mut Connection, account: AccountId) -> Result<i64> {
    let row = connection.query_opt(
        "SELECT balance FROM accounts WHERE id = $1 FOR UPDATE",
        &[&account.0],
    )?;
    let row = row.ok_or(Error::Missing("account"))?;
    Ok(row.try_get(0)?)
}

/// Records the transaction and applies its postings in ascending account order, the order
/// the contract asks of every store: two transactions that touch the same accounts then take
/// their row locks in the same order and cannot deadlock each other.
pub(super) fn post_transaction(
    connection: &mut Connection,
    kind: LedgerKind,
    reference: &str,
    postings: &[(AccountId, i64)],
    created_at: UnixMillis,
) -> Result<LedgerTransactionId> {
    let ordered = balanced_in_account_order(postings);

    let row = connection.query_one(
        "INSERT INTO ledger_transactions (kind, reference, created_at) VALUES ($1, $2, $3)
         RETURNING id",
        &[&kind.as_str(), &reference, &created_at],
    )?;
    let id: i64 = row.try_get(0)?;
    for &(account, amount) in &ordered {
        apply_posting(connection, account, amount)?;
    }
    let (accounts, amounts): (Vec<i64>, Vec<i64>) = ordered
        .iter()
        .map(|&(account, amount)| (account.0, amount))
        .unzip();
    connection.execute(
        "INSERT INTO postings (transaction_id, account_id, amount)
         SELECT $1, account_id, amount
         FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS p (account_id, amount, n)
         ORDER BY n",
        &[&id, &accounts, &amounts],
    )?;
    Ok(LedgerTransactionId(id))
}

/// Adds to a balance in one statement, which also locks the row. PostgreSQL's `BIGINT`
/// addition is checked: an overflow fails the statement (SQLSTATE 22003, numeric value out of
/// range) and so the transaction; the schema's check refuses a user balance below zero.
fn apply_posting(connection: &mut Connection, account: AccountId, amount: i64) -> Result<()> {
    connection
        .query_opt(
            "UPDATE accounts SET balance = balance + $2 WHERE id = $1 RETURNING balance",
            &[&account.0, &amount],
        )?
        .map(drop)
        .ok_or(Error::Missing("account"))
}

pub(super) fn account_history(
    connection: &mut Connection,
    account: AccountId,
    before: Option<LedgerTransactionId>,
    limit: u32,
) -> Result<Vec<LedgerEntry>> {
    let before = before.map_or(i64::MAX, |id| id.0);
    let rows = connection.query(
        "SELECT p.transaction_id, t.kind, t.reference, p.amount, t.created_at
         FROM postings p JOIN ledger_transactions t ON t.id = p.transaction_id
         WHERE p.account_id = $1 AND p.transaction_id < $2
         ORDER BY p.transaction_id DESC, p.id DESC
         LIMIT $3",
        &[&account.0, &before, &i64::from(limit)],
    )?;
    rows.iter().map(entry_from_row).collect()
}

fn entry_from_row(row: &Row) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        transaction_id: LedgerTransactionId(row.try_get(0)?),
        kind: row.try_get(1)?,
        reference: row.try_get(2)?,
        amount: row.try_get(3)?,
        created_at: row.try_get(4)?,
    })
}

pub(super) fn topup(connection: &mut Connection, reference: &str) -> Result<Option<TopupRecord>> {
    let row = connection.query_opt(
        "SELECT reference, user_id, amount, transaction_id, created_at
         FROM topups WHERE reference = $1",
        &[&reference],
    )?;
    row.map(|row| {
        Ok(TopupRecord {
            reference: row.try_get(0)?,
            user_id: UserId(row.try_get(1)?),
            amount: row.try_get(2)?,
            transaction_id: LedgerTransactionId(row.try_get(3)?),
            created_at: row.try_get(4)?,
        })
    })
    .transpose()
}

/// `ON CONFLICT DO NOTHING` reports a taken reference without failing the statement, so the
/// transaction stays usable, as it does on SQLite.
pub(super) fn insert_topup(connection: &mut Connection, topup: &TopupRecord) -> Result<bool> {
    let inserted = connection.execute(
        "INSERT INTO topups (reference, user_id, amount, transaction_id, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (reference) DO NOTHING",
        &[
            &topup.reference,
            &topup.user_id.0,
            &topup.amount,
            &topup.transaction_id.0,
            &topup.created_at,
        ],
    )?;
    Ok(inserted == 1)
}

/// Computes every invariant of SPEC section 3 over the whole database in one statement, so
/// that every number comes from the same snapshot even while payments go on. Sums are
/// `NUMERIC` (PostgreSQL sums `BIGINT`s exactly), read as text into `i128`.
pub(super) fn totals(connection: &mut Connection) -> Result<LedgerTotals> {
    let row = connection.query_one(
        "SELECT
             (SELECT coalesce(sum(balance), 0)::text FROM accounts),
             (SELECT coalesce(sum(amount), 0)::text FROM postings),
             (SELECT count(*) FROM accounts WHERE kind = 'user' AND balance < 0),
             (SELECT count(*) FROM accounts a
              LEFT JOIN (SELECT account_id, sum(amount) AS posted
                         FROM postings GROUP BY account_id) p ON p.account_id = a.id
              WHERE a.balance <> coalesce(p.posted, 0)),
             (SELECT count(*) FROM (SELECT 1 FROM postings
                                    GROUP BY transaction_id HAVING sum(amount) <> 0) u),
             (SELECT count(*) FROM trades t
              WHERE t.refunded_amount > t.amount
                 OR t.refunded_amount <>
                    coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.trade_id = t.id), 0)),
             (SELECT count(*) FROM accounts),
             (SELECT count(*) FROM ledger_transactions)",
        &[],
    )?;
    Ok(LedgerTotals {
        sum_of_balances: wide_sum(&row, 0)?,
        sum_of_postings: wide_sum(&row, 1)?,
        negative_user_accounts: count(&row, 2)?,
        accounts_not_matching_postings: count(&row, 3)?,
        unbalanced_transactions: count(&row, 4)?,
        trades_with_bad_refunds: count(&row, 5)?,
        accounts: count(&row, 6)?,
        transactions: count(&row, 7)?,
    })
}
