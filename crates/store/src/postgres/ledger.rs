//! Accounts, ledger transactions and their postings, top-ups, and the ledger check.

use std::collections::BTreeMap;

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, LedgerTransactionId};
use paycode_core::model::{AccountKind, LedgerEntry, LedgerKind, LedgerTotals, TopupRecord};
use paycode_core::store::NewLedgerTransaction;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::{column, count, wide_sum};
use crate::rows::{ledger_entry_from_row, topup_from_row, TOPUP_COLUMNS};
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

/// [`lock_balance`] of every distinct account in one statement, locking in ascending id order;
/// an account that does not exist is an error.
pub(super) fn lock_balances(
    connection: &mut Connection,
    accounts: &[AccountId],
) -> Result<Vec<(AccountId, i64)>> {
    let mut ids: Vec<i64> = accounts.iter().map(|account| account.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = connection.query(
        "SELECT id, balance FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )?;
    if rows.len() < ids.len() {
        return Err(Error::Missing("account"));
    }
    rows.iter()
        .map(|row| Ok((AccountId(row.try_get(0)?), row.try_get(1)?)))
        .collect()
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

/// Records every transaction in five statements, whatever their number: the ids are taken
/// from the table's identity sequence first, in ascending order, so that they follow the
/// order given; then each touched account is locked in ascending id order and its balance
/// moved once by the sum of its postings; then the transactions and their postings (each
/// transaction's in ascending account order) are inserted. The balances are locked before
/// the postings' foreign keys are checked, as in [`post_transaction`].
///
/// The sums are checked here (one past `i64` is an error before anything is written) and the
/// new balances by PostgreSQL, so the schema's checks see each account's balance after the
/// whole batch, not after each transaction: the caller checks every rule per transaction.
pub(super) fn post_transactions(
    connection: &mut Connection,
    transactions: &[NewLedgerTransaction],
) -> Result<Vec<LedgerTransactionId>> {
    if transactions.is_empty() {
        return Ok(Vec::new());
    }
    let ordered = column(transactions, |transaction| {
        balanced_in_account_order(&transaction.postings)
    });
    let mut deltas = BTreeMap::<i64, i64>::new();
    for &(account, amount) in ordered.iter().flatten() {
        let delta = deltas.entry(account.0).or_default();
        *delta = delta
            .checked_add(amount)
            .ok_or(Error::OutOfRange("account balance"))?;
    }

    let count = i64::try_from(transactions.len()).map_err(|_| Error::OutOfRange("batch"))?;
    let rows = connection.query(
        "SELECT nextval(pg_get_serial_sequence('ledger_transactions', 'id'))
         FROM generate_series(1, $1::bigint)",
        &[&count],
    )?;
    let mut ids = rows
        .iter()
        .map(|row| row.try_get(0))
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    ids.sort_unstable();

    let (accounts, amounts): (Vec<i64>, Vec<i64>) = deltas.into_iter().unzip();
    connection.execute(
        "SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&accounts],
    )?;
    // `= ANY($1)` beside the join keeps the plan on the primary key whatever the statistics
    // say (see `trades::lock_trades_by_out_trade_nos`).
    let changed = connection.execute(
        "UPDATE accounts SET balance = balance + d.delta
         FROM unnest($1::bigint[], $2::bigint[]) AS d (id, delta)
         WHERE accounts.id = d.id AND accounts.id = ANY($1)",
        &[&accounts, &amounts],
    )?;
    if usize::try_from(changed).map_or(true, |changed| changed < accounts.len()) {
        return Err(Error::Missing("account"));
    }

    let kinds = column(transactions, |transaction| transaction.kind.as_str());
    let references = column(transactions, |transaction| transaction.reference.as_str());
    let times = column(transactions, |transaction| transaction.created_at);
    connection.execute(
        "INSERT INTO ledger_transactions (id, kind, reference, created_at)
         OVERRIDING SYSTEM VALUE
         SELECT id, kind, reference, created_at
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
             AS t (id, kind, reference, created_at)
         ORDER BY id",
        &[&ids, &kinds, &references, &times],
    )?;

    let mut posting_transactions = Vec::new();
    let mut posting_accounts = Vec::new();
    let mut posting_amounts = Vec::new();
    for (&id, postings) in ids.iter().zip(&ordered) {
        for &(account, amount) in postings {
            posting_transactions.push(id);
            posting_accounts.push(account.0);
            posting_amounts.push(amount);
        }
    }
    connection.execute(
        "INSERT INTO postings (transaction_id, account_id, amount)
         SELECT transaction_id, account_id, amount
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
             WITH ORDINALITY AS p (transaction_id, account_id, amount, n)
         ORDER BY n",
        &[&posting_transactions, &posting_accounts, &posting_amounts],
    )?;
    Ok(ids.into_iter().map(LedgerTransactionId).collect())
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
    rows.iter().map(ledger_entry_from_row).collect()
}

pub(super) fn topup(connection: &mut Connection, reference: &str) -> Result<Option<TopupRecord>> {
    let sql = format!("SELECT {TOPUP_COLUMNS} FROM topups WHERE reference = $1");
    let row = connection.query_opt(&sql, &[&reference])?;
    row.as_ref().map(topup_from_row).transpose()
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
            &topup.amount.minor(),
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
